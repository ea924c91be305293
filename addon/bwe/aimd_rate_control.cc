#include "bwe/aimd_rate_control.h"

#include <algorithm>
#include <cmath>

namespace webrtc_agent::bwe {

AimdRateControl::AimdRateControl(uint64_t initial_bps, uint64_t min_bps, uint64_t max_bps)
    : estimate_bps_(initial_bps), min_bps_(min_bps), max_bps_(max_bps) {}

uint64_t AimdRateControl::Clamp(double bps) const {
  if (!(bps > 0)) return min_bps_;
  return static_cast<uint64_t>(std::clamp(bps, static_cast<double>(min_bps_), static_cast<double>(max_bps_)));
}

void AimdRateControl::SetEstimate(uint64_t bps, int64_t now_ms) {
  estimate_bps_ = Clamp(static_cast<double>(bps));
  last_change_ms_ = now_ms;
}

void AimdRateControl::UpdateCapacity(double acked_kbps) {
  // Exponential average of the acked rate at decreases, and its variance
  // normalised by the mean (so one scale fits any rate).
  const double alpha = 0.05;
  if (!capacity_valid_) {
    capacity_kbps_ = acked_kbps;
    capacity_valid_ = true;
  } else {
    capacity_kbps_ = (1 - alpha) * capacity_kbps_ + alpha * acked_kbps;
  }
  const double norm = std::max(capacity_kbps_, 1.0);
  const double err = capacity_kbps_ - acked_kbps;
  capacity_var_ = (1 - alpha) * capacity_var_ + alpha * err * err / norm;
  capacity_var_ = std::clamp(capacity_var_, 0.4, 2.5);
}

void AimdRateControl::Update(BandwidthUsage usage, uint64_t acked_bps, int64_t rtt_ms, int64_t now_ms) {
  // The state machine: overuse always decreases; normal moves hold to
  // increase; underuse holds (the queue is draining: do not add to it).
  switch (usage) {
    case BandwidthUsage::kOverusing: state_ = State::kDecrease; break;
    case BandwidthUsage::kUnderusing: state_ = State::kHold; break;
    case BandwidthUsage::kNormal:
      if (state_ == State::kHold || state_ == State::kDecrease) state_ = State::kIncrease;
      break;
  }
  if (last_change_ms_ < 0) last_change_ms_ = now_ms;
  const double acked_kbps = static_cast<double>(acked_bps) / 1000;
  const double std_kbps = std::sqrt(capacity_var_ * std::max(capacity_kbps_, 1.0));
  double next = static_cast<double>(estimate_bps_);

  if (state_ == State::kIncrease) {
    // Well above the capacity seen at decreases: the path changed; forget it.
    if (capacity_valid_ && acked_bps > 0 && acked_kbps > capacity_kbps_ + 3 * std_kbps) {
      capacity_valid_ = false;
      capacity_var_ = 0.4;
    }
    const double dt_s = std::min<double>(static_cast<double>(std::max<int64_t>(now_ms - last_change_ms_, 0)), 1000) / 1000;
    if (capacity_valid_) {
      // Additive: about one packet per response time. The packet size is
      // what a 30 frames/s stream at this rate uses.
      const double response_s = (static_cast<double>(std::max<int64_t>(rtt_ms, 0)) + 100) / 1000;
      const double bits_per_frame = next / 30;
      const double packets_per_frame = std::ceil(bits_per_frame / (1200 * 8));
      const double packet_bits = bits_per_frame / std::max(packets_per_frame, 1.0);
      next += std::max(4000.0, packet_bits / response_s) * dt_s;
    } else {
      next += std::max(1000.0, next * (std::pow(1 + kMultiplicativePerSecond, dt_s) - 1));
    }
    // No further ahead of the demonstrated throughput than this.
    if (acked_bps > 0) {
      const double cap = 1.5 * static_cast<double>(acked_bps) + 10000;
      if (next > cap) next = std::max(cap, static_cast<double>(estimate_bps_));
    }
    last_change_ms_ = now_ms;
  } else if (state_ == State::kDecrease) {
    // Once per round trip (10..200 ms): a decrease shows in the delay only
    // after the queue it made has been seen to drain, and repeating it per
    // verdict would collapse the estimate on one long congestion event.
    // Sooner only when the estimate is still far above what gets through.
    const int64_t interval = std::clamp<int64_t>(rtt_ms, 10, 200);
    if (last_decrease_ms_ >= 0 && now_ms - last_decrease_ms_ < interval &&
        !(acked_bps > 0 && static_cast<double>(estimate_bps_) > 1.5 * static_cast<double>(acked_bps))) {
      state_ = State::kHold;
      return;
    }
    last_decrease_ms_ = now_ms;
    if (acked_bps > 0) {
      next = kBeta * static_cast<double>(acked_bps);
      // Backing off from what the path carried, never up, and never from
      // an estimate already below that: cutting it again would only ratchet
      // it down while the path still carries more (a sender that does not
      // slow down keeps the queue full, and every jitter reads as overuse).
      if (next > static_cast<double>(estimate_bps_)) next = static_cast<double>(estimate_bps_);
      // Far below the known capacity: that estimate is stale.
      if (capacity_valid_ && acked_kbps < capacity_kbps_ - 3 * std_kbps) {
        capacity_valid_ = false;
        capacity_var_ = 0.4;
      }
      UpdateCapacity(acked_kbps);
    } else {
      next = kBeta * static_cast<double>(estimate_bps_);
    }
    decreases_++;
    // One decrease per verdict, then hold until the queue says more.
    state_ = State::kHold;
    last_change_ms_ = now_ms;
  } else {
    last_change_ms_ = now_ms;
  }
  estimate_bps_ = Clamp(next);
}

}  // namespace webrtc_agent::bwe
