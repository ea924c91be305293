// Vp8Rewriter: the VP8 picture numbering one subscriber sees. A receiver
// (libwebrtc's, for one) finds a picture's references by its PictureID and
// TL0PICIDX: a gap in the picture ids reads as a lost picture it waits for,
// and a jump at a simulcast switch as a broken chain. So the picture ids of
// dropped temporal-layer pictures are closed up, and both counters go on by
// one across a change of source (the switch happens at a key frame, which
// starts a new TL0 picture).
//
// 7-bit picture ids are passed as they are (libwebrtc sends 15-bit ones);
// KEYIDX is left alone. Pure logic: bytes in, bytes out.
#ifndef WEBRTC_AGENT_ADDON_LAYERS_VP8_REWRITER_H_
#define WEBRTC_AGENT_ADDON_LAYERS_VP8_REWRITER_H_

#include <cstdint>

#include "layers/vp8_descriptor.h"
#include "rtp/continuity_map.h"

namespace webrtc_agent::layers {

class Vp8Rewriter {
 public:
  // A packet that is sent: its picture id and TL0PICIDX are rewritten in
  // place (`payload` is the one `d` was parsed from).
  void Forward(uint8_t* payload, const Vp8Descriptor& d) {
    if (d.has_picture_id && d.long_picture_id) {
      WriteVp8PictureId(payload, d, static_cast<uint16_t>(picture_ids_.Map(d.picture_id)));
    }
    if (d.has_tl0_pic_idx) WriteVp8Tl0PicIdx(payload, d, static_cast<uint8_t>(tl0_.Map(d.tl0_pic_idx)));
  }
  // A packet that is not sent (its temporal layer is above the ceiling):
  // the pictures after it close the gap. TL0 pictures are never dropped.
  void Drop(const Vp8Descriptor& d) {
    if (d.has_picture_id && d.long_picture_id) picture_ids_.Drop(d.picture_id);
  }
  // The next packet sent is a new source's (a key frame): both counters go
  // on from the last ones sent.
  void Rebase() {
    picture_ids_.Rebase();
    tl0_.Rebase();
  }

 private:
  rtp::ContinuityMap picture_ids_{15};
  rtp::ContinuityMap tl0_{8};
};

}  // namespace webrtc_agent::layers

#endif  // WEBRTC_AGENT_ADDON_LAYERS_VP8_REWRITER_H_
