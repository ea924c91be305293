// Unit tests for the picture sizes key frames announce (addon/rtp/
// picture_size.h, keyframe.h's InspectKeyframe). The headers are written
// here field by field with a bit writer, following the codecs' syntax
// tables, so each test states the values it means; built with ASan+UBSan.
//
// Prints "picture_size_test: N checks passed, M failed" last.
#include <cstdint>
#include <cstdio>
#include <vector>

#include "check.h"
#include "rtp/keyframe.h"
#include "rtp/picture_size.h"

namespace {

using Bytes = std::vector<uint8_t>;
using namespace webrtc_agent::rtp;

class BitWriter {
 public:
  void Bits(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) Bit((v >> i) & 1);
  }
  void Bit(int b) {
    if (n_ % 8 == 0) bytes_.push_back(0);
    if (b) bytes_.back() |= static_cast<uint8_t>(0x80 >> (n_ % 8));
    ++n_;
  }
  void Ue(uint32_t v) {
    const uint64_t x = static_cast<uint64_t>(v) + 1;
    int len = 0;
    while ((x >> len) > 1) ++len;
    Bits(0, len);
    Bits(x, len + 1);
  }
  void Se(int32_t v) { Ue(v > 0 ? static_cast<uint32_t>(2 * v - 1) : static_cast<uint32_t>(-2 * v)); }
  // rbsp_trailing_bits
  Bytes Finish() {
    Bit(1);
    while (n_ % 8 != 0) Bit(0);
    return bytes_;
  }

 private:
  Bytes bytes_;
  size_t n_ = 0;
};

// H.264 §7.4.1: what an encoder writes for the RBSP inside a NAL unit.
Bytes Escape(const Bytes& rbsp) {
  Bytes out;
  int zeros = 0;
  for (uint8_t b : rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push_back(3);
      zeros = 0;
    }
    out.push_back(b);
    zeros = b == 0 ? zeros + 1 : 0;
  }
  return out;
}

struct Sps {
  uint32_t profile = 66;
  uint32_t constraints = 0xC0;
  uint32_t level = 31;
  uint32_t chroma_format_idc = 1;  // written for the high profiles only
  bool scaling_matrix = false;
  uint32_t poc_type = 0;
  uint32_t width_mbs = 40;
  uint32_t height_map_units = 30;
  bool frame_mbs_only = true;
  bool crop = false;
  uint32_t crop_left = 0, crop_right = 0, crop_top = 0, crop_bottom = 0;
};

Bytes BuildSps(const Sps& s) {
  BitWriter w;
  w.Bits(s.profile, 8);
  w.Bits(s.constraints, 8);
  w.Bits(s.level, 8);
  w.Ue(0);  // seq_parameter_set_id
  if (s.profile == 100 || s.profile == 110 || s.profile == 122 || s.profile == 244) {
    w.Ue(s.chroma_format_idc);
    if (s.chroma_format_idc == 3) w.Bit(0);  // separate_colour_plane_flag
    w.Ue(0);                                 // bit_depth_luma_minus8
    w.Ue(0);                                 // bit_depth_chroma_minus8
    w.Bit(0);                                // qpprime_y_zero_transform_bypass_flag
    w.Bit(s.scaling_matrix);
    if (s.scaling_matrix) {
      // List 0 present with a few deltas then "use the default" (0); the rest absent.
      w.Bit(1);
      w.Se(5);
      w.Se(-3);
      w.Se(-2);  // next = 8 + 5 - 3 - 2 = 8 ... then 0 ends the explicit values
      w.Se(-8);
      for (int i = 1; i < 8; ++i) w.Bit(0);
    }
  }
  w.Ue(0);  // log2_max_frame_num_minus4
  w.Ue(s.poc_type);
  if (s.poc_type == 0) {
    w.Ue(2);  // log2_max_pic_order_cnt_lsb_minus4
  } else if (s.poc_type == 1) {
    w.Bit(0);
    w.Se(-1);
    w.Se(2);
    w.Ue(2);
    w.Se(1);
    w.Se(-1);
  }
  w.Ue(1);  // max_num_ref_frames
  w.Bit(0);
  w.Ue(s.width_mbs - 1);
  w.Ue(s.height_map_units - 1);
  w.Bit(s.frame_mbs_only);
  if (!s.frame_mbs_only) w.Bit(0);
  w.Bit(1);  // direct_8x8_inference_flag
  w.Bit(s.crop);
  if (s.crop) {
    w.Ue(s.crop_left);
    w.Ue(s.crop_right);
    w.Ue(s.crop_top);
    w.Ue(s.crop_bottom);
  }
  w.Bit(0);  // vui_parameters_present_flag
  Bytes nal{0x67};  // nal_ref_idc 3, type 7
  const Bytes body = Escape(w.Finish());
  nal.insert(nal.end(), body.begin(), body.end());
  return nal;
}

