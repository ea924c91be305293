// The micro-benchmarks' summary: each runs an operation several times and
// reports the median run, so one noisy run on a shared machine moves nothing.
#ifndef WEBRTC_AGENT_BENCH_TOOLS_MEDIAN_H_
#define WEBRTC_AGENT_BENCH_TOOLS_MEDIAN_H_

#include <algorithm>
#include <vector>

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

#endif  // WEBRTC_AGENT_BENCH_TOOLS_MEDIAN_H_
