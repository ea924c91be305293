// The picture size a key frame announces, read from the codec's own headers
// in the RTP payload: an SFU that never decodes still has to tell its
// controller what resolution a publisher sends (OWT's onMediaUpdate), and
// the size is written only at key frames (and in sequence parameter sets).
//
//   VP8  the key frame header after the start code (RFC 6386 §9.1);
//   VP9  the scalability structure of the payload descriptor (RFC 9628
//        §4.2.1), which browsers send on key frames: the largest layer;
//   H264 the sequence parameter set (H.264 §7.3.2.1.1), cropping applied;
//   AV1  the sequence header OBU's max_frame_width/height (AV1 §5.5).
//
// Each parser takes the bytes of that one structure and fails (false) on
// anything truncated or out of range; nothing is believed unchecked.
#ifndef WEBRTC_AGENT_ADDON_RTP_PICTURE_SIZE_H_
#define WEBRTC_AGENT_ADDON_RTP_PICTURE_SIZE_H_

#include <cstddef>
#include <cstdint>

namespace webrtc_agent::rtp {

struct PictureSize {
  uint32_t width = 0;
  uint32_t height = 0;
  bool known() const { return width != 0 && height != 0; }
  bool operator==(const PictureSize& o) const { return width == o.width && height == o.height; }
  bool operator!=(const PictureSize& o) const { return !(*this == o); }
};

// `nal` is one H264 NAL unit (its header byte first, emulation prevention
// bytes still in); false unless it is an SPS that parses.
bool ParseH264SpsSize(const uint8_t* nal, size_t size, PictureSize* out);

// `obu` is one AV1 OBU (header first); false unless it is a sequence header
// that parses.
bool ParseAv1SequenceHeaderSize(const uint8_t* obu, size_t size, PictureSize* out);

}  // namespace webrtc_agent::rtp

#endif  // WEBRTC_AGENT_ADDON_RTP_PICTURE_SIZE_H_
