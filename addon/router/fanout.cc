#include "router/fanout.h"

#include <cstring>

#include "router/subscription.h"
#include "router/subscription_layers.h"
#include "rtp/byte_io.h"

namespace webrtc_agent {
namespace router {

bool Fanout::Forward(Track* track, const rtp::RtpPacketView& view, bool key, bool silent, uint64_t now_ms) {
  const uint8_t* pkt = view.data();
  const size_t len = view.size();
  if (len > scratch_.size()) return false;  // transports never hand over more
  bool waiting = false;
  // A track read as a layer: its layer information, read once for all.
  LayerInfo layer;
  if (track->layer_meter.layered_readers > 0) layer = InspectLayer(track, view, &vp9_);
  for (Subscription* s : track->subscribers) {
    if (s->paused) continue;
    if (silent && s->drop_silence) {
      s->counters.silence_dropped++;
      // What follows continues the numbering, later in time (as after DTX).
      if (s->rewriter().started()) s->rewriter().Rebase();
      continue;
    }
    transport::Transport* t = s->transport();
    if (s->layers) {
      if (!AdmitLayer(s, track, layer, key, view, t->CanSend())) continue;
    } else if (s->keyframe_gate.waiting()) {
      const bool can_send = t->CanSend();
      switch (s->keyframe_gate.Admit(key, can_send, now_ms)) {
        case KeyframeGate::Verdict::kUnsendableKey:
          s->counters.dropped++;
          continue;
        case KeyframeGate::Verdict::kHold:
          s->counters.keyframe_wait_drops++;
          // A subscriber still in its handshake asks when it can send
          // (OnSendable); asking for it now would spend the track's
          // one-a-second request on a key frame it cannot get.
          if (can_send) waiting = true;
          continue;
        case KeyframeGate::Verdict::kTimedOut:
          s->counters.keyframe_wait_timeouts++;
          break;
        case KeyframeGate::Verdict::kKeyframe:
        case KeyframeGate::Verdict::kPass:
          break;
      }
    }
    SendBuffer* kept = s->send_buffer.get();
    uint8_t* out = kept ? kept->Stage(len) : scratch_.data();
    std::memcpy(out, pkt, len);
    s->rewriter().Rewrite(out, len, now_ms);
    if (s->layers) RewriteLayer(s, layer, out, view);
    if (kept) {
      const uint16_t seq = rtp::LoadU16(out + 2);
      kept->Commit(seq, now_ms);  // `out` still points at the kept bytes
      s->retransmitter->OnSent(seq, len);
    }
    if (loss_ != nullptr && loss_->LoseSend()) {
      s->counters.test_dropped++;
      continue;
    }
    if (t->SendRtp(out, len)) {
      s->counters.packets++;
      s->counters.bytes += len;
      s->counters.payload_bytes += view.payloadSize();
    } else {
      s->counters.dropped++;
    }
  }
  return waiting;
}

}  // namespace router
}  // namespace webrtc_agent
