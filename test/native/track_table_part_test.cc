// TrackTable (addon/router/track_table): ids, imports by link, and the
// removal cascade (a track takes its subscriptions with it).
#include <memory>

#include "check.h"
#include "router/track_table.h"
#include "router_fakes.h"

namespace webrtc_agent::native_test {

using router::MediaKind;
using router::Removed;
using router::Subscription;
using router::Track;
using router::TrackTable;

namespace {

std::unique_ptr<Track> MakeTrack(const char* id, transport::Transport* src) {
  auto t = std::make_unique<Track>(id, MediaKind::kVideo, 90000);
  t->source = src;
  return t;
}

}  // namespace

void TrackTableTests() {
  FakeTransport pub("pub");
  FakeTransport sub1("s1");
  FakeTransport sub2("s2");
  TrackTable table;
  Track* a = table.AddTrack(MakeTrack("a", &pub));
  CHECK(a != nullptr);
  CHECK(table.AddTrack(MakeTrack("a", &pub)) == nullptr);  // ids are unique
  Track* b = table.AddTrack(MakeTrack("b", &pub));
  CHECK(table.FindTrack("a") == a);
  CHECK(table.FindTrack("zz") == nullptr);
  CHECK(table.TracksFrom(&pub).size() == 2);

  Subscription* x = table.AddSubscription(std::make_unique<Subscription>("x", &sub1, a, 111, -1, 90000));
  Subscription* y = table.AddSubscription(std::make_unique<Subscription>("y", &sub2, a, 222, -1, 90000));
  CHECK(x != nullptr && y != nullptr);
  CHECK(table.AddSubscription(std::make_unique<Subscription>("x", &sub2, b, 333, -1, 90000)) == nullptr);
  CHECK(a->subscribers.size() == 2);
  CHECK(table.SubscriptionsOn(&sub1).size() == 1);

  table.MoveSubscription(y, b);  // a switch of source
  CHECK(a->subscribers.size() == 1);
  CHECK(b->subscribers.size() == 1 && b->subscribers[0] == y);
  CHECK(y->track() == b);

  Removed removed;
  table.RemoveTrack(a, &removed);  // cascade: x goes with it
  CHECK(removed.tracks.size() == 1 && removed.tracks[0] == "a");
  CHECK(removed.subscriptions.size() == 1 && removed.subscriptions[0] == "x");
  CHECK(table.FindSubscription("x") == nullptr);
  CHECK(table.FindSubscription("y") == y);
  CHECK(table.TracksFrom(&pub).size() == 1);

  table.RemoveSubscription(y);
  CHECK(b->subscribers.empty());
  CHECK(table.subscriptions().empty());

  // Imports: found by (peer number, link); a link is imported once.
  auto imp = std::make_unique<Track>("i", MediaKind::kAudio, 48000);
  imp->import_peer = "node-2";
  imp->import_peer_index = 3;
  imp->import_link = 7;
  Track* i = table.AddImport(std::move(imp));
  CHECK(i != nullptr);
  CHECK(table.FindImport(3, 7) == i);
  CHECK(table.FindImport(3, 8) == nullptr);
  CHECK(table.FindImport(7, 3) == nullptr);
  auto dup = std::make_unique<Track>("j", MediaKind::kAudio, 48000);
  dup->import_peer = "node-2";
  dup->import_peer_index = 3;
  dup->import_link = 7;
  CHECK(table.AddImport(std::move(dup)) == nullptr);
  CHECK(!table.HasTrack("j"));
  table.RemoveTrack(i, nullptr);
  CHECK(table.FindImport(3, 7) == nullptr);
  CHECK(!table.HasImport(3, 7));
}

}  // namespace webrtc_agent::native_test
