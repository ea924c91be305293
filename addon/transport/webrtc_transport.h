// WebRtcTransport: one PeerConnection's media path. ICE-lite checks
// validate and select the client's address; DTLS (over that address) yields
// the SRTP keys; media then flows as SRTP/SRTCP, decrypted into the same
// routing every transport shares (Transport::RouteRtp/RouteRtcp).
//
// All of a node thread's WebRTC transports share one UDP port
// (WebRtcServer): STUN finds its transport by the ICE ufrag, everything else
// by the 5-tuple a successful check bound to it. Bytes from an address that
// has not passed a check are dropped.
//
// The protocol objects (IceLiteAgent, DtlsTransport, SrtpSession) take bytes
// and a clock; this class only wires them together and to the socket.
#ifndef WEBRTC_AGENT_ADDON_TRANSPORT_WEBRTC_TRANSPORT_H_
#define WEBRTC_AGENT_ADDON_TRANSPORT_WEBRTC_TRANSPORT_H_

#include <netinet/in.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "bwe/send_side_bwe.h"
#include "dtls/dtls_transport.h"
#include "ice/ice_lite.h"
#include "rtp/transport_cc.h"
#include "rtp/twcc_feedback.h"
#include "srtp/srtp_session.h"
#include "transport/transport.h"

namespace webrtc_agent {
namespace transport {

class WebRtcServer;

// A published track recognised by its MID (and RID) header extension, for
// when the client did not announce its SSRC (simulcast, or SSRCs omitted).
struct MidBinding {
  router::Track* track = nullptr;
  std::string mid;
  std::string rid;
  uint8_t mid_ext = 0;
  uint8_t rid_ext = 0;
};

struct WebRtcCounters {
  uint64_t stun_in = 0;
  uint64_t stun_ok = 0;         // checks answered 200
  uint64_t stun_rejected = 0;   // answered 400 (malformed), 401 (bad credentials) or 487 (role)
  uint64_t stun_dropped = 0;    // not answered: bad FINGERPRINT, not a Binding request ...
  uint64_t dtls_in = 0;
  uint64_t unvalidated = 0;     // media or DTLS from an address no check validated
  uint64_t before_keys = 0;     // SRTP before DTLS gave keys
  uint64_t srtp_failures = 0;   // auth, replay, malformed
  uint64_t protect_failures = 0;
  uint64_t twcc_feedback_sent = 0;  // transport-cc feedback packets sent
  uint64_t dtls_unsent = 0;     // DTLS datagrams dropped: no validated path to send them on
};

// The send side of transport-cc (towards a subscriber), beside the
// estimator's own figures.
struct SendBweCounters {
  uint64_t feedback_in = 0;         // transport-cc feedback packets received
  uint64_t feedback_malformed = 0;  // of those, not parsed (ParseTransportCc's error)
  uint64_t feedback_unused = 0;     // parsed before the estimator existed (not negotiated)
  uint64_t padding_packets = 0;     // padding sent to probe
  uint64_t padding_bytes = 0;
};

class WebRtcTransport : public Transport {
 public:
  WebRtcTransport(std::string id, uint32_t rtcp_ssrc, TransportListener* listener,
                  WebRtcServer* server, std::string ufrag, std::string pwd, uint64_t now_ms,
                  const ice::IceLiteConfig& ice_config = {});
  ~WebRtcTransport() override;

  // From the answer: the client's ufrag and fingerprint, and our DTLS role.
  bool SetRemote(const std::string& ufrag, const std::string& fp_algorithm,
                 const std::string& fp_value, dtls::DtlsRole role, std::string* error);
  void BindMid(const MidBinding& b) { mids_.push_back(b); }
  void UnbindTrack(router::Track* t) override;
  // Transport-wide congestion control: the id the answer gave the
  // transport-wide sequence number extension (1..255), or 0 for none. From
  // then on every incoming RTP packet's number and arrival time are noted,
  // and SendTransportFeedback reports them.
  void SetTransportCc(uint8_t ext_id);
  uint8_t transport_cc_ext() const { return twcc_ext_; }
  // Called on every RTCP tick: at most one round of feedback per
  // kTwccIntervalMs, and only when something new arrived.
  void SendTransportFeedback(uint64_t now_ms);
  const rtp::TwccFeedback* twcc() const { return twcc_.get(); }

