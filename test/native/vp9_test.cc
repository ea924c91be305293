// Unit tests for addon/layers' VP9 SVC parts (the VP9 payload descriptor,
// Vp9Selector) on hand-made payloads: every descriptor field at its place
// in both modes, every truncation refused, and what one subscriber of an
// L3T3 stream is sent for a target: spatial and temporal layers left out,
// switches at the right pictures, the marker on the highest layer sent.
// A plain program built with ASan+UBSan by test/native/vp9.test.ts.
#include <cstdint>
#include <vector>

#include "check.h"
#include "layers/vp9_descriptor.h"
#include "layers/vp9_selector.h"
#include "rtp/keyframe.h"

namespace {

using namespace webrtc_agent;
using layers::ParseVp9Descriptor;
using layers::Vp9Decision;
using layers::Vp9Descriptor;
using layers::Vp9Packet;
using layers::Vp9Selector;
using layers::Vp9Verdict;

// One layer frame's packet in flexible mode, as libwebrtc sends spatial SVC.
struct Frame {
  uint16_t picture_id = 0;
  int sid = 0;
  int tid = 0;
  bool begin = true;
  bool end = true;
  bool inter_picture = true;  // P
  bool inter_layer = false;   // D
  bool switching_up = false;  // U
  std::vector<uint8_t> p_diffs;
  int ss_layers = 0;          // > 0: an SS with this many layers (and sizes)
};

std::vector<uint8_t> Flexible(const Frame& f) {
  std::vector<uint8_t> p;
  uint8_t first = 0x80 | 0x20 | 0x10;  // I, L, F
  if (f.inter_picture) first |= 0x40;
  if (f.begin) first |= 0x08;
  if (f.end) first |= 0x04;
  if (f.ss_layers > 0) first |= 0x02;
  p.push_back(first);
  p.push_back(static_cast<uint8_t>(0x80 | (f.picture_id >> 8)));
  p.push_back(static_cast<uint8_t>(f.picture_id));
  p.push_back(static_cast<uint8_t>((f.tid << 5) | (f.switching_up ? 0x10 : 0) | (f.sid << 1) | (f.inter_layer ? 1 : 0)));
  if (f.inter_picture) {
    for (size_t i = 0; i < f.p_diffs.size(); ++i) {
      p.push_back(static_cast<uint8_t>((f.p_diffs[i] << 1) | (i + 1 < f.p_diffs.size() ? 1 : 0)));
    }
  }
  if (f.ss_layers > 0) {
    p.push_back(static_cast<uint8_t>(((f.ss_layers - 1) << 5) | 0x10));  // N_S, Y
    for (int i = 0; i < f.ss_layers; ++i) {
      const uint16_t w = static_cast<uint16_t>(320 << i), h = static_cast<uint16_t>(180 << i);
      p.push_back(static_cast<uint8_t>(w >> 8));
      p.push_back(static_cast<uint8_t>(w));
      p.push_back(static_cast<uint8_t>(h >> 8));
      p.push_back(static_cast<uint8_t>(h));
    }
  }
  // Frame data: a VP9 uncompressed header's first bytes (a key frame's
  // frame marker and sync code shape; only the length matters here).
  p.insert(p.end(), {0x82, 0x49, 0x83, 0x42, 0x00});
  return p;
}

void TestParseFlexible() {
  Frame f;
  f.picture_id = 0x1234;
  f.sid = 2;
  f.tid = 1;
  f.switching_up = true;
  f.inter_layer = true;
  f.p_diffs = {1, 2, 4};
  f.end = false;
  const std::vector<uint8_t> p = Flexible(f);
  Vp9Descriptor d;
  CHECK(ParseVp9Descriptor(p.data(), p.size(), &d));
  CHECK(d.flexible && d.has_layers && d.inter_picture && d.begin_frame && !d.end_frame && !d.has_ss);
  CHECK(d.has_picture_id && d.long_picture_id && d.picture_id == 0x1234 && d.picture_id_offset == 1);
  CHECK(d.sid == 2 && d.tid == 1 && d.switching_up && d.inter_layer);
  CHECK(!d.has_tl0_pic_idx);
  CHECK(d.ref_count == 3 && d.p_diff[0] == 1 && d.p_diff[1] == 2 && d.p_diff[2] == 4);
  CHECK(d.size == 7);
  CHECK(!d.intra_start());
  // Every truncation is refused, and leaves nothing set.
  for (size_t n = 0; n < d.size; ++n) {
    Vp9Descriptor t;
    t.sid = 5;
    CHECK(!ParseVp9Descriptor(p.data(), n, &t));
    CHECK(t.sid == 0 && t.size == 0 && !t.has_picture_id);
  }
  // A fourth reference (N set on the third) is not VP9.
  std::vector<uint8_t> four = p;
  four[6] |= 0x01;
  CHECK(!ParseVp9Descriptor(four.data(), four.size(), &d));
}

void TestParseKeyframeWithSs() {
  Frame f;
  f.picture_id = 7;
  f.inter_picture = false;
  f.ss_layers = 3;
  const std::vector<uint8_t> p = Flexible(f);
  Vp9Descriptor d;
  CHECK(ParseVp9Descriptor(p.data(), p.size(), &d));
  CHECK(d.has_ss && d.ss_spatial_layers == 3 && d.ss_has_resolution);
  CHECK(d.ss_width[0] == 320 && d.ss_height[0] == 180 && d.ss_width[2] == 1280 && d.ss_height[2] == 720);
  CHECK(d.ref_count == 0 && d.intra_start() && d.sid == 0);
  CHECK(d.size == 4 + 1 + 12);
  // The key frame detector of rtp/ agrees on the same bytes.
  CHECK(rtp::IsKeyframe(rtp::Codec::kVp9, p.data(), p.size()));
  for (size_t n = 0; n < d.size; ++n) CHECK(!ParseVp9Descriptor(p.data(), n, &d));
}

void TestParseNonFlexible() {
  // I (7-bit id), L, B, E, V; TID 2 U SID 1 D; TL0PICIDX; SS with N_S=1,
  // no sizes, G with 2 pictures: one with 1 reference, one with 2.
  const uint8_t p[] = {0x80 | 0x20 | 0x08 | 0x04 | 0x02, 0x55, (2 << 5) | 0x10 | (1 << 1) | 1, 0x9A,
                       (1 << 5) | 0x08, 2, (0 << 5) | (1 << 2), 4, (1 << 5) | (2 << 2), 1, 2, 0xAA};
  Vp9Descriptor d;
  CHECK(ParseVp9Descriptor(p, sizeof p, &d));
  CHECK(!d.flexible && !d.long_picture_id && d.picture_id == 0x55);
  CHECK(d.tid == 2 && d.switching_up && d.sid == 1 && d.inter_layer);
  CHECK(d.has_tl0_pic_idx && d.tl0_pic_idx == 0x9A && d.tl0_pic_idx_offset == 3);
  CHECK(d.has_ss && d.ss_spatial_layers == 2 && !d.ss_has_resolution && d.ss_pictures_in_group == 2);
  CHECK(d.size == sizeof p - 1);
  for (size_t n = 0; n < d.size; ++n) CHECK(!ParseVp9Descriptor(p, n, &d));
  // No optional fields: one byte, SID 0 TID 0.
  const uint8_t bare[] = {0x0C, 0x00};
  CHECK(ParseVp9Descriptor(bare, sizeof bare, &d));
  CHECK(d.size == 1 && !d.has_layers && d.sid == 0 && d.tid == 0 && d.begin_frame && d.end_frame);
  CHECK(!ParseVp9Descriptor(bare, 0, &d));
}

// --- the selector over an L3T3 stream ---------------------------------------

// A picture of L3T3 (TID pattern 0 2 1 2, three layer frames of two packets
// each), as Vp9Packets, in send order.
struct Sent {
  int sid;
  int tid;
  Vp9Decision d;
};

class Stream {
 public:
  explicit Stream(Vp9Selector* sel) : sel_(sel) {}

