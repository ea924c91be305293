#include "transport/webrtc_transport.h"

#include <arpa/inet.h>
#include <uv.h>

#include <algorithm>
#include <cstring>

#include "net/peer_address.h"
#include "router/subscription.h"
#include "router/track.h"
#include "rtp/byte_io.h"
#include "rtp/rtp_packet.h"
#include "rtp/transport_sequence.h"
#include "transport/webrtc_server.h"

namespace webrtc_agent {
namespace transport {

namespace {

ice::Address ToIce(const sockaddr_in& a) {
  uint8_t ip[4];
  std::memcpy(ip, &a.sin_addr.s_addr, 4);
  ice::Address out = ice::Address::V4(ip, ntohs(a.sin_port));
  out.tcp = net::IsTcp(a);  // an ICE-TCP pair is not the UDP one with the same ip:port
  return out;
}

bool ToSockaddr(const ice::Address& a, sockaddr_in* out) {
  if (a.family != ice::Address::kIPv4) return false;
  std::memset(out, 0, sizeof(*out));
  out->sin_family = AF_INET;
  std::memcpy(&out->sin_addr.s_addr, a.ip, 4);
  out->sin_port = htons(a.port);
  if (a.tcp) net::MarkTcp(out);
  return true;
}

bool ProfileOf(dtls::SrtpProfile p, srtp::Profile* out) {
  return srtp::ProfileFromDtlsId(static_cast<uint16_t>(p), out);
}

// Most padding one probe tick sends: a burst larger than this would only
// fill the path's queue (ProbeController's clusters stay below it).
constexpr uint32_t kMaxProbeBytesPerTick = 64000;
constexpr size_t kPaddingPerPacket = 255;  // the most one RTP padding count says

int64_t NowUs() { return static_cast<int64_t>(uv_hrtime() / 1000); }

// Removes the RTP header extension block in place (X bit cleared): the
// publisher's extension ids and values (its MID above all) mean nothing to a
// subscriber, which demultiplexes by the SSRC the answer announced.
size_t StripExtensions(uint8_t* pkt, size_t len) {
  if ((pkt[0] & 0x10) == 0) return len;
  const size_t at = 12 + 4 * static_cast<size_t>(pkt[0] & 0x0f);
  if (at + 4 > len) return len;
  const size_t ext = 4 + 4 * static_cast<size_t>(rtp::LoadU16(pkt + at + 2));
  if (at + ext > len) return len;
  std::memmove(pkt + at, pkt + at + ext, len - at - ext);
  pkt[0] &= static_cast<uint8_t>(~0x10);
  return len - ext;
}

}  // namespace

WebRtcTransport::WebRtcTransport(std::string id, uint32_t rtcp_ssrc, TransportListener* listener,
                                 WebRtcServer* server, std::string ufrag, std::string pwd,
                                 uint64_t now_ms, const ice::IceLiteConfig& ice_config)
    : Transport(std::move(id), rtcp_ssrc, listener),
      server_(server),
      ufrag_(ufrag),
      ice_(std::move(ufrag), std::move(pwd), now_ms, ice_config),
      consent_timeout_ms_(ice_config.failed_after_ms) {
  server_->Register(this);
}

WebRtcTransport::~WebRtcTransport() { Close(); }

void WebRtcTransport::Close() {
  if (closed_) return;
  closed_ = true;
  if (dtls_ && dtls_->state() == dtls::DtlsState::kConnected) {
    dtls_->Close();  // close_notify: the browser learns at once, not by timeout
    FlushDtls();
  }
  server_->Unregister(this);
}

bool WebRtcTransport::SetRemote(const std::string& ufrag, const std::string& fp_algorithm,
                                const std::string& fp_value, dtls::DtlsRole role,
                                std::string* error) {
  if (remote_set_) {
    *error = "remote description already set";
    return false;
  }
  dtls::DtlsTransportOptions opts;
  dtls_ = dtls::DtlsTransport::Create(server_->dtls_context(), role, opts, error);
  if (!dtls_) return false;
  if (!dtls_->SetRemoteFingerprint(fp_algorithm, fp_value)) {
    *error = "fingerprint: not a valid " + fp_algorithm + " fingerprint";
    dtls_.reset();
    return false;
  }
  ice_.SetRemoteUfrag(ufrag);
  role_ = role;
  remote_set_ = true;
  // A server waits for the ClientHello; a client starts once ICE has
  // selected the path (Tick/OnStun).
  if (role_ == dtls::DtlsRole::kServer) dtls_->Start(server_->NowMs());
  return true;
}

void WebRtcTransport::UnbindTrack(router::Track* t) {
  Transport::UnbindTrack(t);
  mids_.erase(std::remove_if(mids_.begin(), mids_.end(), [t](const MidBinding& b) { return b.track == t; }),
              mids_.end());
}

bool WebRtcTransport::selected(sockaddr_in* out) const {
  ice::Address a;
  return ice_.selected(&a) && ToSockaddr(a, out);
}

bool WebRtcTransport::Validates(const sockaddr_in& from) const {
  return !closed_ && !failed_ && ice_.IsValidated(ToIce(from));
}

const char* WebRtcTransport::srtp_profile_name() const {
  return dtls_ ? dtls::SrtpProfileName(dtls_->srtp_profile()) : "";
}

void WebRtcTransport::OnStun(const uint8_t* data, size_t len, const sockaddr_in& from, uint64_t now_ms) {
  if (closed_ || failed_) return;
  wcounters_.stun_in++;
  uint8_t reply[128];
  size_t reply_len = sizeof(reply);
  const ice::Decision d = ice_.OnBindingRequest(data, len, ToIce(from), now_ms, reply, &reply_len);
  if (d.respond && reply_len > 0) server_->Send(reply, reply_len, from);
  switch (d.result) {
    case ice::CheckResult::kSuccess: wcounters_.stun_ok++; break;
    case ice::CheckResult::kBadRequest:
    case ice::CheckResult::kUnauthorized:
    case ice::CheckResult::kRoleConflict: wcounters_.stun_rejected++; break;
    default: wcounters_.stun_dropped++; break;
  }
  if (d.result == ice::CheckResult::kSuccess) server_->BindTuple(from, this);
  if (d.selected_changed) {
    if (!ice_was_connected_) {
      ice_was_connected_ = true;
      server_->Emit(id(), "ice-connected", "");
    }
    // A DTLS client starts as soon as there is a path to send on.
    if (remote_set_ && role_ == dtls::DtlsRole::kClient && dtls_->state() == dtls::DtlsState::kNew) {
      dtls_->Start(now_ms);
      FlushDtls();
    }
  }
}

void WebRtcTransport::OnDtls(const uint8_t* data, size_t len, const sockaddr_in& from, uint64_t now_ms) {
  if (closed_ || failed_) return;
  if (!ice_.IsValidated(ToIce(from))) {
    wcounters_.unvalidated++;
    return;
  }
  wcounters_.dtls_in++;
  if (!dtls_) return;  // before the answer's remote description: nothing to do yet
  // DTLS is answered on the validated tuple it came from. The controlling
  // agent (a browser) may start DTLS after its first successful check and
  // nominate only later: waiting for the nomination would drop the server's
  // first flight and leave the handshake to OpenSSL's 1 s retransmission.
  dtls_peer_ = from;
  has_dtls_peer_ = true;
  dtls_->Feed(data, len, now_ms);
  FlushDtls();
  AfterDtls(now_ms);
}

void WebRtcTransport::AfterDtls(uint64_t /*now_ms*/) {
  dtls::DtlsState st;
  while (dtls_ && dtls_->PopStateChange(&st)) {
    if (st == dtls::DtlsState::kConnected && !srtp_.protect) {
      dtls::SrtpKeys keys;
      srtp::Profile profile;
      if (!dtls_->GetSrtpKeys(&keys) || !ProfileOf(keys.profile, &profile)) {
        Fail("DTLS gave no usable SRTP keys");
        return;
      }
      srtp_.protect = srtp::SrtpSession::Create(profile, srtp::Direction::kProtect, keys.local_key,
                                                keys.key_size, keys.local_salt, keys.salt_size);
      srtp_.unprotect = srtp::SrtpSession::Create(profile, srtp::Direction::kUnprotect, keys.remote_key,
                                                  keys.key_size, keys.remote_salt, keys.salt_size);
      if (!srtp_.protect || !srtp_.unprotect) {
        srtp_.protect.reset();
        srtp_.unprotect.reset();
        Fail("SRTP session setup failed");
        return;
      }
      server_->Emit(id(), "dtls-connected", dtls::SrtpProfileName(keys.profile));
      server_->Emit(id(), "connected", "");
      listener()->OnSendable(this);
    } else if (st == dtls::DtlsState::kFailed) {
      Fail("DTLS: " + dtls_->failure_reason());
      return;
    } else if (st == dtls::DtlsState::kClosed) {
      Fail("DTLS closed by the peer");
      return;
    }
  }
}

bool WebRtcTransport::MediaDestination(sockaddr_in* out) const {
  // The nominated pair; until the client nominates one (Chromium does so
  // after DTLS is done), the validated tuple its DTLS came from. Without
  // it a key frame sent right after the handshake was lost, and the
  // subscriber waited a second for the next request to pass the throttle.
  if (selected(out)) return true;
  if (has_dtls_peer_ && ice_.IsValidated(ToIce(dtls_peer_))) {
    *out = dtls_peer_;
    return true;
  }
  return false;
}

bool WebRtcTransport::DtlsDestination(sockaddr_in* out) const {
  // The tuple the peer's DTLS last came from, while its consent holds;
  // otherwise the nominated pair (a DTLS client's first flight, or a
  // close_notify after the peer moved).
  if (has_dtls_peer_ && ice_.IsValidated(ToIce(dtls_peer_))) {
    *out = dtls_peer_;
    return true;
  }
  return selected(out);
}

void WebRtcTransport::FlushDtls() {
  sockaddr_in to;
  std::vector<uint8_t> datagram;
  if (!DtlsDestination(&to)) {
    // No path at all (nothing validated): drop the flight; DTLS
    // retransmits it once there is one. Counted.
    while (dtls_ && dtls_->PopOutgoing(&datagram)) wcounters_.dtls_unsent++;
    return;
  }
  while (dtls_ && dtls_->PopOutgoing(&datagram)) server_->Send(datagram.data(), datagram.size(), to);
}

void WebRtcTransport::OnSrtp(bool rtcp, const uint8_t* data, size_t len, const sockaddr_in& from) {
  if (closed_ || failed_) return;
  if (!ice_.IsValidated(ToIce(from))) {
    wcounters_.unvalidated++;
    return;
  }
  if (!srtp_.unprotect) {
    wcounters_.before_keys++;
    return;
  }
  if (len > in_.size()) return CountDrop(DropReason::kOversized);
  // The RTP header (and so its SSRC) is in the clear in SRTP.
  if (!rtcp && LostInTransit(data, len)) return;
  // Decrypted into its own buffer: the fan-out that follows sends through
  // transports (maybe this one) that encrypt into out_.
  std::memcpy(in_.data(), data, len);
  size_t n = len;
  const srtp::Result r = rtcp ? srtp_.unprotect->UnprotectRtcp(in_.data(), &n)
                              : srtp_.unprotect->UnprotectRtp(in_.data(), &n);
  if (r != srtp::Result::kOk) {
    wcounters_.srtp_failures++;
    return;
  }
  counters_.bytes_in += len;
  if (rtcp) {
    RouteRtcp(in_.data(), n);
    return;
  }
  RouteRtp(in_.data(), n);
}

void WebRtcTransport::OnParsedRtp(const rtp::RtpPacketView& packet) {
  // Every packet the peer sent on this transport counts for its estimate,
  // also those no track takes (padding probes on the RTX SSRC, a layer not
  // bound yet). Timed before routing, with uv_hrtime: the loop's
  // millisecond clock is four times coarser than a feedback delta.
  if (!twcc_) return;
  const rtp::ByteSpan ext = packet.FindExtension(twcc_ext_);
  if (!ext.present() || ext.size < 2) return;
  twcc_->OnPacket(rtp::LoadU16(ext.data), uv_hrtime() / 1000);
  twcc_media_ssrc_ = packet.ssrc();
}

void WebRtcTransport::SetTransportCc(uint8_t ext_id) {
  if (ext_id == twcc_ext_) return;  // every published m-line of a bundle names the same id
  twcc_ext_ = ext_id;
  if (ext_id == 0) twcc_.reset();
  else twcc_ = std::make_unique<rtp::TwccFeedback>();
}

void WebRtcTransport::SendTransportFeedback(uint64_t now_ms) {
  if (!twcc_ || !CanSend() || !twcc_->HasPending() || now_ms - twcc_last_ms_ < kTwccIntervalMs) return;
  twcc_last_ms_ = now_ms;
  // Usually one packet; more after a stall or a burst. Bounded, so a
  // window full of arrivals cannot hold the loop (the rest waits a tick).
  for (int i = 0; i < 8 && twcc_->HasPending(); ++i) {
    // Sent alone (reduced-size RTCP, RFC 5506: the answer has rtcp-rsize).
    const size_t n = twcc_->Build(twcc_buf_.data(), twcc_buf_.size(), rtcp_ssrc(), twcc_media_ssrc_);
    if (n == 0 || !SendRtcp(twcc_buf_.data(), n)) return;
    wcounters_.twcc_feedback_sent++;
  }
}

router::Track* WebRtcTransport::ResolveUnknownSsrc(const uint8_t* data, size_t len) {
  if (mids_.empty()) return nullptr;
  rtp::RtpPacketView view(data, len);
  if (!view.Parse()) return nullptr;
  for (MidBinding& b : mids_) {
    if (b.mid_ext == 0 || b.track->ssrc != 0) continue;  // bound already, or no MID to go by
    const rtp::ByteSpan mid = view.FindExtension(b.mid_ext);
    if (!mid.present() || b.mid.size() != mid.size || std::memcmp(b.mid.data(), mid.data, mid.size) != 0) continue;
    if (!b.rid.empty()) {
      const rtp::ByteSpan rid = b.rid_ext ? view.FindExtension(b.rid_ext) : rtp::ByteSpan{};
      if (!rid.present() || b.rid.size() != rid.size || std::memcmp(b.rid.data(), rid.data, rid.size) != 0) continue;
    }
    return b.track;
  }
  return nullptr;
}

void WebRtcTransport::Tick(uint64_t now_ms) {
  if (closed_ || failed_) return;
  const ice::IceState before = ice_.state();
  const ice::IceState after = ice_.Tick(now_ms);
  if (after != before) {
    if (after == ice::IceState::kFailed) return Fail("ICE: consent expired (no valid check for " + std::to_string(consent_timeout_ms_) + " ms)");
    if (after == ice::IceState::kDisconnected) server_->Emit(id(), "ice-disconnected", "");
    if (after == ice::IceState::kConnected && before == ice::IceState::kDisconnected) {
      server_->Emit(id(), "ice-connected", "");
    }
  }
  if (dtls_ && dtls_->state() == dtls::DtlsState::kConnecting) {
    dtls_->Tick(now_ms);
    FlushDtls();
    AfterDtls(now_ms);
  }
}

void WebRtcTransport::Fail(const std::string& reason) {
  if (failed_) return;
  failed_ = true;
  srtp_.protect.reset();
  srtp_.unprotect.reset();
  server_->Emit(id(), "failed", reason);
}

void WebRtcTransport::EnableSendSideBwe(uint8_t ext_id, const bwe::BweConfig& config) {
  if (bwe_ || ext_id == 0) return;
  send_twcc_ext_ = ext_id;
  bwe_ = std::make_unique<bwe::SendSideBwe>(config);
  if (desired_bps_ != 0) bwe_->SetDesiredBitrate(desired_bps_);
}

void WebRtcTransport::SetDesiredBitrateBps(uint64_t bps) {
  desired_bps_ = bps;
  if (bwe_) bwe_->SetDesiredBitrate(bps);
}

void WebRtcTransport::OnTransportCcFeedback(const rtp::RtcpPacket& packet) {
  bwe_counters_.feedback_in++;
  if (rtp::ParseTransportCc(packet, &feedback_) != rtp::TransportCcError::kNone) {
    bwe_counters_.feedback_malformed++;
    return;
  }
  if (!bwe_) {
    bwe_counters_.feedback_unused++;
    return;
  }
  // The RTT of the subscriber's reports, when there is one, is better than
  // the feedback's own (which includes the receiver's feedback interval).
  if (rtt_ms() >= 0) bwe_->OnRtt(rtt_ms());
  bwe_->OnFeedback(feedback_, NowUs());
}

router::Subscription* WebRtcTransport::ProbeCarrier() const {
  for (const auto& [ssrc, sub] : subscriptions_by_ssrc()) {
    if (sub->rtx_ssrc != 0 && !sub->paused && sub->rewriter().started()) return sub;
  }
  return nullptr;
}

void WebRtcTransport::SendProbes(uint64_t /*now_ms*/) {
  if (!bwe_ || !CanSend() || bwe_->history().sent == 0) return;  // probes start with the media
  // Padding goes on the RTX stream of a video subscription: the receiver
  // knows that SSRC (the answer announced it) and drops what it carries,
  // and the media streams' numbering is left alone.
  // Nothing is asked while there is no carrier, so no cluster is started
  // and then never sent; the controller's schedule waits.
  router::Subscription* carrier = ProbeCarrier();
  if (carrier == nullptr) return;
  const int64_t now_us = NowUs();
  bwe::ProbeRequest probe;
  uint32_t budget = kMaxProbeBytesPerTick;
  std::array<uint8_t, 320> pkt{};
  while (budget > 0 && bwe_->NextProbe(now_us, &probe)) {
    uint32_t left = std::min(probe.bytes, budget);
    budget -= left;
    while (left > 0) {
      const size_t padding = std::min<size_t>(kPaddingPerPacket, left);
      const size_t n = rtp::BuildPaddingPacket(pkt.data(), pkt.size(), carrier->rtx_payload_type, carrier->rtx_seq,
                                               carrier->rewriter().last_timestamp(), carrier->rtx_ssrc,
                                               send_twcc_ext_, bwe_->next_sequence(), padding);
      left -= static_cast<uint32_t>(padding);
      if (n == 0) break;
      if (!SendProtected(false, pkt.data(), n, bwe::PacketKind::kPadding, probe.cluster)) break;
      carrier->rtx_seq++;
      counters_.rtp_out++;
      bwe_counters_.padding_packets++;
      bwe_counters_.padding_bytes += n;
    }
  }
}

bool WebRtcTransport::SendProtected(bool rtcp, const uint8_t* data, size_t len, bwe::PacketKind kind,
                                    int32_t cluster) {
  sockaddr_in to;
  if (!srtp_.protect || !MediaDestination(&to)) {
    CountDrop(DropReason::kNoRemote);
    return false;
  }
  // Room for the SRTP tag and the SRTCP index.
  if (len + 32 > out_.size()) {
    CountDrop(DropReason::kOversized);
    return false;
  }
  size_t n;
  if (rtcp) {
    std::memcpy(out_.data(), data, len);
    n = len;
  } else if (bwe_) {
    // Copied with the transport-wide number in place of the publisher's
    // extensions (a padding packet of ours already has its number).
    n = kind == bwe::PacketKind::kPadding
            ? (std::memcpy(out_.data(), data, len), len)
            : rtp::CopyWithTransportSequence(data, len, send_twcc_ext_, bwe_->next_sequence(), out_.data(),
                                             out_.size() - 32);
    if (n == 0) {
      CountDrop(DropReason::kTruncated);
      return false;
    }
  } else {
    std::memcpy(out_.data(), data, len);
    n = StripExtensions(out_.data(), len);
  }
  const bool ok = rtcp ? srtp_.protect->ProtectRtcp(out_.data(), &n, out_.size())
                       : srtp_.protect->ProtectRtp(out_.data(), &n, out_.size());
  if (!ok) {
    wcounters_.protect_failures++;
    return false;
  }
  if (!server_->Send(out_.data(), n, to)) {
    CountDrop(DropReason::kSendFailed);
    return false;
  }
  counters_.bytes_out += n;
  // The number is spent only by a packet that left: the next one reuses it
  // otherwise, so the receiver sees no gap the path did not make.
  if (!rtcp && bwe_) bwe_->OnPacketSent(static_cast<uint32_t>(n), kind, cluster, NowUs());
  return true;
}

bool WebRtcTransport::SendRtp(const uint8_t* data, size_t len) {
  if (!SendProtected(false, data, len)) return false;
  counters_.rtp_out++;
  return true;
}

bool WebRtcTransport::SendRepair(const uint8_t* data, size_t len) {
  if (!SendProtected(false, data, len, bwe::PacketKind::kRtx)) return false;
  counters_.rtp_out++;
  return true;
}

bool WebRtcTransport::SendRtcp(const uint8_t* data, size_t len) {
  if (!SendProtected(true, data, len)) return false;
  counters_.rtcp_out++;
  return true;
}

}  // namespace transport
}  // namespace webrtc_agent