  // Send-side bandwidth estimation towards the subscriber: the id the
  // answer gave the transport-wide sequence number on the m-lines the
  // agent sends (1..255). From then on every RTP packet sent carries a
  // number (media, repairs, padding), the subscriber's transport-cc
  // feedback is read, and the estimate is kept. Set once; later calls
  // (every sent m-line of a bundle names the same id) change nothing.
  void EnableSendSideBwe(uint8_t ext_id, const bwe::BweConfig& config);
  uint8_t send_transport_cc_ext() const { return send_twcc_ext_; }
  const bwe::SendSideBwe* bwe() const { return bwe_.get(); }
  const SendBweCounters& bwe_counters() const { return bwe_counters_; }
  // The allocator's view: the estimate (bits/s), 0 without one.
  uint64_t AvailableBitrateBps() const override { return bwe_ ? bwe_->estimate_bps() : 0; }
  // What the subscriptions would send at most: probes never go above it
  // (0: the configured maximum).
  void SetDesiredBitrateBps(uint64_t bps);
  // Called on every RTCP tick: sends the padding of probe clusters the
  // estimator asks for, on the RTX stream of one of the transport's video
  // subscriptions (none: no probing, counted).
  void SendProbes(uint64_t now_ms);
  // The video subscription whose RTX stream carries probe padding (the
  // first one with RTX that is sending); null when none can.
  router::Subscription* ProbeCarrier() const;
  // Test-only: the router's simulated receive loss took the packet being
  // routed; it is then not reported as arrived either, as with real loss.
  // Chromium's receivers send feedback every 50..250 ms depending on rate;
  // 50 ms keeps the sender's delay estimate fresh at a few hundred bytes/s.
  static constexpr uint64_t kTwccIntervalMs = 50;
  WebRtcTransport* AsWebRtc() override { return this; }
  bool KeepsSentPackets() const override { return true; }

  // From the server's demultiplexer.
  void OnStun(const uint8_t* data, size_t len, const sockaddr_in& from, uint64_t now_ms);
  void OnDtls(const uint8_t* data, size_t len, const sockaddr_in& from, uint64_t now_ms);
  void OnSrtp(bool rtcp, const uint8_t* data, size_t len, const sockaddr_in& from);
  void Tick(uint64_t now_ms);

  bool SendRtp(const uint8_t* data, size_t len) override;
  bool SendRepair(const uint8_t* data, size_t len) override;
  bool SendRtcp(const uint8_t* data, size_t len) override;
  bool CanSend() const override { return !closed_ && !failed_ && srtp_.protect != nullptr; }
  void Close() override;

  const std::string& ufrag() const { return ufrag_; }
  ice::IceState ice_state() const { return ice_.state(); }
  dtls::DtlsState dtls_state() const { return dtls_ ? dtls_->state() : dtls::DtlsState::kNew; }
  bool connected() const { return srtp_.protect != nullptr; }
  bool failed() const { return failed_; }
  bool selected(sockaddr_in* out) const;
  // Whether `from` is still a validated pair of this transport (its consent
  // not expired, not evicted from the ICE agent's bounded table).
  bool Validates(const sockaddr_in& from) const;
  const WebRtcCounters& webrtc_counters() const { return wcounters_; }
  uint64_t dtls_retransmissions() const { return dtls_ ? dtls_->stats().retransmissions : 0; }
  const char* srtp_profile_name() const;

 protected:
  router::Track* ResolveUnknownSsrc(const uint8_t* data, size_t len) override;
  // Notes the transport-wide sequence number (transport-cc), if it has one.
  void OnParsedRtp(const rtp::RtpPacketView& packet) override;
  void OnTransportCcFeedback(const rtp::RtcpPacket& packet) override;

 private:
  void FlushDtls();
  bool DtlsDestination(sockaddr_in* out) const;
  bool MediaDestination(sockaddr_in* out) const;
  void AfterDtls(uint64_t now_ms);
  void Fail(const std::string& reason);
  bool SendProtected(bool rtcp, const uint8_t* data, size_t len, bwe::PacketKind kind = bwe::PacketKind::kMedia,
                     int32_t cluster = bwe::kNoCluster);

  WebRtcServer* server_;
  std::string ufrag_;
  ice::IceLiteAgent ice_;
  uint64_t consent_timeout_ms_;
  std::unique_ptr<dtls::DtlsTransport> dtls_;
  dtls::DtlsRole role_ = dtls::DtlsRole::kServer;
  bool remote_set_ = false;
  sockaddr_in dtls_peer_{};  // where the peer's DTLS last came from (validated)
  bool has_dtls_peer_ = false;
  bool ice_was_connected_ = false;
  bool failed_ = false;
  bool closed_ = false;
  srtp::SessionPair srtp_;
  std::vector<MidBinding> mids_;
  uint8_t twcc_ext_ = 0;
  std::unique_ptr<rtp::TwccFeedback> twcc_;
  uint32_t twcc_media_ssrc_ = 0;  // the SSRC of the newest packet with a number
  uint64_t twcc_last_ms_ = 0;
  std::array<uint8_t, 1200> twcc_buf_{};  // not out_: SendRtcp encrypts into that
  uint8_t send_twcc_ext_ = 0;
  std::unique_ptr<bwe::SendSideBwe> bwe_;
  rtp::TransportCc feedback_;  // parsed feedback, reused
  SendBweCounters bwe_counters_;
  uint64_t desired_bps_ = 0;
  std::array<uint8_t, 2048> in_{};   // decrypted incoming packet
  std::array<uint8_t, 2048> out_{};  // outgoing packet being encrypted
  WebRtcCounters wcounters_;
};

}  // namespace transport
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_TRANSPORT_WEBRTC_TRANSPORT_H_
