// SrMapping: the RTP time that goes with "now" in a subscriber's Sender
// Report, in the subscriber's timestamp space. Best: from the publisher's
// own SR (its capture clock, so audio and video of one publisher stay in
// sync at the receiver), moved on by the time since it arrived and shifted
// by the subscription's timestamp offset. An imported track uses the SR
// timing relayed from the thread that receives its publisher. Otherwise:
// the newest packet sent, moved on by the time since. Pure arithmetic.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_SR_MAPPING_H_
#define WEBRTC_AGENT_ADDON_ROUTER_SR_MAPPING_H_

#include <cstdint>

#include "router/rtp_rewriter.h"
#include "router/track.h"

namespace webrtc_agent {
namespace router {

class SrMapping {
 public:
  // `rw` is the subscription's rewriter, `track` its current source.
  static uint32_t RtpTimestampAt(const Track& track, const RtpRewriter& rw, uint64_t now_ms);
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_SR_MAPPING_H_
