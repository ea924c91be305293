#include "layers/layer_selector.h"

namespace webrtc_agent::layers {

bool LayerSelector::TowardsTarget(int layer) const {
  if (target_spatial_ < 0 || layer == current_spatial_) return false;
  if (current_spatial_ < 0) return layer <= target_spatial_;
  if (current_spatial_ < target_spatial_) return layer > current_spatial_ && layer <= target_spatial_;
  return layer < current_spatial_ && layer >= target_spatial_;
}

Verdict LayerSelector::OnPacket(const LayerPacket& p, bool* switched) {
  *switched = false;
  if (p.keyframe && TowardsTarget(p.spatial)) {
    current_spatial_ = p.spatial;
    // A key frame is a TL0 picture: every temporal layer can start here.
    current_temporal_ = target_temporal_;
    *switched = true;
    switches_++;
    // A key frame decodes on its own, whatever temporal id it claims.
    return Verdict::kForward;
  }
  if (current_spatial_ < 0 || p.spatial != current_spatial_) return Verdict::kOther;
  if (p.temporal < 0) return Verdict::kForward;
  // Moving down, while the lower layer's key frame is awaited, the current
  // layer goes on at its base temporal layer only: the move is for want of
  // room, and less of the old layer then queues on the link in front of
  // the new one (a subscriber sees fewer frames for a moment, not none).
  const int ceiling = current_spatial_ > target_spatial_ && target_spatial_ >= 0 ? 0 : target_temporal_;
  if (p.picture_start) {
    if (ceiling < current_temporal_) {
      current_temporal_ = ceiling;
    } else if (ceiling > current_temporal_ && p.temporal == 0) {
      current_temporal_ = ceiling;
    }
  }
  return p.temporal > current_temporal_ ? Verdict::kTemporal : Verdict::kForward;
}

}  // namespace webrtc_agent::layers