PictureSize SizeOf(const Bytes& nal) {
  PictureSize out;
  CHECK(ParseH264SpsSize(nal.data(), nal.size(), &out));
  return out;
}

void TestH264Sps() {
  Sps vga;
  PictureSize s = SizeOf(BuildSps(vga));
  CHECK_EQ(s.width, 640u);
  CHECK_EQ(s.height, 480u);

  // 1080p is coded as 1088 lines, cropped by 4 chroma rows (8 luma lines).
  Sps hd;
  hd.profile = 100;
  hd.width_mbs = 120;
  hd.height_map_units = 68;
  hd.crop = true;
  hd.crop_bottom = 4;
  s = SizeOf(BuildSps(hd));
  CHECK_EQ(s.width, 1920u);
  CHECK_EQ(s.height, 1080u);

  // Field coding: a map unit is two macroblock rows; 4:4:4 crops by luma samples.
  Sps fields = hd;
  fields.frame_mbs_only = false;
  fields.height_map_units = 34;
  fields.chroma_format_idc = 3;
  fields.crop_bottom = 4;  // x1 (4:4:4) x2 (fields) = 8 lines
  s = SizeOf(BuildSps(fields));
  CHECK_EQ(s.width, 1920u);
  CHECK_EQ(s.height, 1080u);

  // A scaling matrix and picture order count type 1 come before the size.
  Sps busy = vga;
  busy.profile = 100;
  busy.scaling_matrix = true;
  busy.poc_type = 1;
  s = SizeOf(BuildSps(busy));
  CHECK_EQ(s.width, 640u);
  CHECK_EQ(s.height, 480u);

  // 00 00 01 in the RBSP is sent as 00 00 03 01: the 03 is not a field.
  Sps escaped = vga;
  escaped.profile = 0;
  escaped.constraints = 0;
  escaped.level = 1;
  const Bytes nal = BuildSps(escaped);
  CHECK(nal.size() > 4 && nal[1] == 0 && nal[2] == 0 && nal[3] == 3);
  s = SizeOf(nal);
  CHECK_EQ(s.width, 640u);
  CHECK_EQ(s.height, 480u);

  // Not an SPS, truncated, cropped away entirely, a forbidden bit: no size.
  PictureSize none;
  Bytes pps = BuildSps(vga);
  pps[0] = 0x68;
  CHECK(!ParseH264SpsSize(pps.data(), pps.size(), &none));
  const Bytes full = BuildSps(vga);
  for (size_t n = 0; n + 1 < full.size(); ++n) {
    // Cut before the size fields end: never a wrong size, at worst none.
    PictureSize cut;
    if (ParseH264SpsSize(full.data(), n, &cut)) CHECK(cut == (PictureSize{640, 480}));
  }
  CHECK(!ParseH264SpsSize(full.data(), 3, &none));
  Sps over = vga;
  over.crop = true;
  over.crop_left = 200;
  over.crop_right = 200;
  const Bytes o = BuildSps(over);
  CHECK(!ParseH264SpsSize(o.data(), o.size(), &none));
  Bytes forbidden = BuildSps(vga);
  forbidden[0] |= 0x80;
  CHECK(!ParseH264SpsSize(forbidden.data(), forbidden.size(), &none));
  CHECK(!none.known());

  // Through the RTP payload: a single NAL, and a STAP-A with SPS + PPS + IDR.
  PictureSize p;
  CHECK(InspectKeyframe(Codec::kH264, full.data(), full.size(), &p));
  CHECK(p == (PictureSize{640, 480}));
  const Bytes hd_sps = BuildSps(hd);
  Bytes stap{0x78};
  for (const Bytes& n : {hd_sps, Bytes{0x68, 0xCE, 0x38, 0x80}, Bytes{0x65, 0x88, 0x84}}) {
    stap.push_back(static_cast<uint8_t>(n.size() >> 8));
    stap.push_back(static_cast<uint8_t>(n.size()));
    stap.insert(stap.end(), n.begin(), n.end());
  }
  PictureSize q;
  CHECK(InspectKeyframe(Codec::kH264, stap.data(), stap.size(), &q));
  CHECK(q == (PictureSize{1920, 1080}));
  // A STAP-A whose last size lies: not believed, size untouched.
  Bytes lying = stap;
  lying.pop_back();
  PictureSize r{1, 1};
  CHECK(!InspectKeyframe(Codec::kH264, lying.data(), lying.size(), &r));
  CHECK(r == (PictureSize{1, 1}));
  // An IDR slice alone is a key frame that carries no size.
  const Bytes idr{0x65, 0x88, 0x84, 0x00};
  PictureSize u;
  CHECK(InspectKeyframe(Codec::kH264, idr.data(), idr.size(), &u));
  CHECK(!u.known());
}

