#include "rtp/picture_size.h"

#include <array>

#include "rtp/bit_reader.h"

namespace webrtc_agent::rtp {

namespace {

constexpr uint8_t kNalSps = 7;
// An SPS is a few dozen bytes; the size fields come before the VUI. A
// scaling matrix can push them further, but never past this.
constexpr size_t kMaxSpsBytes = 512;
// Beyond any level of any of the codecs (H.264 level 6.2 is 8192x4320).
constexpr uint32_t kMaxDimension = 16384;

bool Plausible(const PictureSize& s) {
  return s.width > 0 && s.height > 0 && s.width <= kMaxDimension && s.height <= kMaxDimension;
}

// H.264 §7.4.1: 00 00 03 is written for 00 00 inside a NAL unit; the 03 is
// not part of the bitstream.
size_t Unescape(const uint8_t* in, size_t size, uint8_t* out, size_t cap) {
  size_t n = 0;
  int zeros = 0;
  for (size_t i = 0; i < size && n < cap; ++i) {
    if (zeros >= 2 && in[i] == 0x03) {
      zeros = 0;
      continue;
    }
    zeros = in[i] == 0 ? zeros + 1 : 0;
    out[n++] = in[i];
  }
  return n;
}

// H.264 §7.3.2.1.1.1: the lists are only skipped, but their length depends
// on every delta in them.
void SkipScalingList(BitReader& r, int size) {
  int last = 8;
  int next = 8;
  for (int j = 0; j < size && !r.failed(); ++j) {
    if (next != 0) {
      const int32_t delta = r.Se();
      if (delta < -128 || delta > 127) {
        r.Fail();
        return;
      }
      next = (last + delta + 256) % 256;
    }
    last = next == 0 ? last : next;
  }
}

bool HasChromaFields(uint32_t profile_idc) {
  switch (profile_idc) {
    case 100: case 110: case 122: case 244: case 44: case 83:
    case 86: case 118: case 128: case 138: case 139: case 134: case 135:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool ParseH264SpsSize(const uint8_t* nal, size_t size, PictureSize* out) {
  if (nal == nullptr || size < 4 || (nal[0] & 0x80) != 0 || (nal[0] & 0x1F) != kNalSps) return false;
  std::array<uint8_t, kMaxSpsBytes> rbsp{};
  const size_t n = Unescape(nal + 1, size - 1, rbsp.data(), rbsp.size());
  BitReader r(rbsp.data(), n);
  const uint32_t profile_idc = r.Bits(8);
  r.Skip(8);  // constraint_set flags, reserved
  r.Skip(8);  // level_idc
  if (r.Ue() > 31) return false;  // seq_parameter_set_id
  uint32_t chroma_format_idc = 1;
  bool separate_colour_plane = false;
  if (HasChromaFields(profile_idc)) {
    chroma_format_idc = r.Ue();
    if (chroma_format_idc > 3) return false;
    if (chroma_format_idc == 3) separate_colour_plane = r.Flag();
    if (r.Ue() > 6) return false;  // bit_depth_luma_minus8
    if (r.Ue() > 6) return false;  // bit_depth_chroma_minus8
    r.Skip(1);                     // qpprime_y_zero_transform_bypass_flag
    if (r.Flag()) {                // seq_scaling_matrix_present_flag
      const int lists = chroma_format_idc != 3 ? 8 : 12;
      for (int i = 0; i < lists && !r.failed(); ++i) {
        if (r.Flag()) SkipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  if (r.Ue() > 12) return false;  // log2_max_frame_num_minus4
  const uint32_t poc_type = r.Ue();
  if (poc_type == 0) {
    if (r.Ue() > 12) return false;  // log2_max_pic_order_cnt_lsb_minus4
  } else if (poc_type == 1) {
    r.Skip(1);  // delta_pic_order_always_zero_flag
    r.Se();     // offset_for_non_ref_pic
    r.Se();     // offset_for_top_to_bottom_field
    const uint32_t cycle = r.Ue();
    if (cycle > 255) return false;
    for (uint32_t i = 0; i < cycle && !r.failed(); ++i) r.Se();
  } else if (poc_type != 2) {
    return false;
  }
  r.Ue();     // max_num_ref_frames
  r.Skip(1);  // gaps_in_frame_num_value_allowed_flag
  const uint32_t width_mbs = r.Ue() + 1;
  const uint32_t height_map_units = r.Ue() + 1;
  const bool frame_mbs_only = r.Flag();
  if (!frame_mbs_only) r.Skip(1);  // mb_adaptive_frame_field_flag
  r.Skip(1);                       // direct_8x8_inference_flag
  uint32_t crop_left = 0, crop_right = 0, crop_top = 0, crop_bottom = 0;
  if (r.Flag()) {  // frame_cropping_flag
    crop_left = r.Ue();
    crop_right = r.Ue();
    crop_top = r.Ue();
    crop_bottom = r.Ue();
  }
  if (r.failed() || width_mbs > kMaxDimension / 16 || height_map_units > kMaxDimension / 16) return false;
  // §7.4.2.1.1: the cropping unit depends on the chroma sampling.
  const uint32_t field_factor = frame_mbs_only ? 1 : 2;
  uint32_t crop_x = 1;
  uint32_t crop_y = field_factor;
  if (chroma_format_idc != 0 && !separate_colour_plane) {
    crop_x = chroma_format_idc == 3 ? 1 : 2;
    crop_y = (chroma_format_idc == 1 ? 2 : 1) * field_factor;
  }
  const uint64_t w = static_cast<uint64_t>(width_mbs) * 16;
  const uint64_t h = static_cast<uint64_t>(height_map_units) * 16 * field_factor;
  const uint64_t cw = static_cast<uint64_t>(crop_x) * (static_cast<uint64_t>(crop_left) + crop_right);
  const uint64_t ch = static_cast<uint64_t>(crop_y) * (static_cast<uint64_t>(crop_top) + crop_bottom);
  if (cw >= w || ch >= h) return false;
  PictureSize s{static_cast<uint32_t>(w - cw), static_cast<uint32_t>(h - ch)};
  if (!Plausible(s)) return false;
  *out = s;
  return true;
}

bool ParseAv1SequenceHeaderSize(const uint8_t* obu, size_t size, PictureSize* out) {
  constexpr uint8_t kObuSequenceHeader = 1;
  if (obu == nullptr || size < 2) return false;
  const uint8_t header = obu[0];
  if ((header & 0x80) != 0 || ((header >> 3) & 0x0F) != kObuSequenceHeader) return false;
  size_t pos = 1;
  if (header & 0x04) ++pos;  // obu_extension_flag: one more header byte
  size_t payload = size > pos ? size - pos : 0;
  if (header & 0x02) {  // obu_has_size_field: LEB128 (AV1 §4.10.5)
    uint64_t v = 0;
    int i = 0;
    for (; i < 8; ++i) {
      if (pos >= size) return false;
      const uint8_t b = obu[pos++];
      v |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) break;
    }
    if (i == 8 || v > size - pos) return false;
    payload = static_cast<size_t>(v);
  }
  if (pos >= size) return false;
  BitReader r(obu + pos, payload);
  r.Skip(3);  // seq_profile
  r.Skip(1);  // still_picture
  const bool reduced = r.Flag();
  if (reduced) {
    r.Skip(5);  // seq_level_idx[0]
  } else {
    bool decoder_model_info = false;
    uint32_t buffer_delay_bits = 0;
    if (r.Flag()) {  // timing_info_present_flag
      r.Skip(32);    // num_units_in_display_tick
      r.Skip(32);    // time_scale
      if (r.Flag()) r.Uvlc();  // equal_picture_interval: num_ticks_per_picture_minus_1
      decoder_model_info = r.Flag();
      if (decoder_model_info) {
        buffer_delay_bits = r.Bits(5) + 1;
        r.Skip(32);  // num_units_in_decoding_tick
        r.Skip(5);   // buffer_removal_time_length_minus_1
        r.Skip(5);   // frame_presentation_time_length_minus_1
      }
    }
    const bool initial_display_delay = r.Flag();
    const uint32_t points = r.Bits(5) + 1;
    for (uint32_t i = 0; i < points && !r.failed(); ++i) {
      r.Skip(12);  // operating_point_idc
      if (r.Bits(5) > 7) r.Skip(1);  // seq_level_idx, then seq_tier
      if (decoder_model_info && r.Flag()) r.Skip(2 * buffer_delay_bits + 1);
      if (initial_display_delay && r.Flag()) r.Skip(4);
    }
  }
  const int width_bits = static_cast<int>(r.Bits(4)) + 1;
  const int height_bits = static_cast<int>(r.Bits(4)) + 1;
  PictureSize s;
  s.width = r.Bits(width_bits) + 1;
  s.height = r.Bits(height_bits) + 1;
  if (r.failed() || !Plausible(s)) return false;
  *out = s;
  return true;
}

}  // namespace webrtc_agent::rtp
