#include "router/subscription_layers.h"

#include "router/subscription.h"
#include "router/track.h"
#include "rtp/byte_io.h"

namespace webrtc_agent {
namespace router {

LayerInfo InspectLayer(Track* track, const rtp::RtpPacketView& packet) {
  LayerInfo info;
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

bool AdmitLayer(Subscription* s, Track* track, const LayerInfo& info, bool key, const rtp::RtpPacketView& packet,
                bool can_send) {
  SubscriptionLayers& L = *s->layers;
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
  if (!info.vp8) return;
  s->layers->vp8.Forward(out + (packet.payload() - packet.data()), info.desc);
}

}  // namespace router
}  // namespace webrtc_agent
