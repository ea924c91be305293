// LayerSelector: which packets of a layered publication one subscriber gets.
// The publication's spatial layers are simulcast encodings (one track each,
// low to high) and each may have temporal layers (VP8 TID). The allocator
// sets a target; the selector moves there only where the receiver can
// follow:
//   - a spatial switch (up or down) happens at a key frame of the layer
//     switched to, and NeedsKeyframe() says a key frame should be asked
//     for on the target. Until it comes, moving up, the current layer
//     keeps flowing; moving down (for want of room) it stops at its next
//     picture, so that less queues on the link in front of the key frame.
//     Moving up, a key frame of a layer between the current one and the
//     target is taken too (closer is better than waiting); moving down,
//     only the target's.
//   - a temporal step down happens at the next picture; a step up at the
//     next TL0 picture (which references only TL0 pictures, so every
//     picture of the higher layers after it can be decoded).
//   - a target of spatial -1 pauses at once; resuming waits for a key frame.
// Pure logic: one call per packet, no clock.
#ifndef WEBRTC_AGENT_ADDON_LAYERS_LAYER_SELECTOR_H_
#define WEBRTC_AGENT_ADDON_LAYERS_LAYER_SELECTOR_H_

#include <cstdint>

namespace webrtc_agent::layers {

// What the forwarder knows of one packet of the publication.
struct LayerPacket {
  int spatial = 0;        // its simulcast layer (0 = lowest)
  int temporal = -1;      // its temporal layer id; -1: not known (all pass)
  bool keyframe = false;  // the first packet of a key frame
  bool picture_start = false;
};

enum class Verdict : uint8_t {
  kForward,  // send it
  kTemporal, // the current layer's, above the temporal ceiling: not sent
  kOther,    // another layer's, or paused: not this subscriber's stream
};

class LayerSelector {
 public:
  static constexpr int kAllTemporal = 7;

  // spatial -1: pause. temporal: the highest temporal layer to send.
  void SetTarget(int spatial, int temporal) {
    target_spatial_ = spatial;
    target_temporal_ = temporal < 0 ? 0 : temporal;
    if (spatial < 0) current_spatial_ = -1;
    // A target back on (or above) a layer that was stopped for a move down:
    // it goes on only from a key frame (pictures were skipped).
    if (stopped_ && current_spatial_ >= 0 && spatial >= current_spatial_) current_spatial_ = -1;
    if (current_spatial_ < 0) stopped_ = false;
  }

  // Start again at a key frame (a resume, or a new source): nothing is
  // sent until one comes on a layer at or below the target.
  void Restart() {
    current_spatial_ = -1;
    stopped_ = false;
  }

  // `*switched` is set when this packet (a key frame) starts a new spatial
  // layer, or the same one again after a pause: the caller rebases its
  // rewriters (the numbering goes on from the last packet sent) and stops
  // answering NACKs for packets sent before.
  Verdict OnPacket(const LayerPacket& p, bool* switched);

  int current_spatial() const { return current_spatial_; }
  int current_temporal() const { return current_temporal_; }
  int target_spatial() const { return target_spatial_; }
  int target_temporal() const { return target_temporal_; }
  bool paused() const { return target_spatial_ < 0; }
  // A spatial switch is pending: a key frame on the target is wanted.
  bool NeedsKeyframe() const { return target_spatial_ >= 0 && current_spatial_ != target_spatial_; }
  uint64_t switches() const { return switches_; }

 private:
  // A key frame on `layer` moves towards the target.
  bool TowardsTarget(int layer) const;

  int target_spatial_ = -1;
  int target_temporal_ = kAllTemporal;
  int current_spatial_ = -1;
  int current_temporal_ = kAllTemporal;
  // Moving down: the current layer was stopped at a picture start, waiting
  // for the target's key frame.
  bool stopped_ = false;
  uint64_t switches_ = 0;
};

}  // namespace webrtc_agent::layers

#endif  // WEBRTC_AGENT_ADDON_LAYERS_LAYER_SELECTOR_H_
