#include "bwe/probe_bitrate_estimator.h"

#include <algorithm>

namespace webrtc_agent::bwe {

void ProbeBitrateEstimator::OnClusterStarted(int32_t cluster, uint64_t bitrate_bps) {
  Cluster& c = clusters_[next_];
  next_ = (next_ + 1) % kMaxClusters;
  c = Cluster{};
  c.id = cluster;
  c.bitrate_bps = bitrate_bps;
}

void ProbeBitrateEstimator::OnClusterPacketSent(int32_t cluster) {
  for (Cluster& c : clusters_) {
    if (c.id == cluster && !c.done) c.sent++;
  }
}

uint64_t ProbeBitrateEstimator::OnPacket(const PacketResult& p) {
  if (p.cluster == kNoCluster) return 0;
  Cluster* c = nullptr;
  for (Cluster& x : clusters_) {
    if (x.id == p.cluster && !x.done) c = &x;
  }
  if (c == nullptr) return 0;
  if (!p.received) {
    c->lost++;
  } else if (c->received++ == 0) {
    c->first_arrival_us = c->last_arrival_us = p.arrival_us;
    c->first_size = p.size;
    c->bytes = p.size;
  } else {
    c->first_arrival_us = std::min(c->first_arrival_us, p.arrival_us);
    c->last_arrival_us = std::max(c->last_arrival_us, p.arrival_us);
    c->bytes += p.size;
  }
  const uint32_t reported = c->received + c->lost;
  if (reported < c->sent) return 0;  // judged once every packet of it is reported
  c->done = true;
  const int64_t spread = c->last_arrival_us - c->first_arrival_us;
  if (c->received < kMinPackets || c->lost > kMaxLoss * reported) {
    failures_++;
    return 0;
  }
  if (spread <= 0) {
    // Every packet in one 250 us tick of the feedback's clock: the path
    // carried the burst faster than that resolution shows, so at least at
    // the rate probed for (a token bucket with room lets a whole cluster
    // through at line rate: a shaped link that recovered reads so).
    last_result_bps_ = c->bitrate_bps;
    results_++;
    return last_result_bps_;
  }
  // The first arrival opens the spread; its bytes were not carried in it.
  const uint64_t rate = (c->bytes - c->first_size) * 8 * 1000000 / static_cast<uint64_t>(spread);
  last_result_bps_ = std::min(rate, c->bitrate_bps);
  results_++;
  return last_result_bps_;
}

}  // namespace webrtc_agent::bwe
