#include "rtp/receive_stats.h"

namespace webrtc_agent::rtp {

namespace {

// Seconds from 1900 (NTP's epoch) to 1970 (Unix's).
constexpr uint64_t kNtpUnixOffset = 2208988800ull;
// A round trip a little below zero is rounding (DLSR has a resolution of
// 1/65536 s, and ours is taken on a millisecond clock): read it as 0. Far
// below zero is a broken peer: no figure at all.
constexpr int32_t kRttSlack = 65536 / 10;

}  // namespace

uint64_t NtpFromUnixMicros(uint64_t unix_us) {
  const uint64_t seconds = unix_us / 1000000 + kNtpUnixOffset;
  const uint64_t fraction = ((unix_us % 1000000) << 32) / 1000000;
  return (seconds << 32) | fraction;
}

int64_t RoundTripMs(uint64_t now_ntp, uint32_t last_sr, uint32_t delay_since_last_sr) {
  // LSR 0: the peer has had no SR from us yet (RFC 3550 §6.4.1).
  if (last_sr == 0) return -1;
  // Modular arithmetic: the middle 32 bits wrap every 18 hours.
  const int32_t units = static_cast<int32_t>(NtpMiddle(now_ntp) - last_sr - delay_since_last_sr);
  if (units < -kRttSlack) return -1;
  if (units < 0) return 0;
  return (static_cast<int64_t>(units) * 1000 + 32768) / 65536;
}

void ReceiveStats::Restart(uint16_t seq) {
  started_ = true;
  base_ext_ = seq;
  max_ext_ = seq;
  received_ = 0;
  expected_prior_ = 0;
  received_prior_ = 0;
  bad_seq_ = -1;
  seen_.reset();
  MarkSeen(static_cast<uint64_t>(max_ext_));
  have_transit_ = false;
}

ReceiveStats::Arrival ReceiveStats::OnPacket(uint16_t seq, uint32_t rtp_timestamp, uint64_t arrival_us) {
  Arrival kind;
  bool advances = false;
  if (!started_) {
    Restart(seq);
    kind = Arrival::kFirst;
    advances = true;
  } else {
    const uint16_t ahead = static_cast<uint16_t>(seq - static_cast<uint16_t>(max_ext_));
    if (ahead == 0) {
      kind = Arrival::kDuplicate;
    } else if (ahead < kMaxDropout) {
      // Forget the window slots of the numbers skipped over, so a late
      // packet for one of them is not taken for a duplicate.
      const uint32_t skipped = ahead - 1u;
      const uint32_t clear = skipped < kWindow ? skipped : kWindow;
      for (uint32_t i = 1; i <= clear; ++i) seen_.reset(static_cast<uint64_t>(max_ext_ + i) % kWindow);
      max_ext_ += ahead;
      MarkSeen(static_cast<uint64_t>(max_ext_));
      bad_seq_ = -1;
      kind = skipped == 0 ? Arrival::kInOrder : Arrival::kGap;
      advances = true;
    } else if (ahead <= 65536u - kMaxMisorder) {
      if (bad_seq_ >= 0 && seq == static_cast<uint16_t>(bad_seq_)) {
        // Two in a row: the source restarted its numbering (A.1 resync).
        Restart(seq);
        kind = Arrival::kFirst;
        advances = true;
      } else {
        jumps_++;
        bad_seq_ = static_cast<uint16_t>(seq + 1);
        return Arrival::kJump;
      }
    } else {
      const int64_t ext = max_ext_ - static_cast<int64_t>(65536u - ahead);
      if (ext >= base_ext_ && Seen(static_cast<uint64_t>(ext))) {
        kind = Arrival::kDuplicate;
      } else {
        if (ext >= base_ext_) MarkSeen(static_cast<uint64_t>(ext));
        kind = Arrival::kLate;
        reordered_++;
      }
    }
  }
  if (kind == Arrival::kDuplicate) {
    // Not "received": senders repeat packets on purpose (Chromium probes
    // the bandwidth with RTX copies of packets that arrived), and RFC
    // 3550's count would report each as negative loss.
    duplicates_++;
    return kind;
  }
  received_++;

  // Jitter from packets that move the sequence forward only: a late or
  // retransmitted packet carries an old timestamp and would read as a
  // huge transit change that says nothing about the network's variance.
  if (advances) {
    const uint64_t units = arrival_us * clock_rate_ / 1000000;
    const uint32_t transit = static_cast<uint32_t>(units) - rtp_timestamp;
    if (have_transit_) {
      const int32_t d = static_cast<int32_t>(transit - last_transit_);
      const uint64_t abs_d = d < 0 ? static_cast<uint64_t>(-static_cast<int64_t>(d)) : static_cast<uint64_t>(d);
      // J += (|D| - J) / 16, with J kept times 16 (A.8's integer form).
      jitter_q4_ = jitter_q4_ + abs_d - ((jitter_q4_ + 8) >> 4);
    }
    last_transit_ = transit;
    have_transit_ = true;
  }
  return kind;
}

void ReceiveStats::OnSenderReport(uint64_t ntp_timestamp, uint32_t rtp_timestamp, uint64_t now_ms) {
  sr_count_++;
  sr_ntp_ = ntp_timestamp;
  sr_rtp_ = rtp_timestamp;
  sr_arrival_ms_ = now_ms;
}

int32_t ReceiveStats::cumulative_lost() const {
  const int64_t lost = static_cast<int64_t>(expected()) - static_cast<int64_t>(received_);
  if (lost > 0x7FFFFF) return 0x7FFFFF;
  if (lost < -0x800000) return -0x800000;
  return static_cast<int32_t>(lost);
}

bool ReceiveStats::FillReportBlock(uint32_t ssrc, uint64_t now_ms, ReportBlock* out) {
  if (!started_) return false;
  const uint64_t expected_now = expected();
  const int64_t expected_interval = static_cast<int64_t>(expected_now - expected_prior_);
  const int64_t received_interval = static_cast<int64_t>(received_ - received_prior_);
  const int64_t lost_interval = expected_interval - received_interval;
  expected_prior_ = expected_now;
  received_prior_ = received_;
  uint8_t fraction = 0;
  if (expected_interval > 0 && lost_interval > 0) {
    const int64_t f = (lost_interval << 8) / expected_interval;
    fraction = static_cast<uint8_t>(f > 255 ? 255 : f);
  }
  last_fraction_ = fraction;

  out->ssrc = ssrc;
  out->fraction_lost = fraction;
  out->cumulative_lost = cumulative_lost();
  out->extended_highest_sequence = extended_highest();
  out->jitter = jitter();
  if (sr_count_ > 0) {
    out->last_sr = NtpMiddle(sr_ntp_);
    const uint64_t waited = now_ms > sr_arrival_ms_ ? now_ms - sr_arrival_ms_ : 0;
    out->delay_since_last_sr = static_cast<uint32_t>(waited * 65536 / 1000);
  } else {
    out->last_sr = 0;
    out->delay_since_last_sr = 0;
  }
  return true;
}

}  // namespace webrtc_agent::rtp
