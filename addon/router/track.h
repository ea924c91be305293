// Track: one published media stream on this node thread. Its packets come
// either from a local transport (the publisher's) or from another node
// thread through a ring (an imported track, the local stand-in for a track
// published elsewhere). Subscriptions hang off it; exports copy its packets
// into rings towards other node threads.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_TRACK_H_
#define WEBRTC_AGENT_ADDON_ROUTER_TRACK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "audio/audio_level.h"
#include "router/bitrate_meter.h"
#include "router/keyframe_throttle.h"
#include "router/layer_meter.h"
#include "rtp/codec.h"
#include "rtp/picture_size.h"
#include "rtp/nack_generator.h"
#include "rtp/receive_stats.h"

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
  uint64_t rtx_packets = 0;   // RTX packets unwrapped into the track
  uint64_t rtx_padding = 0;   // RTX packets with no payload (bandwidth probes)
  uint64_t rtx_duplicates = 0;  // RTX copies of packets already received (dropped)
  uint64_t nacks_sent = 0;    // NACK messages sent to the publisher
  uint64_t rrs_sent = 0;      // report blocks about this track sent
  uint64_t test_dropped = 0;  // dropped on arrival by the loss-injection switch
  // Bits per second over the last report interval (the RTCP timer's second).
  BitrateMeter bitrate;
};

struct TrackExport {
  std::string peer;  // the node thread the ring leads to
  // PeerLinks' number for `peer`, resolved once when the export is made:
  // the packet path finds the ring by it without touching the name.
  uint32_t peer_index = 0;
  uint32_t link = 0;
  // The importing thread has a reader of its stand-in (it says so when
  // that changes, LinkRecord::kReaders): a simulcast layer exported to a
  // thread where nobody reads it is unread here too (dynacast).
  bool read = true;
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
  uint32_t import_peer_index = 0;  // PeerLinks' number for import_peer
  uint32_t import_link = 0;
  // What the home thread was last told of this stand-in's readers
  // (TrackExport::read on its side).
  bool import_read = true;

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
  // RTX (RFC 4588) on its own SSRC, when the publisher announced one; the
  // packets are unwrapped into this track's SSRC and numbering.
  uint32_t rtx_ssrc = 0;
  int rtx_payload_type = -1;
  // Receive statistics for the Receiver Reports sent to the publisher: for
  // tracks of a local transport only (an imported track's publisher is
  // reported on by the thread that receives it).
  std::unique_ptr<rtp::ReceiveStats> receive;
  // An imported track's publisher SR timing, relayed from the thread that
  // receives it (a local track keeps it in `receive`).
  bool has_relayed_sr = false;
  uint32_t relayed_sr_rtp = 0;
  uint64_t relayed_sr_ms = 0;
  uint64_t relayed_srs = 0;
  // Loss repair towards the publisher: video with NACK negotiated only.
  std::unique_ptr<rtp::NackGenerator> nack;
  // Audio levels (RFC 6464), when the publisher negotiated them: read from
  // every packet (one extension element) for getStats, the speaker
  // detection and silence dropping. Null: not read.
  std::unique_ptr<audio::LevelMeter> audio_level;
  // Its rid, temporal rates and readers, for the layer choice.
  LayerMeter layer_meter;

 private:
  std::string id_;
  MediaKind kind_;
  uint32_t clock_rate_;
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_TRACK_H_
