#include "router/track_table.h"

#include <algorithm>

#include "transport/transport.h"

namespace webrtc_agent {
namespace router {

TrackTable::~TrackTable() { Clear(); }

void TrackTable::Clear() {
  subscriptions_.clear();
  imports_.clear();
  tracks_.clear();
}

Track* TrackTable::FindTrack(const std::string& id) const {
  auto it = tracks_.find(id);
  return it == tracks_.end() ? nullptr : it->second.get();
}

Subscription* TrackTable::FindSubscription(const std::string& id) const {
  auto it = subscriptions_.find(id);
  return it == subscriptions_.end() ? nullptr : it->second.get();
}

Track* TrackTable::AddTrack(std::unique_ptr<Track> track) {
  const std::string& id = track->id();
  if (tracks_.count(id)) return nullptr;
  Track* t = track.get();
  tracks_.emplace(id, std::move(track));
  return t;
}

Track* TrackTable::AddImport(std::unique_ptr<Track> track) {
  const uint64_t key = LinkKey(track->import_peer_index, track->import_link);
  if (tracks_.count(track->id()) || imports_.count(key)) return nullptr;
  Track* t = AddTrack(std::move(track));
  imports_[key] = t;
  return t;
}

void TrackTable::Detach(Subscription* sub) {
  auto leave = [sub](Track* t) {
    auto& subs = t->subscribers;
    subs.erase(std::remove(subs.begin(), subs.end(), sub), subs.end());
  };
  if (!sub->layers) {
    leave(sub->track());
    return;
  }
  for (Track* t : sub->layers->tracks()) {
    leave(t);
    t->layer_meter.layered_readers--;
  }
}

void TrackTable::Attach(Subscription* sub) {
  if (!sub->layers) {
    sub->track()->subscribers.push_back(sub);
    return;
  }
  for (Track* t : sub->layers->tracks()) {
    t->subscribers.push_back(sub);
    t->layer_meter.layered_readers++;
  }
}

Subscription* TrackTable::AddSubscription(std::unique_ptr<Subscription> sub) {
  if (subscriptions_.count(sub->id())) return nullptr;
  Subscription* s = sub.get();
  s->transport()->AddSubscription(s->out_ssrc(), s);
  Attach(s);
  subscriptions_.emplace(s->id(), std::move(sub));
  return s;
}

void TrackTable::MoveSubscription(Subscription* sub, Track* to) {
  Detach(sub);
  sub->layers.reset();
  sub->set_track(to);
  Attach(sub);
}

void TrackTable::MoveSubscriptionToLayers(Subscription* sub, std::unique_ptr<SubscriptionLayers> layers) {
  Detach(sub);
  sub->layers = std::move(layers);
  Attach(sub);
}

void TrackTable::RemoveSubscription(Subscription* sub) {
  Detach(sub);
  sub->transport()->RemoveSubscription(sub->out_ssrc());
  const std::string id = sub->id();  // a copy: erase destroys the subscription
  subscriptions_.erase(id);
}

void TrackTable::RemoveTrack(Track* track, Removed* removed) {
  for (Subscription* s : std::vector<Subscription*>(track->subscribers)) {
    if (removed) removed->subscriptions.push_back(s->id());
    RemoveSubscription(s);
  }
  if (track->source != nullptr) track->source->UnbindTrack(track);
  if (!track->import_peer.empty()) imports_.erase(LinkKey(track->import_peer_index, track->import_link));
  if (removed) removed->tracks.push_back(track->id());
  const std::string id = track->id();  // a copy: erase destroys the track
  tracks_.erase(id);
}

std::vector<Track*> TrackTable::TracksFrom(const transport::Transport* t) const {
  std::vector<Track*> out;
  for (const auto& [id, track] : tracks_) {
    if (track->source == t) out.push_back(track.get());
  }
  return out;
}

std::vector<Subscription*> TrackTable::SubscriptionsOn(const transport::Transport* t) const {
  std::vector<Subscription*> out;
  for (const auto& [id, s] : subscriptions_) {
    if (s->transport() == t) out.push_back(s.get());
  }
  return out;
}

}  // namespace router
}  // namespace webrtc_agent
