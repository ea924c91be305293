// AckedBitrateEstimator: the rate at which the subscriber's receiver got
// what the agent sent, from the arrival times transport-cc feedback
// reports: bytes that arrived within the last kWindowUs (receiver clock)
// over that window. It is the throughput the path demonstrably carried,
// which the rate controller backs off from on overuse.
//
// Bounded: a ring of kMaxPackets arrivals; at a rate that fills it within
// the window the span covered is shorter and the rate is taken over it.
#ifndef WEBRTC_AGENT_ADDON_BWE_ACKED_BITRATE_ESTIMATOR_H_
#define WEBRTC_AGENT_ADDON_BWE_ACKED_BITRATE_ESTIMATOR_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace webrtc_agent::bwe {

class AckedBitrateEstimator {
 public:
  static constexpr int64_t kWindowUs = 500000;
  static constexpr size_t kMaxPackets = 2048;

  // A received packet (arrival order).
  void OnPacket(int64_t arrival_us, uint32_t size);

  // Bits/s over the window; 0 until a whole window has been seen.
  uint64_t bitrate_bps() const { return bitrate_bps_; }

 private:
  struct Arrival {
    int64_t arrival_us = 0;
    uint32_t size = 0;
  };

  std::vector<Arrival> ring_;  // made on first use
  size_t head_ = 0;            // oldest
  size_t count_ = 0;
  uint64_t bytes_ = 0;         // in the ring
  int64_t first_us_ = -1;      // the first arrival ever
  uint64_t bitrate_bps_ = 0;
};

}  // namespace webrtc_agent::bwe

#endif  // WEBRTC_AGENT_ADDON_BWE_ACKED_BITRATE_ESTIMATOR_H_
