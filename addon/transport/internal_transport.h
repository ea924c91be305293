// InternalTransport: media to and from one node of another agent, over this
// thread's InternalServer port. On the side that owns a source track it
// carries exports (subscriptions whose SSRC the importing side chose, so it
// can demultiplex); on the importing side it is the source of the stand-in
// tracks. Key-frame requests and NACKs travel back as RTCP on the same path,
// and the transport routes them like any other (Transport::RouteRtcp).
//
// Sent video is kept for NACKs (KeepsSentPackets): the importing side asks
// for what its own subscribers missed, and the owner answers from here
// instead of asking the publisher.
#ifndef WEBRTC_AGENT_ADDON_TRANSPORT_INTERNAL_TRANSPORT_H_
#define WEBRTC_AGENT_ADDON_TRANSPORT_INTERNAL_TRANSPORT_H_

#include <netinet/in.h>

#include <cstdint>
#include <string>

#include "transport/internal_server.h"
#include "transport/transport.h"

namespace webrtc_agent {
namespace transport {

class InternalTransport : public Transport {
 public:
  InternalTransport(std::string id, uint32_t rtcp_ssrc, TransportListener* listener,
                    InternalServer* server, const sockaddr_in& remote)
      : Transport(std::move(id), rtcp_ssrc, listener), server_(server), remote_(remote) {
    server_->Register(remote_, this);
  }
  ~InternalTransport() override { Close(); }

  void Close() override {
    if (server_ == nullptr) return;
    server_->Unregister(remote_);
    server_ = nullptr;
  }
  InternalTransport* AsInternal() override { return this; }
  bool KeepsSentPackets() const override { return true; }

  const sockaddr_in& remote() const { return remote_; }

  bool SendRtp(const uint8_t* data, size_t len) override;
  bool SendRtcp(const uint8_t* data, size_t len) override;

  // A datagram from our remote that the server already classified.
  void OnDatagram(const uint8_t* data, size_t len, bool rtcp);

 private:
  bool SendTo(const uint8_t* data, size_t len);

  InternalServer* server_;
  sockaddr_in remote_;
};

}  // namespace transport
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_TRANSPORT_INTERNAL_TRANSPORT_H_
