// ReceiveStats: what an RTP receiver knows about one incoming source, in the
// form an RTCP report block needs (RFC 3550 §6.4.1, appendix A.1, A.3, A.8).
//
// It takes sequence numbers, RTP timestamps and arrival times and returns
// numbers; it never sees a socket or a clock of its own, so every figure
// can be checked against a hand-computed schedule.
//
// Counting follows RFC 3550, so the figures mean what a peer expects them
// to, with one exception: `received` counts late packets (so a packet older
// than the first one can make cumulative loss negative, as in A.3) but not
// duplicates, which a 1024-packet window of what was seen tells apart: a
// sender that repeats packets on purpose (bandwidth probing with RTX copies)
// would otherwise be told it lost a negative number. "Expected" is the span
// from the first to the highest extended sequence number.
#ifndef WEBRTC_AGENT_ADDON_RTP_RECEIVE_STATS_H_
#define WEBRTC_AGENT_ADDON_RTP_RECEIVE_STATS_H_

#include <bitset>
#include <cstdint>

#include "rtp/rtcp.h"

namespace webrtc_agent::rtp {

// The NTP timestamp (RFC 3550 §4: 32.32 fixed point, seconds since 1900)
// of a Unix time in microseconds.
uint64_t NtpFromUnixMicros(uint64_t unix_us);
// The middle 32 bits of an NTP timestamp: the unit of LSR and of RTT sums
// (1/65536 s).
inline uint32_t NtpMiddle(uint64_t ntp) { return static_cast<uint32_t>(ntp >> 16); }
// RTT in ms from a report block received at `now_ntp` (RFC 3550 §6.4.1:
// now - LSR - DLSR); -1 when the block holds no LSR or the sum is negative
// (a peer's bad clock arithmetic must not show up as a huge RTT).
int64_t RoundTripMs(uint64_t now_ntp, uint32_t last_sr, uint32_t delay_since_last_sr);

class ReceiveStats {
 public:
  enum class Arrival : uint8_t {
    kFirst,      // the first packet (or the first after a restart)
    kInOrder,    // highest sequence number so far, no gap before it
    kGap,        // highest so far, some numbers before it are missing
    kLate,       // older than the highest, not seen before (reordered or retransmitted)
    kDuplicate,  // seen before
    kJump,       // far ahead of the highest: not counted until it is confirmed
  };

  // RFC 3550 A.1's limits: a jump of more than kMaxDropout ahead, or a packet
  // more than kMaxMisorder behind, is not taken as part of the sequence;
  // two jumped packets in a row mean the source restarted its numbering.
  static constexpr uint32_t kMaxDropout = 3000;
  static constexpr uint32_t kMaxMisorder = 100;
  static constexpr size_t kWindow = 1024;

  explicit ReceiveStats(uint32_t clock_rate) : clock_rate_(clock_rate == 0 ? 90000 : clock_rate) {}

  // One RTP packet: its sequence number, RTP timestamp, and when it arrived
  // (any monotonic clock in microseconds).
  Arrival OnPacket(uint16_t seq, uint32_t rtp_timestamp, uint64_t arrival_us);

  // The source's Sender Report, and when it arrived (ms, the same clock
  // that is later passed to FillReportBlock).
  void OnSenderReport(uint64_t ntp_timestamp, uint32_t rtp_timestamp, uint64_t now_ms);

  // A report block about `ssrc` as of `now_ms`. The fraction lost covers the
  // time since the previous call (RFC 3550 A.3), so call it once per report
  // sent. False (nothing written) before the first packet.
  bool FillReportBlock(uint32_t ssrc, uint64_t now_ms, ReportBlock* out);

  bool started() const { return started_; }
  // Extended highest sequence number: cycles in the high 16 bits.
  uint32_t extended_highest() const { return static_cast<uint32_t>(max_ext_); }
  uint64_t expected() const { return started_ ? static_cast<uint64_t>(max_ext_ - base_ext_ + 1) : 0; }
  uint64_t received() const { return received_; }
  // Expected minus received, clamped to what the 24-bit field holds.
  int32_t cumulative_lost() const;
  // Interarrival jitter in RTP timestamp units (RFC 3550 A.8).
  uint32_t jitter() const { return static_cast<uint32_t>(jitter_q4_ >> 4); }
  double jitter_ms() const { return 1000.0 * jitter() / clock_rate_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t reordered() const { return reordered_; }
  uint64_t jumps() const { return jumps_; }
  uint8_t last_fraction_lost() const { return last_fraction_; }
  uint64_t sender_reports() const { return sr_count_; }
  bool has_sender_report() const { return sr_count_ > 0; }
  uint64_t sr_ntp() const { return sr_ntp_; }
  uint32_t sr_rtp_timestamp() const { return sr_rtp_; }
  uint64_t sr_arrival_ms() const { return sr_arrival_ms_; }
  uint32_t clock_rate() const { return clock_rate_; }

 private:
  void Restart(uint16_t seq);
  void MarkSeen(uint64_t ext) { seen_.set(ext % kWindow); }
  bool Seen(uint64_t ext) const { return seen_.test(ext % kWindow); }

  const uint32_t clock_rate_;
  bool started_ = false;
  int64_t base_ext_ = 0;  // extended number of the first packet
  int64_t max_ext_ = 0;   // highest extended number so far
  uint64_t received_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t reordered_ = 0;
  uint64_t jumps_ = 0;
  int32_t bad_seq_ = -1;  // the number that would confirm a jump; -1: none pending
  std::bitset<kWindow> seen_;
  // Jitter: the previous packet's transit time, and J scaled by 16 so the
  // 1/16 gain of A.8 stays in integers.
  bool have_transit_ = false;
  uint32_t last_transit_ = 0;
  uint64_t jitter_q4_ = 0;
  // A.3: what had been expected and received at the previous report.
  uint64_t expected_prior_ = 0;
  uint64_t received_prior_ = 0;
  uint8_t last_fraction_ = 0;
  uint64_t sr_count_ = 0;
  uint64_t sr_ntp_ = 0;
  uint32_t sr_rtp_ = 0;
  uint64_t sr_arrival_ms_ = 0;
};

}  // namespace webrtc_agent::rtp

#endif  // WEBRTC_AGENT_ADDON_RTP_RECEIVE_STATS_H_
