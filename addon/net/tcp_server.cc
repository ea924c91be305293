#include "net/tcp_server.h"

#include "net/peer_address.h"
#include "net/port_range.h"
#include "net/tcp_connection.h"

namespace webrtc_agent {
namespace net {

TcpServer::~TcpServer() {
  handle_.Close();
  for (auto& [key, c] : conns_) c->Close();
}

std::string TcpServer::Listen(const std::string& ip, int preferred, int port_min, int port_max, uint32_t seed,
                              const TcpServerOptions& options, OnFrame on_frame) {
  if (handle_.is_open()) return "";
  sockaddr_in addr;
  if (uv_ip4_addr(ip.c_str(), 0, &addr) != 0) return "bad listen ip: " + ip;
  options_ = options;
  on_frame_ = std::move(on_frame);
  return BindInRange(preferred, port_min, port_max, seed, [&](int port) -> int {
    if (handle_.Open(env_, loop_, this, [](uv_loop_t* l, uv_tcp_t* h) { return uv_tcp_init(l, h); }) != nullptr) {
      return UV_ENOMEM;  // no handle: nothing to retry
    }
    addr.sin_port = htons(static_cast<uint16_t>(port));
    int rc = uv_tcp_bind(handle_.get(), reinterpret_cast<const sockaddr*>(&addr), 0);
    // libuv may report a port in use only at listen time.
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(handle_.get()), 128, &TcpServer::OnConnection);
    if (rc == 0) {
      port_ = port;
      return 0;
    }
    handle_.Close();
    return rc;
  });
}

void TcpServer::OnConnection(uv_stream_t* listener, int status) {
  TcpServer* self = loop::UvHandle<uv_tcp_t>::OwnerOf<TcpServer>(reinterpret_cast<uv_tcp_t*>(listener));
  if (self == nullptr || status < 0) return;
  const uint64_t now = uv_now(self->loop_);
  auto c = std::make_unique<TcpConnection>(self, self->options_.max_frame, self->options_.max_buffered, now);
  // Accepted even when full: a connection left in the backlog would be
  // offered again and again; this way it is closed at once.
  if (c->Accept(self->env_, self->loop_, listener) != nullptr) {
    self->counters_.closed_errors++;
    return;
  }
  if (self->conns_.size() >= self->options_.max_connections) {
    self->counters_.rejected_full++;
    c->Close();
    return;
  }
  self->counters_.accepted++;
  const uint64_t key = PeerKey(c->remote());
  auto it = self->conns_.find(key);
  if (it != self->conns_.end()) {
    // The same remote ip:port again: the old connection is gone for the
    // kernel already (a 4-tuple is unique), only its close is unseen.
    it->second->Close();
    self->closed_.push_back(std::move(it->second));
    self->conns_.erase(it);
  }
  self->conns_.emplace(key, std::move(c));
}

void TcpServer::Drop(TcpConnection* c, uint64_t TcpCounters::*why) {
  if (c->closed()) return;
  counters_.*why += 1;
  c->Close();
  auto it = conns_.find(PeerKey(c->remote()));
  if (it != conns_.end() && it->second.get() == c) {
    closed_.push_back(std::move(it->second));
    conns_.erase(it);
  }
}

void TcpServer::Frame(TcpConnection* c, const uint8_t* data, size_t len) {
  counters_.frames_in++;
  on_frame_(data, len, c->remote());
}

bool TcpServer::Send(const sockaddr_in& to, const uint8_t* data, size_t len) {
  auto it = conns_.find(PeerKey(to));
  if (it == conns_.end()) return false;
  if (!it->second->Send(data, len)) return false;
  counters_.frames_out++;
  counters_.bytes_out += len + 2;
  return true;
}

void TcpServer::SetAuthenticated(const sockaddr_in& peer) {
  auto it = conns_.find(PeerKey(peer));
  if (it != conns_.end()) it->second->set_authenticated();
}

void TcpServer::CloseConnection(const sockaddr_in& peer) {
  auto it = conns_.find(PeerKey(peer));
  if (it == conns_.end()) return;
  it->second->Close();
  closed_.push_back(std::move(it->second));
  conns_.erase(it);
}

void TcpServer::Tick(uint64_t now_ms) {
  closed_.clear();
  for (auto it = conns_.begin(); it != conns_.end();) {
    TcpConnection* c = it->second.get();
    if (!c->authenticated() && now_ms - c->accepted_ms() >= options_.idle_timeout_ms) {
      counters_.closed_idle++;
      c->Close();
      it = conns_.erase(it);  // not inside its callbacks: freed now
    } else {
      ++it;
    }
  }
}

}  // namespace net
}  // namespace webrtc_agent
