// AimdRateControl: the delay-based estimate, driven by the overuse
// detector's verdicts: additive/multiplicative increase while the path is
// fine, multiplicative decrease (to kBeta of what was acknowledged) when
// it is overused, hold while the queue drains.
//
// Far from the last known capacity it grows by 8 % a second; near it (the
// acked rate at past decreases, tracked with its variance) by about one
// packet per response time (RTT + 100 ms), so the estimate creeps up to
// the capacity instead of overshooting it. It never runs far ahead of what
// the path has been shown to carry (1.5 x acked + 10 kbit/s): an estimate
// from an idle link is a guess, and probing is what raises it faster.
#ifndef WEBRTC_AGENT_ADDON_BWE_AIMD_RATE_CONTROL_H_
#define WEBRTC_AGENT_ADDON_BWE_AIMD_RATE_CONTROL_H_

#include <cstdint>

#include "bwe/bwe_types.h"

namespace webrtc_agent::bwe {

class AimdRateControl {
 public:
  static constexpr double kBeta = 0.85;
  static constexpr double kMultiplicativePerSecond = 0.08;

  AimdRateControl(uint64_t initial_bps, uint64_t min_bps, uint64_t max_bps);

  // One verdict, with the acked rate (0: unknown) and the RTT (ms).
  void Update(BandwidthUsage usage, uint64_t acked_bps, int64_t rtt_ms, int64_t now_ms);
  // A measured capacity (a probe's result): taken as the estimate.
  void SetEstimate(uint64_t bps, int64_t now_ms);

  uint64_t estimate_bps() const { return estimate_bps_; }
  uint64_t decreases() const { return decreases_; }
  // When the last decrease was (-1: none yet).
  int64_t last_decrease_ms() const { return last_decrease_ms_; }
  // The capacity estimate (acked rate at decreases), 0 while unknown.
  uint64_t link_capacity_bps() const { return capacity_valid_ ? static_cast<uint64_t>(capacity_kbps_ * 1000) : 0; }
  void set_max_bps(uint64_t bps) { max_bps_ = bps; }

 private:
  enum class State : uint8_t { kHold, kIncrease, kDecrease };

  void UpdateCapacity(double acked_kbps);
  uint64_t Clamp(double bps) const;

  uint64_t estimate_bps_;
  uint64_t min_bps_;
  uint64_t max_bps_;
  State state_ = State::kIncrease;
  int64_t last_change_ms_ = -1;
  int64_t last_decrease_ms_ = -1;
  uint64_t decreases_ = 0;
  bool capacity_valid_ = false;
  double capacity_kbps_ = 0;
  double capacity_var_ = 0.4;  // normalised variance of the capacity estimate
};

}  // namespace webrtc_agent::bwe

#endif  // WEBRTC_AGENT_ADDON_BWE_AIMD_RATE_CONTROL_H_
