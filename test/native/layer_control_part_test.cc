// LayerControl (addon/router/layer_control.*) on a fake clock: a layered
// subscription to a 3-layer simulcast publication on a transport whose
// send-side estimate the test sets. When the estimate falls by a quarter
// or more the allocation runs at once (not at the next 200 ms tick), and
// a switch's key frame is asked for on the new target at once, even when
// one was asked for on another target less than a second before (after a
// move down to h, the estimate still falling, the move on to q waited a
// second for its key frame: seen behind tc tbf with Chromium).
#include <memory>
#include <vector>

#include "check.h"
#include "router/layer_control.h"
#include "router/subscription.h"
#include "router/subscription_layers.h"
#include "router/track_table.h"
#include "router_fakes.h"

namespace webrtc_agent::native_test {

using router::LayerControl;
using router::MediaKind;
using router::Subscription;
using router::SubscriptionLayers;
using router::Track;
using router::TrackTable;

void LayerControlTests() {
  FakeTransport pub("pub");
  FakeTransport t1("t1");
  t1.estimate_bps = 3'000'000;
  TrackTable table;
  auto mk = [&](const char* id) {
    auto owned = std::make_unique<Track>(id, MediaKind::kVideo, 90000);
    owned->source = &pub;
    owned->codec = rtp::Codec::kVp8;
    return table.AddTrack(std::move(owned));
  };
  Track* q = mk("v:q");
  Track* h = mk("v:h");
  Track* f = mk("v:f");
  auto owned = std::make_unique<Subscription>("L", &t1, f, 4444, -1, 90000);
  owned->layers = std::make_unique<SubscriptionLayers>(std::vector<Track*>{q, h, f}, 2, true);
  Subscription* s = table.AddSubscription(std::move(owned));
  SubscriptionLayers& L = *s->layers;

  LayerControl control([](transport::Transport* t) { return t->AvailableBitrateBps(); });
  std::vector<LayerControl::Event> events;
  std::vector<Track*> asks;
  // Every layer is being received (its rate unmeasured: guessed by rank,
  // 150k / 500k / 1.2M).
  auto tick = [&](uint64_t now) {
    for (Track* t : {q, h, f}) t->counters.packets++;
    events.clear();
    asks.clear();
    control.Tick(now, table.tracks(), table.subscriptions(), &events, &asks);
  };
  auto key = [&](int layer) {
    bool sw = false;
    L.selector.OnPacket(layers::LayerPacket{layer, 0, true, true}, &sw);
    CHECK(sw);
  };

  tick(1000);
  CHECK(L.target_spatial == 2 && events.size() == 1);
  CHECK(asks.size() == 1 && asks[0] == f);
  key(2);
  tick(1200);
  CHECK(asks.empty() && L.current_spatial() == 2);

  // Between ticks (20 ms after the last), nothing runs...
  t1.estimate_bps = 2'500'000;
  tick(1220);
  CHECK(events.empty());
  // ...unless the estimate fell by a quarter or more: then at once.
  t1.estimate_bps = 1'000'000;
  tick(1240);
  CHECK(events.size() == 1 && L.target_spatial == 1);
  CHECK(asks.size() == 1 && asks[0] == h);  // h's key frame, asked at once
  // Still falling, 20 ms later: the move on to q, and q's key frame asked
  // for at once, though h's was asked for 20 ms ago.
  t1.estimate_bps = 400'000;
  tick(1260);
  CHECK(events.size() == 1 && L.target_spatial == 0);
  CHECK(asks.size() == 1 && asks[0] == q);
  CHECK(L.counters.keyframe_asks == 3);
  // The same target again after 400 ms (the publisher may have ignored
  // it; the track's throttle lets an unanswered request go again).
  tick(1460);
  CHECK(asks.empty());
  tick(1660);
  CHECK(asks.size() == 1 && asks[0] == q);
  key(0);
  tick(2460);
  CHECK(asks.empty() && L.current_spatial() == 0);
  // A rise, however large, waits for the tick.
  t1.estimate_bps = 3'000'000;
  tick(2480);
  CHECK(events.empty());
}

}  // namespace webrtc_agent::native_test
