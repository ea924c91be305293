// RtpRewriter: what one subscriber sees of a stream. Maps the publisher's
// SSRC, sequence numbers and timestamps into the subscriber's own numbering,
// so that a subscriber whose source changes (the publisher restarts with a
// new SSRC, or the subscription is switched to another track) still sees one
// continuous stream: sequence numbers go on by one, timestamps go on by the
// time that passed, the SSRC never changes.
//
// Pure logic: bytes and a clock in, bytes out; no sockets.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_RTP_REWRITER_H_
#define WEBRTC_AGENT_ADDON_ROUTER_RTP_REWRITER_H_

#include <cstddef>
#include <cstdint>

#include "rtp/continuity_map.h"

namespace webrtc_agent {
namespace router {

class RtpRewriter {
 public:
  RtpRewriter(uint32_t out_ssrc, int out_payload_type, uint32_t clock_rate)
      : out_ssrc_(out_ssrc),
        out_pt_(out_payload_type),
        clock_rate_(clock_rate == 0 ? 90000 : clock_rate) {}

  // The next packet from the source starts a new numbering (a switch).
  void Rebase() { rebase_ = true; }

  // Rewrites the RTP header in `pkt` (len >= 12, version 2, checked by the
  // caller) for this subscriber. `now_ms` is the loop clock.
  void Rewrite(uint8_t* pkt, size_t len, uint64_t now_ms);

  // A packet of the current source that is not sent on purpose (a dropped
  // temporal layer): the numbers after it close the gap, so the subscriber
  // does not take it for loss.
  void Drop(uint16_t in_seq) {
    if (!started_) return;
    seq_.Drop(in_seq);
    if (static_cast<int16_t>(in_seq - highest_in_seq_) > 0) highest_in_seq_ = in_seq;
  }

  uint32_t out_ssrc() const { return out_ssrc_; }
  uint16_t last_seq() const { return last_seq_; }
  uint32_t last_timestamp() const { return last_ts_; }
  uint32_t source_ssrc() const { return src_ssrc_; }
  // The source's sequence number behind one we sent (current source only):
  // how a NACK the subscriber sent is passed further up.
  // (Exact for packets after the newest drop; before it, off by the drops
  // since: a NACK passed up then names a neighbour, which costs a re-send.)
  uint16_t SourceSeq(uint16_t out_seq) const { return static_cast<uint16_t>(out_seq - seq_.delta()); }
  bool started() const { return started_; }
  // When the newest packet was sent (the loop clock given to Rewrite).
  uint64_t last_ms() const { return last_ms_; }
  // out timestamp = source timestamp + ts_delta (mod 2^32).
  uint32_t ts_delta() const { return ts_delta_; }
  uint32_t clock_rate() const { return clock_rate_; }

 private:
  const uint32_t out_ssrc_;
  const int out_pt_;  // -1: keep the publisher's payload type
  const uint32_t clock_rate_;
  bool started_ = false;
  bool rebase_ = false;
  uint32_t src_ssrc_ = 0;
  rtp::ContinuityMap seq_{16};
  uint32_t ts_delta_ = 0;
  uint16_t last_seq_ = 0;
  uint32_t last_ts_ = 0;
  uint16_t highest_in_seq_ = 0;
  uint64_t last_ms_ = 0;
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_RTP_REWRITER_H_
