// Types shared by the send-side bandwidth estimator's parts (addon/bwe).
//
// Times are microseconds. Send times come from the agent's clock; arrival
// times from the receiver's (transport-cc feedback), whose origin is unknown:
// only differences between arrivals are ever used.
#ifndef WEBRTC_AGENT_ADDON_BWE_BWE_TYPES_H_
#define WEBRTC_AGENT_ADDON_BWE_BWE_TYPES_H_

#include <cstdint>

namespace webrtc_agent::bwe {

// What a numbered packet carried.
enum class PacketKind : uint8_t { kMedia = 0, kRtx = 1, kPadding = 2 };

// The delay trend's verdict on the path.
enum class BandwidthUsage : uint8_t { kNormal = 0, kUnderusing = 1, kOverusing = 2 };

const char* BandwidthUsageName(BandwidthUsage u);

// No probe cluster.
constexpr int32_t kNoCluster = -1;

// One sent packet as the feedback reported it.
struct PacketResult {
  int64_t sequence = 0;  // unwrapped transport-wide number
  int64_t send_us = 0;
  int64_t arrival_us = 0;  // receiver's clock; meaningless when !received
  uint32_t size = 0;       // bytes on the wire before SRTP
  PacketKind kind = PacketKind::kMedia;
  int32_t cluster = kNoCluster;
  bool received = false;
};

// "Send this many bytes of padding now, tagged with this cluster": a probe
// of the path at `bitrate_bps`. The transport edge sends the bytes as a
// burst; the receive spread the feedback reports then measures the path.
struct ProbeRequest {
  int32_t cluster = kNoCluster;
  uint64_t bitrate_bps = 0;
  uint32_t bytes = 0;
};

}  // namespace webrtc_agent::bwe

#endif  // WEBRTC_AGENT_ADDON_BWE_BWE_TYPES_H_
