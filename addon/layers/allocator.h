// Allocator: spreads one WebRTC transport's available bitrate (the send-side
// estimate towards its subscriber) over the transport's video
// subscriptions. Audio is served first (its rate is taken off the top);
// then, by priority, every adaptive video subscription gets its lowest
// layer; then one step up each, by priority, round after round, while the
// steps fit. A subscription whose lowest layer does not fit is paused.
//
// Against oscillation: a step above what a subscription had before must fit
// with a margin (the layer's rate times upgrade_margin), and for
// upgrade_hold_ms after a subscription was moved down (or paused) it is not
// moved up (or resumed) again. For recovery_ms after a move down, the way
// back up goes one rung at a time, step_ms apart (each step's real load
// shows in the delay trend before the next; a probe's estimate can be wrong
// on a link with a token bucket). A step up that is undone within
// failed_upgrade_ms doubles the hold (up to max_hold_ms); a step up that
// holds for failed_upgrade_ms puts it back to upgrade_hold_ms (the link
// carried it), so a hold doubled by flapping at the start does not
// outlive the climb that follows. Moving down happens at once.
//
// A large drop (the estimate below drop_ratio of what the transport was
// allocated) means the link's queue is filling with every millisecond the
// old rate goes on; for drain_ms from it the choice is made against
// drain_share of the estimate, so that the first move down goes straight
// to a layer that leaves room to drain the queue (one move, one key frame)
// rather than to one that just fits and a second move a moment later.
//
// Pure logic: the caller measures the layers' rates and the clock, and
// calls Allocate when the estimate or the subscriptions change (or
// periodically); the decisions say which (spatial, temporal) layer each
// subscription should have and why.
#ifndef WEBRTC_AGENT_ADDON_LAYERS_ALLOCATOR_H_
#define WEBRTC_AGENT_ADDON_LAYERS_ALLOCATOR_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <unordered_map>
#include <vector>

namespace webrtc_agent::layers {

// One layer a publication offers now, with the rate a subscriber costs on
// it (its spatial layer's stream up to and including that temporal layer).
struct AllocLayer {
  int spatial = 0;
  int temporal = 0;
  uint64_t bps = 0;
};

struct AllocRequest {
  uint64_t key = 0;       // the caller's handle for the subscription
  int priority = 0;       // higher is served first
  bool adaptive = true;   // enableBWE; false: pinned, costs pinned_bps
  uint64_t pinned_bps = 0;
  uint64_t max_bps = 0;   // a cap (setVideoBitrate); 0: none
  int max_spatial = std::numeric_limits<int>::max();   // ceilings (preferences)
  int max_temporal = std::numeric_limits<int>::max();
  std::vector<AllocLayer> layers;  // the layers on offer (any order)
};

enum class AllocReason : uint8_t {
  kOptimal,     // the highest layer on offer
  kBandwidth,   // a higher layer does not fit (or, paused: not even the lowest)
  kHold,        // a higher layer would fit, but a recent move down holds it
  kPreference,  // limited by the subscription's maximum spatial/temporal layer
  kCap,         // limited by its bitrate cap
  kPinned,      // enableBWE false: not allocated
  kNoLayers,    // nothing on offer (no layer is being received)
};

const char* AllocReasonName(AllocReason r);

struct AllocDecision {
  uint64_t key = 0;
  int spatial = -1;  // -1: paused (or nothing on offer)
  int temporal = -1;
  uint64_t bps = 0;  // the chosen layer's rate
  AllocReason reason = AllocReason::kOptimal;
};

class Allocator {
 public:
  static constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

  struct Options {
    uint64_t upgrade_hold_ms = 4000;
    double upgrade_margin = 1.15;
    uint64_t recovery_ms = 30000;
    uint64_t step_ms = 1500;
    uint64_t failed_upgrade_ms = 3000;
    uint64_t max_hold_ms = 32000;
    double drop_ratio = 0.75;
    double drain_share = 0.6;
    uint64_t drain_ms = 1000;
  };

  Allocator() = default;
  explicit Allocator(Options o) : options_(o) {}

  // available_bps: kUnlimited when there is no estimate. Decisions come in
  // the order of `requests`.
  void Allocate(uint64_t now_ms, uint64_t available_bps, uint64_t audio_bps,
                const std::vector<AllocRequest>& requests, std::vector<AllocDecision>* out);

  // A subscription is gone: its history goes too.
  void Forget(uint64_t key) { state_.erase(key); }

  // What the estimate must reach for every adaptive subscription to be on
  // its top layer if nothing limited them but their ceilings and caps (the
  // top layers' rates with the upgrade margin, plus audio and the pinned
  // ones): how far the estimator could usefully probe.
  uint64_t desired_bps() const { return desired_bps_; }
  // The hold a move down of `key` would start now (0: not known).
  uint64_t hold_ms(uint64_t key) const {
    auto it = state_.find(key);
    return it == state_.end() ? 0 : it->second.hold_ms;
  }
  // Large drops seen (the choice made against drain_share of the estimate).
  uint64_t drains() const { return drains_; }
  size_t tracked() const { return state_.size(); }

 private:
  struct State {
    int spatial = -1;  // the last decision (-1: paused / none yet)
    int temporal = -1;
    bool decided = false;
    uint64_t moved_down_ms = 0;
    bool ever_moved_down = false;
    uint64_t moved_up_ms = 0;
    bool ever_moved_up = false;
    uint64_t hold_ms = 0;  // the current hold after a move down (0: not set yet)
    uint64_t failed_upgrades = 0;
    bool up_judged = true;  // the last move up was found to hold (or undone)
  };

  Options options_;
  std::unordered_map<uint64_t, State> state_;
  uint64_t desired_bps_ = 0;
  uint64_t allocated_bps_ = 0;  // the last call's audio, pinned and chosen rates
  uint64_t drain_until_ms_ = 0;
  bool draining_ = false;
  uint64_t drains_ = 0;
};

}  // namespace webrtc_agent::layers

#endif  // WEBRTC_AGENT_ADDON_LAYERS_ALLOCATOR_H_
