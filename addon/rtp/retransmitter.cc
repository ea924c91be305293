#include "rtp/retransmitter.h"

#include <algorithm>
#include <cstring>

#include "rtp/byte_io.h"
#include "rtp/rtp_packet.h"

namespace webrtc_agent::rtp {

Retransmitter::Retransmitter(RetransmitOptions options)
    : opts_(options),
      credit_(std::min(options.initial_credit_bytes, options.max_credit_bytes)) {}

void Retransmitter::OnSent(uint16_t seq, size_t bytes) {
  if (slots_.empty()) slots_.resize(kSlots);
  Slot& s = slots_[seq % kSlots];
  s.seq = seq;
  s.used = true;
  s.resends = 0;
  s.bytes = static_cast<uint16_t>(std::min<size_t>(bytes, 0xffff));
  s.epoch = epoch_;
  s.last_ms = 0;
  // Integer share with the remainder carried would be exact; at 1.2 KB
  // packets the truncation loses under 0.1 %, on the safe side.
  if (rate_bps_ == 0) credit_ = std::min(opts_.max_credit_bytes, credit_ + bytes * opts_.budget_per_mille / 1000);
}

void Retransmitter::SetBudgetRate(uint64_t bps, uint64_t now_ms) {
  Refill(now_ms);  // what the old rate earned so far
  rate_bps_ = bps;
  refilled_ms_ = now_ms;
}

void Retransmitter::Refill(uint64_t now_ms) {
  if (rate_bps_ == 0 || now_ms <= refilled_ms_) return;
  // bits/s x ms = bit-milliseconds; 8000 of them make a byte. Long idle
  // spans are cut at the cap anyway (and kept from overflowing).
  const uint64_t dt = std::min<uint64_t>(now_ms - refilled_ms_, 60000);
  refilled_ms_ = now_ms;
  const uint64_t earned = rate_bps_ * dt + rate_remainder_;
  rate_remainder_ = earned % 8000;
  credit_ = std::min(opts_.max_credit_bytes, credit_ + earned / 8000);
}

void Retransmitter::OnNack(const uint16_t* seqs, size_t count, uint64_t now_ms, int64_t rtt_ms,
                           std::vector<uint16_t>* resend, std::vector<uint16_t>* missed) {
  const uint64_t interval =
      std::max(opts_.min_interval_ms, rtt_ms >= 0 ? static_cast<uint64_t>(rtt_ms) : opts_.default_rtt_ms);
  counters_.requested += count;
  Refill(now_ms);
  if (seen_.empty()) seen_.assign(65536 / 64, 0);
  for (size_t i = 0; i < count; ++i) {
    const uint16_t seq = seqs[i];
    uint64_t& word = seen_[seq >> 6];
    const uint64_t bit = uint64_t{1} << (seq & 63);
    if (word & bit) {
      counters_.duplicates++;
      continue;
    }
    word |= bit;
    Slot* s = slots_.empty() ? nullptr : &slots_[seq % kSlots];
    if (s == nullptr || !s->used || s->seq != seq) {
      counters_.missed++;
      if (missed) missed->push_back(seq);
      continue;
    }
    if (s->epoch != epoch_) {
      counters_.before_switch++;
      continue;
    }
    if (s->resends >= opts_.max_resends) {
      counters_.too_many++;
      continue;
    }
    // Differences of the low 32 bits: right across the clock's 2^32 ms
    // wrap (49 days), for intervals far below it.
    if (s->resends > 0 && static_cast<uint32_t>(now_ms) - s->last_ms < interval) {
      counters_.too_soon++;
      continue;
    }
    if (credit_ < s->bytes) {
      counters_.over_budget++;
      continue;
    }
    credit_ -= s->bytes;
    s->resends++;
    s->last_ms = static_cast<uint32_t>(now_ms);
    counters_.sent++;
    counters_.bytes += s->bytes;
    resend->push_back(seq);
  }
  for (size_t i = 0; i < count; ++i) seen_[seqs[i] >> 6] = 0;
}

size_t Retransmitter::WrapRtx(const uint8_t* pkt, size_t len, uint8_t rtx_payload_type, uint16_t rtx_seq,
                              uint32_t rtx_ssrc, uint8_t* out, size_t cap) {
  RtpPacketView view(pkt, len);
  if (!view.Parse()) return 0;
  const size_t header = view.headerSize();
  const size_t payload = view.payloadSize();
  const size_t total = header + 2 + payload;
  if (total > cap) return 0;
  std::memcpy(out, pkt, header);
  out[0] &= static_cast<uint8_t>(~0x20);  // the original's padding is left out
  out[1] = static_cast<uint8_t>((out[1] & 0x80) | (rtx_payload_type & 0x7f));
  StoreU16(out + 2, rtx_seq);
  StoreU32(out + 8, rtx_ssrc);
  StoreU16(out + header, view.sequence());
  if (payload > 0) std::memcpy(out + header + 2, view.payload(), payload);
  return total;
}

}  // namespace webrtc_agent::rtp
