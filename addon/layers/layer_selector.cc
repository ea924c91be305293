#include "layers/layer_selector.h"

namespace webrtc_agent::layers {

bool LayerSelector::TowardsTarget(int layer) const {
  if (target_spatial_ < 0 || layer == current_spatial_) return false;
  if (current_spatial_ < 0) return layer <= target_spatial_;
  if (current_spatial_ < target_spatial_) return layer > current_spatial_ && layer <= target_spatial_;
  // Moving down, only the target's: Chromium's simulcast encoder answers a
  // request with key frames on every layer at once, and one of a layer in
  // between (the largest key frame of the two) would take room on the
  // link just before the target's, for a second switch a moment later.
  return layer == target_spatial_;
}

Verdict LayerSelector::OnPacket(const LayerPacket& p, bool* switched) {
  *switched = false;
  if (p.keyframe && TowardsTarget(p.spatial)) {
    current_spatial_ = p.spatial;
    stopped_ = false;
    // A key frame is a TL0 picture: every temporal layer can start here.
    current_temporal_ = target_temporal_;
    *switched = true;
    switches_++;
    // A key frame decodes on its own, whatever temporal id it claims.
    return Verdict::kForward;
  }
  if (current_spatial_ < 0 || p.spatial != current_spatial_) return Verdict::kOther;
  // Moving down, while the lower layer's key frame is awaited, the current
  // layer stops at its next picture: the move is for want of room, and
  // what is still sent of it queues on the link in front of the key frame
  // (measured behind tc tbf at 400 kbit/s: 20-30 KB, ~0.6 s, of the old
  // layer ahead of the new layer's first frame when its base temporal
  // layer went on). The subscriber shows the frames already on their way,
  // then the new layer's key frame right behind them. A picture already
  // started is finished (a cut one could not be decoded anyway, and its
  // last packets are few).
  const bool moving_down = current_spatial_ > target_spatial_ && target_spatial_ >= 0;
  if (moving_down && (p.picture_start || stopped_)) {
    stopped_ = true;
    return Verdict::kOther;
  }
  if (p.temporal < 0) return Verdict::kForward;
  const int ceiling = target_temporal_;
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
