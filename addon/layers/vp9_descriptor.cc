#include "layers/vp9_descriptor.h"

namespace webrtc_agent::layers {

namespace {

// The scalability structure at p[*pos]; false if it runs past `size`.
bool ParseSs(const uint8_t* p, size_t size, size_t* pos, Vp9Descriptor* out) {
  if (size - *pos < 1) return false;
  const uint8_t v = p[(*pos)++];
  const size_t layers = static_cast<size_t>(v >> 5) + 1;
  out->ss_spatial_layers = static_cast<uint8_t>(layers);
  if (v & 0x10) {  // Y: WIDTH and HEIGHT, 16 bits each, per spatial layer
    if (size - *pos < 4 * layers) return false;
    out->ss_has_resolution = true;
    for (size_t i = 0; i < layers; ++i) {
      const uint8_t* at = p + *pos + 4 * i;
      out->ss_width[i] = static_cast<uint16_t>((at[0] << 8) | at[1]);
      out->ss_height[i] = static_cast<uint16_t>((at[2] << 8) | at[3]);
    }
    *pos += 4 * layers;
  }
  if (v & 0x08) {  // G: N_G pictures, each TID(3) U(1) R(2) and R P_DIFFs
    if (size - *pos < 1) return false;
    const size_t groups = p[(*pos)++];
    out->ss_pictures_in_group = static_cast<uint8_t>(groups);
    for (size_t g = 0; g < groups; ++g) {
      if (size - *pos < 1) return false;
      const size_t refs = (p[(*pos)++] >> 2) & 0x03;
      if (size - *pos < refs) return false;
      *pos += refs;
    }
  }
  return true;
}

}  // namespace

bool ParseVp9Descriptor(const uint8_t* p, size_t size, Vp9Descriptor* result) {
  // Filled in here and handed over whole: a descriptor that does not parse
  // leaves nothing half-set for the selector to trust.
  *result = Vp9Descriptor{};
  Vp9Descriptor d;
  if (size < 1) return false;
  const uint8_t first = p[0];
  d.has_picture_id = (first & 0x80) != 0;
  d.inter_picture = (first & 0x40) != 0;
  d.has_layers = (first & 0x20) != 0;
  d.flexible = (first & 0x10) != 0;
  d.begin_frame = (first & 0x08) != 0;
  d.end_frame = (first & 0x04) != 0;
  d.has_ss = (first & 0x02) != 0;
  d.not_upper_ref = (first & 0x01) != 0;
  size_t pos = 1;
  if (d.has_picture_id) {
    if (size - pos < 1) return false;
    d.picture_id_offset = pos;
    if (p[pos] & 0x80) {  // M
      if (size - pos < 2) return false;
      d.long_picture_id = true;
      d.picture_id = static_cast<uint16_t>(((p[pos] & 0x7F) << 8) | p[pos + 1]);
      pos += 2;
    } else {
      d.picture_id = p[pos] & 0x7F;
      pos += 1;
    }
  }
  if (d.has_layers) {
    if (size - pos < 1) return false;
    const uint8_t l = p[pos++];
    d.tid = static_cast<uint8_t>(l >> 5);
    d.switching_up = (l & 0x10) != 0;
    d.sid = static_cast<uint8_t>((l >> 1) & 0x07);
    d.inter_layer = (l & 0x01) != 0;
    if (!d.flexible) {
      if (size - pos < 1) return false;
      d.has_tl0_pic_idx = true;
      d.tl0_pic_idx_offset = pos;
      d.tl0_pic_idx = p[pos++];
    }
  }
  if (d.flexible && d.inter_picture) {
    // P_DIFF(7) N(1), N saying another follows: at most 3.
    bool more = true;
    while (more) {
      if (d.ref_count == Vp9Descriptor::kMaxRefs || size - pos < 1) return false;
      const uint8_t r = p[pos++];
      d.p_diff[d.ref_count++] = static_cast<uint8_t>(r >> 1);
      more = (r & 0x01) != 0;
    }
  }
  if (d.has_ss && !ParseSs(p, size, &pos, &d)) return false;
  d.size = pos;
  *result = d;
  return true;
}

}  // namespace webrtc_agent::layers
