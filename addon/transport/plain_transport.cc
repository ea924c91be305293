#include "transport/plain_transport.h"

#include "rtp/rtp_packet.h"

namespace webrtc_agent {
namespace transport {

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
  if (cls == rtp::PacketClass::kRtcp) return RouteRtcp(data, len);
  if (LostInTransit(data, len)) return;
  RouteRtp(data, len);
}

}  // namespace transport
}  // namespace webrtc_agent
