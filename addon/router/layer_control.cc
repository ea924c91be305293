#include "router/layer_control.h"

#include <algorithm>

#include "router/subscription.h"
#include "router/subscription_layers.h"
#include "router/track.h"
#include "transport/transport.h"

namespace webrtc_agent {
namespace router {

namespace {

// A layer whose packets stopped this long ago is not offered: the
// publisher dropped it (its own estimate fell, or a client stopped
// encoding it), and a subscriber sent there would see nothing.
constexpr uint64_t kLayerGoneMs = 2000;

// Until a layer's rate is measured (its first second), a guess by its rank
// keeps the allocator from taking an unknown layer for free.
uint64_t GuessBps(size_t index) {
  static const uint64_t kGuess[] = {150'000, 500'000, 1'200'000, 2'500'000};
  return kGuess[std::min<size_t>(index, 3)];
}

// The highest temporal layer seen on the track, from its measured rates
// (0: none, or no temporal layers).
size_t TopTemporal(const std::array<uint64_t, LayerMeter::kTemporal>& bps) {
  size_t top = 0;
  for (size_t k = 0; k < LayerMeter::kTemporal; ++k) {
    if (bps[k] > 0) top = k;
  }
  return top;
}
size_t TopTemporal(const LayerMeter& m) { return TopTemporal(m.temporal_bps); }

// An SVC track's offers: spatial layer s with temporal layers up to t costs
// every layer frame at or below both (the lower spatial layers go too).
void SvcOffers(const LayerMeter& m, int ceiling, std::vector<layers::AllocLayer>* out) {
  for (size_t s = 0; s < LayerMeter::kSpatial && static_cast<int>(s) <= ceiling; ++s) {
    const auto& row = m.svc_bps[s];
    uint64_t sum = 0;
    for (uint64_t b : row) sum += b;
    if (sum == 0) break;  // a layer not sent: none above it can be decoded
    uint64_t cumulative = 0;
    for (size_t k = 0; k <= TopTemporal(row); ++k) {
      cumulative += row[k];
      // Lower spatial layers at the same temporal layers: their share up to k.
      uint64_t lower = 0;
      for (size_t j = 0; j < s; ++j) {
        for (size_t q = 0; q <= k; ++q) lower += m.svc_bps[j][q];
      }
      out->push_back({static_cast<int>(s), static_cast<int>(k), lower + cumulative});
    }
  }
}

}  // namespace

bool LayerControl::Read(const Track& track) {
  for (const Subscription* s : track.subscribers) {
    if (!s->layers || s->layers->svc()) return true;
    const int idx = s->layers->IndexOf(&track);
    if (s->layers->selector.current_spatial() == idx || s->layers->selector.target_spatial() == idx) return true;
  }
  return std::any_of(track.exports.begin(), track.exports.end(), [](const TrackExport& e) { return e.read; });
}

uint64_t LayerControl::last_available(const transport::Transport* t) const {
  auto it = allocators_.find(t);
  return it == allocators_.end() ? 0 : it->second.available_bps;
}

uint64_t LayerControl::desired(const transport::Transport* t) const {
  auto it = allocators_.find(t);
  return it == allocators_.end() ? 0 : it->second.allocator.desired_bps();
}

bool LayerControl::EstimateFell() {
  for (auto& [t, pt] : allocators_) {
    if (pt.available_bps == 0) continue;
    const uint64_t now = estimate_ ? estimate_(const_cast<transport::Transport*>(t)) : 0;
    if (now != 0 && now < pt.available_bps - pt.available_bps / kFallDivisor) return true;
  }
  return false;
}

void LayerControl::Tick(uint64_t now_ms, const std::unordered_map<std::string, std::unique_ptr<Track>>& tracks,
                        const std::unordered_map<std::string, std::unique_ptr<Subscription>>& subscriptions,
                        std::vector<Event>* events, std::vector<Track*>* keyframe_asks) {
  if (now_ms - last_tick_ms_ < kTickMs && !EstimateFell()) return;
  last_tick_ms_ = now_ms;
  const bool sample = now_ms - last_sample_ms_ >= kSampleMs;
  if (sample) last_sample_ms_ = now_ms;

  for (auto& [id, track] : tracks) {
    LayerMeter& m = track->layer_meter;
    if (track->counters.packets != m.packets_seen) {
      m.packets_seen = track->counters.packets;
      m.last_packet_ms = now_ms;
    }
    if (sample && m.layered_readers > 0) {
      if (m.sample_ms != 0 && now_ms > m.sample_ms) {
        for (size_t k = 0; k < LayerMeter::kTemporal; ++k) {
          m.temporal_bps[k] = (m.temporal_bytes[k] - m.temporal_sampled[k]) * 8000 / (now_ms - m.sample_ms);
          for (size_t j = 0; m.svc && j < LayerMeter::kSpatial; ++j) {
            m.svc_bps[j][k] = (m.svc_bytes[j][k] - m.svc_sampled[j][k]) * 8000 / (now_ms - m.sample_ms);
          }
        }
      }
      m.temporal_sampled = m.temporal_bytes;
      m.svc_sampled = m.svc_bytes;
      m.sample_ms = now_ms;
    }
  }

  // The layered subscriptions by transport, and what else each transport
  // sends (audio, pinned video): taken off the top of its estimate.
  struct Group {
    std::vector<Subscription*> layered;
    uint64_t reserved_bps = 0;
  };
  std::unordered_map<transport::Transport*, Group> groups;
  for (auto& [id, sub] : subscriptions) {
    Subscription* s = sub.get();
    Group& g = groups[s->transport()];
    if (s->layers) {
      g.layered.push_back(s);
    } else if (!s->paused) {
      g.reserved_bps += s->counters.bitrate.bps();
    }
  }
  for (auto& [t, g] : groups) {
    if (!g.layered.empty()) Allocate(now_ms, t, g.layered, g.reserved_bps, events);
  }
  for (auto it = allocators_.begin(); it != allocators_.end();) {
    auto g = groups.find(const_cast<transport::Transport*>(it->first));
    it = (g == groups.end() || g->second.layered.empty()) ? allocators_.erase(it) : std::next(it);
  }

  // Pending switches: the target's key frame is asked for, once a second.
  for (auto& [t, g] : groups) {
    for (Subscription* s : g.layered) {
      SubscriptionLayers& L = *s->layers;
      if (!L.NeedsKeyframe() || !t->CanSend()) continue;
      // A new target is asked for at once (after a move down to h, the
      // estimate still falling, the move on to q waited a second for its
      // key frame behind h's ask); the same one again after
      // kKeyframeReaskMs (the publisher may have ignored the request: the
      // track's throttle lets an unanswered one go again by then).
      if (now_ms - L.keyframe_ask_ms < kKeyframeReaskMs && L.keyframe_ask_spatial == L.target_spatial) continue;
      Track* target = L.KeyframeTrack(L.target_spatial);
      if (target == nullptr) continue;
      L.keyframe_ask_ms = now_ms;
      L.keyframe_ask_spatial = L.target_spatial;
      L.counters.keyframe_asks++;
      keyframe_asks->push_back(target);
    }
  }

  // Simulcast layers nobody reads (dynacast).
  for (auto& [id, track] : tracks) {
    LayerMeter& m = track->layer_meter;
    if (m.rid.empty() || track->source == nullptr) continue;
    if (Read(*track)) {
      m.unread_since_ms = 0;
      if (m.idle_reported) {
        m.idle_reported = false;
        events->push_back({track->source->id(), "layer-active", track->id()});
      }
      continue;
    }
    if (m.unread_since_ms == 0) m.unread_since_ms = now_ms;
    if (!m.idle_reported && now_ms - m.unread_since_ms >= kIdleMs) {
      m.idle_reported = true;
      events->push_back({track->source->id(), "layer-idle", track->id()});
    }
  }
}

void LayerControl::Allocate(uint64_t now_ms, transport::Transport* t, const std::vector<Subscription*>& video,
                            uint64_t reserved_bps, std::vector<Event>* events) {
  PerTransport& pt = allocators_[t];
  const uint64_t estimate = estimate_ ? estimate_(t) : 0;
  pt.available_bps = estimate;
  const uint64_t available = estimate == 0 ? layers::Allocator::kUnlimited : estimate;

  requests_.clear();
  for (Subscription* s : video) {
    const SubscriptionLayers& L = *s->layers;
    layers::AllocRequest r;
    r.key = reinterpret_cast<uintptr_t>(s);
    r.priority = L.priority;
    r.adaptive = L.adaptive;
    r.pinned_bps = s->counters.bitrate.bps();
    r.max_bps = L.max_bps;
    r.max_spatial = std::min(L.ceiling, L.max_spatial);
    r.max_temporal = L.max_temporal;
    if (L.svc()) {
      const Track* tr = L.tracks().front();
      if (!tr->paused && tr->layer_meter.last_packet_ms != 0 && now_ms - tr->layer_meter.last_packet_ms < kLayerGoneMs) {
        SvcOffers(tr->layer_meter, L.ceiling, &r.layers);
      }
    }
    for (size_t i = 0; !L.svc() && i < L.tracks().size() && static_cast<int>(i) <= L.ceiling; ++i) {
      const Track* tr = L.tracks()[i];
      const LayerMeter& m = tr->layer_meter;
      if (tr->paused || m.last_packet_ms == 0 || now_ms - m.last_packet_ms >= kLayerGoneMs) continue;
      const uint64_t total = tr->counters.bitrate.bps() != 0 ? tr->counters.bitrate.bps() : GuessBps(i);
      const size_t top = TopTemporal(m);
      uint64_t sum = 0;
      for (size_t k = 0; k <= top; ++k) sum += m.temporal_bps[k];
      if (top == 0 || sum == 0) {
        r.layers.push_back({static_cast<int>(i), 0, total});
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t k = 0; k <= top; ++k) {
        cumulative += m.temporal_bps[k];
        r.layers.push_back({static_cast<int>(i), static_cast<int>(k), total * cumulative / sum});
      }
    }
    requests_.push_back(std::move(r));
  }
  pt.allocator.Allocate(now_ms, available, reserved_bps, requests_, &decisions_);

  for (size_t k = 0; k < video.size(); ++k) {
    Subscription* s = video[k];
    SubscriptionLayers& L = *s->layers;
    const layers::AllocDecision& d = decisions_[k];
    const int last = L.top_spatial();
    int spatial = d.spatial;
    int temporal = d.temporal;
    layers::AllocReason reason = d.reason;
    if (!L.adaptive) {
      spatial = std::min(L.ceiling, last);
      // Pinned: the temporal layer the subscription named (a layer stream), else all.
      temporal = std::min(L.max_temporal, layers::LayerSelector::kAllTemporal);
    } else if (d.reason == layers::AllocReason::kNoLayers) {
      // Nothing measured yet (or the publisher paused): keep the target, or
      // aim at the ceiling so that the first key frame on the way is taken.
      spatial = L.decided ? L.target_spatial : std::min(L.ceiling, last);
      temporal = L.decided ? L.target_temporal : layers::LayerSelector::kAllTemporal;
    } else if (spatial >= 0) {
      // The top temporal layer measured is "all of them": a layer not
      // measured yet (or rare) is not cut off by accident.
      const LayerMeter& m = L.tracks()[L.svc() ? 0 : static_cast<size_t>(spatial)]->layer_meter;
      const size_t top = !L.svc() ? TopTemporal(m)
                         : static_cast<size_t>(spatial) < LayerMeter::kSpatial ? TopTemporal(m.svc_bps[static_cast<size_t>(spatial)])
                                                                               : 0;
      if (static_cast<size_t>(temporal) >= top && L.max_temporal >= layers::LayerSelector::kAllTemporal) {
        temporal = layers::LayerSelector::kAllTemporal;
      }
    }
    L.SetTarget(spatial, temporal);
    const bool changed = !L.decided || spatial != L.target_spatial || temporal != L.target_temporal;
    if (changed && spatial < 0 && (!L.decided || L.target_spatial >= 0)) L.counters.bandwidth_pauses++;
    L.decided = true;
    L.target_spatial = spatial;
    L.target_temporal = temporal;
    L.reason = reason;
    if (changed) {
      events->push_back({t->id(), "layer-update",
                         s->id() + " " + std::to_string(spatial) + " " + std::to_string(temporal) + " " +
                             layers::AllocReasonName(reason)});
    }
  }
}

}  // namespace router
}  // namespace webrtc_agent
