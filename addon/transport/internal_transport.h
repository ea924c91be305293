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
//
// Optional SRTP (AEAD_AES_128_GCM): each side draws the key for what it
// sends (EnableSrtp) and learns the peer's over the RPC (SetRemoteKey). A
// key per direction and per sender means the two agents never have to agree
// on anything: whichever links first, each just hands over its own. Once on,
// nothing passes in clear either way.
#ifndef WEBRTC_AGENT_ADDON_TRANSPORT_INTERNAL_TRANSPORT_H_
#define WEBRTC_AGENT_ADDON_TRANSPORT_INTERNAL_TRANSPORT_H_

#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "srtp/srtp_session.h"
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
  ~InternalTransport() override;

  void Close() override {
    if (server_ == nullptr) return;
    server_->Unregister(remote_);
    server_ = nullptr;
  }
  InternalTransport* AsInternal() override { return this; }
  bool KeepsSentPackets() const override { return true; }

  const sockaddr_in& remote() const { return remote_; }

  // Master key and salt of one direction, as exchanged over the RPC.
  static constexpr size_t kKeyLen = 16 + 12;
  // Turns SRTP on (once) and gives this side's sending key.
  bool EnableSrtp(std::array<uint8_t, kKeyLen>* local_key);
  // The peer's sending key: what we decrypt with. False if SRTP is off or the key is unusable.
  bool SetRemoteKey(const uint8_t* key, size_t len);
  bool secure() const { return secure_; }
  struct SrtpCounters {
    uint64_t before_keys = 0;       // arrived before the peer's key
    uint64_t srtp_failed = 0;       // authentication, replay, malformed, or clear
    uint64_t protect_failed = 0;
  };
  const SrtpCounters& srtp_counters() const { return srtp_counters_; }

  bool SendRtp(const uint8_t* data, size_t len) override;
  bool SendRtcp(const uint8_t* data, size_t len) override;
  // The remote is fixed at creation.
  bool CanSend() const override { return true; }

  // A datagram from our remote that the server already classified.
  void OnDatagram(const uint8_t* data, size_t len, bool rtcp);

 private:
  bool SendTo(const uint8_t* data, size_t len, bool rtcp);

  InternalServer* server_;
  sockaddr_in remote_;
  bool secure_ = false;
  std::array<uint8_t, kKeyLen> local_key_{};
  std::unique_ptr<srtp::SrtpSession> protect_;
  std::unique_ptr<srtp::SrtpSession> unprotect_;
  // Separate buffers: a packet decrypted into in_ may be fanned out through
  // this same transport (a NACK answered), which encrypts into out_.
  std::array<uint8_t, 2048> in_{};
  std::array<uint8_t, 2048> out_{};
  SrtpCounters srtp_counters_;
};

}  // namespace transport
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_TRANSPORT_INTERNAL_TRANSPORT_H_
