// LayerControl's reading of a simulcast layer (dynacast): a layer exported
// to another node thread is read only while that thread says its stand-in
// is read (TrackExport::read, set from the link's kReaders records); with
// no reader anywhere for 3 s it is reported "layer-idle", and
// "layer-active" once read again.
//
// LayerControlSwitchTests, on a fake clock: a layered
// subscription to a 3-layer simulcast publication on a transport whose
// send-side estimate the test sets. When the estimate falls by a quarter
// or more the allocation runs at once (not at the next 200 ms tick), and
// a switch's key frame is asked for on the new target at once, even when
// one was asked for on another target less than a second before (after a
// move down to h, the estimate still falling, the move on to q waited a
// second for its key frame: seen behind tc tbf with Chromium).
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "check.h"
#include "router/layer_control.h"
#include "router/subscription.h"
#include "router/subscription_layers.h"
#include "router/track.h"
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
  std::unordered_map<std::string, std::unique_ptr<Track>> tracks;
  std::unordered_map<std::string, std::unique_ptr<Subscription>> subs;
  auto owned = std::make_unique<Track>("p-1:f", MediaKind::kVideo, 90000);
  Track* f = owned.get();
  tracks.emplace(f->id(), std::move(owned));
  f->source = &pub;
  f->layer_meter.rid = "f";
  f->exports.push_back({"other", 0, 7});

  LayerControl lc(nullptr);
  std::vector<LayerControl::Event> events;
  std::vector<Track*> asks;
  auto tick = [&](uint64_t now) {
    events.clear();
    lc.Tick(now, tracks, subs, &events, &asks);
  };
  auto has = [&](const char* type) {
    for (const auto& e : events) {
      if (std::string(e.type) == type && e.detail == "p-1:f" && e.transport_id == "pub") return true;
    }
    return false;
  };

  // Exported, and read over there: read.
  CHECK(LayerControl::Read(*f));
  for (uint64_t now = 1000; now <= 6000; now += 200) {
    tick(now);
    CHECK(!has("layer-idle"));
  }
  // The other thread's stand-in lost its readers: unread here too, idle
  // after 3 s.
  f->exports[0].read = false;
  CHECK(!LayerControl::Read(*f));
  uint64_t idle_at = 0;
  for (uint64_t now = 6200; now <= 10000 && idle_at == 0; now += 200) {
    tick(now);
    if (has("layer-idle")) idle_at = now;
  }
  CHECK_EQ(idle_at, 9200u);
  // Read there again: active at the next tick.
  f->exports[0].read = true;
  tick(10200);
  CHECK(has("layer-active"));
  // Two exports: one read is enough.
  f->exports.push_back({"third", 1, 8});
  f->exports[0].read = false;
  CHECK(LayerControl::Read(*f));
  f->exports[1].read = false;
  CHECK(!LayerControl::Read(*f));
  // A subscriber of the track alone here reads it.
  Subscription alone("s", &pub, f, 1234, 96, 90000);
  f->subscribers.push_back(&alone);
  CHECK(LayerControl::Read(*f));
  f->subscribers.clear();
}

void LayerControlSwitchTests() {
  FakeTransport pub("pub");
  FakeTransport t1("t1");
  t1.estimate_bps = 3'000'000;
  TrackTable table;
  Track* q = AddVp8Track(table, &pub, "v:q");
  Track* h = AddVp8Track(table, &pub, "v:h");
  Track* f = AddVp8Track(table, &pub, "v:f");
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
