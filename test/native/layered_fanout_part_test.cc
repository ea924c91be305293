// Layered subscriptions in the router's parts: the TrackTable keeps a
// layered subscription on every layer track's subscriber list (and the
// layers' reader counts) through add, move and remove; Fanout's layer hook
// sends it one layer, switches at the target's key frame (the current
// layer flowing until then), drops temporal layers above the ceiling, and
// keeps its SSRC, sequence numbers and VP8 picture ids continuous.
#include <memory>
#include <vector>

#include "check.h"
#include "layers/vp8_descriptor.h"
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
  auto mk = [&](const char* id) {
    auto owned = std::make_unique<Track>(id, MediaKind::kVideo, 90000);
    owned->source = &pub;
    owned->codec = rtp::Codec::kVp8;
    return table.AddTrack(std::move(owned));
  };
  Track* q = mk("v:q");
  Track* f = mk("v:f");
  auto owned = std::make_unique<Subscription>("L", &t1, f, 4444, -1, 90000);
  owned->layers = std::make_unique<SubscriptionLayers>(std::vector<Track*>{q, f}, 1, true);
  Subscription* s = table.AddSubscription(std::move(owned));
  CHECK(q->subscribers.size() == 1 && f->subscribers.size() == 1);
  CHECK(q->layer_meter.layered_readers == 1 && f->layer_meter.layered_readers == 1);

  Fanout fanout(nullptr);
  auto send = [&](Track* track, const std::vector<uint8_t>& p, bool key) {
    rtp::RtpPacketView v(p.data(), p.size());
    CHECK(v.Parse());
    fanout.Forward(track, v, key, 0);
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

}  // namespace webrtc_agent::native_test
