// Track: one published media stream on this node thread. Its packets come
// either from a local transport (the publisher's) or from another node
// thread through a ring (an imported track, the local stand-in for a track
// published elsewhere). Subscriptions hang off it; exports copy its packets
// into rings towards other node threads.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_TRACK_H_
#define WEBRTC_AGENT_ADDON_ROUTER_TRACK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "router/keyframe_throttle.h"
#include "rtp/codec.h"
#include "rtp/picture_size.h"

namespace webrtc_agent {
namespace transport {
class Transport;
}
namespace router {

class Subscription;

enum class MediaKind : uint8_t { kAudio, kVideo };

struct TrackCounters {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t wrong_payload_type = 0;
  uint64_t paused_drops = 0;  // received while paused
  uint64_t keyframes = 0;     // first packets of key frames seen (codec known)
};

struct TrackExport {
  std::string peer;  // the node thread the ring leads to
  uint32_t link = 0;
};

class Track {
 public:
  Track(std::string id, MediaKind kind, uint32_t clock_rate)
      : id_(std::move(id)), kind_(kind), clock_rate_(clock_rate) {}

  const std::string& id() const { return id_; }
  MediaKind kind() const { return kind_; }
  uint32_t clock_rate() const { return clock_rate_; }

  // Where the packets come from: a local transport, or a ring from `peer`.
  transport::Transport* source = nullptr;
  uint32_t ssrc = 0;          // 0: bind to the first unclaimed SSRC seen
  int payload_type = -1;      // -1: any
  std::string import_peer;    // non-empty for an imported track
  uint32_t import_link = 0;

  // The payload format, when the control plane told it (SetTrackCodec):
  // what key frames and picture sizes are recognised by. Unknown: every
  // packet is forwarded as it comes.
  rtp::Codec codec = rtp::Codec::kUnknown;
  // The picture size of the last key frame that carried one.
  rtp::PictureSize picture;
  // When a key frame was last asked for on behalf of waiting subscribers.
  uint64_t wait_ask_ms = 0;

  // mediaOnOff 'in' 'off': nothing of this track is forwarded.
  bool paused = false;
  std::vector<Subscription*> subscribers;
  std::vector<TrackExport> exports;
  KeyframeThrottle keyframes;
  TrackCounters counters;

 private:
  std::string id_;
  MediaKind kind_;
  uint32_t clock_rate_;
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_TRACK_H_
