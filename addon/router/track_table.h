// TrackTable: the tracks and subscriptions of one node thread, by id, and
// the imported tracks by the ring link they arrive on. It keeps the links
// between them (a track's subscriber list, a transport's routing entries)
// consistent when something is added, moved or removed; it sends nothing.
//
// Removal cascade: removing a track removes its subscriptions first (they
// point at it), then unbinds it from its source transport and its link.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_TRACK_TABLE_H_
#define WEBRTC_AGENT_ADDON_ROUTER_TRACK_TABLE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "router/subscription.h"
#include "router/track.h"

namespace webrtc_agent {
namespace transport {
class Transport;
}
namespace router {

// What closing something took with it, reported back to the control plane.
struct Removed {
  std::vector<std::string> tracks;
  std::vector<std::string> subscriptions;
};

class TrackTable {
 public:
  TrackTable() = default;
  ~TrackTable();
  TrackTable(const TrackTable&) = delete;
  TrackTable& operator=(const TrackTable&) = delete;

  Track* FindTrack(const std::string& id) const;
  Subscription* FindSubscription(const std::string& id) const;
  bool HasTrack(const std::string& id) const { return tracks_.count(id) != 0; }

  // Takes the track; null (and the track dropped) if its id is taken.
  Track* AddTrack(std::unique_ptr<Track> track);
  // An imported track, found again by (peer_index, link) for every record
  // of its ring. Null if the id or the link is taken.
  Track* AddImport(std::unique_ptr<Track> track);
  Track* FindImport(uint32_t peer_index, uint32_t link) const {
    auto it = imports_.find(LinkKey(peer_index, link));
    return it == imports_.end() ? nullptr : it->second;
  }
  bool HasImport(uint32_t peer_index, uint32_t link) const { return imports_.count(LinkKey(peer_index, link)) != 0; }

  // Takes the subscription and adds it to its track's subscribers (every
  // layer track's, for a layered one) and its transport's routing. Null if
  // the id is taken.
  Subscription* AddSubscription(std::unique_ptr<Subscription> sub);
  // Moves a subscription to another track (a switch of source); a layered
  // one leaves its layers and becomes a subscription of that one track.
  void MoveSubscription(Subscription* sub, Track* to);
  // Makes a subscription a layered one on these layers (it leaves the
  // track or layers it had).
  void MoveSubscriptionToLayers(Subscription* sub, std::unique_ptr<SubscriptionLayers> layers);
  void RemoveSubscription(Subscription* sub);
  // Removes the track and its subscriptions; their ids go to `removed` (if any).
  void RemoveTrack(Track* track, Removed* removed);

  // The tracks published on `t` and the subscriptions sent on it.
  std::vector<Track*> TracksFrom(const transport::Transport* t) const;
  std::vector<Subscription*> SubscriptionsOn(const transport::Transport* t) const;

  // Subscriptions first: they point at tracks.
  void Clear();

  const std::unordered_map<std::string, std::unique_ptr<Track>>& tracks() const { return tracks_; }
  const std::unordered_map<std::string, std::unique_ptr<Subscription>>& subscriptions() const {
    return subscriptions_;
  }

 private:
  // Off (or onto) the subscriber lists of the track or layer tracks it reads.
  static void Detach(Subscription* sub);
  static void Attach(Subscription* sub);

  static uint64_t LinkKey(uint32_t peer_index, uint32_t link) {
    return (static_cast<uint64_t>(peer_index) << 32) | link;
  }

  std::unordered_map<std::string, std::unique_ptr<Track>> tracks_;
  std::unordered_map<std::string, std::unique_ptr<Subscription>> subscriptions_;
  std::unordered_map<uint64_t, Track*> imports_;
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_TRACK_TABLE_H_
