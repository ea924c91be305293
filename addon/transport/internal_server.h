// InternalServer: the one UDP port of a node thread that carries media
// between agents (plain RTP/RTCP, RFC 5761 mux). Each remote node we were
// told about over the RPC is one InternalTransport, keyed by its internal
// address (ip:port); within it, packets are routed by SSRC as on any
// transport. A datagram from an address nobody announced is dropped and
// counted before it is even looked at: the port faces the cluster's network,
// and only peers set up through linkup may feed it.
//
// One port per thread rather than one per link: the address a node gives out
// (getInternalAddress) must stay the same whatever it is linked to, so a
// controller can hand it to any number of agents, and the port range never
// bounds how many links a node holds.
#ifndef WEBRTC_AGENT_ADDON_TRANSPORT_INTERNAL_SERVER_H_
#define WEBRTC_AGENT_ADDON_TRANSPORT_INTERNAL_SERVER_H_

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <unordered_map>

#include "net/udp_socket.h"

namespace webrtc_agent {
namespace transport {

class InternalTransport;

struct InternalServerCounters {
  uint64_t unknown_peer = 0;  // from an address no linkup announced
  uint64_t not_rtp = 0;       // not RTP/RTCP by its first byte, or too short
  uint64_t oversized = 0;     // larger than any media packet we forward
};

class InternalServer {
 public:
  InternalServer(napi_env env, uv_loop_t* loop, net::RecvBuffer* buffer)
      : env_(env), loop_(loop), buffer_(buffer) {}
  ~InternalServer() { socket_.Close(); }
  InternalServer(const InternalServer&) = delete;
  InternalServer& operator=(const InternalServer&) = delete;

  // Opens the port once; empty string on success (also when already open).
  std::string Listen(const std::string& ip, int port_min, int port_max, uint32_t seed);
  bool listening() const { return socket_.is_open(); }
  int port() const { return socket_.port(); }

  void Register(const sockaddr_in& remote, InternalTransport* t) { by_addr_[Key(remote)] = t; }
  void Unregister(const sockaddr_in& remote) { by_addr_.erase(Key(remote)); }

  bool Send(const uint8_t* data, size_t len, const sockaddr_in& to) { return socket_.Send(data, len, to); }

  const InternalServerCounters& counters() const { return counters_; }
  const net::SocketCounters& socket_counters() const { return socket_.counters(); }

 private:
  void OnDatagram(const uint8_t* data, size_t len, const sockaddr_in& from);
  static uint64_t Key(const sockaddr_in& a) {
    return (static_cast<uint64_t>(a.sin_addr.s_addr) << 16) | a.sin_port;
  }

  napi_env env_;
  uv_loop_t* loop_;
  net::RecvBuffer* buffer_;
  net::UdpSocket socket_;
  std::unordered_map<uint64_t, InternalTransport*> by_addr_;
  InternalServerCounters counters_;
};

}  // namespace transport
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_TRANSPORT_INTERNAL_SERVER_H_
