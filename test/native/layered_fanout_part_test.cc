// Layered subscriptions in the router's parts: the TrackTable keeps a
// layered subscription on every layer track's subscriber list (and the
// layers' reader counts) through add, move and remove; Fanout's layer hook
// sends it one layer, switches at the target's key frame (the current
// layer flowing until then), drops temporal layers above the ceiling, and
// keeps its SSRC, sequence numbers and VP8 picture ids continuous. An SVC
// subscription (one VP9 track, L2T2 inside) is sent the layers at or below
// its target, with the sequence numbers closed up and the marker on the
// highest layer frame sent.
#include <memory>
#include <vector>

#include "check.h"
#include "layers/vp8_descriptor.h"
#include "layers/vp9_descriptor.h"
#include "layers/vp9_selector.h"
#include "router/fanout.h"
#include "router/subscription.h"
#include "router/subscription_layers.h"
#include "router/track_table.h"
#include "router_fakes.h"

namespace webrtc_agent::native_test {

using router::Fanout;
using router::MediaKind;
using router::Subscription;
using router::SubscriptionLayers;
using router::Track;
using router::TrackTable;

namespace {

// A VP8 packet: descriptor with a 15-bit picture id, TL0PICIDX and TID.
std::vector<uint8_t> Vp8(uint16_t seq, uint32_t ssrc, uint16_t picture_id, uint8_t tl0, uint8_t tid, bool key) {
  std::vector<uint8_t> p = RtpPacket(seq, 3000u * picture_id, ssrc, 96, 0);
  const uint8_t d[] = {0x90, 0xe0, static_cast<uint8_t>(0x80 | (picture_id >> 8)), static_cast<uint8_t>(picture_id),
                       tl0, static_cast<uint8_t>(tid << 6)};
  p.insert(p.end(), d, d + sizeof(d));
  const uint8_t key_tag[] = {0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00};
  const uint8_t delta_tag[] = {0x11, 0x02, 0x00, 0x00, 0x00, 0x00};
  if (key) p.insert(p.end(), key_tag, key_tag + sizeof(key_tag));
  else p.insert(p.end(), delta_tag, delta_tag + sizeof(delta_tag));
  return p;
}

// A VP9 flexible-mode packet of one layer frame (one packet per frame).
std::vector<uint8_t> Vp9(uint16_t seq, uint16_t picture_id, uint8_t sid, uint8_t tid, bool key, bool marker) {
  std::vector<uint8_t> p = RtpPacket(seq, 3000u * picture_id, 7, 98, 0, marker);
  p.push_back(static_cast<uint8_t>(0x80 | (key ? 0 : 0x40) | 0x20 | 0x10 | 0x08 | 0x04 | (key && sid == 0 ? 0x02 : 0)));
  p.push_back(static_cast<uint8_t>(0x80 | (picture_id >> 8)));
  p.push_back(static_cast<uint8_t>(picture_id));
  p.push_back(static_cast<uint8_t>((tid << 5) | (sid << 1) | (sid > 0 ? 1 : 0)));
  if (!key) p.push_back(0x02);      // P_DIFF 1
  if (key && sid == 0) p.push_back(0x20);  // SS: N_S = 1 (two layers), no sizes
  const uint8_t data[] = {0x82, 0x49, 0x83, 0x42, 0x00};
  p.insert(p.end(), data, data + sizeof(data));
  return p;
}

uint16_t PictureIdOf9(const std::vector<uint8_t>& p) {
  layers::Vp9Descriptor d;
  CHECK(layers::ParseVp9Descriptor(p.data() + 12, p.size() - 12, &d));
  return d.picture_id;
}

bool MarkerOf(const std::vector<uint8_t>& p) { return (p[1] & 0x80) != 0; }

uint16_t PictureIdOf(const std::vector<uint8_t>& p) {
  layers::Vp8Descriptor d;
  CHECK(layers::ParseVp8Descriptor(p.data() + 12, p.size() - 12, &d));
  return d.picture_id;
}

}  // namespace

void LayeredFanoutTests() {
  FakeTransport pub("pub");
  FakeTransport t1("t1");
  TrackTable table;
  Track* q = AddVp8Track(table, &pub, "v:q");
  Track* f = AddVp8Track(table, &pub, "v:f");
  auto owned = std::make_unique<Subscription>("L", &t1, f, 4444, -1, 90000);
  owned->layers = std::make_unique<SubscriptionLayers>(std::vector<Track*>{q, f}, 1, true);
  Subscription* s = table.AddSubscription(std::move(owned));
  CHECK(q->subscribers.size() == 1 && f->subscribers.size() == 1);
  CHECK(q->layer_meter.layered_readers == 1 && f->layer_meter.layered_readers == 1);

  Fanout fanout(nullptr);
  auto send = [&](Track* track, const std::vector<uint8_t>& p, bool key) {
    rtp::RtpPacketView v(p.data(), p.size());
    CHECK(v.Parse());
    fanout.Forward(track, v, key, false, 0);
  };
  // No target yet: nothing is sent.
  send(q, Vp8(100, 1, 10, 1, 0, true), true);
  CHECK(t1.rtp.empty());
  s->layers->selector.SetTarget(1, layers::LayerSelector::kAllTemporal);
  // f's delta frames are not sent while waiting; q's key frame is on the way up.
  send(f, Vp8(900, 2, 500, 50, 0, false), false);
  CHECK(t1.rtp.empty());
  send(q, Vp8(101, 1, 11, 2, 0, true), true);
  CHECK(t1.rtp.size() == 1 && s->track() == q && s->layers->counters.switches == 1);
  send(q, Vp8(102, 1, 12, 3, 0, false), false);
  send(f, Vp8(901, 2, 501, 51, 0, false), false);  // still not f's
  CHECK(t1.rtp.size() == 2);
  // f's key frame: the switch; q stops.
  send(f, Vp8(902, 2, 502, 52, 0, true), true);
  send(q, Vp8(103, 1, 13, 4, 0, false), false);
  send(f, Vp8(903, 2, 503, 52, 2, false), false);
  CHECK(t1.rtp.size() == 4 && s->track() == f && s->layers->counters.switches == 2);
  // Temporal ceiling 0: the TL2 picture is left out, with no gap after it.
  s->layers->selector.SetTarget(1, 0);
  send(f, Vp8(904, 2, 504, 52, 2, false), false);
  send(f, Vp8(905, 2, 505, 53, 0, false), false);
  CHECK(t1.rtp.size() == 5 && s->layers->counters.temporal_drops == 1);
  bool continuous = true;
  for (size_t i = 0; i < t1.rtp.size(); ++i) {
    continuous &= SsrcOf(t1.rtp[i]) == 4444;
    if (i > 0) {
      continuous &= SeqOf(t1.rtp[i]) == static_cast<uint16_t>(SeqOf(t1.rtp[i - 1]) + 1);
      continuous &= PictureIdOf(t1.rtp[i]) == ((PictureIdOf(t1.rtp[i - 1]) + 1) & 0x7FFF);
    }
  }
  CHECK(continuous);

  // Moved onto one track: off the layers, their reader counts back to 0.
  table.MoveSubscription(s, q);
  CHECK(!s->layers && s->track() == q);
  CHECK(q->subscribers.size() == 1 && f->subscribers.empty());
  CHECK(q->layer_meter.layered_readers == 0 && f->layer_meter.layered_readers == 0);
  // And onto the layers again; removing the track of one layer removes it.
  table.MoveSubscriptionToLayers(s, std::make_unique<SubscriptionLayers>(std::vector<Track*>{q, f}, 1, true));
  CHECK(q->subscribers.size() == 1 && f->subscribers.size() == 1 && f->layer_meter.layered_readers == 1);
  router::Removed removed;
  table.RemoveTrack(f, &removed);
  CHECK(removed.subscriptions.size() == 1 && q->subscribers.empty() && q->layer_meter.layered_readers == 0);
}

void SvcFanoutTests() {
  FakeTransport pub("pub");
  FakeTransport t1("t1");
  TrackTable table;
  auto owned_track = std::make_unique<Track>("v", MediaKind::kVideo, 90000);
  owned_track->source = &pub;
  owned_track->codec = rtp::Codec::kVp9;
  Track* v = table.AddTrack(std::move(owned_track));
  auto owned = std::make_unique<Subscription>("S", &t1, v, 5555, -1, 90000);
  owned->layers = std::make_unique<SubscriptionLayers>(std::vector<Track*>{v}, layers::Vp9Selector::kAllSpatial, true);
  Subscription* s = table.AddSubscription(std::move(owned));
  CHECK(s->layers->svc() && v->layer_meter.layered_readers == 1);
  Fanout fanout(nullptr);
  uint16_t seq = 1000;
  // One L2T2 picture: S0 then S1 (the marker on S1, as the publisher sends it).
  auto picture = [&](uint16_t pid, uint8_t tid, bool key) {
    for (uint8_t sid = 0; sid < 2; ++sid) {
      const std::vector<uint8_t> p = Vp9(seq++, pid, sid, tid, key, sid == 1);
      rtp::RtpPacketView view(p.data(), p.size());
      CHECK(view.Parse());
      fanout.Forward(v, view, key && sid == 0, false, 0);
    }
  };
  picture(1, 0, false);
  CHECK(t1.rtp.empty());  // no target
  s->layers->SetTarget(0, layers::Vp9Selector::kAllTemporal);
  CHECK(s->layers->NeedsKeyframe() && s->layers->KeyframeTrack(0) == v);
  picture(2, 1, false);
  CHECK(t1.rtp.empty());  // waits for a key frame
  picture(3, 0, true);
  // S0 only, marked as the picture's end; S1 left out.
  CHECK(t1.rtp.size() == 1 && MarkerOf(t1.rtp[0]) && s->layers->current_spatial() == 0);
  CHECK(s->layers->counters.spatial_drops == 1 && s->layers->counters.switches == 1);
  picture(4, 1, false);
  CHECK(t1.rtp.size() == 2 && MarkerOf(t1.rtp[1]));
  // Both layers from the next key picture.
  s->layers->SetTarget(1, layers::Vp9Selector::kAllTemporal);
  picture(5, 0, false);
  CHECK(t1.rtp.size() == 3 && s->layers->NeedsKeyframe());
  picture(6, 0, true);
  CHECK(t1.rtp.size() == 5 && !MarkerOf(t1.rtp[3]) && MarkerOf(t1.rtp[4]) && s->layers->current_spatial() == 1);
  // TL0 only: the TID 1 picture is left out.
  s->layers->SetTarget(1, 0);
  picture(7, 1, false);
  picture(8, 0, false);
  CHECK(t1.rtp.size() == 7 && s->layers->counters.temporal_drops == 2);
  bool continuous = true;
  for (size_t i = 1; i < t1.rtp.size(); ++i) {
    continuous &= SsrcOf(t1.rtp[i]) == 5555 && SeqOf(t1.rtp[i]) == static_cast<uint16_t>(SeqOf(t1.rtp[i - 1]) + 1);
  }
  CHECK(continuous);
  // Picture ids are the publisher's (flexible-mode references stay right).
  CHECK(PictureIdOf9(t1.rtp.back()) == 8);
  // A restart (a resume, a new source): nothing until the next key frame.
  s->layers->Restart();
  CHECK(s->layers->NeedsKeyframe());
  picture(9, 0, false);
  CHECK(t1.rtp.size() == 7);
  picture(10, 0, true);
  CHECK(t1.rtp.size() == 9 && s->layers->current_spatial() == 1);
  // Layer rates are metered per spatial and temporal layer.
  CHECK(v->layer_meter.svc && v->layer_meter.svc_bytes[1][1] > 0 && v->layer_meter.svc_bytes[0][0] > 0);
}

}  // namespace webrtc_agent::native_test
