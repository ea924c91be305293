// ProbeController: decides when to probe the path for headroom, and how
// hard. Probing sends padding in a short burst at a chosen rate; the receive
// spread of that burst shows whether the path carries the rate
// (ProbeBitrateEstimator), much faster than additive increase would find it.
//
// - At the start: two clusters, at 3x and 6x the initial estimate.
// - Then, while each probe comes back at (nearly) the rate it probed for,
//   another at twice the new estimate.
// - Later, every kPeriodicMs while the transport sends well below its
//   estimate (media does not fill it, so the estimate cannot grow by
//   itself) and the estimate is below what the transport would like to
//   send: one cluster at twice the estimate.
// Never above the desired rate (set by the allocator; the configured
// maximum until then). Sans-I/O: a clock and the estimates in, requests out.
#ifndef WEBRTC_AGENT_ADDON_BWE_PROBE_CONTROLLER_H_
#define WEBRTC_AGENT_ADDON_BWE_PROBE_CONTROLLER_H_

#include <cstdint>

#include "bwe/bwe_types.h"

namespace webrtc_agent::bwe {

enum class ProbeState : uint8_t {
  kInit = 0,     // nothing sent yet
  kProbing = 1,  // waiting for a cluster's result
  kIdle = 2,     // done; periodic probes only
  kOff = 3,      // disabled by configuration
};

const char* ProbeStateName(ProbeState s);

class ProbeController {
 public:
  // A cluster this long at its rate (the burst's bytes).
  static constexpr int64_t kClusterMs = 20;
  // A burst is at most this many bytes (and at least a few packets).
  static constexpr uint32_t kMaxClusterBytes = 48000;
  static constexpr uint32_t kMinClusterBytes = 1200;
  // A further probe when the result reached this share of the probed rate.
  static constexpr double kFurtherShare = 0.7;
  static constexpr int64_t kResultTimeoutMs = 1000;
  static constexpr int64_t kPeriodicMs = 5000;

  ProbeController(uint64_t initial_bps, uint64_t max_bps, bool enabled);

  // Each tick: the current estimate, the rate actually sent. A request is
  // written to `out` when a cluster should go now (call again for more).
  bool Next(uint64_t estimate_bps, uint64_t sent_bps, int64_t now_ms, ProbeRequest* out);
  // A cluster's measured rate (0: no result).
  void OnResult(uint64_t bps, int64_t now_ms);
  void set_desired_bps(uint64_t bps) { desired_bps_ = bps; }
  uint64_t desired_bps() const { return desired_bps_; }

  ProbeState state() const { return state_; }
  uint64_t clusters_sent() const { return clusters_; }

 private:
  void Queue(uint64_t bps);

  uint64_t initial_bps_;
  uint64_t max_bps_;
  uint64_t desired_bps_;
  ProbeState state_;
  // Up to two requests queued to go out.
  uint64_t pending_[2] = {0, 0};
  int pending_count_ = 0;
  uint64_t last_probe_bps_ = 0;  // the highest rate of the last round
  int64_t last_probe_ms_ = -1;
  int32_t next_cluster_ = 1;
  uint64_t clusters_ = 0;
};

}  // namespace webrtc_agent::bwe

#endif  // WEBRTC_AGENT_ADDON_BWE_PROBE_CONTROLLER_H_
