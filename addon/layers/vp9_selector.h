// Vp9Selector: which packets of one VP9 SVC stream (one SSRC carrying
// spatial and temporal layers, e.g. Chromium's scalabilityMode L3T3_KEY or
// L3T3) one subscriber gets. A subscriber at spatial layer S and temporal
// layer T is sent every layer frame with SID <= S and TID <= T: a higher
// spatial layer is predicted from the lower ones of its picture (always at
// key pictures, and in every picture with L3T3), so they go too. The
// allocator sets a target; the selector moves there only where the
// receiver can follow:
//   - nothing is sent until a key frame (SID 0, B=1, P=0); it starts at the
//     target, or at the highest layer the key picture has (its SS says how
//     many);
//   - a spatial step down happens at the next picture (a lower layer never
//     references a higher one); a step up at the next key picture, or at a
//     layer frame one above the current one that references no earlier
//     picture (P=0: a switching-up point) while the layer below it in the
//     same picture was sent. Until then NeedsKeyframe() says a key frame
//     should be asked for;
//   - a temporal step down happens at the next picture, a step up at the
//     next TL0 picture (as for VP8);
//   - a target of spatial -1 pauses at once; resuming waits for a key frame.
// The RTP marker bit ends a picture (RFC 9628: the last packet of its
// highest spatial layer); when higher layers are left out, the end of the
// highest layer frame sent gets it (Vp9Decision::marker), or the receiver
// would wait for a picture end that never comes.
// Picture ids are left as they are: in flexible mode the references are
// picture-id differences in each descriptor, so renumbering around
// dropped temporal-layer pictures would break them; a gap of pictures a
// receiver was never meant to see is what libwebrtc expects from a
// forwarder. Sequence numbers are closed up by the caller on every drop.
// Pure logic: one call per packet, no clock.
#ifndef WEBRTC_AGENT_ADDON_LAYERS_VP9_SELECTOR_H_
#define WEBRTC_AGENT_ADDON_LAYERS_VP9_SELECTOR_H_

#include <cstdint>

#include "layers/vp9_descriptor.h"

namespace webrtc_agent::layers {

struct Vp9Packet {
  uint32_t timestamp = 0;  // RTP timestamp: all layer frames of a picture share it
  Vp9Descriptor desc;      // a zeroed one (SID 0, TID 0) if it did not parse
  bool keyframe = false;   // the first packet of a key frame that can be delivered
};

enum class Vp9Verdict : uint8_t {
  kForward,
  kSpatial,   // above the spatial layer sent: left out (the caller closes the sequence gap)
  kTemporal,  // above the temporal layer sent: left out (likewise)
  kWait,      // not started (or paused): nothing is sent, the numbering is not touched
};

struct Vp9Decision {
  Vp9Verdict verdict = Vp9Verdict::kWait;
  bool marker = false;   // send it with the RTP marker set
  bool started = false;  // the stream (re)starts here: the caller rebases its numbering
};

class Vp9Selector {
 public:
  static constexpr int kAllTemporal = 7;
  static constexpr int kAllSpatial = 7;

  // spatial -1: pause. temporal: the highest temporal layer to send.
  void SetTarget(int spatial, int temporal) {
    target_spatial_ = spatial;
    target_temporal_ = temporal < 0 ? 0 : temporal;
    if (spatial < 0) current_spatial_ = -1;
  }
  // Start again at a key frame (a new source).
  void Restart() { current_spatial_ = -1; }

  Vp9Decision OnPacket(const Vp9Packet& p);

  int current_spatial() const { return current_spatial_; }
  int current_temporal() const { return current_temporal_; }
  int target_spatial() const { return target_spatial_; }
  int target_temporal() const { return target_temporal_; }
  // Spatial layers in the stream, as its last SS (or the highest SID seen) says.
  int spatial_layers() const { return layers_; }
  bool paused() const { return target_spatial_ < 0; }
  // Not started, or a step up is pending: a key frame is wanted.
  bool NeedsKeyframe() const {
    return target_spatial_ >= 0 && (current_spatial_ < 0 || current_spatial_ < Reachable());
  }
  uint64_t switches() const { return switches_; }

 private:
  // The highest spatial layer the target asks for that the stream has.
  int Reachable() const { return target_spatial_ < layers_ - 1 ? target_spatial_ : layers_ - 1; }
  void OnPictureStart(const Vp9Packet& p);

  int target_spatial_ = -1;
  int target_temporal_ = kAllTemporal;
  int current_spatial_ = -1;
  int current_temporal_ = kAllTemporal;
  int layers_ = 1;
  bool have_picture_ = false;
  uint32_t picture_ts_ = 0;
  int top_sent_ = -1;  // the highest spatial layer sent of the current picture
  uint64_t switches_ = 0;
};

}  // namespace webrtc_agent::layers

#endif  // WEBRTC_AGENT_ADDON_LAYERS_VP9_SELECTOR_H_
