#include "transport/internal_transport.h"

namespace webrtc_agent {
namespace transport {

bool InternalTransport::SendTo(const uint8_t* data, size_t len) {
  if (server_ == nullptr) {
    CountDrop(DropReason::kNoRemote);
    return false;
  }
  if (!server_->Send(data, len, remote_)) {
    CountDrop(DropReason::kSendFailed);
    return false;
  }
  counters_.bytes_out += len;
  return true;
}

bool InternalTransport::SendRtp(const uint8_t* data, size_t len) {
  if (!SendTo(data, len)) return false;
  counters_.rtp_out++;
  return true;
}

bool InternalTransport::SendRtcp(const uint8_t* data, size_t len) {
  if (!SendTo(data, len)) return false;
  counters_.rtcp_out++;
  return true;
}

void InternalTransport::OnDatagram(const uint8_t* data, size_t len, bool rtcp) {
  counters_.bytes_in += len;
  if (rtcp) return RouteRtcp(data, len);
  RouteRtp(data, len);
}

}  // namespace transport
}  // namespace webrtc_agent
