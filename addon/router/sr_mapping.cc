#include "router/sr_mapping.h"

namespace webrtc_agent {
namespace router {

uint32_t SrMapping::RtpTimestampAt(const Track& track, const RtpRewriter& rw, uint64_t now_ms) {
  const uint64_t clock = track.clock_rate() != 0 ? track.clock_rate() : rw.clock_rate();
  const rtp::ReceiveStats* rs = track.receive.get();
  if (rs != nullptr && rs->has_sender_report() && rw.source_ssrc() == track.ssrc) {
    const uint64_t since = now_ms - rs->sr_arrival_ms();
    return rs->sr_rtp_timestamp() + static_cast<uint32_t>(since * clock / 1000) + rw.ts_delta();
  }
  if (track.has_relayed_sr && rw.started()) {
    // An imported track: one source behind the link, whose packets keep
    // their timestamps through the ring.
    const uint64_t since = now_ms - track.relayed_sr_ms;
    return track.relayed_sr_rtp + static_cast<uint32_t>(since * clock / 1000) + rw.ts_delta();
  }
  const uint64_t since = now_ms > rw.last_ms() ? now_ms - rw.last_ms() : 0;
  return rw.last_timestamp() + static_cast<uint32_t>(since * clock / 1000);
}

}  // namespace router
}  // namespace webrtc_agent
