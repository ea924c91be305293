// OveruseDetector: reads the trendline's scaled slope against a threshold
// that adapts to the path, and says whether the path is overused (the
// queue grows), underused (it drains) or neither.
//
// The threshold follows the magnitude of the slope: slowly upwards
// (kUp), faster downwards (kDown), within [kMinThreshold, kMaxThreshold].
// Adapting keeps the detector sensitive on a quiet path and stops it from
// firing on every jitter spike of a noisy one (and from losing against
// loss-based TCP flows, which keep the queue full). Outliers (far above the
// threshold) do not move it. Overuse is declared only when the slope has
// been above the threshold for kOveruseTimeMs and at least two samples, and
// is not falling.
#ifndef WEBRTC_AGENT_ADDON_BWE_OVERUSE_DETECTOR_H_
#define WEBRTC_AGENT_ADDON_BWE_OVERUSE_DETECTOR_H_

#include <cstdint>

#include "bwe/bwe_types.h"

namespace webrtc_agent::bwe {

class OveruseDetector {
 public:
  static constexpr double kInitialThreshold = 12.5;
  static constexpr double kMinThreshold = 6;
  static constexpr double kMaxThreshold = 600;
  static constexpr double kUp = 0.0087;
  static constexpr double kDown = 0.039;
  static constexpr double kOutlier = 15;
  static constexpr double kOveruseTimeMs = 10;

  // modified_trend: TrendlineEstimator::modified_trend(); trend: its raw
  // slope; send_delta_ms: the group's send delta; samples: how many deltas
  // the trendline has seen.
  BandwidthUsage Detect(double modified_trend, double trend, double send_delta_ms, int samples, int64_t now_ms);

  BandwidthUsage state() const { return state_; }
  double threshold() const { return threshold_; }

 private:
  void UpdateThreshold(double modified_trend, int64_t now_ms);

  double threshold_ = kInitialThreshold;
  int64_t last_update_ms_ = -1;
  double time_over_ms_ = -1;
  int over_count_ = 0;
  double previous_trend_ = 0;
  BandwidthUsage state_ = BandwidthUsage::kNormal;
};

}  // namespace webrtc_agent::bwe

#endif  // WEBRTC_AGENT_ADDON_BWE_OVERUSE_DETECTOR_H_
