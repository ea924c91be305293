// RtxUnwrapper: turns a publisher's RTX packet (RFC 4588) back into the
// original packet of its track: the original sequence number from the
// payload's first two bytes, the track's SSRC and payload type, the rest of
// the payload. Padding-only RTX (bandwidth probes) carries no media and
// yields nothing. Sans-I/O; one reused buffer.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_RTX_UNWRAPPER_H_
#define WEBRTC_AGENT_ADDON_ROUTER_RTX_UNWRAPPER_H_

#include <array>
#include <cstdint>

#include "router/track.h"
#include "rtp/rtp_packet.h"
#include "transport/transport.h"

namespace webrtc_agent {
namespace router {

class RtxUnwrapper {
 public:
  RtxUnwrapper() = default;
  RtxUnwrapper(const RtxUnwrapper&) = delete;
  RtxUnwrapper& operator=(const RtxUnwrapper&) = delete;

  // `rtx` is a parsed RTX packet of `track`. The original's length (its
  // bytes at data()), or 0 if it is unusable (padding only). Counts on the track.
  size_t Unwrap(Track* track, const rtp::RtpPacketView& rtx);
  const uint8_t* data() const { return buf_.data(); }

 private:
  std::array<uint8_t, transport::Transport::kMaxPacket> buf_{};
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_RTX_UNWRAPPER_H_
