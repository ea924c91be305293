// TcpServer: a node thread's ICE-TCP listening port (RFC 6544, passive
// candidates only) and its accepted connections, on the thread's own loop.
//
// It knows nothing of ICE: every RFC 4571 frame a connection reads is
// handed to OnFrame with the connection's remote address, TCP-marked
// (net/peer_address.h), and Send(to, ...) frames bytes onto the connection
// of that address. The WebRTC server above it demultiplexes those frames
// exactly like UDP datagrams and tells it which connections passed an ICE
// check (SetAuthenticated).
//
// Bounded, because anyone can connect: at most maxConnections at once (more
// are accepted and closed at once, counted); a connection that has not
// passed an ICE check within idleTimeoutMs is closed; a frame longer than
// maxFrame closes its connection; each connection buffers at most
// maxBuffered bytes of unsent frames (net/tcp_connection.h).
//
// Connections are closed at once but freed on the next Tick, never from
// inside one of their own callbacks (a frame being dispatched may end up
// closing the very connection that read it).
#ifndef WEBRTC_AGENT_ADDON_NET_TCP_SERVER_H_
#define WEBRTC_AGENT_ADDON_NET_TCP_SERVER_H_

#include <netinet/in.h>
#include <node_api.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "loop/uv_handle.h"
#include "net/tcp_connection.h"
#include "net/udp_socket.h"

namespace webrtc_agent {
namespace net {

struct TcpServerOptions {
  size_t max_connections = 512;
  uint64_t idle_timeout_ms = 10000;
  // The largest frame read or written: a datagram the transports take.
  size_t max_frame = 2048;
  // Unsent bytes per connection before it is dropped as too slow: about a
  // second of a few Mbit/s of media, a key frame's burst several times over.
  size_t max_buffered = 512 * 1024;
};

struct TcpCounters {
  uint64_t accepted = 0;
  uint64_t rejected_full = 0;     // over max_connections: closed at once
  uint64_t closed_by_peer = 0;    // EOF or reset
  uint64_t closed_idle = 0;       // no ICE check passed within idle_timeout_ms
  uint64_t closed_slow = 0;       // write buffer overflowed
  uint64_t closed_bad_frame = 0;  // a frame over max_frame
  uint64_t closed_errors = 0;     // read or write errors
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;         // handed to the kernel (or queued for it)
};

class TcpServer {
 public:
  using OnFrame = std::function<void(const uint8_t*, size_t, const sockaddr_in&)>;

  TcpServer(napi_env env, uv_loop_t* loop, RecvBuffer* buffer) : env_(env), loop_(loop), buffer_(buffer) {}
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  // Listens on ip and `preferred` if free (the UDP port's number: one
  // number for firewalls to open), else the first free port of
  // [port_min, port_max] from a pseudo-random start. Empty string on success.
  std::string Listen(const std::string& ip, int preferred, int port_min, int port_max, uint32_t seed,
                     const TcpServerOptions& options, OnFrame on_frame);
  bool listening() const { return handle_.is_open(); }
  int port() const { return port_; }

  // Frames `data` onto the connection whose remote address is `to`.
  bool Send(const sockaddr_in& to, const uint8_t* data, size_t len);
  // An ICE check passed on the connection from `peer`: no idle timeout.
  void SetAuthenticated(const sockaddr_in& peer);
  void CloseConnection(const sockaddr_in& peer);
  // Idle timeouts; frees closed connections. From a timer, never from a
  // connection's own callback.
  void Tick(uint64_t now_ms);

  size_t connections() const { return conns_.size(); }
  const TcpCounters& counters() const { return counters_; }

 private:
  friend class TcpConnection;
  static void OnConnection(uv_stream_t* listener, int status);
  // Closes `c`, counts why, and moves it out of the table (freed on Tick).
  void Drop(TcpConnection* c, uint64_t TcpCounters::*why);
  void Frame(TcpConnection* c, const uint8_t* data, size_t len);
  RecvBuffer* buffer() const { return buffer_; }
  TcpCounters& mutable_counters() { return counters_; }

  napi_env env_;
  uv_loop_t* loop_;
  RecvBuffer* buffer_;
  loop::UvHandle<uv_tcp_t> handle_;
  int port_ = 0;
  TcpServerOptions options_;
  OnFrame on_frame_;
  std::unordered_map<uint64_t, std::unique_ptr<TcpConnection>> conns_;
  std::vector<std::unique_ptr<TcpConnection>> closed_;
  TcpCounters counters_;
};

}  // namespace net
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_NET_TCP_SERVER_H_
