// KeyframeThrottle: merges key-frame requests (PLI/FIR) for one track so the
// publisher is asked at most once per interval, however many subscribers ask.
// A burst of joins must not make an encoder emit a key frame per joiner.
// A request no key frame answered within kUnansweredMs may be sent again
// sooner: Chromium's encoder ignores a request that comes within 300 ms of
// its last one (for any layer of a simulcast publication), and a switch
// down to a layer whose request was ignored waited out the whole interval
// with the old layer stopped (seen behind tc tbf: a 700 ms freeze).
#ifndef WEBRTC_AGENT_ADDON_ROUTER_KEYFRAME_THROTTLE_H_
#define WEBRTC_AGENT_ADDON_ROUTER_KEYFRAME_THROTTLE_H_

#include <cstdint>

namespace webrtc_agent {
namespace router {

class KeyframeThrottle {
 public:
  static constexpr uint64_t kUnansweredMs = 350;

  explicit KeyframeThrottle(uint64_t interval_ms = 1000) : interval_ms_(interval_ms) {}

  // True if a request should go upstream now; false if it is merged into
  // one sent less than an interval ago (or less than kUnansweredMs ago,
  // when no key frame came since). keyframes: the track's count of key
  // frames received so far.
  bool Allow(uint64_t now_ms, uint64_t keyframes) {
    const bool unanswered = keyframes == keyframes_at_last_;
    if (sent_ > 0 && now_ms - last_ms_ < (unanswered ? kUnansweredMs : interval_ms_)) {
      merged_++;
      return false;
    }
    last_ms_ = now_ms;
    keyframes_at_last_ = keyframes;
    sent_++;
    return true;
  }

  uint64_t sent() const { return sent_; }
  uint64_t merged() const { return merged_; }

 private:
  uint64_t interval_ms_;
  uint64_t last_ms_ = 0;
  uint64_t keyframes_at_last_ = 0;
  uint64_t sent_ = 0;
  uint64_t merged_ = 0;
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_KEYFRAME_THROTTLE_H_