  // One picture: key (all layers P=0, SS on S0) or not.
  std::vector<Sent> Picture(bool key, int layers = 3) {
    std::vector<Sent> out;
    const int tid = key ? 0 : kPattern[picture_ % 4];
    for (int sid = 0; sid < layers; ++sid) {
      for (int part = 0; part < 2; ++part) {
        Vp9Packet p;
        p.timestamp = ts_;
        Frame f;
        f.picture_id = picture_id_;
        f.sid = sid;
        f.tid = tid;
        f.begin = part == 0;
        f.end = part == 1;
        f.inter_picture = !key;
        f.inter_layer = sid > 0;
        if (!key) f.p_diffs = {1};
        if (key && sid == 0 && part == 0) f.ss_layers = layers;
        const std::vector<uint8_t> bytes = Flexible(f);
        CHECK(ParseVp9Descriptor(bytes.data(), bytes.size(), &p.desc));
        p.keyframe = key && sid == 0 && part == 0;
        CHECK(p.keyframe == rtp::IsKeyframe(rtp::Codec::kVp9, bytes.data(), bytes.size()));
        out.push_back({sid, tid, sel_->OnPacket(p)});
      }
    }
    picture_++;
    picture_id_ = static_cast<uint16_t>((picture_id_ + 1) & 0x7FFF);
    ts_ += 3000;
    return out;
  }

