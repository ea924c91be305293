#include "bwe/acked_bitrate_estimator.h"

#include <algorithm>

namespace webrtc_agent::bwe {

void AckedBitrateEstimator::OnPacket(int64_t arrival_us, uint32_t size) {
  if (ring_.empty()) ring_.resize(kMaxPackets);
  if (first_us_ < 0) first_us_ = arrival_us;
  // Arrivals never go back here: a late one counts as arriving now.
  if (count_ > 0) {
    const Arrival& newest = ring_[(head_ + count_ - 1) % kMaxPackets];
    arrival_us = std::max(arrival_us, newest.arrival_us);
  }
  if (count_ == kMaxPackets) {
    bytes_ -= ring_[head_].size;
    head_ = (head_ + 1) % kMaxPackets;
    count_--;
  }
  ring_[(head_ + count_) % kMaxPackets] = Arrival{arrival_us, size};
  count_++;
  bytes_ += size;
  while (count_ > 1 && ring_[head_].arrival_us <= arrival_us - kWindowUs) {
    bytes_ -= ring_[head_].size;
    head_ = (head_ + 1) % kMaxPackets;
    count_--;
  }
  if (arrival_us - first_us_ < kWindowUs) return;  // not a whole window yet
  // Over the window, or the span the ring holds when it is shorter.
  const int64_t span = count_ == kMaxPackets ? std::max<int64_t>(arrival_us - ring_[head_].arrival_us, 1000)
                                             : kWindowUs;
  bitrate_bps_ = bytes_ * 8 * 1000000 / static_cast<uint64_t>(span);
}

}  // namespace webrtc_agent::bwe
