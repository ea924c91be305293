// WebRtcServer: the one UDP port of a node thread that all its WebRTC
// transports share, the thread's DTLS certificate, and the clock that drives
// ICE consent and DTLS retransmission.
//
// Demultiplexing (RFC 7983 first byte): STUN goes to the transport whose
// local ufrag is the first half of USERNAME; DTLS, RTP and RTCP go to the
// transport a successful check bound their 5-tuple to; the rest is dropped
// and counted. One port per thread, not per transport: it is what browsers
// expect of an SFU (a single host candidate), and it keeps the port range
// from limiting how many peers a node can hold.
#ifndef WEBRTC_AGENT_ADDON_TRANSPORT_WEBRTC_SERVER_H_
#define WEBRTC_AGENT_ADDON_TRANSPORT_WEBRTC_SERVER_H_

#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "dtls/dtls_context.h"
#include "loop/timer.h"
#include "net/peer_address.h"
#include "net/tcp_server.h"
#include "net/udp_socket.h"

namespace webrtc_agent {
namespace transport {

class WebRtcTransport;

struct WebRtcServerCounters {
  uint64_t unknown_ufrag = 0;   // STUN for no transport of ours
  uint64_t unknown_tuple = 0;   // DTLS/RTP/RTCP from an address no check bound
  uint64_t not_webrtc = 0;      // none of STUN, DTLS, RTP, RTCP
  uint64_t tuples_pruned = 0;   // bound 5-tuples dropped once their ICE pair was gone
};

class WebRtcServer {
 public:
  // (transportId, type, detail): 'ice-connected', 'ice-disconnected',
  // 'dtls-connected', 'connected', 'failed'.
  using EventFn = std::function<void(const std::string&, const char*, const std::string&)>;

  WebRtcServer(napi_env env, uv_loop_t* loop, net::RecvBuffer* buffer)
      : env_(env), loop_(loop), buffer_(buffer) {}
  ~WebRtcServer();
  WebRtcServer(const WebRtcServer&) = delete;
  WebRtcServer& operator=(const WebRtcServer&) = delete;

  // Opens the port and makes the certificate. Empty string on success.
  std::string Listen(const std::string& ip, int port_min, int port_max, uint32_t seed);
  // The ICE-TCP port, after Listen. Empty string on success.
  std::string ListenTcp(const std::string& ip, int port_min, int port_max, uint32_t seed,
                        const net::TcpServerOptions& options);
  bool listening() const { return socket_.is_open(); }
  const net::TcpServer* tcp() const { return tcp_ && tcp_->listening() ? tcp_.get() : nullptr; }
  int port() const { return socket_.port(); }
  dtls::DtlsContext* dtls_context() const { return dtls_.get(); }

  void Register(WebRtcTransport* t);
  void Unregister(WebRtcTransport* t);
  // A check from `addr` succeeded for `t`: later non-STUN bytes from there are its.
  void BindTuple(const sockaddr_in& addr, WebRtcTransport* t);

  bool Send(const uint8_t* data, size_t len, const sockaddr_in& to) {
    if (net::IsTcp(to)) return tcp_ != nullptr && tcp_->Send(to, data, len);
    return socket_.Send(data, len, to);
  }
  uint64_t NowMs() const { return uv_now(loop_); }

  void set_event_fn(EventFn fn) { event_fn_ = std::move(fn); }
  // Events are queued and delivered when the datagram or tick that caused
  // them is done: a handler may close a transport, which must not happen
  // while that transport is still on the stack.
  void Emit(const std::string& transport_id, const char* type, const std::string& detail) {
    events_.push_back({transport_id, type, detail});
  }

  const WebRtcServerCounters& counters() const { return counters_; }
  // Sizes of the demultiplexing tables: all zero once every transport is gone.
  size_t registered() const { return transports_.size(); }
  size_t ufrags() const { return by_ufrag_.size(); }
  size_t tuples() const { return by_tuple_.size(); }
  const net::SocketCounters& socket_counters() const { return socket_.counters(); }

 private:
  void OnDatagram(const uint8_t* data, size_t len, const sockaddr_in& from);
  void Dispatch(const uint8_t* data, size_t len, const sockaddr_in& from);
  static void OnTick(void* self);
  void FlushEvents();
  // Drops the bound 5-tuples whose transport no longer validates them: an
  // ICE pair expires (no consent) or is evicted from the transport's
  // bounded pair table, and its tuple must go with it, or a client checking
  // from ever new addresses would grow this table for the transport's life.
  void PruneTuples();
  static uint64_t TupleKey(const sockaddr_in& a) { return net::PeerKey(a); }

  napi_env env_;
  uv_loop_t* loop_;
  net::RecvBuffer* buffer_;
  net::UdpSocket socket_;
  std::unique_ptr<net::TcpServer> tcp_;
  loop::LoopTimer timer_;
  std::unique_ptr<dtls::DtlsContext> dtls_;
  std::unordered_map<std::string, WebRtcTransport*> by_ufrag_;
  std::unordered_map<uint64_t, WebRtcTransport*> by_tuple_;
  std::vector<WebRtcTransport*> transports_;
  EventFn event_fn_;
  struct Event {
    std::string transport_id;
    const char* type;
    std::string detail;
  };
  std::vector<Event> events_;
  WebRtcServerCounters counters_;
  uint32_t ticks_ = 0;
};

}  // namespace transport
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_TRANSPORT_WEBRTC_SERVER_H_
