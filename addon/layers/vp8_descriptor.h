// The VP8 payload descriptor (RFC 7741 §4.2): what a forwarder reads to
// drop temporal layers (TID), and rewrites to keep a receiver's picture
// numbering continuous (PictureID, TL0PICIDX). Parsing is bounds-checked;
// the offsets point into the payload it was given, for in-place rewriting.
#ifndef WEBRTC_AGENT_ADDON_LAYERS_VP8_DESCRIPTOR_H_
#define WEBRTC_AGENT_ADDON_LAYERS_VP8_DESCRIPTOR_H_

#include <cstddef>
#include <cstdint>

namespace webrtc_agent::layers {

struct Vp8Descriptor {
  bool start_of_partition = false;  // S
  uint8_t partition_id = 0;         // PID (3 bits)
  // The first packet of a picture: S=1 and PID=0.
  bool picture_start() const { return start_of_partition && partition_id == 0; }

  bool has_picture_id = false;  // I
  bool long_picture_id = false; // M: 15 bits (else 7)
  uint16_t picture_id = 0;
  size_t picture_id_offset = 0;

  bool has_tl0_pic_idx = false;  // L
  uint8_t tl0_pic_idx = 0;
  size_t tl0_pic_idx_offset = 0;

  bool has_tid = false;   // T
  uint8_t tid = 0;
  bool layer_sync = false;  // Y

  size_t size = 0;  // the descriptor's length: the VP8 payload follows
};

// False (and `out` empty) if `payload` is too short for the descriptor it
// announces.
bool ParseVp8Descriptor(const uint8_t* payload, size_t size, Vp8Descriptor* out);

// Writes a new picture id / TL0PICIDX into a payload `d` was parsed from
// (a 7-bit picture id keeps its width: the value is taken mod 128).
void WriteVp8PictureId(uint8_t* payload, const Vp8Descriptor& d, uint16_t picture_id);
void WriteVp8Tl0PicIdx(uint8_t* payload, const Vp8Descriptor& d, uint8_t tl0_pic_idx);

}  // namespace webrtc_agent::layers

#endif  // WEBRTC_AGENT_ADDON_LAYERS_VP8_DESCRIPTOR_H_
