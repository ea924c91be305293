// PlainTransport: RTP and RTCP over one UDP socket, unencrypted (RFC 5761
// multiplexing). It is how encoders, recorders and other agents exchange
// media with this agent.
//
// Remote address: set by Connect(), or learnt from the first datagram
// (comedia: for senders behind NAT, or tools that pick their own port).
// Without either, the transport only receives (a pure publisher).
// Once the remote is known, datagrams from other addresses are dropped.
#ifndef WEBRTC_AGENT_ADDON_TRANSPORT_PLAIN_TRANSPORT_H_
#define WEBRTC_AGENT_ADDON_TRANSPORT_PLAIN_TRANSPORT_H_

#include <netinet/in.h>

#include <cstdint>
#include <string>

#include "net/udp_socket.h"
#include "transport/transport.h"

namespace webrtc_agent {
namespace transport {

class PlainTransport : public Transport {
 public:
  PlainTransport(std::string id, bool comedia, uint32_t rtcp_ssrc, TransportListener* listener)
      : Transport(std::move(id), rtcp_ssrc, listener), comedia_(comedia) {}

  std::string Open(napi_env env, uv_loop_t* loop, net::RecvBuffer* buffer,
                   const std::string& ip, int port_min, int port_max, uint32_t seed);
  void Close() override { socket_.Close(); }
  PlainTransport* AsPlain() override { return this; }

  // Fixes the remote address; later datagrams from elsewhere are dropped.
  bool Connect(const std::string& ip, int port);

  int port() const { return socket_.port(); }
  bool has_remote() const { return has_remote_; }
  const sockaddr_in& remote() const { return remote_; }
  bool comedia() const { return comedia_; }
  const net::SocketCounters& socket_counters() const { return socket_.counters(); }

  bool SendRtp(const uint8_t* data, size_t len) override;
  bool SendRtcp(const uint8_t* data, size_t len) override;
  bool CanSend() const override { return has_remote_; }

 private:
  void OnDatagram(const uint8_t* data, size_t len, const sockaddr_in& from);
  bool SendTo(const uint8_t* data, size_t len);

  bool comedia_;
  net::UdpSocket socket_;
  bool has_remote_ = false;
  sockaddr_in remote_{};
};

}  // namespace transport
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_TRANSPORT_PLAIN_TRANSPORT_H_
