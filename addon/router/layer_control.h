// LayerControl: the layer choice of one node thread, run from the router's
// RTCP timer. Every tick it
//   (and at once, between ticks, when an estimate fell by a quarter or more)
//   - samples the layer tracks' rates (per temporal layer, from LayerMeter),
//   - groups the layered video subscriptions by transport and runs that
//     transport's Allocator over them with the transport's available
//     bitrate (from the send-side estimate, when there is one; else
//     unlimited), audio and pinned video taken off the top,
//   - sets each subscription's selector target and reports the changes
//     ("layer-update" events),
//   - asks for key frames on the targets of pending switches (at once,
//     then every kKeyframeReaskMs; the track's own throttle merges them),
//   - reports simulcast layers no subscriber has read for kIdleMs
//     ("layer-idle"), and again when one reads them ("layer-active").
// No sockets: the caller emits the events and sends the key-frame requests.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_LAYER_CONTROL_H_
#define WEBRTC_AGENT_ADDON_ROUTER_LAYER_CONTROL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "layers/allocator.h"

namespace webrtc_agent {
namespace transport {
class Transport;
}
namespace router {

class Subscription;
class Track;

class LayerControl {
 public:
  static constexpr uint64_t kTickMs = 200;
  static constexpr uint64_t kIdleMs = 3000;
  static constexpr uint64_t kSampleMs = 1000;
  // An estimate a quarter (1/kFallDivisor) or more below the one its
  // allocator last used is acted on at once, not at the next kTickMs: a
  // link that fell that far fills its queue with every millisecond.
  static constexpr uint64_t kFallDivisor = 4;
  // A pending switch's key frame is asked for again this often.
  static constexpr uint64_t kKeyframeReaskMs = 400;

  struct Event {
    std::string transport_id;
    const char* type;
    std::string detail;
  };

  // The available bitrate towards a transport's subscriber, bits/s;
  // 0: no estimate (the allocator then takes it as unlimited).
  using EstimateFn = std::function<uint64_t(transport::Transport*)>;

  explicit LayerControl(EstimateFn estimate) : estimate_(std::move(estimate)) {}

  // From the RTCP timer; does its work every kTickMs.
  void Tick(uint64_t now_ms, const std::unordered_map<std::string, std::unique_ptr<Track>>& tracks,
            const std::unordered_map<std::string, std::unique_ptr<Subscription>>& subscriptions,
            std::vector<Event>* events, std::vector<Track*>* keyframe_asks);

  // Whether the track is read: by a subscription of it alone (an SVC one
  // included), a layered one on it or on its way to it, or an export to
  // another thread whose stand-in is read there (it tells: kReaders).
  static bool Read(const Track& track);

  // A transport went: its allocator's history goes too.
  void Forget(const transport::Transport* t) { allocators_.erase(t); }

  // For getStats: the estimate the transport's allocator last used (0: none
  // yet or unlimited) and what it would want.
  uint64_t last_available(const transport::Transport* t) const;
  uint64_t desired(const transport::Transport* t) const;

 private:
  struct PerTransport {
    layers::Allocator allocator;
    uint64_t available_bps = 0;
  };
  // An estimate fell far since its allocator last ran.
  bool EstimateFell();
  void Allocate(uint64_t now_ms, transport::Transport* t, const std::vector<Subscription*>& video,
                uint64_t reserved_bps, std::vector<Event>* events);

  EstimateFn estimate_;
  uint64_t last_tick_ms_ = 0;
  uint64_t last_sample_ms_ = 0;
  std::unordered_map<const transport::Transport*, PerTransport> allocators_;
  // Reused every tick.
  std::vector<layers::AllocRequest> requests_;
  std::vector<layers::AllocDecision> decisions_;
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_LAYER_CONTROL_H_
