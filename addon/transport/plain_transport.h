// PlainTransport: RTP and RTCP over one UDP socket, unencrypted (RFC 5761
// multiplexing). It is how encoders, recorders and other agents exchange
// media with this agent, and the base the WebRTC transport builds on.
//
// Remote address: set by Connect(), or learnt from the first datagram
// (comedia: for senders behind NAT, or tools that pick their own port).
// Without either, the transport only receives (a pure publisher).
// Once the remote is known, datagrams from other addresses are dropped.
#ifndef WEBRTC_AGENT_ADDON_TRANSPORT_PLAIN_TRANSPORT_H_
#define WEBRTC_AGENT_ADDON_TRANSPORT_PLAIN_TRANSPORT_H_

#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/udp_socket.h"
#include "transport/transport.h"

namespace webrtc_agent {
namespace router {
class Track;
class Subscription;
}  // namespace router
namespace transport {

class PlainTransport;

// What a transport reports upwards (the router implements it).
class PlainTransportListener {
 public:
  virtual ~PlainTransportListener() = default;
  virtual void OnRtp(PlainTransport* t, router::Track* track, const uint8_t* pkt,
                     size_t len) = 0;
  // A PLI or FIR from the subscriber for one of our outgoing SSRCs.
  virtual void OnKeyframeRequest(PlainTransport* t, router::Subscription* sub) = 0;
};

struct TransportCounters {
  uint64_t rtp_in = 0;
  uint64_t rtcp_in = 0;
  uint64_t rtp_out = 0;
  uint64_t rtcp_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> drops{};
};

class PlainTransport : public Transport {
 public:
  // Largest datagram forwarded: an RTP packet never exceeds a path MTU.
  static constexpr size_t kMaxPacket = 1500;

  PlainTransport(std::string id, bool comedia, uint32_t rtcp_ssrc,
                 PlainTransportListener* listener)
      : id_(std::move(id)), comedia_(comedia), rtcp_ssrc_(rtcp_ssrc), listener_(listener) {}

  std::string Open(napi_env env, uv_loop_t* loop, net::RecvBuffer* buffer,
                   const std::string& ip, int port_min, int port_max, uint32_t seed);
  void Close() { socket_.Close(); }

  // Fixes the remote address; later datagrams from elsewhere are dropped.
  bool Connect(const std::string& ip, int port);

  const std::string& id() const override { return id_; }
  int port() const { return socket_.port(); }
  bool has_remote() const { return has_remote_; }
  const sockaddr_in& remote() const { return remote_; }
  bool comedia() const { return comedia_; }
  uint32_t rtcp_ssrc() const { return rtcp_ssrc_; }

  bool SendRtp(const uint8_t* data, size_t len) override;
  bool SendRtcp(const uint8_t* data, size_t len) override;

  // Routing tables, kept by the router.
  void BindTrack(uint32_t ssrc, router::Track* t) { tracks_by_ssrc_[ssrc] = t; }
  void UnbindTrack(router::Track* t);
  void AddPendingTrack(router::Track* t) { pending_.push_back(t); }
  void AddSubscription(uint32_t out_ssrc, router::Subscription* s) { subs_by_ssrc_[out_ssrc] = s; }
  void RemoveSubscription(uint32_t out_ssrc) { subs_by_ssrc_.erase(out_ssrc); }
  bool HasSsrc(uint32_t ssrc) const { return tracks_by_ssrc_.count(ssrc) != 0; }

  const TransportCounters& counters() const { return counters_; }
  const net::SocketCounters& socket_counters() const { return socket_.counters(); }
  void CountDrop(DropReason r) { counters_.drops[static_cast<size_t>(r)]++; }

 private:
  void OnDatagram(const uint8_t* data, size_t len, const sockaddr_in& from);
  void OnRtcp(const uint8_t* data, size_t len);
  bool SendTo(const uint8_t* data, size_t len);

  std::string id_;
  bool comedia_;
  uint32_t rtcp_ssrc_;
  PlainTransportListener* listener_;
  net::UdpSocket socket_;
  bool has_remote_ = false;
  sockaddr_in remote_{};
  std::unordered_map<uint32_t, router::Track*> tracks_by_ssrc_;
  std::vector<router::Track*> pending_;  // waiting for their first SSRC
  std::unordered_map<uint32_t, router::Subscription*> subs_by_ssrc_;
  TransportCounters counters_;
};

}  // namespace transport
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_TRANSPORT_PLAIN_TRANSPORT_H_
