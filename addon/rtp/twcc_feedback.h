// TwccFeedback: the receiver side of transport-wide congestion control
// (draft-holmer-rmcat-transport-wide-cc-extensions-01). Every RTP packet a
// WebRTC peer sends on one transport carries a 16-bit transport-wide
// sequence number in a header extension, shared by all its SSRCs (RTX and
// padding probes included). The receiver notes when each one arrived and
// sends the times back in RTCP transport-cc feedback (RTPFB, FMT 15); the
// sender's bandwidth estimator reads its delay trend from them. A browser
// that negotiated transport-cc steers by this feedback alone.
//
// Pure logic: sequence numbers and arrival times (microseconds, any
// monotonic origin) in, feedback packets (bytes) out. No clock, no socket.
//
// Memory is bounded: a fixed ring of `max_packets` slots, allocated once.
// A slot is forgotten when it is more than `max_age_us` older than the
// newest arrival, or when the ring needs it, but never before it has been
// reported; a jump too far ahead starts the window over.
#ifndef WEBRTC_AGENT_ADDON_RTP_TWCC_FEEDBACK_H_
#define WEBRTC_AGENT_ADDON_RTP_TWCC_FEEDBACK_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace webrtc_agent::rtp {

struct TwccOptions {
  // Slots in the history ring: at 2000 packets/s (a few Mbit/s of video)
  // this is two seconds, far more than one 50-100 ms feedback interval.
  size_t max_packets = 4096;
  // Reported entries older than this (behind the newest arrival) are
  // dropped; an RTX repair arriving later than that is not worth reporting.
  uint64_t max_age_us = 500000;
};

struct TwccCounters {
  uint64_t packets = 0;        // arrivals recorded
  uint64_t duplicates = 0;     // a sequence number already recorded
  uint64_t too_old = 0;        // behind the kept history: not reported
  uint64_t resets = 0;         // a jump past the ring: the window started over
  uint64_t feedback_built = 0; // feedback packets written
};

// Feedback header (12 bytes of RTCP common header + SSRCs, then base
// sequence number, status count, reference time and feedback count).
constexpr size_t kTwccHeaderSize = 20;
// A delta's unit (250 us) and the reference time's (64 ms).
constexpr int64_t kTwccDeltaUs = 250;
constexpr int64_t kTwccReferenceUs = 64000;

class TwccFeedback {
 public:
  explicit TwccFeedback(const TwccOptions& options = {});

  // One packet's transport-wide sequence number and arrival time.
  void OnPacket(uint16_t sequence, uint64_t arrival_us);

  // Anything received and not yet reported?
  bool HasPending() const { return started_ && next_ < end_; }

  // Writes one feedback packet covering the oldest unreported numbers up to
  // the newest received one (or fewer: a delta that does not fit in 16 bits
  // of 250 us, the 65535-status limit or `capacity` ends it early; the rest
  // goes into the next call). Returns its size (a multiple of 4), or 0 when
  // nothing is pending or `capacity` cannot hold even one status.
  size_t Build(uint8_t* out, size_t capacity, uint32_t sender_ssrc, uint32_t media_ssrc);

  const TwccCounters& counters() const { return counters_; }
  // Unwrapped numbers: the oldest kept, the next to report, one past the newest.
  int64_t window_start() const { return start_; }
  int64_t next_to_report() const { return next_; }
  int64_t window_end() const { return end_; }

 private:
  struct Slot {
    // Arrival time when received; else the arrival that revealed the gap
    // (so that missing entries age like received ones).
    uint64_t time_us = 0;
    bool received = false;
  };

  int64_t Unwrap(uint16_t sequence) const;
  Slot& At(int64_t seq) { return ring_[static_cast<size_t>(seq) % ring_.size()]; }
  void Restart(int64_t seq);
  void Forget(uint64_t newest_us);

  TwccOptions options_;
  std::vector<Slot> ring_;
  std::vector<uint8_t> symbols_;  // per-Build scratch: status of each covered number
  bool started_ = false;
  bool reported_ = false;  // a feedback was built since the window (re)started
  int64_t start_ = 0;  // oldest number kept
  int64_t next_ = 0;   // oldest number not yet reported
  int64_t end_ = 0;    // one past the newest number received
  uint64_t newest_us_ = 0;
  uint8_t feedback_count_ = 0;
  TwccCounters counters_;
};

}  // namespace webrtc_agent::rtp

#endif  // WEBRTC_AGENT_ADDON_RTP_TWCC_FEEDBACK_H_
