#include "router/subscription_layers.h"

#include "router/subscription.h"
#include "router/track.h"
#include "rtp/byte_io.h"

namespace webrtc_agent {
namespace router {

LayerInfo InspectLayer(Track* track, const rtp::RtpPacketView& packet, layers::Vp9Descriptor* vp9_scratch) {
  LayerInfo info;
  if (track->codec == rtp::Codec::kVp9) {
    // A payload whose descriptor does not parse counts as SID 0, TID 0.
    layers::ParseVp9Descriptor(packet.payload(), packet.payloadSize(), vp9_scratch);
    info.vp9 = vp9_scratch;
    const layers::Vp9Descriptor& d = *vp9_scratch;
    LayerMeter& m = track->layer_meter;
    if (d.has_layers) m.svc = true;
    if (d.sid < LayerMeter::kSpatial && d.tid < LayerMeter::kTemporal) m.svc_bytes[d.sid][d.tid] += packet.size();
    return info;
  }
  if (track->codec != rtp::Codec::kVp8) return info;
  // A payload whose descriptor does not parse is sent as it is to the
  // current layer's subscribers (nothing to rewrite in it).
  if (!layers::ParseVp8Descriptor(packet.payload(), packet.payloadSize(), &info.desc)) return info;
  info.vp8 = true;
  info.picture_start = info.desc.picture_start();
  if (info.desc.has_tid) {
    info.temporal = info.desc.tid;
    track->layer_meter.temporal_bytes[info.desc.tid] += packet.size();
  } else {
    track->layer_meter.temporal_bytes[0] += packet.size();
  }
  return info;
}

namespace {

// An SVC subscription (one track, its layers inside): the Vp9Selector's
// verdict; what it leaves out is closed up in the sequence numbers.
bool AdmitSvc(Subscription* s, const LayerInfo& info, bool key, const rtp::RtpPacketView& packet, bool can_send) {
  SubscriptionLayers& L = *s->layers;
  layers::Vp9Packet p;
  p.timestamp = rtp::LoadU32(packet.data() + 4);
  if (info.vp9 != nullptr) p.desc = *info.vp9;
  p.keyframe = key && can_send;
  const uint64_t switches = L.svc_selector.switches();
  const layers::Vp9Decision d = L.svc_selector.OnPacket(p);
  L.counters.switches += L.svc_selector.switches() - switches;
  switch (d.verdict) {
    case layers::Vp9Verdict::kWait:
      return false;
    case layers::Vp9Verdict::kSpatial:
      s->rewriter().Drop(rtp::LoadU16(packet.data() + 2));
      L.counters.spatial_drops++;
      return false;
    case layers::Vp9Verdict::kTemporal:
      s->rewriter().Drop(rtp::LoadU16(packet.data() + 2));
      L.counters.temporal_drops++;
      return false;
    case layers::Vp9Verdict::kForward:
      break;
  }
  if (d.started) {
    // A start or a resume: the numbering goes on from the last packet sent.
    s->rewriter().Rebase();
    if (s->retransmitter) s->retransmitter->OnSwitch();
  }
  L.set_marker = d.marker;
  return true;
}

}  // namespace

bool AdmitLayer(Subscription* s, Track* track, const LayerInfo& info, bool key, const rtp::RtpPacketView& packet,
                bool can_send) {
  SubscriptionLayers& L = *s->layers;
  if (L.svc()) return AdmitSvc(s, info, key, packet, can_send);
  layers::LayerPacket lp;
  lp.spatial = L.IndexOf(track);
  lp.temporal = info.temporal;
  lp.keyframe = key && can_send;
  lp.picture_start = info.picture_start;
  bool switched = false;
  switch (L.selector.OnPacket(lp, &switched)) {
    case layers::Verdict::kOther:
      return false;
    case layers::Verdict::kTemporal:
      s->rewriter().Drop(rtp::LoadU16(packet.data() + 2));
      if (info.vp8) L.vp8.Drop(info.desc);
      L.counters.temporal_drops++;
      return false;
    case layers::Verdict::kForward:
      break;
  }
  if (switched) {
    s->rewriter().Rebase();
    L.vp8.Rebase();
    if (s->retransmitter) s->retransmitter->OnSwitch();
    if (s->track() != track) s->set_track(track);
    L.counters.switches++;
  }
  return true;
}

void RewriteLayer(Subscription* s, const LayerInfo& info, uint8_t* out, const rtp::RtpPacketView& packet) {
  if (s->layers->svc()) {
    if (s->layers->set_marker) out[1] |= 0x80;
    return;
  }
  if (!info.vp8) return;
  s->layers->vp8.Forward(out + (packet.payload() - packet.data()), info.desc);
}

}  // namespace router
}  // namespace webrtc_agent
