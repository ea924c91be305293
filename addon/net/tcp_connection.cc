#include "net/tcp_connection.h"

#include <cstring>

#include "net/peer_address.h"
#include "net/tcp_server.h"

namespace webrtc_agent {
namespace net {

TcpConnection::TcpConnection(TcpServer* server, size_t max_frame, size_t max_buffered, uint64_t now_ms)
    : server_(server), framer_(max_frame), max_buffered_(max_buffered), accepted_ms_(now_ms) {}

const char* TcpConnection::Accept(napi_env env, uv_loop_t* loop, uv_stream_t* listener) {
  const char* err = handle_.Open(env, loop, this, [](uv_loop_t* l, uv_tcp_t* h) { return uv_tcp_init(l, h); });
  if (err != nullptr) return err;
  uv_stream_t* s = reinterpret_cast<uv_stream_t*>(handle_.get());
  int rc = uv_accept(listener, s);
  sockaddr_storage ss{};
  int len = sizeof(ss);
  if (rc == 0) rc = uv_tcp_getpeername(handle_.get(), reinterpret_cast<sockaddr*>(&ss), &len);
  if (rc == 0 && ss.ss_family != AF_INET) rc = UV_EAFNOSUPPORT;
  // Media is small frames that must leave now, not be coalesced.
  if (rc == 0) rc = uv_tcp_nodelay(handle_.get(), 1);
  if (rc == 0) rc = uv_read_start(s, &TcpConnection::OnAlloc, &TcpConnection::OnRead);
  if (rc != 0) {
    handle_.Close();
    closed_ = true;
    return uv_strerror(rc);
  }
  std::memcpy(&remote_, &ss, sizeof(remote_));
  ClearMark(&remote_);
  MarkTcp(&remote_);
  return nullptr;
}

void TcpConnection::Close() {
  closed_ = true;
  // Closing cancels a uv_write in flight; its request frees itself.
  handle_.Close();
  queued_.clear();
}

bool TcpConnection::Send(const uint8_t* data, size_t len) {
  if (closed_ || len > framer_.max_frame()) return false;
  uint8_t hdr[Rfc4571Framer::kHeaderSize];
  Rfc4571Framer::WriteHeader(len, hdr);
  if (writing_ == 0 && queued_.empty()) {
    // The common case: the kernel takes the whole frame now, no copy.
    uv_buf_t bufs[2] = {uv_buf_init(reinterpret_cast<char*>(hdr), sizeof(hdr)),
                        uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(data)),
                                    static_cast<unsigned int>(len))};
    const int n = uv_try_write(reinterpret_cast<uv_stream_t*>(handle_.get()), bufs, 2);
    if (n == static_cast<int>(len + sizeof(hdr))) return true;
    if (n < 0 && n != UV_EAGAIN) {
      server_->Drop(this, &TcpCounters::closed_errors);
      return false;
    }
    return Queue(hdr, data, len, n < 0 ? 0 : static_cast<size_t>(n));
  }
  return Queue(hdr, data, len, 0);
}

// The frame from byte `skip` on (of header + data) waits for the kernel.
bool TcpConnection::Queue(const uint8_t* hdr, const uint8_t* data, size_t len, size_t skip) {
  const size_t total = Rfc4571Framer::kHeaderSize + len;
  if (buffered() + total - skip > max_buffered_) {
    server_->Drop(this, &TcpCounters::closed_slow);
    return false;
  }
  for (size_t i = skip; i < Rfc4571Framer::kHeaderSize; ++i) queued_.push_back(hdr[i]);
  const size_t from = skip > Rfc4571Framer::kHeaderSize ? skip - Rfc4571Framer::kHeaderSize : 0;
  queued_.insert(queued_.end(), data + from, data + len);
  if (writing_ == 0) StartWrite();
  return true;
}

void TcpConnection::StartWrite() {
  // The buffer must live until libuv calls back, which may be after this
  // connection is gone (closing cancels the write): the request owns it.
  WriteReq* w = new WriteReq();
  w->bytes.swap(queued_);
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(w->bytes.data()), static_cast<unsigned int>(w->bytes.size()));
  const int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(handle_.get()), &buf, 1, &TcpConnection::OnWrite);
  if (rc != 0) {
    delete w;
    server_->Drop(this, &TcpCounters::closed_errors);
    return;
  }
  writing_ = buf.len;
}

void TcpConnection::OnWrite(uv_write_t* req, int status) {
  WriteReq* w = reinterpret_cast<WriteReq*>(req);  // req is the first member
  TcpConnection* self = loop::UvHandle<uv_tcp_t>::OwnerOf<TcpConnection>(reinterpret_cast<uv_tcp_t*>(req->handle));
  delete w;
  if (self == nullptr) return;  // closed meanwhile
  self->writing_ = 0;
  if (status < 0) {
    self->server_->Drop(self, &TcpCounters::closed_errors);
    return;
  }
  if (!self->queued_.empty()) self->StartWrite();
}

void TcpConnection::OnAlloc(uv_handle_t* h, size_t /*suggested*/, uv_buf_t* buf) {
  TcpConnection* self = loop::UvHandle<uv_tcp_t>::OwnerOf<TcpConnection>(reinterpret_cast<uv_tcp_t*>(h));
  if (self == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  // The thread's receive buffer (net/udp_socket.h): no socket reads while
  // this read's frames are dispatched. One slot is plenty for a TCP read.
  *buf = uv_buf_init(self->server_->buffer()->data(), static_cast<unsigned int>(RecvBuffer::kSlot));
}

void TcpConnection::OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  TcpConnection* self = loop::UvHandle<uv_tcp_t>::OwnerOf<TcpConnection>(reinterpret_cast<uv_tcp_t*>(s));
  if (self == nullptr || nread == 0) return;
  TcpServer* server = self->server_;
  if (nread < 0) {
    if (nread == UV_ENOBUFS) return;
    server->Drop(self, nread == UV_EOF || nread == UV_ECONNRESET ? &TcpCounters::closed_by_peer
                                                                   : &TcpCounters::closed_errors);
    return;
  }
  server->mutable_counters().bytes_in += static_cast<uint64_t>(nread);
  // `self` stays allocated until the server's next Tick even if a frame's
  // dispatch closes it; frames after that are not dispatched.
  const bool ok = self->framer_.Feed(reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread),
                                     [self, server](const uint8_t* d, size_t n) {
                                       if (!self->closed_) server->Frame(self, d, n);
                                     });
  if (!ok && !self->closed_) server->Drop(self, &TcpCounters::closed_bad_frame);
}

}  // namespace net
}  // namespace webrtc_agent
