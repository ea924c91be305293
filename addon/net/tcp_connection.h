// TcpConnection: one accepted ICE-TCP connection (RFC 6544, passive side)
// on a node thread's loop.
//
// Reads go through an Rfc4571Framer; each whole frame is handed to the
// TcpServer as if it were a datagram from the connection's (TCP-marked)
// remote address. Writes are framed and never block the thread: a frame
// is first offered to the kernel with uv_try_write; what the kernel does
// not take waits in a per-connection buffer that one uv_write drains. That
// buffer is bounded (TcpServer's maxBuffered): a peer that reads too slowly
// or not at all makes it overflow, and the connection is dropped (counted)
// rather than letting a backlog of stale media grow or stalling the other
// peers. Media on TCP is late when it is queued; dropping the peer, whose
// ICE then fails or moves to another pair, is the honest outcome.
//
// The handle goes through UvHandle (addon/loop/uv_handle.h). Closing
// detaches it at once (no later callback reaches this object); the object
// itself is freed by the TcpServer outside any callback of its own.
#ifndef WEBRTC_AGENT_ADDON_NET_TCP_CONNECTION_H_
#define WEBRTC_AGENT_ADDON_NET_TCP_CONNECTION_H_

#include <netinet/in.h>
#include <node_api.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "loop/uv_handle.h"
#include "net/rfc4571_framer.h"

namespace webrtc_agent {
namespace net {

class TcpServer;

class TcpConnection {
 public:
  TcpConnection(TcpServer* server, size_t max_frame, size_t max_buffered, uint64_t now_ms);
  ~TcpConnection() { Close(); }
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Accepts the pending connection of `listener` and starts reading.
  // Returns nullptr, or a static error text (the handle is then closed).
  const char* Accept(napi_env env, uv_loop_t* loop, uv_stream_t* listener);

  // Sends one frame. False if closed, too big, or the connection was
  // dropped by this send (its buffer overflowed; counted by the server).
  bool Send(const uint8_t* data, size_t len);
  void Close();

  bool closed() const { return closed_; }
  const sockaddr_in& remote() const { return remote_; }  // TCP-marked
  uint64_t accepted_ms() const { return accepted_ms_; }
  bool authenticated() const { return authenticated_; }
  void set_authenticated() { authenticated_ = true; }
  size_t buffered() const { return queued_.size() + writing_; }

 private:
  struct WriteReq {
    uv_write_t req;
    std::vector<uint8_t> bytes;
  };
  bool Queue(const uint8_t* hdr, const uint8_t* data, size_t len, size_t skip);
  void StartWrite();
  static void OnAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);

  TcpServer* server_;
  loop::UvHandle<uv_tcp_t> handle_;
  Rfc4571Framer framer_;
  size_t max_buffered_;
  uint64_t accepted_ms_;
  sockaddr_in remote_{};
  bool closed_ = false;
  bool authenticated_ = false;
  std::vector<uint8_t> queued_;  // not yet handed to uv_write
  size_t writing_ = 0;           // bytes of the uv_write in flight (0: none)
};

}  // namespace net
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_NET_TCP_CONNECTION_H_
