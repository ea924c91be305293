#include "bwe/overuse_detector.h"

#include <algorithm>
#include <cmath>

namespace webrtc_agent::bwe {

const char* BandwidthUsageName(BandwidthUsage u) {
  switch (u) {
    case BandwidthUsage::kNormal: return "normal";
    case BandwidthUsage::kUnderusing: return "underusing";
    case BandwidthUsage::kOverusing: return "overusing";
  }
  return "unknown";
}

BandwidthUsage OveruseDetector::Detect(double modified_trend, double trend, double send_delta_ms, int samples,
                                       int64_t now_ms) {
  if (samples < 2) return state_;
  if (modified_trend > threshold_) {
    // Half a group on first crossing: the crossing happened somewhere
    // inside it.
    time_over_ms_ = time_over_ms_ < 0 ? send_delta_ms / 2 : time_over_ms_ + send_delta_ms;
    over_count_++;
    if (time_over_ms_ > kOveruseTimeMs && over_count_ > 1 && trend >= previous_trend_) {
      time_over_ms_ = 0;
      over_count_ = 0;
      state_ = BandwidthUsage::kOverusing;
    }
  } else if (modified_trend < -threshold_) {
    time_over_ms_ = -1;
    over_count_ = 0;
    state_ = BandwidthUsage::kUnderusing;
  } else {
    time_over_ms_ = -1;
    over_count_ = 0;
    state_ = BandwidthUsage::kNormal;
  }
  previous_trend_ = trend;
  UpdateThreshold(modified_trend, now_ms);
  return state_;
}

void OveruseDetector::UpdateThreshold(double modified_trend, int64_t now_ms) {
  if (last_update_ms_ < 0) last_update_ms_ = now_ms;
  const double magnitude = std::fabs(modified_trend);
  if (magnitude > threshold_ + kOutlier) {
    // A spike (a key frame's burst, a stall): not what the path is like.
    last_update_ms_ = now_ms;
    return;
  }
  const double k = magnitude < threshold_ ? kDown : kUp;
  const double dt = static_cast<double>(std::min<int64_t>(std::max<int64_t>(now_ms - last_update_ms_, 0), 100));
  threshold_ += k * (magnitude - threshold_) * dt;
  threshold_ = std::clamp(threshold_, kMinThreshold, kMaxThreshold);
  last_update_ms_ = now_ms;
}

}  // namespace webrtc_agent::bwe
