// Key frame detection on one RTP payload, per codec payload format. An SFU
// needs it to switch a subscriber onto a stream (or a simulcast layer) only
// at a picture it can decode without history, and to know when a PLI/FIR it
// sent has been answered.
#ifndef WEBRTC_AGENT_ADDON_RTP_KEYFRAME_H_
#define WEBRTC_AGENT_ADDON_RTP_KEYFRAME_H_

#include <cstddef>
#include <cstdint>

#include "rtp/codec.h"
#include "rtp/picture_size.h"

namespace webrtc_agent::rtp {

// True if `payload` (the RTP payload, padding excluded) is the first packet
// of a key frame:
//   VP8  (RFC 7741): S=1, PID=0, and the VP8 frame tag's P bit is 0
//        (followed by the key frame start code 9d 01 2a);
//   VP9  (RFC 9628): B=1 (start of a picture), P=0 (not inter-predicted),
//        and spatial layer 0 when layer indices are present;
//   H264 (RFC 6184): an IDR slice (NAL type 5) or an SPS (7), alone, inside
//        a STAP-A, or as the first fragment (S bit) of an FU-A;
//   AV1  (AV1 RTP payload format): the aggregation header's N bit (first
//        packet of a coded video sequence), or a sequence header OBU.
// False for audio and unknown codecs (there is nothing to wait for) and for
// anything malformed: the whole payload descriptor / aggregation structure is
// bounds-checked before it is believed.
bool IsKeyframe(Codec codec, const uint8_t* payload, size_t size);

// IsKeyframe, and the picture size when this packet carries it (see
// picture_size.h: VP8 and VP9 key frames' first packet, an H264 SPS, an AV1
// sequence header); `size` is left alone otherwise. `size` may be null.
bool InspectKeyframe(Codec codec, const uint8_t* payload, size_t size, PictureSize* picture);

}  // namespace webrtc_agent::rtp

#endif  // WEBRTC_AGENT_ADDON_RTP_KEYFRAME_H_
