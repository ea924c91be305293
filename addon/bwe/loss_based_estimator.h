// LossBasedEstimator: a bound on the send rate from the share of packets
// the subscriber's feedback reports lost.
//
// Loss is counted over batches of at least kMinPackets reported packets.
// Below kLowLoss (2 %) the bound grows by 8 % (plus 1 kbit/s) at most once
// a second; above kHighLoss (10 %) it is cut by half the loss share, at
// most once per RTT + 300 ms (time for the last cut to show), but never
// below what the receiver is shown to get (the acked rate: a sender that
// does not, or cannot yet, slow down keeps losing, and cutting on and on
// would take the bound to its floor while the path still carries that
// much; a bound below the acked rate is lifted to it then); in between it
// holds. Random loss on a path that is not congested stays in or below the
// hold band: such loss is not the sender's doing, and backing off would
// not end it. The bound follows the combined estimate (Follow), so that a
// cut starts from what is being sent, not from a stale high value.
#ifndef WEBRTC_AGENT_ADDON_BWE_LOSS_BASED_ESTIMATOR_H_
#define WEBRTC_AGENT_ADDON_BWE_LOSS_BASED_ESTIMATOR_H_

#include <cstdint>

namespace webrtc_agent::bwe {

class LossBasedEstimator {
 public:
  static constexpr double kLowLoss = 0.02;
  static constexpr double kHighLoss = 0.10;
  static constexpr uint32_t kMinPackets = 20;

  LossBasedEstimator(uint64_t initial_bps, uint64_t min_bps, uint64_t max_bps);

  // Packets newly reported received and lost by one feedback, and the
  // acked rate (bits/s, 0: unknown).
  void OnReport(uint32_t received, uint32_t lost, uint64_t acked_bps, int64_t rtt_ms, int64_t now_ms);
  // The combined estimate went below this bound: follow it down (never up).
  void Follow(uint64_t bps);
  // A measured capacity (probe) above the bound lifts it.
  void Raise(uint64_t bps);

  uint64_t estimate_bps() const { return estimate_bps_; }
  // The last batch's loss share, 0..1.
  double loss() const { return last_loss_; }
  uint64_t decreases() const { return decreases_; }
  void set_max_bps(uint64_t bps) { max_bps_ = bps; }

 private:
  uint64_t Clamp(double bps) const;

  uint64_t estimate_bps_;
  uint64_t min_bps_;
  uint64_t max_bps_;
  uint32_t received_ = 0;
  uint32_t lost_ = 0;
  double last_loss_ = 0;
  int64_t last_increase_ms_ = -1;
  int64_t last_decrease_ms_ = -1;
  uint64_t decreases_ = 0;
};

}  // namespace webrtc_agent::bwe

#endif  // WEBRTC_AGENT_ADDON_BWE_LOSS_BASED_ESTIMATOR_H_
