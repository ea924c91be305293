#include "transport/plain_transport.h"

#include <algorithm>

#include "router/track.h"
#include "rtp/rtcp.h"
#include "rtp/rtp_packet.h"

namespace webrtc_agent {
namespace transport {

const char* DropReasonName(DropReason r) {
  switch (r) {
    case DropReason::kNotRtp: return "notRtp";
    case DropReason::kTruncated: return "truncated";
    case DropReason::kOversized: return "oversized";
    case DropReason::kUnknownSsrc: return "unknownSsrc";
    case DropReason::kWrongSource: return "wrongSource";
    case DropReason::kNoRemote: return "noRemote";
    case DropReason::kSendFailed: return "sendFailed";
    case DropReason::kBadRtcp: return "badRtcp";
    case DropReason::kCount: break;
  }
  return "unknown";
}

std::string PlainTransport::Open(napi_env env, uv_loop_t* loop, net::RecvBuffer* buffer,
                                 const std::string& ip, int port_min, int port_max,
                                 uint32_t seed) {
  return socket_.Open(env, loop, buffer, ip, port_min, port_max, seed,
                      [this](const uint8_t* d, size_t n, const sockaddr_in& from) {
                        OnDatagram(d, n, from);
                      });
}

bool PlainTransport::Connect(const std::string& ip, int port) {
  sockaddr_in addr{};
  if (port < 1 || port > 65535 || uv_ip4_addr(ip.c_str(), port, &addr) != 0) return false;
  remote_ = addr;
  has_remote_ = true;
  return true;
}

void PlainTransport::UnbindTrack(router::Track* t) {
  for (auto it = tracks_by_ssrc_.begin(); it != tracks_by_ssrc_.end();) {
    if (it->second == t) it = tracks_by_ssrc_.erase(it);
    else ++it;
  }
  pending_.erase(std::remove(pending_.begin(), pending_.end(), t), pending_.end());
}

bool PlainTransport::SendTo(const uint8_t* data, size_t len) {
  if (!has_remote_) {
    CountDrop(DropReason::kNoRemote);
    return false;
  }
  if (!socket_.Send(data, len, remote_)) {
    CountDrop(DropReason::kSendFailed);
    return false;
  }
  counters_.bytes_out += len;
  return true;
}

bool PlainTransport::SendRtp(const uint8_t* data, size_t len) {
  if (!SendTo(data, len)) return false;
  counters_.rtp_out++;
  return true;
}

bool PlainTransport::SendRtcp(const uint8_t* data, size_t len) {
  if (!SendTo(data, len)) return false;
  counters_.rtcp_out++;
  return true;
}

static bool SameAddress(const sockaddr_in& a, const sockaddr_in& b) {
  return a.sin_addr.s_addr == b.sin_addr.s_addr && a.sin_port == b.sin_port;
}

void PlainTransport::OnDatagram(const uint8_t* data, size_t len, const sockaddr_in& from) {
  // RFC 7983: only RTP and RTCP (first byte 128..191) belong on a plain
  // transport; garbage, STUN and DTLS do not.
  const rtp::PacketClass cls = rtp::Classify(data, len);
  if (cls != rtp::PacketClass::kRtp && cls != rtp::PacketClass::kRtcp) {
    return CountDrop(len > 0 && data[0] >= 128 && data[0] <= 191 ? DropReason::kTruncated
                                                                  : DropReason::kNotRtp);
  }
  if (len > kMaxPacket) return CountDrop(DropReason::kOversized);
  if (has_remote_) {
    if (!SameAddress(from, remote_)) return CountDrop(DropReason::kWrongSource);
  } else if (comedia_) {
    remote_ = from;  // the first sender becomes the peer
    has_remote_ = true;
  }
  counters_.bytes_in += len;
  if (cls == rtp::PacketClass::kRtcp) {
    counters_.rtcp_in++;
    return OnRtcp(data, len);
  }
  // A full parse, not just the fixed header: CSRCs, extension and padding
  // must all fit, or later stages (key-frame detection, extension rewrite)
  // would read past the packet.
  rtp::RtpPacketView view(data, len);
  if (!view.Parse()) return CountDrop(DropReason::kTruncated);
  counters_.rtp_in++;
  const uint32_t ssrc = view.ssrc();
  auto it = tracks_by_ssrc_.find(ssrc);
  router::Track* track = nullptr;
  if (it != tracks_by_ssrc_.end()) {
    track = it->second;
  } else if (!pending_.empty()) {
    // A track published without an SSRC takes the first one it sees.
    track = pending_.front();
    pending_.erase(pending_.begin());
    track->ssrc = ssrc;
    tracks_by_ssrc_[ssrc] = track;
  } else {
    return CountDrop(DropReason::kUnknownSsrc);
  }
  listener_->OnRtp(this, track, data, len);
}

void PlainTransport::OnRtcp(const uint8_t* data, size_t len) {
  // Act on PLI and FIR (RFC 4585, RFC 5104) for the SSRCs we send; SR, RR,
  // SDES, NACK and the rest are read past for now. A compound that does not
  // hold together is dropped whole.
  if (!rtp::IsValidRtcpCompound(data, len)) return CountDrop(DropReason::kBadRtcp);
  rtp::RtcpCompoundReader reader(data, len);
  rtp::RtcpPacket packet;
  while (reader.Next(&packet)) {
    if (packet.type != rtp::kRtcpPsfb) continue;
    if (packet.count == rtp::kPsfbPli) {
      rtp::Pli pli;
      if (!rtp::ParsePli(packet, &pli)) continue;
      auto s = subs_by_ssrc_.find(pli.header.media_ssrc);
      if (s != subs_by_ssrc_.end()) listener_->OnKeyframeRequest(this, s->second);
    } else if (packet.count == rtp::kPsfbFir) {
      rtp::Fir fir;
      if (!rtp::ParseFir(packet, &fir)) continue;
      for (const rtp::FirEntry& e : fir.entries) {
        auto s = subs_by_ssrc_.find(e.ssrc);
        if (s != subs_by_ssrc_.end()) listener_->OnKeyframeRequest(this, s->second);
      }
    }
  }
}

}  // namespace transport
}  // namespace webrtc_agent
