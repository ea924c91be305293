// LayerControl's reading of a simulcast layer (dynacast): a layer exported
// to another node thread is read only while that thread says its stand-in
// is read (TrackExport::read, set from the link's kReaders records); with
// no reader anywhere for 3 s it is reported "layer-idle", and
// "layer-active" once read again.
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "check.h"
#include "router/layer_control.h"
#include "router/subscription.h"
#include "router/track.h"
#include "router_fakes.h"

namespace webrtc_agent::native_test {

using router::LayerControl;
using router::MediaKind;
using router::Subscription;
using router::Track;

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

}  // namespace webrtc_agent::native_test
