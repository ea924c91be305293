#include "router/keyframe_gate.h"

namespace webrtc_agent {
namespace router {

KeyframeGate::Verdict KeyframeGate::Admit(bool key, bool can_send, uint64_t now_ms) {
  if (!waiting_) return Verdict::kPass;
  if (key) {
    // A key frame the subscriber would not get (no keys or no remote yet)
    // does not end the wait: the one it can decode comes later.
    if (!can_send) return Verdict::kUnsendableKey;
    waiting_ = false;
    return Verdict::kKeyframe;
  }
  if (now_ms - since_ms_ >= kWaitMs) {
    waiting_ = false;
    return Verdict::kTimedOut;
  }
  return Verdict::kHold;
}

}  // namespace router
}  // namespace webrtc_agent
