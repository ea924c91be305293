#include "layers/allocator.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

namespace webrtc_agent::layers {

const char* AllocReasonName(AllocReason r) {
  switch (r) {
    case AllocReason::kOptimal: return "optimal";
    case AllocReason::kBandwidth: return "bandwidth";
    case AllocReason::kHold: return "hold";
    case AllocReason::kPreference: return "preference";
    case AllocReason::kCap: return "cap";
    case AllocReason::kPinned: return "pinned";
    case AllocReason::kNoLayers: return "no-layers";
  }
  return "unknown";
}

namespace {

bool Before(int s1, int t1, int s2, int t2) { return s1 < s2 || (s1 == s2 && t1 < t2); }

uint64_t SatSub(uint64_t a, uint64_t b) {
  if (a == Allocator::kUnlimited) return a;
  return a > b ? a - b : 0;
}

uint64_t SatAdd(uint64_t a, uint64_t b) {
  return a > Allocator::kUnlimited - b ? Allocator::kUnlimited : a + b;
}

// One adaptive subscription while it is being allocated.
struct Work {
  std::vector<AllocLayer> ladder;  // ascending: each rung costs more than the one below
  int prev = -1;     // the rung it had (the highest at or below its last layer); -1: none
  int chosen = -1;
  bool hold = false;  // may not go above `prev`
  bool one_step = false;  // may go at most one rung above `prev`
  bool by_preference = false;  // rungs above the ladder's top were cut by a ceiling
  bool by_cap = false;         // ... or by the cap
};

}  // namespace

void Allocator::Allocate(uint64_t now_ms, uint64_t available_bps, uint64_t audio_bps,
                         const std::vector<AllocRequest>& requests, std::vector<AllocDecision>* out) {
  out->assign(requests.size(), AllocDecision{});
  // A large drop: choose against a share of the estimate for a moment.
  if (available_bps != kUnlimited && allocated_bps_ > 0 &&
      static_cast<double>(available_bps) < options_.drop_ratio * static_cast<double>(allocated_bps_)) {
    if (!draining_ || now_ms >= drain_until_ms_) drains_++;
    draining_ = true;
    drain_until_ms_ = now_ms + options_.drain_ms;
  }
  if (draining_ && now_ms >= drain_until_ms_) draining_ = false;
  // While draining, a rung must leave `cut` of the budget unused (see fits).
  const uint64_t cut = draining_ && available_bps != kUnlimited
                           ? available_bps - static_cast<uint64_t>(static_cast<double>(available_bps) * options_.drain_share)
                           : 0;
  uint64_t budget = SatSub(available_bps, audio_bps);
  uint64_t allocated = audio_bps;
  uint64_t desired = audio_bps;
  std::vector<Work> work(requests.size());
  std::vector<size_t> order;
  std::unordered_set<uint64_t> seen;

  for (size_t i = 0; i < requests.size(); ++i) {
    const AllocRequest& r = requests[i];
    seen.insert(r.key);
    (*out)[i].key = r.key;
    if (!r.adaptive) {
      budget = SatSub(budget, r.pinned_bps);
      desired = SatAdd(desired, r.pinned_bps);
      allocated = SatAdd(allocated, r.pinned_bps);
      continue;
    }
    Work& w = work[i];
    std::vector<AllocLayer> all = r.layers;
    std::sort(all.begin(), all.end(), [](const AllocLayer& a, const AllocLayer& b) {
      return Before(a.spatial, a.temporal, b.spatial, b.temporal);
    });
    // Temporal steps only on the lowest spatial layer: a higher resolution
    // at a fraction of its frame rate looks worse than the resolution below
    // it at the full rate (a 1280x720 picture at 5 frames/s against
    // 640x360 at 20 for the same bits), so above the lowest spatial layer
    // a rung is a whole spatial layer (its top temporal layer within the
    // subscription's temporal ceiling). Below the lowest spatial layer's
    // full rate, dropping its temporal layers is what is left before
    // pausing.
    int lowest = -1;
    std::unordered_map<int, int> top_temporal;
    for (const AllocLayer& l : all) {
      if (l.spatial > r.max_spatial || l.temporal > r.max_temporal) continue;
      if (lowest < 0) lowest = l.spatial;
      int& top = top_temporal.emplace(l.spatial, l.temporal).first->second;
      top = std::max(top, l.temporal);
    }
    for (const AllocLayer& l : all) {
      if (l.spatial != lowest && l.spatial <= r.max_spatial && l.temporal < top_temporal[l.spatial]) continue;
      if (l.spatial > r.max_spatial || l.temporal > r.max_temporal) {
        w.by_preference = true;
        continue;
      }
      if (r.max_bps != 0 && l.bps > r.max_bps) {
        // Under a cap below even the lowest layer, the lowest is sent:
        // a cap limits quality, pausing is the allocator's call.
        if (w.ladder.empty()) w.ladder.push_back(l);
        w.by_cap = true;
        continue;
      }
      w.ladder.push_back(l);
      w.by_preference = false;
      w.by_cap = false;
    }
    // A rung that costs as much as one above it is never worth taking.
    for (size_t k = w.ladder.size(); k-- > 1;) {
      if (w.ladder[k - 1].bps >= w.ladder[k].bps) w.ladder.erase(w.ladder.begin() + static_cast<long>(k - 1));
    }
    if (w.ladder.empty()) continue;
    // The top rung with the margin an upgrade to it needs: the estimator
    // probes up to this, and a probe that stopped at the top layer's bare
    // rate would never let the subscription back onto it.
    desired = SatAdd(desired, static_cast<uint64_t>(std::ceil(static_cast<double>(w.ladder.back().bps) * options_.upgrade_margin)));
    auto it = state_.find(r.key);
    if (it != state_.end() && it->second.decided) {
      const State& st = it->second;
      if (st.spatial >= 0) {
        for (size_t k = 0; k < w.ladder.size(); ++k) {
          if (!Before(st.spatial, st.temporal, w.ladder[k].spatial, w.ladder[k].temporal)) w.prev = static_cast<int>(k);
        }
        if (w.prev < 0) w.prev = 0;  // it had less than anything on offer now
      }
      // After a move down, the way back up is taken a step at a time, each
      // given step_ms to show whether it fits: an estimate raised by a
      // probe can be wrong (a token bucket with room passes a short burst
      // at any rate), and the delay trend needs a moment of the real load
      // to say so.
      const bool recovering = st.ever_moved_down && now_ms - st.moved_down_ms < options_.recovery_ms;
      w.one_step = recovering;
      w.hold = (st.ever_moved_down && now_ms - st.moved_down_ms < st.hold_ms) ||
               (recovering && st.ever_moved_up && now_ms - st.moved_up_ms < options_.step_ms);
    }
    order.push_back(i);
  }
  desired_bps_ = desired;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return requests[a].priority > requests[b].priority; });

  auto allowed = [&](const Work& w, int rung) {
    return !(w.hold && rung > w.prev) && !(w.one_step && rung > w.prev + 1);
  };
  // What a drain holds back is not held back from the lowest spatial
  // layer's own rungs: the drain is against a first move to a layer too
  // large, and taking 320x180's temporal layers away for it cost frame
  // rate (17 frames/s in one measured cycle) and, once moved down, a hold.
  auto fits = [&](const Work& w, int rung) {
    if (budget == kUnlimited) return true;
    const uint64_t have = w.chosen >= 0 ? w.ladder[static_cast<size_t>(w.chosen)].bps : 0;
    double need = static_cast<double>(w.ladder[static_cast<size_t>(rung)].bps);
    if (rung > w.prev) need *= options_.upgrade_margin;
    const bool lowest = w.ladder[static_cast<size_t>(rung)].spatial == w.ladder.front().spatial;
    return need - static_cast<double>(have) <= static_cast<double>(lowest ? budget : SatSub(budget, cut));
  };
  auto take = [&](Work& w, int rung) {
    const uint64_t have = w.chosen >= 0 ? w.ladder[static_cast<size_t>(w.chosen)].bps : 0;
    budget = SatSub(budget, w.ladder[static_cast<size_t>(rung)].bps - have);
    w.chosen = rung;
  };

  // Everyone's lowest layer first, by priority; then one step each, by
  // priority, round after round.
  for (size_t i : order) {
    if (allowed(work[i], 0) && fits(work[i], 0)) take(work[i], 0);
  }
  for (bool moved = true; moved;) {
    moved = false;
    for (size_t i : order) {
      Work& w = work[i];
      const int next = w.chosen + 1;
      if (w.chosen < 0 || next >= static_cast<int>(w.ladder.size())) continue;
      if (allowed(w, next) && fits(w, next)) {
        take(w, next);
        moved = true;
      }
    }
  }

  for (size_t i = 0; i < requests.size(); ++i) {
    const AllocRequest& r = requests[i];
    AllocDecision& d = (*out)[i];
    Work& w = work[i];
    if (!r.adaptive) {
      d.reason = AllocReason::kPinned;
      d.bps = r.pinned_bps;
      continue;
    }
    if (w.ladder.empty()) {
      d.reason = AllocReason::kNoLayers;
    } else if (w.chosen < 0) {
      d.reason = !allowed(w, 0) && fits(w, 0) ? AllocReason::kHold : AllocReason::kBandwidth;
    } else {
      const AllocLayer& l = w.ladder[static_cast<size_t>(w.chosen)];
      d.spatial = l.spatial;
      d.temporal = l.temporal;
      d.bps = l.bps;
      const int next = w.chosen + 1;
      if (next >= static_cast<int>(w.ladder.size())) {
        d.reason = w.by_cap ? AllocReason::kCap : w.by_preference ? AllocReason::kPreference : AllocReason::kOptimal;
      } else {
        d.reason = !allowed(w, next) && fits(w, next) ? AllocReason::kHold : AllocReason::kBandwidth;
      }
    }
    allocated = SatAdd(allocated, d.bps);
    State& st = state_[r.key];
    if (st.hold_ms == 0) st.hold_ms = options_.upgrade_hold_ms;
    // A step up that held for failed_upgrade_ms: the link carries it, and
    // the hold doubled by the failures before goes back to the base (it is
    // the next move down's hold). Without it, a subscriber that flapped at
    // the start kept a 16-32 s hold through the climb that followed, and
    // the next real drop held it down that long after the link recovered.
    if (!st.up_judged && now_ms - st.moved_up_ms >= options_.failed_upgrade_ms) {
      st.up_judged = true;
      st.hold_ms = options_.upgrade_hold_ms;
    }
    // Moves are judged on this ladder: a rung below the one it had is a
    // move down, one above a move up. (A layer that went missing from the
    // offer, say a temporal layer not measured in the last second, is not
    // a move: the rung it had is then the next one below.)
    const bool down = st.decided && w.prev >= 0 && w.chosen < w.prev;
    const bool up = st.decided && w.chosen > w.prev;
    if (down && !w.ladder.empty()) {
      // A step up that did not hold (moved down again within
      // failed_upgrade_ms): the next try waits twice as long, up to
      // max_hold_ms (one that held reset the wait, above).
      if (st.ever_moved_up && now_ms - st.moved_up_ms < options_.failed_upgrade_ms) {
        st.hold_ms = std::min(st.hold_ms * 2, options_.max_hold_ms);
        st.failed_upgrades++;
      }
      st.moved_down_ms = now_ms;
      st.ever_moved_down = true;
      st.up_judged = true;
    }
    if (up && !w.ladder.empty()) {
      st.moved_up_ms = now_ms;
      st.ever_moved_up = true;
      st.up_judged = false;
    }
    // With nothing on offer, the last layer is kept in mind: when the
    // publication comes back, going up from there is not a "move up".
    if (!w.ladder.empty()) {
      st.spatial = d.spatial;
      st.temporal = d.temporal;
      st.decided = true;
    }
  }
  allocated_bps_ = available_bps == kUnlimited ? 0 : allocated;
  // Subscriptions the caller no longer lists are gone.
  for (auto it = state_.begin(); it != state_.end();) {
    it = seen.count(it->first) ? std::next(it) : state_.erase(it);
  }
}

}  // namespace webrtc_agent::layers
