// KeyframeGate (addon/router/keyframe_gate): a video subscriber's wait for
// a decodable start.
#include "check.h"
#include "router/keyframe_gate.h"
#include "router_fakes.h"

namespace webrtc_agent::native_test {

using router::KeyframeGate;
using V = KeyframeGate::Verdict;

void KeyframeGateTests() {
  {
    KeyframeGate g;  // a new gate lets everything through
    CHECK(!g.waiting());
    CHECK(g.Admit(false, true, 0) == V::kPass);
    CHECK(g.Admit(false, false, 0) == V::kPass);
  }
  {
    KeyframeGate g;
    g.Start(1000);
    CHECK(g.waiting());
    CHECK(g.Admit(false, true, 1001) == V::kHold);       // delta frame: held
    CHECK(g.Admit(true, false, 1002) == V::kUnsendableKey);  // key frame, no keys yet
    CHECK(g.waiting());
    CHECK(g.Admit(true, true, 1003) == V::kKeyframe);    // the one it can decode
    CHECK(!g.waiting());
    CHECK(g.Admit(false, true, 1004) == V::kPass);
  }
  {
    KeyframeGate g;  // no key frame ever: sent whatever comes after kWaitMs
    g.Start(5000);
    CHECK(g.Admit(false, true, 5000 + KeyframeGate::kWaitMs - 1) == V::kHold);
    CHECK(g.Admit(false, true, 5000 + KeyframeGate::kWaitMs) == V::kTimedOut);
    CHECK(!g.waiting());
  }
  {
    KeyframeGate g;  // Rearm moves the start of the wait (the handshake ended)
    g.Start(0);
    g.Rearm(2500);
    CHECK(g.Admit(false, true, KeyframeGate::kWaitMs + 100) == V::kHold);
    CHECK(g.Admit(false, true, 2500 + KeyframeGate::kWaitMs) == V::kTimedOut);
    KeyframeGate idle;
    idle.Rearm(10);  // not waiting: Rearm does not start a wait
    CHECK(!idle.waiting());
  }
}

}  // namespace webrtc_agent::native_test
