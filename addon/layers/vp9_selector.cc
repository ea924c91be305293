#include "layers/vp9_selector.h"

namespace webrtc_agent::layers {

namespace {
// RTP timestamps wrap: a is later than b within half the range.
bool Later(uint32_t a, uint32_t b) { return a != b && static_cast<uint32_t>(a - b) < 0x80000000u; }
}  // namespace

void Vp9Selector::OnPictureStart(const Vp9Packet& p) {
  if (current_spatial_ < 0) return;
  // Down at a picture boundary: the lower layers never need the higher ones.
  const int reachable = Reachable();
  if (reachable < current_spatial_) {
    current_spatial_ = reachable;
    switches_++;
  }
  // Up at a key picture: every layer of it starts afresh.
  if (p.keyframe && reachable > current_spatial_) {
    current_spatial_ = reachable;
    switches_++;
  }
  if (target_temporal_ < current_temporal_) {
    current_temporal_ = target_temporal_;
  } else if (target_temporal_ > current_temporal_ && (p.desc.tid == 0 || p.keyframe)) {
    // A TL0 picture references only TL0 pictures: every higher layer's
    // picture after it can be decoded.
    current_temporal_ = target_temporal_;
  }
}

Vp9Decision Vp9Selector::OnPacket(const Vp9Packet& p) {
  Vp9Decision out;
  const Vp9Descriptor& d = p.desc;
  if (d.has_ss) layers_ = d.ss_spatial_layers;
  if (d.sid >= layers_) layers_ = d.sid + 1;
  const bool new_picture = !have_picture_ || Later(p.timestamp, picture_ts_);
  if (new_picture) {
    have_picture_ = true;
    picture_ts_ = p.timestamp;
    top_sent_ = -1;
    OnPictureStart(p);
  }
  // A late packet (a re-send, or reordered) of an earlier picture starts
  // and switches nothing; it goes if its layers are being sent.
  const bool this_picture = p.timestamp == picture_ts_;
  if (current_spatial_ < 0) {
    if (target_spatial_ < 0 || !p.keyframe || !this_picture) return out;
    current_spatial_ = Reachable();
    current_temporal_ = target_temporal_;
    out.started = true;
    switches_++;
  } else if (this_picture && d.intra_start() && d.sid == current_spatial_ + 1 && d.sid <= Reachable() &&
             top_sent_ == current_spatial_ && d.tid <= current_temporal_) {
    // A switching-up point: this layer frame needs no earlier picture of
    // its layer, and the layer below it in this picture was sent.
    current_spatial_ = d.sid;
    switches_++;
  }
  if (d.sid > current_spatial_) {
    out.verdict = Vp9Verdict::kSpatial;
    return out;
  }
  // A key frame decodes on its own, whatever temporal id it claims.
  if (d.tid > current_temporal_ && !(p.keyframe && out.started)) {
    out.verdict = Vp9Verdict::kTemporal;
    return out;
  }
  if (this_picture && static_cast<int>(d.sid) > top_sent_) top_sent_ = d.sid;
  out.verdict = Vp9Verdict::kForward;
  out.marker = d.end_frame && d.sid == current_spatial_;
  return out;
}

}  // namespace webrtc_agent::layers
