// RetransmissionResponder: answers a subscriber's NACK (RFC 4585 generic
// NACK) from the packets kept for it (SendBuffer), as the subscription's
// Retransmitter decides (once per RTT, a few times in all, within a budget),
// either as the same packet again or wrapped as RTX (RFC 4588) on the
// subscriber's RTX SSRC. What it cannot answer (the send buffer no longer
// holds it: older than its age bound, overwritten, or never sent) goes back
// to the caller, to be asked for further up. Sans-I/O apart from the transport's SendRtp.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_RETRANSMISSION_RESPONDER_H_
#define WEBRTC_AGENT_ADDON_ROUTER_RETRANSMISSION_RESPONDER_H_

#include <array>
#include <cstdint>
#include <vector>

#include "router/subscription.h"
#include "transport/transport.h"

namespace webrtc_agent {
namespace router {

class RetransmissionResponder {
 public:
  RetransmissionResponder() = default;
  RetransmissionResponder(const RetransmissionResponder&) = delete;
  RetransmissionResponder& operator=(const RetransmissionResponder&) = delete;

  // `seqs` are in the subscriber's numbering; `rtt_ms` the subscriber's
  // round trip (-1: unknown). `missed` is cleared and gets what was not
  // answered here (everything, for a subscription that keeps nothing).
  void OnNack(Subscription* sub, const std::vector<uint16_t>& seqs, uint64_t now_ms, int64_t rtt_ms,
              std::vector<uint16_t>* missed);

 private:
  std::vector<uint16_t> resend_;  // reused: the NACK path allocates nothing
  std::vector<uint16_t> held_;    // the NACKed numbers the send buffer holds
  // A repair wrapped as RTX: 2 bytes longer than the kept packet.
  std::array<uint8_t, transport::Transport::kMaxPacket + 2> rtx_{};
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_RETRANSMISSION_RESPONDER_H_