 private:
  static constexpr int kPattern[4] = {0, 2, 1, 2};
  Vp9Selector* sel_;
  int picture_ = 0;
  uint16_t picture_id_ = 32760;  // wraps within the test
  uint32_t ts_ = 0xFFFFF000u;    // so does the timestamp
};

// The highest spatial layer forwarded in a picture, -1 if none; and whether
// exactly one packet carries the marker, the last one sent.
int TopSent(const std::vector<Sent>& pic, bool* marker_ok) {
  int top = -1, markers = 0, last_forwarded = -1;
  for (size_t i = 0; i < pic.size(); ++i) {
    if (pic[i].d.verdict != Vp9Verdict::kForward) continue;
    if (pic[i].sid > top) top = pic[i].sid;
    if (pic[i].d.marker) markers++;
    last_forwarded = static_cast<int>(i);
  }
  *marker_ok = top < 0 ? markers == 0 : markers == 1 && pic[static_cast<size_t>(last_forwarded)].d.marker;
  return top;
}

void TestStartsAtKeyframe() {
  Vp9Selector sel;
  Stream s(&sel);
  bool ok = false;
  // No target: nothing, and no key frame wanted.
  CHECK(TopSent(s.Picture(false), &ok) == -1);
  CHECK(!sel.NeedsKeyframe());
  sel.SetTarget(Vp9Selector::kAllSpatial, Vp9Selector::kAllTemporal);
  CHECK(sel.NeedsKeyframe());
  std::vector<Sent> pic = s.Picture(false);
  CHECK(TopSent(pic, &ok) == -1);
  for (const Sent& x : pic) CHECK(x.d.verdict == Vp9Verdict::kWait);  // the numbering is not touched
  pic = s.Picture(true);
  CHECK(pic[0].d.started);
  CHECK(TopSent(pic, &ok) == 2 && ok);  // the SS said 3 layers: all of them
  CHECK(sel.current_spatial() == 2 && sel.spatial_layers() == 3 && !sel.NeedsKeyframe());
  for (int i = 0; i < 8; ++i) {
    CHECK(TopSent(s.Picture(false), &ok) == 2 && ok);
  }
}

void TestSpatialDownAtPictureUpAtKey() {
  Vp9Selector sel;
  Stream s(&sel);
  bool ok = false;
  sel.SetTarget(2, Vp9Selector::kAllTemporal);
  s.Picture(true);
  CHECK(sel.current_spatial() == 2);
  // Down to S0: from the next picture, S1 and S2 are left out, the marker
  // moves to S0's last packet.
  sel.SetTarget(0, Vp9Selector::kAllTemporal);
  std::vector<Sent> pic = s.Picture(false);
  CHECK(TopSent(pic, &ok) == 0 && ok);
  CHECK(pic[2].d.verdict == Vp9Verdict::kSpatial && pic[5].d.verdict == Vp9Verdict::kSpatial);
  CHECK(sel.current_spatial() == 0 && !sel.NeedsKeyframe());
  // Up to S1: waits for a key picture (S1 predicts from its own past).
  sel.SetTarget(1, Vp9Selector::kAllTemporal);
  CHECK(sel.NeedsKeyframe());
  for (int i = 0; i < 3; ++i) CHECK(TopSent(s.Picture(false), &ok) == 0 && ok);
  pic = s.Picture(true);
  CHECK(TopSent(pic, &ok) == 1 && ok);
  CHECK(!pic[0].d.started);  // same stream: no rebase
  CHECK(pic[4].d.verdict == Vp9Verdict::kSpatial);
  CHECK(sel.current_spatial() == 1 && !sel.NeedsKeyframe());
  CHECK(TopSent(s.Picture(false), &ok) == 1 && ok);
  // A target above what the stream has is the top it has (no key frame
  // asked for forever).
  sel.SetTarget(5, Vp9Selector::kAllTemporal);
  s.Picture(true);
  CHECK(sel.current_spatial() == 2 && !sel.NeedsKeyframe());
  // A stream of 2 layers from the next key frame: the SS says so.
  TopSent(s.Picture(true, 2), &ok);
  CHECK(sel.spatial_layers() == 2 && sel.current_spatial() == 1 && ok);
}

void TestSwitchingUpPoint() {
  // A non-key picture whose S1 frame references no earlier picture (P=0,
  // D=1): a switching-up point from S0.
  Vp9Selector sel;
  sel.SetTarget(0, Vp9Selector::kAllTemporal);
  auto send = [&](uint32_t ts, int sid, bool p, bool key) {
    Frame f;
    f.sid = sid;
    f.inter_picture = p;
    f.inter_layer = sid > 0;
    if (p) f.p_diffs = {1};
    if (key) f.ss_layers = 2;
    const std::vector<uint8_t> b = Flexible(f);
    Vp9Packet pk;
    pk.timestamp = ts;
    CHECK(ParseVp9Descriptor(b.data(), b.size(), &pk.desc));
    pk.keyframe = key;
    return sel.OnPacket(pk);
  };
  CHECK(send(0, 0, false, true).started);
  CHECK(send(0, 1, false, false).verdict == Vp9Verdict::kSpatial);
  sel.SetTarget(1, Vp9Selector::kAllTemporal);
  CHECK(send(100, 0, true, false).verdict == Vp9Verdict::kForward);
  CHECK(send(100, 1, true, false).verdict == Vp9Verdict::kSpatial);  // P=1: not yet
  CHECK(send(200, 0, true, false).verdict == Vp9Verdict::kForward);
  const Vp9Decision up = send(200, 1, false, false);                  // P=0: here
  CHECK(up.verdict == Vp9Verdict::kForward && up.marker);
  CHECK(sel.current_spatial() == 1);
  // A late packet of an earlier picture switches nothing and keeps its layer rule.
  CHECK(send(100, 1, false, false).verdict == Vp9Verdict::kForward);
}

void TestTemporalLayers() {
  Vp9Selector sel;
  Stream s(&sel);
  bool ok = false;
  sel.SetTarget(2, 0);
  // Key picture (TID 0), then TIDs 2 1 2 0 2 1 2 ...: only TL0 pictures.
  CHECK(TopSent(s.Picture(true), &ok) == 2 && ok);
  int sent = 0;
  for (int i = 1; i <= 10; ++i) {
    const std::vector<Sent> pic = s.Picture(false);
    const int top = TopSent(pic, &ok);
    CHECK(ok);
    if (top >= 0) {
      sent++;
      CHECK(pic[0].tid == 0);
    } else {
      CHECK(pic[0].d.verdict == Vp9Verdict::kTemporal);
    }
  }
  CHECK(sent == 2);  // pictures 4 and 8 of 1..10
  // Up to all: not at picture 11 (TID 2), at the next TL0 one (12); then
  // every picture.
  sel.SetTarget(2, Vp9Selector::kAllTemporal);
  std::vector<Sent> pic = s.Picture(false);
  CHECK(TopSent(pic, &ok) == -1 && pic[0].d.verdict == Vp9Verdict::kTemporal);
  CHECK(TopSent(s.Picture(false), &ok) == 2 && ok);
  CHECK(sel.current_temporal() == Vp9Selector::kAllTemporal);
  CHECK(TopSent(s.Picture(false), &ok) == 2 && ok);
  // Down to TL1 takes effect at the next picture, whatever its TID.
  sel.SetTarget(1, 1);
  pic = s.Picture(false);  // picture 14: TID 1
  CHECK(TopSent(pic, &ok) == 1 && ok);
  CHECK(TopSent(s.Picture(false), &ok) == -1);  // 15: TID 2
}

void TestPauseAndResume() {
  Vp9Selector sel;
  Stream s(&sel);
  bool ok = false;
  sel.SetTarget(1, Vp9Selector::kAllTemporal);
  s.Picture(true);
  CHECK(sel.current_spatial() == 1);
  sel.SetTarget(-1, 0);
  const std::vector<Sent> pic = s.Picture(false);
  CHECK(TopSent(pic, &ok) == -1);
  for (const Sent& x : pic) CHECK(x.d.verdict == Vp9Verdict::kWait);
  CHECK(!sel.NeedsKeyframe());
  sel.SetTarget(1, Vp9Selector::kAllTemporal);
  CHECK(sel.NeedsKeyframe());
  CHECK(TopSent(s.Picture(false), &ok) == -1);
  const std::vector<Sent> key = s.Picture(true);
  CHECK(key[0].d.started && TopSent(key, &ok) == 1 && ok);
}

void TestUnparsedPayload() {
  // A payload whose descriptor did not parse is given as SID 0 TID 0.
  Vp9Selector sel;
  sel.SetTarget(0, 0);
  Vp9Packet p;
  p.timestamp = 5;
  CHECK(sel.OnPacket(p).verdict == Vp9Verdict::kWait);
  p.keyframe = true;
  CHECK(sel.OnPacket(p).verdict == Vp9Verdict::kForward);
}

}  // namespace

int main() {
  TestParseFlexible();
  TestParseKeyframeWithSs();
  TestParseNonFlexible();
  TestStartsAtKeyframe();
  TestSpatialDownAtPictureUpAtKey();
  TestSwitchingUpPoint();
  TestTemporalLayers();
  TestPauseAndResume();
  TestUnparsedPayload();
  return webrtc_agent::native_test::ReportChecks("vp9_test");
}
