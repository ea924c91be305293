// Retransmitter: which of the packets a subscriber NACKs (generic NACK,
// RFC 4585 §6.2.1) to send again, so that repair cannot flood its link.
//
// Pure logic: the sequence numbers sent (with their sizes), NACK lists, a
// millisecond clock and the subscriber's RTT in; the sequence numbers to
// re-send out. The caller keeps the bytes (SendBuffer) and sends them.
//
// The rules, each counted when it refuses a request:
// - a packet is re-sent at most once per RTT of this subscriber (a repair
//   cannot have arrived, and been found missing again, any sooner), with a
//   floor, and at most max_resends times in all;
// - a number repeated inside one NACK counts once;
// - a NACK for a packet no longer in the buffer (or never sent) is a miss,
//   and one for a packet sent before the last source/layer switch is
//   ignored: the receiver decodes the new source from its key frame;
// - re-sends spend a byte budget. With a rate set (SetBudgetRate: a share
//   of the subscriber's send-side estimate, from the router), the budget
//   refills at that rate over time; without one, every media byte sent
//   refills it by a share (budget_per_mille) of the subscriber's send rate.
//
// The slot ring mirrors SendBuffer's (same size, same indexing by the low
// bits of the sequence number), so "in the buffer" means the same here.
#ifndef WEBRTC_AGENT_ADDON_RTP_RETRANSMITTER_H_
#define WEBRTC_AGENT_ADDON_RTP_RETRANSMITTER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace webrtc_agent::rtp {

struct RetransmitOptions {
  // Spacing of re-sends of one packet: the RTT when known, never below
  // min_interval_ms; default_rtt_ms until a report gives the RTT.
  uint64_t min_interval_ms = 15;
  uint64_t default_rtt_ms = 100;
  uint32_t max_resends = 3;
  // Budget: this share (per mille) of every media byte sent is credited
  // for re-sends, up to max_credit_bytes; the budget starts at
  // initial_credit_bytes so the first losses of a stream can be repaired.
  uint32_t budget_per_mille = 250;
  uint64_t max_credit_bytes = 48000;
  uint64_t initial_credit_bytes = 12000;
};

struct RetransmitCounters {
  uint64_t requested = 0;      // sequence numbers in NACKs, repeats included
  uint64_t duplicates = 0;     // repeats of a number inside one NACK
  uint64_t sent = 0;           // re-sends allowed
  uint64_t bytes = 0;          // their bytes (as stored, before any RTX wrapping)
  uint64_t missed = 0;         // not in the buffer: older than it, or never sent
  uint64_t before_switch = 0;  // sent before the last source/layer switch
  uint64_t too_soon = 0;       // already re-sent within the last RTT
  uint64_t too_many = 0;       // already re-sent max_resends times
  uint64_t over_budget = 0;    // the budget had no room for it
};

class Retransmitter {
 public:
  static constexpr size_t kSlots = 512;  // SendBuffer::kSlots

  explicit Retransmitter(RetransmitOptions options = RetransmitOptions());

  // A media packet went out with this (the subscriber's) sequence number.
  void OnSent(uint16_t seq, size_t bytes);
  // Repairs may use this many bits/s (a share of the subscriber's estimate),
  // refilled over time from `now_ms`; 0: back to the share of the media
  // bytes sent. The credit cap stays max_credit_bytes.
  void SetBudgetRate(uint64_t bps, uint64_t now_ms);
  uint64_t budget_rate_bps() const { return rate_bps_; }
  // The source or layer behind the numbering changed: NACKs for what was
  // sent before are ignored from now on.
  void OnSwitch() { epoch_++; }

  // A NACK from the subscriber. The numbers to re-send now are appended to
  // `resend` (in NACK order, each once); numbers not in the buffer, each
  // once, to `missed` (the caller may ask further up for them). rtt_ms < 0:
  // unknown.
  void OnNack(const uint16_t* seqs, size_t count, uint64_t now_ms, int64_t rtt_ms,
              std::vector<uint16_t>* resend, std::vector<uint16_t>* missed);

  const RetransmitCounters& counters() const { return counters_; }
  uint64_t credit_bytes() const { return credit_; }

  // The RTX packet (RFC 4588 §4) for a stored media packet: its header
  // (extensions kept) with the RTX payload type, sequence number and SSRC,
  // then the original sequence number, then the original payload (its
  // padding left out). Returns the length written to `out`, 0 if `pkt` does
  // not parse as RTP or the result would not fit in `cap`.
  static size_t WrapRtx(const uint8_t* pkt, size_t len, uint8_t rtx_payload_type, uint16_t rtx_seq,
                        uint32_t rtx_ssrc, uint8_t* out, size_t cap);

 private:
  // 16 bytes: a subscription holds 512 of them.
  struct Slot {
    uint16_t seq = 0;
    bool used = false;
    uint8_t resends = 0;
    uint16_t bytes = 0;
    uint32_t epoch = 0;
    uint32_t last_ms = 0;  // the clock's low 32 bits: compared by difference
  };

  const RetransmitOptions opts_;
  // Both made on first use: a subscription that never sends (or is never
  // NACKed) costs nothing here. The slots, with the first packet sent.
  std::vector<Slot> slots_;
  // One bit per sequence number (8 KB), with the first NACK: which numbers
  // the NACK being read has named already. Cleared after each NACK (only
  // the words it set).
  std::vector<uint64_t> seen_;
  void Refill(uint64_t now_ms);

  uint32_t epoch_ = 0;
  uint64_t credit_;
  uint64_t rate_bps_ = 0;      // 0: credit from the media sent
  uint64_t refilled_ms_ = 0;   // when the rate last credited
  uint64_t rate_remainder_ = 0;  // bit-milliseconds not yet a whole byte
  RetransmitCounters counters_;
};

}  // namespace webrtc_agent::rtp

#endif  // WEBRTC_AGENT_ADDON_RTP_RETRANSMITTER_H_
