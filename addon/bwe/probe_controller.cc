#include "bwe/probe_controller.h"

#include <algorithm>

namespace webrtc_agent::bwe {

const char* ProbeStateName(ProbeState s) {
  switch (s) {
    case ProbeState::kInit: return "init";
    case ProbeState::kProbing: return "probing";
    case ProbeState::kIdle: return "idle";
    case ProbeState::kOff: return "off";
  }
  return "unknown";
}

ProbeController::ProbeController(uint64_t initial_bps, uint64_t max_bps, bool enabled)
    : initial_bps_(initial_bps),
      max_bps_(max_bps),
      desired_bps_(max_bps),
      state_(enabled ? ProbeState::kInit : ProbeState::kOff) {}

void ProbeController::Queue(uint64_t bps) {
  bps = std::min(bps, std::min(desired_bps_, max_bps_));
  if (bps == 0 || pending_count_ >= 2) return;
  pending_[pending_count_++] = bps;
  last_probe_bps_ = std::max(last_probe_bps_, bps);
}

void ProbeController::OnResult(uint64_t bps, int64_t now_ms) {
  if (state_ != ProbeState::kProbing) return;
  // Came back at (nearly) what was probed: there may be more room.
  if (bps > 0 && bps >= kFurtherShare * static_cast<double>(last_probe_bps_) && last_probe_bps_ < desired_bps_) {
    last_probe_bps_ = 0;
    last_probe_ms_ = now_ms;
    Queue(2 * bps);
  }
}

bool ProbeController::Next(uint64_t estimate_bps, uint64_t sent_bps, int64_t now_ms, ProbeRequest* out) {
  switch (state_) {
    case ProbeState::kOff: return false;
    case ProbeState::kInit:
      state_ = ProbeState::kProbing;
      last_probe_ms_ = now_ms;
      last_probe_bps_ = 0;
      Queue(3 * initial_bps_);
      Queue(6 * initial_bps_);
      break;
    case ProbeState::kProbing:
      if (pending_count_ == 0 && now_ms - last_probe_ms_ >= kResultTimeoutMs) state_ = ProbeState::kIdle;
      break;
    case ProbeState::kIdle:
      // The media leaves the estimate unused (application limited) and
      // more is wanted: only a probe can show whether it would fit.
      if (now_ms - last_probe_ms_ >= kPeriodicMs && estimate_bps < desired_bps_ &&
          static_cast<double>(sent_bps) < 0.8 * static_cast<double>(estimate_bps)) {
        state_ = ProbeState::kProbing;
        last_probe_ms_ = now_ms;
        last_probe_bps_ = 0;
        Queue(2 * estimate_bps);
      }
      break;
  }
  if (pending_count_ == 0) return false;
  const uint64_t bps = pending_[0];
  pending_[0] = pending_[1];
  pending_count_--;
  const uint64_t bytes = bps * kClusterMs / 8000;
  out->cluster = next_cluster_;
  next_cluster_ = next_cluster_ == INT32_MAX ? 1 : next_cluster_ + 1;
  out->bitrate_bps = bps;
  out->bytes = static_cast<uint32_t>(std::clamp<uint64_t>(bytes, kMinClusterBytes, kMaxClusterBytes));
  clusters_++;
  return true;
}

}  // namespace webrtc_agent::bwe
