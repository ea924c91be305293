#include "transport/internal_server.h"

#include "rtp/rtp_packet.h"
#include "transport/internal_transport.h"
#include "transport/transport.h"

namespace webrtc_agent {
namespace transport {

std::string InternalServer::Listen(const std::string& ip, int port_min, int port_max, uint32_t seed) {
  if (socket_.is_open()) return "";
  return socket_.Open(env_, loop_, buffer_, ip, port_min, port_max, seed,
                      [this](const uint8_t* d, size_t n, const sockaddr_in& from) {
                        OnDatagram(d, n, from);
                      });
}

void InternalServer::OnDatagram(const uint8_t* data, size_t len, const sockaddr_in& from) {
  // The source first: an unknown sender gets no further look at all, so the
  // cost of junk from the network is one hash lookup.
  auto it = by_addr_.find(Key(from));
  if (it == by_addr_.end()) {
    counters_.unknown_peer++;
    return;
  }
  const rtp::PacketClass cls = rtp::Classify(data, len);
  if (cls != rtp::PacketClass::kRtp && cls != rtp::PacketClass::kRtcp) {
    counters_.not_rtp++;
    return;
  }
  if (len > Transport::kMaxPacket) {
    counters_.oversized++;
    return;
  }
  it->second->OnDatagram(data, len, cls == rtp::PacketClass::kRtcp);
}

}  // namespace transport
}  // namespace webrtc_agent
