// LayerMeter: what the layer choice needs to know about one published track
// (a simulcast layer, or any video track subscribed to as a layered
// publication): its temporal layers' rates, whether it is being received,
// and whether anyone reads it (for the "layer idle" event). Kept in the
// Track; filled on the packet path only while a layered subscription reads
// the track (readers > 0), sampled by LayerControl.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_LAYER_METER_H_
#define WEBRTC_AGENT_ADDON_ROUTER_LAYER_METER_H_

#include <array>
#include <cstdint>
#include <string>

namespace webrtc_agent {
namespace router {

struct LayerMeter {
  static constexpr size_t kTemporal = 4;  // VP8's TID is 2 bits

  // The simulcast RID the track was bound by ("" for none).
  std::string rid;
  // Layered subscriptions that hold this track among their layers.
  uint32_t layered_readers = 0;
  // Bytes per temporal layer id (VP8 TID) since the track was first read
  // as a layer, and their rates over the last sample.
  std::array<uint64_t, kTemporal> temporal_bytes{};
  std::array<uint64_t, kTemporal> temporal_sampled{};
  std::array<uint64_t, kTemporal> temporal_bps{};
  // An SVC track (VP9): the same per spatial layer inside it (SID, the
  // first kSpatial); svc is set once a packet said SID/TID.
  static constexpr size_t kSpatial = 4;
  bool svc = false;
  std::array<std::array<uint64_t, kTemporal>, kSpatial> svc_bytes{};
  std::array<std::array<uint64_t, kTemporal>, kSpatial> svc_sampled{};
  std::array<std::array<uint64_t, kTemporal>, kSpatial> svc_bps{};
  uint64_t sample_ms = 0;
  // Packets seen at the last tick, and when that count last moved: a layer
  // the publisher stopped sending is not offered.
  uint64_t packets_seen = 0;
  uint64_t last_packet_ms = 0;
  // "Idle": no subscriber reads this layer (dynacast). Reported once per
  // change, after kIdleMs without a reader.
  uint64_t unread_since_ms = 0;
  bool idle_reported = false;
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_LAYER_METER_H_
