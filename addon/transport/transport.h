// Transport: where a track's packets come from and where a subscription's
// packets go. What every transport shares lives here: the routing tables
// (incoming SSRC -> track, outgoing SSRC -> subscription) and the routing of
// a clear RTP packet or RTCP compound once the transport has received (and,
// for WebRTC, decrypted) it. PlainTransport (RTP over UDP) and the WebRTC
// transport (ICE, DTLS, SRTP) differ only in how bytes get in and out.
#ifndef WEBRTC_AGENT_ADDON_TRANSPORT_TRANSPORT_H_
#define WEBRTC_AGENT_ADDON_TRANSPORT_TRANSPORT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "rtp/rtcp.h"
#include "rtp/rtp_packet.h"
#include "transport/test_loss.h"

namespace webrtc_agent {
namespace router {
class Track;
class Subscription;
}  // namespace router
namespace transport {

class PlainTransport;
class Transport;
class WebRtcTransport;
class InternalTransport;

// Why a datagram was not used. Every drop is counted by reason.
enum class DropReason : uint8_t {
  kNotRtp = 0,      // not RTP/RTCP (garbage, STUN or DTLS on a plain transport)
  kTruncated,       // shorter than its header says
  kOversized,       // larger than any media packet we forward
  kUnknownSsrc,     // RTP for no published track
  kWrongSource,     // from an address that is not the connected remote
  kNoRemote,        // nowhere to send yet (not connected, no comedia peer)
  kSendFailed,      // the kernel refused it
  kBadRtcp,         // malformed RTCP
  kCount
};

const char* DropReasonName(DropReason r);

struct TransportCounters {
  uint64_t rtp_in = 0;
  uint64_t rtcp_in = 0;
  uint64_t rtp_out = 0;
  uint64_t rtcp_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> drops{};
};

// What a transport reports upwards (the router implements it).
class TransportListener {
 public:
  virtual ~TransportListener() = default;
  // A packet for `track`, already parsed (a valid RtpPacketView) by the transport.
  virtual void OnRtp(Transport* t, router::Track* track, const rtp::RtpPacketView& packet) = 0;
  // A PLI or FIR from the subscriber for one of our outgoing SSRCs.
  virtual void OnKeyframeRequest(Transport* t, router::Subscription* sub) = 0;
  // A generic NACK from the subscriber: these sequence numbers were lost.
  virtual void OnNack(Transport* t, router::Subscription* sub, const std::vector<uint16_t>& seqs) = 0;
  // A Sender Report from the publisher of `track`.
  virtual void OnSenderReport(Transport* t, router::Track* track, const rtp::SenderInfo& info) = 0;
  // A report block (in an RR or SR) from the subscriber about our stream.
  virtual void OnReportBlock(Transport* t, router::Subscription* sub, const rtp::ReportBlock& block) = 0;
  // The transport can send from now on (a WebRTC transport's DTLS gave its
  // keys): its subscriptions that wait for a key frame ask for one now.
  virtual void OnSendable(Transport* /*t*/) {}
};

class Transport {
 public:
  // Largest packet forwarded: an RTP packet never exceeds a path MTU.
  static constexpr size_t kMaxPacket = 1500;

  Transport(std::string id, uint32_t rtcp_ssrc, TransportListener* listener)
      : id_(std::move(id)), rtcp_ssrc_(rtcp_ssrc), listener_(listener) {}
  virtual ~Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  const std::string& id() const { return id_; }
  // The SSRC this transport's own RTCP (PLI, FIR, reports) is sent from.
  uint32_t rtcp_ssrc() const { return rtcp_ssrc_; }

  // Sends a finished packet to the remote. False (and counted) if dropped.
  virtual bool SendRtp(const uint8_t* data, size_t len) = 0;
  virtual bool SendRtcp(const uint8_t* data, size_t len) = 0;
  // Whether there is a remote to send to now. Periodic reports are skipped
  // without one, rather than counted as drops every second.
  virtual bool CanSend() const = 0;
  virtual void Close() = 0;
  virtual PlainTransport* AsPlain() { return nullptr; }
  // Whether subscribers on this transport NACK lost packets (so sent video
  // is kept to answer them). Plain RTP peers do not.
  virtual bool KeepsSentPackets() const { return false; }
  virtual WebRtcTransport* AsWebRtc() { return nullptr; }
  // A repair (a NACKed packet sent again, as RTX or as itself): like
  // SendRtp, told apart where the send side estimates the bandwidth.
  virtual bool SendRepair(const uint8_t* data, size_t len) { return SendRtp(data, len); }
  // The send-side bandwidth estimate towards the subscriber, bits/s, for
  // the allocator; 0 when there is none (no transport-cc towards it).
  virtual uint64_t AvailableBitrateBps() const { return 0; }
  virtual InternalTransport* AsInternal() { return nullptr; }

