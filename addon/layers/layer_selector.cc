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
  if (p.picture_start) {
    if (target_temporal_ < current_temporal_) {
      current_temporal_ = target_temporal_;
    } else if (target_temporal_ > current_temporal_ && p.temporal == 0) {
      current_temporal_ = target_temporal_;
    }
  }
  return p.temporal > current_temporal_ ? Verdict::kTemporal : Verdict::kForward;
}

}  // namespace webrtc_agent::layers
