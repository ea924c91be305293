// Fanout: sends one packet of a track to each of its subscribers, each with
// its own SSRC and numbering (RtpRewriter), through its key-frame gate, and
// keeps what it sent to a subscriber that may NACK it (SendBuffer,
// Retransmitter). Sans-I/O apart from the transports' SendRtp.
//
// Per subscriber the packet is copied once: into the send buffer's staging
// slot for a subscriber that keeps sent packets (rewritten and sent from
// there, then kept without a second copy), else into a scratch buffer.
//
// Downlink hooks (issue 9): a layer selector decides per subscription, in
// Forward's loop before the copy, whether this packet goes to it; a
// per-transport estimator sees every send through the transport.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_FANOUT_H_
#define WEBRTC_AGENT_ADDON_ROUTER_FANOUT_H_

#include <array>
#include <cstdint>

#include "layers/vp9_descriptor.h"
#include "router/track.h"
#include "rtp/rtp_packet.h"
#include "transport/test_loss.h"
#include "transport/transport.h"

namespace webrtc_agent {
namespace router {

class Fanout {
 public:
  // loss: the thread's test-only loss switch (its send share), or null.
  explicit Fanout(transport::TestLoss* loss) : loss_(loss) {}
  Fanout(const Fanout&) = delete;
  Fanout& operator=(const Fanout&) = delete;

  // `packet` is a parsed packet of `track`; `key`: it starts a key frame;
  // `silent`: audio at digital silence (RFC 6464 level 127), not sent to
  // subscriptions that drop silence. True if a subscriber whose transport
  // can send is still waiting for a key frame (the caller asks the
  // publisher for one).
  bool Forward(Track* track, const rtp::RtpPacketView& packet, bool key, bool silent, uint64_t now_ms);

 private:
  transport::TestLoss* loss_;
  std::array<uint8_t, transport::Transport::kMaxPacket> scratch_{};
  // A VP9 layer track's packet: its payload descriptor, read once for all
  // its SVC subscribers (LayerInfo points here).
  layers::Vp9Descriptor vp9_;
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_FANOUT_H_
