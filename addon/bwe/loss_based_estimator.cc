#include "bwe/loss_based_estimator.h"

#include <algorithm>

namespace webrtc_agent::bwe {

LossBasedEstimator::LossBasedEstimator(uint64_t initial_bps, uint64_t min_bps, uint64_t max_bps)
    : estimate_bps_(initial_bps), min_bps_(min_bps), max_bps_(max_bps) {}

uint64_t LossBasedEstimator::Clamp(double bps) const {
  if (!(bps > 0)) return min_bps_;
  return static_cast<uint64_t>(std::clamp(bps, static_cast<double>(min_bps_), static_cast<double>(max_bps_)));
}

void LossBasedEstimator::Follow(uint64_t bps) { estimate_bps_ = std::min(estimate_bps_, std::max(bps, min_bps_)); }

void LossBasedEstimator::Raise(uint64_t bps) { estimate_bps_ = std::max(estimate_bps_, Clamp(static_cast<double>(bps))); }

void LossBasedEstimator::OnReport(uint32_t received, uint32_t lost, uint64_t acked_bps, int64_t rtt_ms,
                                  int64_t now_ms) {
  received_ += received;
  lost_ += lost;
  const uint32_t total = received_ + lost_;
  if (total < kMinPackets) return;
  last_loss_ = static_cast<double>(lost_) / total;
  received_ = 0;
  lost_ = 0;
  const double rate = static_cast<double>(estimate_bps_);
  if (last_loss_ <= kLowLoss) {
    if (last_increase_ms_ < 0 || now_ms - last_increase_ms_ >= 1000) {
      estimate_bps_ = Clamp(rate * 1.08 + 1000);
      last_increase_ms_ = now_ms;
    }
  } else if (last_loss_ > kHighLoss) {
    const int64_t wait = std::max<int64_t>(rtt_ms, 0) + 300;
    if (last_decrease_ms_ < 0 || now_ms - last_decrease_ms_ >= wait) {
      // The cut, but to no less than what the receiver gets: a bound that
      // was followed down below that (a dip of the delay-based estimate)
      // comes back up to it here, since at this loss it cannot grow.
      const double cut = rate * (1 - 0.5 * last_loss_);
      estimate_bps_ = Clamp(std::max(cut, static_cast<double>(acked_bps)));
      last_decrease_ms_ = now_ms;
      if (cut > static_cast<double>(acked_bps) || rate > static_cast<double>(acked_bps)) decreases_++;
    }
  }
}

}  // namespace webrtc_agent::bwe
