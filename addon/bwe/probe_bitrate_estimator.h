// ProbeBitrateEstimator: what a probe cluster measured. The transport edge
// sends a cluster's padding as a burst; a bottleneck below the burst's rate
// spreads its packets out to the bottleneck's rate, so the receive rate of
// the cluster (bytes after the first arrival over the arrival spread) is
// the path's capacity, up to the rate the cluster probed for. A cluster is
// judged once kMinPackets of it are reported received; one with more than
// kMaxLoss of its packets lost gives no result, one whose arrivals all fall
// in one tick of the feedback's clock (250 us) measured at least the rate
// it probed for. At most kMaxClusters are followed (oldest dropped).
#ifndef WEBRTC_AGENT_ADDON_BWE_PROBE_BITRATE_ESTIMATOR_H_
#define WEBRTC_AGENT_ADDON_BWE_PROBE_BITRATE_ESTIMATOR_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "bwe/bwe_types.h"

namespace webrtc_agent::bwe {

class ProbeBitrateEstimator {
 public:
  static constexpr uint32_t kMinPackets = 5;
  static constexpr double kMaxLoss = 0.3;
  static constexpr size_t kMaxClusters = 4;

  // A cluster starts, probing at `bitrate_bps`; then each of its packets sent.
  void OnClusterStarted(int32_t cluster, uint64_t bitrate_bps);
  void OnClusterPacketSent(int32_t cluster);
  // A reported packet of a cluster. Returns a measured rate (bits/s) when
  // this report completed the cluster, else 0.
  uint64_t OnPacket(const PacketResult& p);

  uint64_t results() const { return results_; }
  uint64_t failures() const { return failures_; }
  uint64_t last_result_bps() const { return last_result_bps_; }

 private:
  struct Cluster {
    int32_t id = kNoCluster;
    uint64_t bitrate_bps = 0;
    uint32_t sent = 0;
    uint32_t received = 0;
    uint32_t lost = 0;
    int64_t first_arrival_us = 0;
    int64_t last_arrival_us = 0;
    uint32_t first_size = 0;
    uint64_t bytes = 0;
    bool done = false;
  };

  std::array<Cluster, kMaxClusters> clusters_{};
  size_t next_ = 0;
  uint64_t results_ = 0;
  uint64_t failures_ = 0;
  uint64_t last_result_bps_ = 0;
};

}  // namespace webrtc_agent::bwe

#endif  // WEBRTC_AGENT_ADDON_BWE_PROBE_BITRATE_ESTIMATOR_H_