void TestVp8() {
  // S=1 partition 0; frame tag with the key frame bit clear; start code;
  // 640 (+ 2 bits of horizontal scale) x 480.
  const Bytes key{0x10, 0x50, 0x1F, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x42, 0xE0, 0x01, 0x00};
  PictureSize s;
  CHECK(InspectKeyframe(Codec::kVp8, key.data(), key.size(), &s));
  CHECK(s == (PictureSize{640, 480}));
  // With the extended descriptor (picture id 15 bits).
  const Bytes ext{0x90, 0x80, 0x81, 0x23, 0x50, 0x1F, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xB4, 0x00};
  PictureSize e;
  CHECK(InspectKeyframe(Codec::kVp8, ext.data(), ext.size(), &e));
  CHECK(e == (PictureSize{320, 180}));
  // Too short for the size: still a key frame, no size.
  const Bytes short_key{0x10, 0x50, 0x1F, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02};
  PictureSize n;
  CHECK(InspectKeyframe(Codec::kVp8, short_key.data(), short_key.size(), &n));
  CHECK(!n.known());
  // A delta frame says nothing.
  const Bytes delta{0x10, 0x51, 0x1F, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01};
  PictureSize d;
  CHECK(!InspectKeyframe(Codec::kVp8, delta.data(), delta.size(), &d));
  CHECK(!d.known());
}

void TestVp9() {
  // B=1, V=1; SS: one layer, Y=1; 1280x720; then payload.
  const Bytes one{0x0A, 0x10, 0x05, 0x00, 0x02, 0xD0, 0x82};
  PictureSize s;
  CHECK(InspectKeyframe(Codec::kVp9, one.data(), one.size(), &s));
  CHECK(s == (PictureSize{1280, 720}));
  // Three spatial layers: the largest is the picture. L=1 (layer 0, TL0PICIDX).
  const Bytes three{0x2A, 0x00, 0x05, 0x50, 0x01, 0x40, 0x00, 0xB4, 0x02, 0x80, 0x01, 0x68, 0x05, 0x00, 0x02, 0xD0, 0x82};
  PictureSize t;
  CHECK(InspectKeyframe(Codec::kVp9, three.data(), three.size(), &t));
  CHECK(t == (PictureSize{1280, 720}));
  // No SS (Y=0): a key frame without a size; a truncated SS: nothing.
  const Bytes no_size{0x0A, 0x00, 0x82};
  PictureSize n;
  CHECK(InspectKeyframe(Codec::kVp9, no_size.data(), no_size.size(), &n));
  CHECK(!n.known());
  const Bytes cut{0x0A, 0x10, 0x05, 0x00, 0x02};
  PictureSize c;
  CHECK(!InspectKeyframe(Codec::kVp9, cut.data(), cut.size(), &c));
  CHECK(!c.known());
  // An inter frame (P=1) with an SS: not a key frame, and no size taken.
  const Bytes inter{0x4A, 0x10, 0x05, 0x00, 0x02, 0xD0, 0x82};
  PictureSize i;
  CHECK(!InspectKeyframe(Codec::kVp9, inter.data(), inter.size(), &i));
  CHECK(!i.known());
}

struct SeqHeader {
  bool reduced = false;
  bool timing = false;
  bool decoder_model = false;
  bool display_delay = false;
  int points = 1;
  uint32_t level = 8;
  uint32_t width = 1280;
  uint32_t height = 720;
};

