#include "router/rtp_rewriter.h"

#include "rtp/byte_io.h"

namespace webrtc_agent {
namespace router {

using rtp::LoadU16;
using rtp::LoadU32;
using rtp::StoreU16;
using rtp::StoreU32;

void RtpRewriter::Rewrite(uint8_t* pkt, size_t /*len*/, uint64_t now_ms) {
  const uint16_t in_seq = LoadU16(pkt + 2);
  const uint32_t in_ts = LoadU32(pkt + 4);
  const uint32_t in_ssrc = LoadU32(pkt + 8);

  if (!started_) {
    // First packet ever: start at the source's own numbers. Any base works;
    // keeping the source's makes captures easy to read side by side.
    started_ = true;
    rebase_ = false;  // nothing to continue from yet
    src_ssrc_ = in_ssrc;
    ts_delta_ = 0;
    highest_in_seq_ = in_seq;
  } else if (rebase_ || in_ssrc != src_ssrc_) {
    // A new source: continue right after the last packet we sent, and move
    // the timestamp on by the wall time since then (at least one tick), so a
    // decoder sees a short pause, not a jump back in time.
    rebase_ = false;
    src_ssrc_ = in_ssrc;
    const uint64_t gap_ms = now_ms > last_ms_ ? now_ms - last_ms_ : 0;
    uint64_t ticks = gap_ms * clock_rate_ / 1000;
    if (ticks == 0) ticks = 1;
    seq_.Rebase();
    ts_delta_ = static_cast<uint32_t>(last_ts_ + static_cast<uint32_t>(ticks) - in_ts);
    highest_in_seq_ = in_seq;
  } else if (static_cast<int16_t>(in_seq - highest_in_seq_) > 0) {
    highest_in_seq_ = in_seq;
  }

  const uint16_t out_seq = static_cast<uint16_t>(seq_.Map(in_seq));
  const uint32_t out_ts = in_ts + ts_delta_;
  StoreU16(pkt + 2, out_seq);
  StoreU32(pkt + 4, out_ts);
  StoreU32(pkt + 8, out_ssrc_);
  if (out_pt_ >= 0) pkt[1] = static_cast<uint8_t>((pkt[1] & 0x80) | (out_pt_ & 0x7f));

  // Remember the newest packet we sent (a retransmission or a late packet
  // must not pull the continuation point backwards).
  if (in_seq == highest_in_seq_) {
    last_seq_ = out_seq;
    last_ts_ = out_ts;
    last_ms_ = now_ms;
  }
}

}  // namespace router
}  // namespace webrtc_agent
