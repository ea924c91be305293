#include "transport/webrtc_server.h"

#include <algorithm>
#include <cstring>

#include "ice/stun_message.h"
#include "rtp/rtp_packet.h"
#include "transport/webrtc_transport.h"

namespace webrtc_agent {
namespace transport {

WebRtcServer::~WebRtcServer() {
  timer_.Stop();
  socket_.Close();
  tcp_.reset();
}

std::string WebRtcServer::Listen(const std::string& ip, int port_min, int port_max, uint32_t seed) {
  if (socket_.is_open()) return "";
  std::string error;
  dtls_ = dtls::DtlsContext::Create(&error);
  if (!dtls_) return "DTLS context: " + error;
  std::string err = socket_.Open(env_, loop_, buffer_, ip, port_min, port_max, seed,
                                 [this](const uint8_t* d, size_t n, const sockaddr_in& from) {
                                   OnDatagram(d, n, from);
                                 });
  if (!err.empty()) return err;
  // 50 ms: DTLS retransmission needs no finer grain, and consent (seconds)
  // far less; an idle thread pays 20 wake-ups a second only while it has
  // WebRTC transports (the timer is unref'ed and cheap).
  if (const char* terr = timer_.Start(env_, loop_, 50, &WebRtcServer::OnTick, this)) return terr;
  return "";
}

std::string WebRtcServer::ListenTcp(const std::string& ip, int port_min, int port_max, uint32_t seed,
                                    const net::TcpServerOptions& options) {
  if (!socket_.is_open()) return "the UDP port is not open";
  if (tcp_ && tcp_->listening()) return "";
  tcp_ = std::make_unique<net::TcpServer>(env_, loop_, buffer_);
  // Frames are datagrams from a TCP-marked address: the same path as UDP.
  std::string err = tcp_->Listen(ip, socket_.port(), port_min, port_max, seed, options,
                                 [this](const uint8_t* d, size_t n, const sockaddr_in& from) {
                                   Dispatch(d, n, from);
                                   FlushEvents();
                                 });
  if (!err.empty()) tcp_.reset();
  return err;
}

void WebRtcServer::Register(WebRtcTransport* t) {
  by_ufrag_[t->ufrag()] = t;
  transports_.push_back(t);
}

void WebRtcServer::Unregister(WebRtcTransport* t) {
  by_ufrag_.erase(t->ufrag());
  for (auto it = by_tuple_.begin(); it != by_tuple_.end();) {
    if (it->second == t) {
      // A TCP connection serves one transport's pair: it goes with it.
      const sockaddr_in peer = net::PeerFromKey(it->first);
      if (tcp_ && net::IsTcp(peer)) tcp_->CloseConnection(peer);
      it = by_tuple_.erase(it);
    } else {
      ++it;
    }
  }
  transports_.erase(std::remove(transports_.begin(), transports_.end(), t), transports_.end());
}

void WebRtcServer::BindTuple(const sockaddr_in& addr, WebRtcTransport* t) {
  by_tuple_[TupleKey(addr)] = t;
  // A connection that passed a check is no longer subject to the idle timeout.
  if (tcp_ && net::IsTcp(addr)) tcp_->SetAuthenticated(addr);
}

void WebRtcServer::PruneTuples() {
  for (auto it = by_tuple_.begin(); it != by_tuple_.end();) {
    const sockaddr_in addr = net::PeerFromKey(it->first);
    if (it->second->Validates(addr)) {
      ++it;
    } else {
      // An ICE-TCP pair that expired takes its connection with it.
      if (tcp_ && net::IsTcp(addr)) tcp_->CloseConnection(addr);
      it = by_tuple_.erase(it);
      counters_.tuples_pruned++;
    }
  }
}

void WebRtcServer::FlushEvents() {
  if (events_.empty()) return;
  std::vector<Event> batch;
  batch.swap(events_);
  for (const Event& e : batch) {
    if (event_fn_) event_fn_(e.transport_id, e.type, e.detail);
  }
}

void WebRtcServer::OnDatagram(const uint8_t* data, size_t len, const sockaddr_in& from) {
  sockaddr_in udp = from;
  net::ClearMark(&udp);  // a UDP peer, whatever the padding held
  Dispatch(data, len, udp);
  FlushEvents();
}

void WebRtcServer::Dispatch(const uint8_t* data, size_t len, const sockaddr_in& from) {
  const uint64_t now = NowMs();
  switch (rtp::Classify(data, len)) {
    case rtp::PacketClass::kStun: {
      ice::StunMessageView msg(data, len);
      if (msg.Parse() == ice::StunParseResult::kNotStun) {
        counters_.not_webrtc++;
        return;
      }
      // USERNAME is "<our ufrag>:<their ufrag>"; the agent checks the rest.
      const ice::ByteSpan user = msg.username();
      WebRtcTransport* t = nullptr;
      if (user.present()) {
        const char* u = reinterpret_cast<const char*>(user.data);
        const char* colon = static_cast<const char*>(memchr(u, ':', user.size));
        auto it = by_ufrag_.find(std::string(u, colon ? static_cast<size_t>(colon - u) : user.size));
        if (it != by_ufrag_.end()) t = it->second;
      }
      if (t == nullptr) {
        counters_.unknown_ufrag++;
        return;
      }
      t->OnStun(data, len, from, now);
      return;
    }
    case rtp::PacketClass::kDtls:
    case rtp::PacketClass::kRtp:
    case rtp::PacketClass::kRtcp: {
      auto it = by_tuple_.find(TupleKey(from));
      if (it == by_tuple_.end()) {
        counters_.unknown_tuple++;
        return;
      }
      const rtp::PacketClass cls = rtp::Classify(data, len);
      if (cls == rtp::PacketClass::kDtls) it->second->OnDtls(data, len, from, now);
      else it->second->OnSrtp(cls == rtp::PacketClass::kRtcp, data, len, from);
      return;
    }
    default:
      counters_.not_webrtc++;
  }
}

void WebRtcServer::OnTick(void* self) {
  WebRtcServer* s = static_cast<WebRtcServer*>(self);
  const uint64_t now = s->NowMs();
  // Events wait for FlushEvents, so no transport goes away during the loop.
  const std::vector<WebRtcTransport*> list = s->transports_;
  for (WebRtcTransport* t : list) t->Tick(now);
  // Once a second (every 20th tick): pairs expire on a scale of seconds.
  if (++s->ticks_ % 20 == 0) s->PruneTuples();
  s->FlushEvents();
  if (s->tcp_) s->tcp_->Tick(now);
}

}  // namespace transport
}  // namespace webrtc_agent