Bytes BuildSequenceHeader(const SeqHeader& h, bool size_field) {
  BitWriter w;
  w.Bits(0, 3);  // seq_profile
  w.Bit(0);      // still_picture
  w.Bit(h.reduced);
  if (h.reduced) {
    w.Bits(h.level, 5);
  } else {
    w.Bit(h.timing);
    if (h.timing) {
      w.Bits(1001, 32);
      w.Bits(30000, 32);
      w.Bit(1);
      w.Ue(0);  // uvlc(0) is the single bit 1, like ue(0)
      w.Bit(h.decoder_model);
      if (h.decoder_model) {
        w.Bits(9, 5);  // buffer_delay_length_minus_1: 10-bit delays
        w.Bits(1, 32);
        w.Bits(4, 5);
        w.Bits(4, 5);
      }
    }
    w.Bit(h.display_delay);
    w.Bits(static_cast<uint64_t>(h.points - 1), 5);
    for (int i = 0; i < h.points; ++i) {
      w.Bits(i == 0 ? 0 : 0x101, 12);
      w.Bits(h.level, 5);
      if (h.level > 7) w.Bit(0);
      if (h.decoder_model) {
        w.Bit(1);
        w.Bits(123, 10);
        w.Bits(456, 10);
        w.Bit(0);
      }
      if (h.display_delay) {
        w.Bit(1);
        w.Bits(3, 4);
      }
    }
  }
  int wb = 1;
  while ((1u << wb) < h.width) ++wb;
  int hb = 1;
  while ((1u << hb) < h.height) ++hb;
  w.Bits(static_cast<uint64_t>(wb - 1), 4);
  w.Bits(static_cast<uint64_t>(hb - 1), 4);
  w.Bits(h.width - 1, wb);
  w.Bits(h.height - 1, hb);
  w.Bits(0, 12);  // the rest of the header: flags this parser does not read
  const Bytes payload = w.Finish();
  Bytes obu{static_cast<uint8_t>((1 << 3) | (size_field ? 0x02 : 0))};
  if (size_field) obu.push_back(static_cast<uint8_t>(payload.size()));  // < 128: one LEB128 byte
  obu.insert(obu.end(), payload.begin(), payload.end());
  return obu;
}

void TestAv1() {
  for (const SeqHeader& h : {SeqHeader{}, SeqHeader{true, false, false, false, 1, 4, 640, 360},
                             SeqHeader{false, true, true, true, 3, 12, 1920, 1080},
                             SeqHeader{false, true, false, true, 2, 5, 320, 240}}) {
    for (bool size_field : {true, false}) {
      const Bytes obu = BuildSequenceHeader(h, size_field);
      PictureSize s;
      CHECK(ParseAv1SequenceHeaderSize(obu.data(), obu.size(), &s));
      CHECK(s == (PictureSize{h.width, h.height}));
    }
  }
  // In an RTP payload: N=1, W=2: the sequence header with a length, then a frame.
  const Bytes seq = BuildSequenceHeader(SeqHeader{}, false);
  Bytes pkt{0x28, static_cast<uint8_t>(seq.size())};
  pkt.insert(pkt.end(), seq.begin(), seq.end());
  pkt.insert(pkt.end(), {0x32, 0x10, 0x20});  // a frame OBU, the last element
  PictureSize p;
  CHECK(InspectKeyframe(Codec::kAv1, pkt.data(), pkt.size(), &p));
  CHECK(p == (PictureSize{1280, 720}));
  // Not a sequence header, a size field beyond the bytes, truncated: nothing.
  PictureSize none;
  Bytes frame = BuildSequenceHeader(SeqHeader{}, true);
  frame[0] = 0x32;
  CHECK(!ParseAv1SequenceHeaderSize(frame.data(), frame.size(), &none));
  Bytes lying = BuildSequenceHeader(SeqHeader{}, true);
  lying[1] = 0x7F;
  CHECK(!ParseAv1SequenceHeaderSize(lying.data(), lying.size(), &none));
  const Bytes whole = BuildSequenceHeader(SeqHeader{false, true, true, true, 3, 12, 1920, 1080}, false);
  for (size_t n = 0; n < 8 && n < whole.size(); ++n) {
    CHECK(!ParseAv1SequenceHeaderSize(whole.data(), n, &none));
  }
  CHECK(!none.known());
}

}  // namespace

int main() {
  TestH264Sps();
  TestVp8();
  TestVp9();
  TestAv1();
  return webrtc_agent::native_test::ReportChecks("picture_size_test");
}
