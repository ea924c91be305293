// Router: subscriptions to layered publications (simulcast, or SVC inside
// one track), their
// preferences, and the layer choice's turn of the RTCP timer. The parts
// doing the work are LayerControl (allocation per transport), the
// per-subscription SubscriptionLayers (selector, VP8 rewriter) and Fanout's
// layer hook; this file is the glue to the router's tables and I/O.
#include <algorithm>
#include <climits>

#include "router/peer_links.h"
#include "router/router.h"
#include "transport/webrtc_transport.h"

namespace webrtc_agent {
namespace router {

namespace {
constexpr size_t kMaxLayers = 4;
}  // namespace

Status Router::SubscribeLayers(const std::string& transport_id, const std::vector<std::string>& track_ids,
                               const std::string& subscription_id, int ceiling, bool adaptive, uint32_t out_ssrc,
                               int out_payload_type, uint32_t* chosen_ssrc) {
  auto tit = transports_.find(transport_id);
  if (tit == transports_.end()) return Status::NotFound("no such transport: " + transport_id);
  transport::Transport* t = tit->second.get();
  if (track_ids.empty() || track_ids.size() > kMaxLayers) return Status::Invalid("layers: 1 to 4 layer tracks");
  std::vector<Track*> tracks;
  for (const std::string& id : track_ids) {
    Track* track = table_.FindTrack(id);
    if (track == nullptr) return Status::NotFound("no such track: " + id);
    if (track->kind() != MediaKind::kVideo) return Status::Invalid("layers: not a video track: " + id);
    if (std::find(tracks.begin(), tracks.end(), track) != tracks.end()) return Status::Invalid("layers: listed twice: " + id);
    if (!tracks.empty() && track->clock_rate() != tracks.front()->clock_rate()) {
      return Status::Invalid("layers: clock rates differ: " + id);
    }
    tracks.push_back(track);
  }
  // One track: its layers are inside (SVC), the ceiling a spatial layer id.
  const int top = tracks.size() == 1 ? layers::Vp9Selector::kAllSpatial : static_cast<int>(tracks.size()) - 1;
  if (ceiling < 0 || ceiling > top) return Status::Invalid("ceiling: not a layer index");
  auto layers = std::make_unique<SubscriptionLayers>(tracks, ceiling, adaptive);

  if (Subscription* s = table_.FindSubscription(subscription_id)) {
    // A switch onto the layers: one continuous stream, from the first key
    // frame the selector takes.
    if (s->transport() != t) return Status::Conflict("subscriptionId: exists on another transport");
    if (s->track()->kind() != MediaKind::kVideo) return Status::Invalid("subscriptionId: not a video subscription");
    if (s->layers) {
      // Already layered: the controller's preferences stay.
      layers->max_spatial = s->layers->max_spatial;
      layers->max_temporal = s->layers->max_temporal;
      layers->priority = s->layers->priority;
      layers->max_bps = s->layers->max_bps;
    }
    table_.MoveSubscriptionToLayers(s, std::move(layers));
    if (s->retransmitter) s->retransmitter->OnSwitch();
    // The old source stops at once (the subscription left it); the
    // subscriber holds its last picture until the selector takes a key
    // frame on a layer at or below the target.
    AwaitKeyframe(s);
    *chosen_ssrc = s->out_ssrc();
    return Status::Ok();
  }

  if (out_ssrc == 0) {
    do out_ssrc = NextRandom(); while (out_ssrc == 0);
  }
  Track* first = tracks[tracks.size() == 1 ? 0 : static_cast<size_t>(ceiling)];
  auto s = std::make_unique<Subscription>(subscription_id, t, first, out_ssrc, out_payload_type, first->clock_rate());
  if (t->KeepsSentPackets()) {
    s->send_buffer = std::make_unique<SendBuffer>(&send_buffer_spares_);
    s->retransmitter = std::make_unique<rtp::Retransmitter>();
  }
  s->layers = std::move(layers);
  EnsureRtcpTimer();
  table_.AddSubscription(std::move(s));
  *chosen_ssrc = out_ssrc;
  // Key frames are asked for by LayerControl once the first allocation has
  // set a target and the transport can send.
  return Status::Ok();
}

Status Router::SetLayerPreferences(const std::string& subscription_id, int max_spatial, int max_temporal,
                                   int priority, uint64_t max_bps) {
  Subscription* s = table_.FindSubscription(subscription_id);
  if (s == nullptr) return Status::NotFound("no such subscription: " + subscription_id);
  if (!s->layers) {
    return Status::Invalid("subscriptionId: not a subscription to a layered publication (subscribe to <transportId>-<mid>)");
  }
  SubscriptionLayers& L = *s->layers;
  L.max_spatial = max_spatial < 0 ? INT_MAX : max_spatial;
  L.max_temporal = max_temporal < 0 ? INT_MAX : max_temporal;
  L.priority = priority;
  L.max_bps = max_bps;
  return Status::Ok();
}

void Router::LayerTick(uint64_t now_ms) {
  layer_events_.clear();
  layer_keyframe_asks_.clear();
  layer_control_.Tick(now_ms, table_.tracks(), table_.subscriptions(), &layer_events_, &layer_keyframe_asks_);
  for (Track* track : layer_keyframe_asks_) AskUpstream(track);
  // Stand-ins tell their home thread whether anything here reads them, so
  // a simulcast layer read on no thread is reported unread there
  // (dynacast across threads). On change only; a record the full ring
  // refused is sent again next tick.
  for (auto& [id, track] : table_.tracks()) {
    Track* t = track.get();
    if (t->import_peer.empty()) continue;
    const bool read = LayerControl::Read(*t);
    if (read != t->import_read && peers_->SendReaders(t->import_peer_index, t->import_link, read)) t->import_read = read;
  }
  // The estimator probes no higher than what the layered subscriptions
  // would take (0: nothing layered there, back to its own ceiling).
  for (auto& [id, t] : transports_) {
    if (transport::WebRtcTransport* w = t->AsWebRtc()) w->SetDesiredBitrateBps(layer_control_.desired(t.get()));
  }
  // Re-sends towards each subscriber: a share of its estimate.
  repair_budget_.Tick(now_ms, table_.subscriptions());
  if (!webrtc_) return;
  // The node thread tells the controller (through the WebRTC port's event
  // queue, like "media-update"); events of other transports are dropped.
  for (const LayerControl::Event& e : layer_events_) {
    auto it = transports_.find(e.transport_id);
    if (it != transports_.end() && it->second->AsWebRtc() != nullptr) webrtc_->Emit(e.transport_id, e.type, e.detail);
  }
}

}  // namespace router
}  // namespace webrtc_agent
