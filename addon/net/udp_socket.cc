#include "net/udp_socket.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

#include "net/port_range.h"

namespace webrtc_agent {
namespace net {

RecvBuffer::RecvBuffer() {
  void* p = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  // Out of address space: as with any failed allocation in this addon
  // (built without exceptions), the process cannot go on.
  if (p == MAP_FAILED) std::abort();
  bytes_ = static_cast<char*>(p);
}

RecvBuffer::~RecvBuffer() { munmap(bytes_, kSize); }

std::string UdpSocket::Open(napi_env env, uv_loop_t* loop, RecvBuffer* buffer,
                            const std::string& ip, int port_min, int port_max,
                            uint32_t seed, OnDatagram on_datagram) {
  if (handle_.is_open()) return "socket already open";
  struct sockaddr_in addr;
  if (uv_ip4_addr(ip.c_str(), 0, &addr) != 0) return "bad listen ip: " + ip;
  buffer_ = buffer;
  on_datagram_ = std::move(on_datagram);
  return BindInRange(0, port_min, port_max, seed, [&](int port) -> int {
    if (handle_.Open(env, loop, this, [](uv_loop_t* l, uv_udp_t* h) {
          return uv_udp_init_ex(l, h, AF_INET | UV_UDP_RECVMMSG);
        }) != nullptr) {
      return UV_ENOMEM;  // no handle: nothing to retry
    }
    addr.sin_port = htons(static_cast<uint16_t>(port));
    int rc = uv_udp_bind(handle_.get(), reinterpret_cast<const sockaddr*>(&addr), 0);
    if (rc == 0) {
      // Large kernel buffers absorb bursts (a key frame is dozens of packets
      // arriving at once); the kernel caps them at its own maximum.
      int size = 4 * 1024 * 1024;
      uv_recv_buffer_size(reinterpret_cast<uv_handle_t*>(handle_.get()), &size);
      size = 4 * 1024 * 1024;
      uv_send_buffer_size(reinterpret_cast<uv_handle_t*>(handle_.get()), &size);
      rc = uv_udp_recv_start(handle_.get(), &UdpSocket::OnAlloc, &UdpSocket::OnRecv);
      if (rc == 0) {
        port_ = port;
        return 0;
      }
    }
    handle_.Close();
    return rc;
  });
}

void UdpSocket::Close() {
  handle_.Close();
  port_ = 0;
}

bool UdpSocket::Send(const uint8_t* data, size_t len, const sockaddr_in& to) {
  uv_udp_t* h = handle_.get();
  if (h == nullptr) return false;
  uv_buf_t buf = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(data)),
                             static_cast<unsigned int>(len));
  int rc = uv_udp_try_send(h, &buf, 1, reinterpret_cast<const sockaddr*>(&to));
  if (rc < 0) {
    counters_.tx_errors++;
    return false;
  }
  counters_.tx_packets++;
  counters_.tx_bytes += len;
  return true;
}

void UdpSocket::OnAlloc(uv_handle_t* h, size_t /*suggested*/, uv_buf_t* buf) {
  UdpSocket* self =
      loop::UvHandle<uv_udp_t>::OwnerOf<UdpSocket>(reinterpret_cast<uv_udp_t*>(h));
  if (self == nullptr || self->buffer_ == nullptr) {
    // Closing: read nothing (libuv reports UV_ENOBUFS and stops).
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  *buf = uv_buf_init(self->buffer_->data(),
                     static_cast<unsigned int>(self->buffer_->size()));
}

void UdpSocket::OnRecv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                       const struct sockaddr* addr, unsigned flags) {
  UdpSocket* self = loop::UvHandle<uv_udp_t>::OwnerOf<UdpSocket>(h);
  if (self == nullptr) return;  // closed by an earlier datagram of the batch
  if (nread > 0 && addr != nullptr && addr->sa_family == AF_INET) {
    if (flags & UV_UDP_PARTIAL) {
      // Bigger than a 64 KiB slot: cannot be media we want.
      self->counters_.rx_truncated++;
      return;
    }
    self->counters_.rx_packets++;
    self->counters_.rx_bytes += static_cast<uint64_t>(nread);
    // May close (and free) this socket: nothing may touch `self` after it.
    self->on_datagram_(reinterpret_cast<const uint8_t*>(buf->base),
                       static_cast<size_t>(nread),
                       *reinterpret_cast<const sockaddr_in*>(addr));
  } else if (nread < 0 && nread != UV_ENOBUFS) {
    self->counters_.rx_errors++;
  }
}

}  // namespace net
}  // namespace webrtc_agent
