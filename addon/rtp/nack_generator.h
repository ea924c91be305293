// NackGenerator: which packets of one incoming video stream to ask the
// sender for again (generic NACK, RFC 4585 §6.2.1), and when to give up and
// ask for a key frame instead.
//
// Pure logic: sequence numbers and a millisecond clock in, sequence numbers
// out. The caller packs the output into a NACK (BuildNack) and sends it.
//
// A gap in the sequence puts the missing numbers on a list and asks for them
// at once. Each is asked for again every retry interval (about one RTT,
// since a retransmission cannot come back sooner) until it arrives, is
// asked for max_retries times, or is older than max_age_ms (a video jitter
// buffer has given up on it by then, so a late repair is useless). The list
// is bounded: a gap that would take it past max_missing entries means the
// loss is too heavy for repair, and the list is dropped for one key frame.
#ifndef WEBRTC_AGENT_ADDON_RTP_NACK_GENERATOR_H_
#define WEBRTC_AGENT_ADDON_RTP_NACK_GENERATOR_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace webrtc_agent::rtp {

struct NackOptions {
  size_t max_missing = 500;
  uint64_t max_age_ms = 500;
  uint32_t max_retries = 10;
  // Spacing of retries: the RTT when known, clamped to this range; without
  // an RTT, default_interval_ms.
  uint64_t min_interval_ms = 20;
  uint64_t max_interval_ms = 100;
  uint64_t default_interval_ms = 50;
};

struct NackCounters {
  uint64_t requests = 0;   // sequence numbers put into NACKs, retries included
  uint64_t missing = 0;    // distinct numbers found missing
  uint64_t recovered = 0;  // of those, arrived after being asked for
  uint64_t expired = 0;    // given up: too old or asked too often
  uint64_t overflows = 0;  // times the list was dropped for a key frame
};

class NackGenerator {
 public:
  explicit NackGenerator(NackOptions options = NackOptions()) : opts_(options) {}

  // A packet arrived. Numbers to NACK now are appended to `out`. True if the
  // gap was too large to repair and a key frame should be asked for.
  bool OnPacket(uint16_t seq, uint64_t now_ms, std::vector<uint16_t>* out);

  // Ages the list and appends the numbers due for a retry. rtt_ms < 0:
  // unknown.
  void OnTick(uint64_t now_ms, int64_t rtt_ms, std::vector<uint16_t>* out);

  size_t pending() const { return missing_.size(); }
  const NackCounters& counters() const { return counters_; }

 private:
  struct Missing {
    uint64_t first_ms = 0;
    uint64_t sent_ms = 0;
    uint32_t sent = 0;
  };

  uint64_t IntervalMs(int64_t rtt_ms) const;

  const NackOptions opts_;
  bool started_ = false;
  int64_t newest_ = 0;  // extended sequence number of the newest packet
  // By extended sequence number, so the list stays in RTP order across a
  // wrap (BuildNack packs ascending numbers into the fewest pairs).
  std::map<int64_t, Missing> missing_;
  NackCounters counters_;
};

}  // namespace webrtc_agent::rtp

#endif  // WEBRTC_AGENT_ADDON_RTP_NACK_GENERATOR_H_
