#include "bwe/trendline_estimator.h"

#include <algorithm>

namespace webrtc_agent::bwe {

void TrendlineEstimator::Update(double send_delta_ms, double arrival_delta_ms, double arrival_ms) {
  const double delta = arrival_delta_ms - send_delta_ms;
  samples_ = std::min(samples_ + 1, 1000);
  if (first_arrival_ms_ < 0) first_arrival_ms_ = arrival_ms;
  accumulated_ += delta;
  smoothed_ = kSmoothing * smoothed_ + (1 - kSmoothing) * accumulated_;
  points_[head_] = Point{arrival_ms - first_arrival_ms_, smoothed_};
  head_ = (head_ + 1) % kWindow;
  if (count_ < kWindow) count_++;
  if (count_ < kWindow) return;  // the slope of a few points is noise

  // Least squares over the window.
  double sx = 0, sy = 0;
  for (const Point& p : points_) {
    sx += p.x;
    sy += p.y;
  }
  const double mx = sx / kWindow, my = sy / kWindow;
  double num = 0, den = 0;
  for (const Point& p : points_) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) * (p.x - mx);
  }
  // All points at one arrival time: no slope to be had, keep the last.
  if (den > 0) trend_ = num / den;
}

double TrendlineEstimator::modified_trend() const {
  return std::min(samples_, kMaxSamplesGain) * trend_ * kGain;
}

}  // namespace webrtc_agent::bwe
