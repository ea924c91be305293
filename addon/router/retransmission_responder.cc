#include "router/retransmission_responder.h"

#include "rtp/retransmitter.h"

namespace webrtc_agent {
namespace router {

static_assert(SendBuffer::kSlots == rtp::Retransmitter::kSlots,
              "the Retransmitter's slots mirror the send buffer's");

void RetransmissionResponder::OnNack(Subscription* sub, const std::vector<uint16_t>& seqs, uint64_t now_ms,
                                     int64_t rtt_ms, std::vector<uint16_t>* missed) {
  missed->clear();
  if (!sub->retransmitter) {
    sub->counters.nack_packets += seqs.size();
    sub->counters.nack_missed += seqs.size();
    missed->assign(seqs.begin(), seqs.end());
    return;
  }
  transport::Transport* t = sub->transport();
  // What the send buffer no longer holds (aged out, overwritten, never
  // sent) is a miss before the Retransmitter can spend budget on it.
  held_.clear();
  for (uint16_t seq : seqs) {
    if (sub->send_buffer->Find(seq, now_ms) != nullptr) {
      held_.push_back(seq);
      continue;
    }
    sub->counters.nack_packets++;
    sub->counters.nack_missed++;
    missed->push_back(seq);
  }
  resend_.clear();
  sub->retransmitter->OnNack(held_.data(), held_.size(), now_ms, rtt_ms, &resend_, missed);
  for (uint16_t seq : resend_) {
    const std::vector<uint8_t>* pkt = sub->send_buffer->Find(seq, now_ms);
    if (pkt == nullptr) continue;  // cannot happen: both rings hold the same numbers
    if (sub->rtx_ssrc == 0) {
      // Same SSRC and sequence number: the receiver's jitter buffer takes
      // it as the lost packet.
      if (t->SendRepair(pkt->data(), pkt->size())) sub->counters.retransmitted++;
      continue;
    }
    const size_t n = rtp::Retransmitter::WrapRtx(pkt->data(), pkt->size(), sub->rtx_payload_type, sub->rtx_seq,
                                                 sub->rtx_ssrc, rtx_.data(), rtx_.size());
    if (n == 0) continue;
    sub->rtx_seq++;
    if (t->SendRepair(rtx_.data(), n)) {
      sub->counters.retransmitted++;
      sub->counters.rtx_sent++;
    }
  }
}

}  // namespace router
}  // namespace webrtc_agent
