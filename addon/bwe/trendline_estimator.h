// TrendlineEstimator: the slope of the one-way queuing delay over time,
// from the delay variation between packet groups (InterArrival).
//
// The variations are summed into an accumulated delay (the queue's growth
// since the start, up to a constant), smoothed exponentially, and a
// least-squares line is fitted through the last kWindow (arrival time,
// smoothed delay) points. A positive slope means the path's queue grows:
// the sender offers more than the bottleneck carries. The slope is scaled
// by the number of samples seen (up to kMaxSamplesGain) and a gain, so
// that it can be compared against the overuse detector's threshold in ms.
#ifndef WEBRTC_AGENT_ADDON_BWE_TRENDLINE_ESTIMATOR_H_
#define WEBRTC_AGENT_ADDON_BWE_TRENDLINE_ESTIMATOR_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace webrtc_agent::bwe {

class TrendlineEstimator {
 public:
  static constexpr size_t kWindow = 20;
  static constexpr double kSmoothing = 0.9;
  static constexpr double kGain = 4.0;
  static constexpr int kMaxSamplesGain = 60;

  // One group delta (ms) at a group's arrival time (ms, receiver clock).
  void Update(double send_delta_ms, double arrival_delta_ms, double arrival_ms);

  // The raw slope (ms of delay per ms) and the scaled one the detector reads.
  double trend() const { return trend_; }
  double modified_trend() const;
  int samples() const { return samples_; }
  double smoothed_delay_ms() const { return smoothed_; }

 private:
  struct Point {
    double x = 0;
    double y = 0;
  };

  std::array<Point, kWindow> points_{};
  size_t count_ = 0;  // points held (up to kWindow)
  size_t head_ = 0;   // where the next point goes
  int samples_ = 0;
  double first_arrival_ms_ = -1;
  double accumulated_ = 0;
  double smoothed_ = 0;
  double trend_ = 0;
};

}  // namespace webrtc_agent::bwe

#endif  // WEBRTC_AGENT_ADDON_BWE_TRENDLINE_ESTIMATOR_H_
