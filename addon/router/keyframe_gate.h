// KeyframeGate: holds a video subscriber's packets back until a key frame
// (at its start, and again after a switch of source or a pause): anything
// before one cannot be decoded and only makes the receiver ask for one.
// Sans-I/O: whether the packet starts a key frame, whether the subscriber's
// transport can send, and the time come in; a verdict comes out.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_KEYFRAME_GATE_H_
#define WEBRTC_AGENT_ADDON_ROUTER_KEYFRAME_GATE_H_

#include <cstdint>

namespace webrtc_agent {
namespace router {

class KeyframeGate {
 public:
  // How long a subscriber waits for a key frame before it is sent whatever
  // comes. Key-frame requests go out meanwhile (merged to one per second),
  // so a live publisher answers well within this; the bound is for one that
  // never does (a plain-RTP source that ignores PLI, or a stream the
  // detector does not understand), which must not stay black for good.
  static constexpr uint64_t kWaitMs = 3000;

  enum class Verdict : uint8_t {
    kPass,           // not waiting: send
    kKeyframe,       // the key frame waited for: the wait ends, send
    kTimedOut,       // waited kWaitMs for nothing: the wait ends, send
    kUnsendableKey,  // a key frame the transport cannot deliver yet: drop, keep waiting
    kHold,           // not a key frame: drop, keep waiting
  };

  // Starts (or restarts) a wait.
  void Start(uint64_t now_ms) {
    waiting_ = true;
    since_ms_ = now_ms;
  }
  // The wait for a decodable start begins again now (the transport just
  // became able to send; what came before was not the subscriber's fault).
  void Rearm(uint64_t now_ms) {
    if (waiting_) since_ms_ = now_ms;
  }
  bool waiting() const { return waiting_; }

  // key: the packet starts a key frame. can_send: the subscriber's transport
  // can deliver now (keys and a remote). Only looked at while waiting.
  Verdict Admit(bool key, bool can_send, uint64_t now_ms);

 private:
  bool waiting_ = false;
  uint64_t since_ms_ = 0;
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_KEYFRAME_GATE_H_