  // Routing tables, kept by the router.
  void BindTrack(uint32_t ssrc, router::Track* t) { tracks_by_ssrc_[ssrc] = t; }
  virtual void UnbindTrack(router::Track* t);
  void AddPendingTrack(router::Track* t) { pending_.push_back(t); }
  void AddSubscription(uint32_t out_ssrc, router::Subscription* s) { subs_by_ssrc_[out_ssrc] = s; }
  void RemoveSubscription(uint32_t out_ssrc) { subs_by_ssrc_.erase(out_ssrc); }
  bool HasSsrc(uint32_t ssrc) const { return tracks_by_ssrc_.count(ssrc) != 0; }

  const TransportCounters& counters() const { return counters_; }
  // The newest round trip measured on this path (from a subscriber's
  // report block), in ms; -1 until there is one. The NACK generator spaces
  // its retries by it.
  int64_t rtt_ms() const { return rtt_ms_; }
  void set_rtt_ms(int64_t ms) { rtt_ms_ = ms; }
  void CountDrop(DropReason r) { counters_.drops[static_cast<size_t>(r)]++; }
  // The thread's loss-injection switch (test-only; null: none).
  void set_test_loss(TestLoss* loss) { test_loss_ = loss; }

 protected:
  // Test-only network loss, applied where a datagram arrives (before SRTP,
  // receive statistics and transport-wide feedback see it, as on a lossy
  // link): an RTP packet of a published track's media SSRC, when the
  // switch says so, counted on the track. RTX is spared, so the repairs of
  // what was lost get through. With the switch off: one load, no lookup.
  bool LostInTransit(const uint8_t* data, size_t len) {
    return test_loss_ != nullptr && test_loss_->receive_on() && LoseInTransit(data, len);
  }

  // Every clear RTP packet that parses, before it is routed and whether or
  // not a track takes it (a padding probe, a layer not bound yet): for what
  // is about the transport as a whole rather than a track.
  virtual void OnParsedRtp(const rtp::RtpPacketView& /*packet*/) {}
  // A transport-cc feedback (RTPFB FMT 15) from the subscriber, about the
  // packets this transport sent.
  virtual void OnTransportCcFeedback(const rtp::RtcpPacket& /*packet*/) {}
  // The subscriptions sent on this transport, by their SSRC.
  const std::unordered_map<uint32_t, router::Subscription*>& subscriptions_by_ssrc() const { return subs_by_ssrc_; }

  // A clear RTP packet that passed the transport's own checks: parse it
  // fully and hand it to the track its SSRC belongs to.
  void RouteRtp(const uint8_t* data, size_t len);
  // The track for a packet whose SSRC is not bound yet (the binding is then
  // kept). Plain transports give it to the first track published without an
  // SSRC; WebRTC transports look at the MID/RID header extensions.
  virtual router::Track* ResolveUnknownSsrc(const uint8_t* data, size_t len);
  // A clear RTCP compound: act on PLI, FIR, NACK and report blocks for the
  // SSRCs we send, and on Sender Reports of the tracks we receive.
  void RouteRtcp(const uint8_t* data, size_t len);

  TransportCounters counters_;
  TransportListener* listener() const { return listener_; }

 private:
  void ReportBlocks(const rtp::ReportBlock* blocks, size_t count);
  bool LoseInTransit(const uint8_t* data, size_t len);

  std::string id_;
  uint32_t rtcp_ssrc_;
  TransportListener* listener_;
  std::unordered_map<uint32_t, router::Track*> tracks_by_ssrc_;
  std::vector<router::Track*> pending_;  // waiting for their first SSRC
  std::unordered_map<uint32_t, router::Subscription*> subs_by_ssrc_;
  int64_t rtt_ms_ = -1;
  TestLoss* test_loss_ = nullptr;
};

}  // namespace transport
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_TRANSPORT_TRANSPORT_H_
