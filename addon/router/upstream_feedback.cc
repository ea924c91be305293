#include "router/upstream_feedback.h"

#include <algorithm>

#include "rtp/rtcp.h"

namespace webrtc_agent {
namespace router {

void UpstreamFeedback::AskKeyframe(Track* track, uint64_t now_ms) {
  if (!track->keyframes.Allow(now_ms, track->counters.keyframes)) return;
  if (!track->import_peer.empty()) {
    relay_->RelayKeyframeRequest(*track);
    return;
  }
  transport::Transport* src = track->source;
  if (src == nullptr || track->ssrc == 0) return;
  // A compound starts with a report (RFC 3550 §6.1); an empty RR is the
  // smallest one, and a receiver-only endpoint has nothing else to say.
  uint8_t buf[24];
  size_t n = rtp::BuildRr(buf, sizeof(buf), src->rtcp_ssrc(), nullptr, 0);
  n += rtp::BuildPli(buf + n, sizeof(buf) - n, src->rtcp_ssrc(), track->ssrc);
  src->SendRtcp(buf, n);
}

void UpstreamFeedback::Nack(Track* track, const std::vector<uint16_t>& seqs) {
  transport::Transport* src = track->source;
  if (src == nullptr || track->ssrc == 0) return;
  for (size_t i = 0; i < seqs.size(); i += kNackChunk) {
    const size_t count = std::min(kNackChunk, seqs.size() - i);
    size_t n = rtp::BuildRr(rtcp_buf_.data(), rtcp_buf_.size(), src->rtcp_ssrc(), nullptr, 0);
    const size_t m = rtp::BuildNack(rtcp_buf_.data() + n, rtcp_buf_.size() - n, src->rtcp_ssrc(), track->ssrc,
                                    seqs.data() + i, count);
    if (m == 0) return;
    if (src->SendRtcp(rtcp_buf_.data(), n + m)) track->counters.nacks_sent++;
  }
}

void UpstreamFeedback::NackThrough(Track* track, Subscription* sub, const std::vector<uint16_t>& missed) {
  // Only a stand-in for a track on another agent asks further up: what this
  // thread never received was lost on the internal link, and the owner's
  // export keeps a send buffer to answer exactly that. A local publisher is
  // not asked (plain RTP senders do not answer NACKs; WebRTC ones get RTX,
  // which subscribers are not offered).
  transport::Transport* src = track->source;
  if (src == nullptr || src->AsInternal() == nullptr || track->ssrc == 0) return;
  up_.clear();
  for (uint16_t seq : missed) up_.push_back(sub->rewriter().SourceSeq(seq));
  uint8_t nack[1200];
  const size_t n = rtp::BuildNack(nack, sizeof(nack), src->rtcp_ssrc(), track->ssrc, up_.data(), up_.size());
  if (n > 0) src->SendRtcp(nack, n);
}

}  // namespace router
}  // namespace webrtc_agent
