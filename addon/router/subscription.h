// Subscription: one track sent to one transport, with the subscriber's own
// SSRC and numbering (RtpRewriter).
#ifndef WEBRTC_AGENT_ADDON_ROUTER_SUBSCRIPTION_H_
#define WEBRTC_AGENT_ADDON_ROUTER_SUBSCRIPTION_H_

#include <cstdint>
#include <memory>
#include <string>

#include "router/bitrate_meter.h"
#include "router/keyframe_gate.h"
#include "router/rtp_rewriter.h"
#include "router/send_buffer.h"
#include "router/subscription_layers.h"
#include "rtp/retransmitter.h"

namespace webrtc_agent {
namespace transport {
class Transport;
}
namespace router {

class Track;

struct SubscriptionCounters {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t dropped = 0;
  uint64_t keyframe_requests = 0;  // PLI/FIR received from the subscriber
  // NACKs where no send buffer is kept (the Retransmitter counts the rest).
  uint64_t nack_packets = 0;       // sequence numbers NACKed by the subscriber
  uint64_t nack_missed = 0;        // of those, not answered (nothing kept)
  uint64_t retransmitted = 0;      // re-sends that went out (the transport took them)
  uint64_t rtx_sent = 0;           // of those, as RTX (RFC 4588)
  uint64_t test_dropped = 0;       // dropped on purpose by the loss-injection switch
  uint64_t keyframe_wait_drops = 0;  // held back until the subscriber's first key frame
  uint64_t keyframe_wait_timeouts = 0;  // waits given up (no key frame came)
  uint64_t payload_bytes = 0;      // RTP payload sent (the SR's octet count)
  uint64_t srs_sent = 0;
  BitrateMeter bitrate;            // over the last report interval
};

// What the subscriber last reported about our stream (its RR report block
// for out_ssrc, RFC 3550 §6.4.1).
struct RemoteReport {
  uint64_t reports = 0;       // report blocks received
  uint8_t fraction_lost = 0;  // of 256, over the subscriber's last interval
  int32_t packets_lost = 0;
  uint32_t jitter = 0;        // RTP timestamp units
  int64_t rtt_ms = -1;        // -1: not measured yet (no LSR in the block)
};

class Subscription {
 public:
  Subscription(std::string id, transport::Transport* transport, Track* track,
               uint32_t out_ssrc, int out_payload_type, uint32_t clock_rate)
      : id_(std::move(id)),
        transport_(transport),
        track_(track),
        rewriter_(out_ssrc, out_payload_type, clock_rate) {}

  const std::string& id() const { return id_; }
  transport::Transport* transport() const { return transport_; }
  Track* track() const { return track_; }
  void set_track(Track* t) { track_ = t; }
  RtpRewriter& rewriter() { return rewriter_; }
  uint32_t out_ssrc() const { return rewriter_.out_ssrc(); }

  // Sending is paused by mediaOnOff (later) or while waiting for a source.
  bool paused = false;
  // A video subscriber starts (and restarts, after a switch or a pause) at a
  // key frame (see KeyframeGate).
  KeyframeGate keyframe_gate;
  // Packets sent, kept to answer NACKs (video on transports that negotiate
  // NACK; null otherwise).
  std::unique_ptr<SendBuffer> send_buffer;
  // Which NACKed packets are sent again (with send_buffer, always).
  std::unique_ptr<rtp::Retransmitter> retransmitter;
  // RTX towards the subscriber (RFC 4588), when its offer had it: repairs
  // go on their own SSRC and numbering, so the subscriber's loss counts on
  // the media SSRC stay honest. 0: repairs repeat the media packet.
  uint32_t rtx_ssrc = 0;
  uint8_t rtx_payload_type = 0;
  uint16_t rtx_seq = 0;
  SubscriptionCounters counters;
  RemoteReport remote;
  // A subscription to a layered publication (null: one track): it is a
  // subscriber of every layer track, track() is the layer it is on (or
  // waits for). Its LayerSelector, not the key-frame gate, holds it until
  // a key frame.
  std::unique_ptr<SubscriptionLayers> layers;

 private:
  std::string id_;
  transport::Transport* transport_;
  Track* track_;
  RtpRewriter rewriter_;
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_SUBSCRIPTION_H_
