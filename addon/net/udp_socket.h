// UdpSocket: one UDP socket on a node thread's own libuv loop.
//
// Receives with recvmmsg (UV_UDP_RECVMMSG) into one receive buffer shared by
// every socket of the thread: libuv fills and delivers a batch synchronously,
// from the alloc callback to the final UV_UDP_MMSG_FREE call, and no other
// socket of the loop reads in between (callbacks never read sockets
// themselves), so one buffer per thread is enough however many sockets there
// are, and it needs no "in use" bookkeeping.
//
// Sends synchronously with uv_udp_try_send: no request allocation, no queue.
// A send the kernel refuses (EAGAIN: the socket buffer is full) is dropped
// and counted, never queued: media that is late is worthless, and a queue
// would only hide overload.
#ifndef WEBRTC_AGENT_ADDON_NET_UDP_SOCKET_H_
#define WEBRTC_AGENT_ADDON_NET_UDP_SOCKET_H_

#include <netinet/in.h>
#include <node_api.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "loop/uv_handle.h"

namespace webrtc_agent {
namespace net {

// The thread's shared receive buffer (see above). Mapped rather than
// allocated and filled: a page becomes resident only when a datagram first
// lands in it, so an idle thread pays nothing for its 1 MiB, and a busy one
// only for the pages its batches reach (the kernel writes each datagram at
// the start of its 64 KiB slot). A zero-filled vector made all of it
// resident in every node thread (bench/memory.js, docs/bench.md).
class RecvBuffer {
 public:
  // libuv splits the buffer into 64 KiB slots, one datagram each.
  static constexpr size_t kSlot = 64 * 1024;
  static constexpr size_t kSlots = 16;
  static constexpr size_t kSize = kSlot * kSlots;

  RecvBuffer();
  ~RecvBuffer();
  RecvBuffer(const RecvBuffer&) = delete;
  RecvBuffer& operator=(const RecvBuffer&) = delete;

  char* data() const { return bytes_; }
  size_t size() const { return kSize; }

 private:
  char* bytes_;
};

struct SocketCounters {
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;
  uint64_t rx_errors = 0;
  uint64_t tx_errors = 0;  // refused by the kernel (dropped)
  uint64_t rx_truncated = 0;
};

class UdpSocket {
 public:
  // (data, len, from) for every datagram received.
  using OnDatagram =
      std::function<void(const uint8_t*, size_t, const sockaddr_in&)>;

  UdpSocket() = default;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Binds to ip and the first free port in [port_min, port_max], trying from
  // a pseudo-random start so sockets spread over the range. Returns an error
  // text, or an empty string on success.
  std::string Open(napi_env env, uv_loop_t* loop, RecvBuffer* buffer,
                   const std::string& ip, int port_min, int port_max,
                   uint32_t seed, OnDatagram on_datagram);
  void Close();

  bool is_open() const { return handle_.is_open(); }
  int port() const { return port_; }

  // Sends one datagram; false (counted) if the kernel did not take it.
  bool Send(const uint8_t* data, size_t len, const sockaddr_in& to);

  const SocketCounters& counters() const { return counters_; }

 private:
  static void OnAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void OnRecv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                     const struct sockaddr* addr, unsigned flags);

  loop::UvHandle<uv_udp_t> handle_;
  RecvBuffer* buffer_ = nullptr;
  OnDatagram on_datagram_;
  int port_ = 0;
  SocketCounters counters_;
};

}  // namespace net
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_NET_UDP_SOCKET_H_
