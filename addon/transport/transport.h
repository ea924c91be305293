// Transport: where a track's packets come from and where a subscription's
// packets go. PlainTransport (plain RTP/RTCP over UDP) implements it now;
// the WebRTC transport (ICE, DTLS, SRTP) implements the same interface.
#ifndef WEBRTC_AGENT_ADDON_TRANSPORT_TRANSPORT_H_
#define WEBRTC_AGENT_ADDON_TRANSPORT_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace webrtc_agent {
namespace transport {

// Why a datagram was not used. Every drop is counted by reason.
enum class DropReason : uint8_t {
  kNotRtp = 0,      // not RTP/RTCP (garbage, STUN or DTLS on a plain transport)
  kTruncated,       // shorter than its header says
  kOversized,       // larger than any media packet we forward
  kUnknownSsrc,     // RTP for no published track
  kWrongSource,     // from an address that is not the connected remote
  kNoRemote,        // nowhere to send yet (not connected, no comedia peer)
  kSendFailed,      // the kernel refused it
  kBadRtcp,         // malformed RTCP
  kCount
};

const char* DropReasonName(DropReason r);

class Transport {
 public:
  virtual ~Transport() = default;
  virtual const std::string& id() const = 0;
  // Sends a finished RTP packet to the remote. False (and counted) if dropped.
  virtual bool SendRtp(const uint8_t* data, size_t len) = 0;
  virtual bool SendRtcp(const uint8_t* data, size_t len) = 0;
};

}  // namespace transport
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_TRANSPORT_TRANSPORT_H_
