#include "layers/vp8_descriptor.h"

namespace webrtc_agent::layers {

bool ParseVp8Descriptor(const uint8_t* p, size_t size, Vp8Descriptor* result) {
  // Filled in here and handed over whole: a descriptor that does not parse
  // leaves nothing half-set for a writer to trust.
  *result = Vp8Descriptor{};
  Vp8Descriptor parsed;
  Vp8Descriptor* out = &parsed;
  if (size < 1) return false;
  const uint8_t first = p[0];
  out->start_of_partition = (first & 0x10) != 0;
  out->partition_id = first & 0x07;
  size_t pos = 1;
  if (first & 0x80) {  // X: the extension byte follows
    if (size - pos < 1) return false;
    const uint8_t x = p[pos++];
    if (x & 0x80) {  // I
      if (size - pos < 1) return false;
      out->has_picture_id = true;
      out->picture_id_offset = pos;
      if (p[pos] & 0x80) {  // M
        if (size - pos < 2) return false;
        out->long_picture_id = true;
        out->picture_id = static_cast<uint16_t>(((p[pos] & 0x7F) << 8) | p[pos + 1]);
        pos += 2;
      } else {
        out->picture_id = p[pos] & 0x7F;
        pos += 1;
      }
    }
    if (x & 0x40) {  // L
      if (size - pos < 1) return false;
      out->has_tl0_pic_idx = true;
      out->tl0_pic_idx_offset = pos;
      out->tl0_pic_idx = p[pos++];
    }
    if (x & 0x30) {  // T or K: one byte, TID(2) Y(1) KEYIDX(5)
      if (size - pos < 1) return false;
      if (x & 0x20) {
        out->has_tid = true;
        out->tid = static_cast<uint8_t>(p[pos] >> 6);
        out->layer_sync = (p[pos] & 0x20) != 0;
      }
      pos += 1;
    }
  }
  out->size = pos;
  *result = parsed;
  return true;
}

void WriteVp8PictureId(uint8_t* p, const Vp8Descriptor& d, uint16_t picture_id) {
  if (!d.has_picture_id) return;
  uint8_t* at = p + d.picture_id_offset;
  if (d.long_picture_id) {
    at[0] = static_cast<uint8_t>(0x80 | ((picture_id >> 8) & 0x7F));
    at[1] = static_cast<uint8_t>(picture_id);
  } else {
    at[0] = static_cast<uint8_t>(picture_id & 0x7F);
  }
}

void WriteVp8Tl0PicIdx(uint8_t* p, const Vp8Descriptor& d, uint8_t tl0_pic_idx) {
  if (d.has_tl0_pic_idx) p[d.tl0_pic_idx_offset] = tl0_pic_idx;
}

}  // namespace webrtc_agent::layers
