// UpstreamFeedback: what goes from this thread towards a track's source:
// key-frame requests (merged per track by its KeyframeThrottle; over the
// ring for an imported track, as RR+PLI to a local publisher) and generic
// NACKs (the track's own losses, and a subscriber's misses passed on to a
// stand-in's source on another agent). Sans-I/O apart from the transports'
// SendRtcp and the ring relay.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_UPSTREAM_FEEDBACK_H_
#define WEBRTC_AGENT_ADDON_ROUTER_UPSTREAM_FEEDBACK_H_

#include <array>
#include <cstdint>
#include <vector>

#include "router/subscription.h"
#include "router/track.h"
#include "transport/transport.h"

namespace webrtc_agent {
namespace router {

// Where a key-frame request for an imported track goes: the ring back to
// the thread that receives its publisher (PeerLinks, through the Router).
class KeyframeRelay {
 public:
  virtual ~KeyframeRelay() = default;
  virtual void RelayKeyframeRequest(const Track& imported) = 0;
};

class UpstreamFeedback {
 public:
  // Most sequence numbers one NACK message carries; a longer list goes out
  // as several compounds, each well under a path MTU.
  static constexpr size_t kNackChunk = 128;

  explicit UpstreamFeedback(KeyframeRelay* relay) : relay_(relay) {}
  UpstreamFeedback(const UpstreamFeedback&) = delete;
  UpstreamFeedback& operator=(const UpstreamFeedback&) = delete;

  // Asks the track's source for a key frame, unless one was asked for less
  // than the throttle's interval ago.
  void AskKeyframe(Track* track, uint64_t now_ms);
  // The track's own losses (its NackGenerator's list), to its publisher.
  void Nack(Track* track, const std::vector<uint16_t>& seqs);
  // A subscriber's unanswered NACK (its numbering), passed to the source
  // of a stand-in for a track on another agent; others are not asked.
  void NackThrough(Track* track, Subscription* sub, const std::vector<uint16_t>& missed);

 private:
  KeyframeRelay* relay_;
  std::array<uint8_t, transport::Transport::kMaxPacket> rtcp_buf_{};
  std::vector<uint16_t> up_;  // reused
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_UPSTREAM_FEEDBACK_H_
