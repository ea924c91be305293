#include "router/rtx_unwrapper.h"

#include <cstring>

#include "rtp/byte_io.h"

namespace webrtc_agent {
namespace router {

size_t RtxUnwrapper::Unwrap(Track* track, const rtp::RtpPacketView& view) {
  const uint8_t* pkt = view.data();
  // RFC 4588 §4: the payload starts with the original sequence number. An
  // RTX packet with nothing after it is padding the sender uses to probe
  // the bandwidth: it carries no media.
  if (view.payloadSize() < 2) {
    track->counters.rtx_padding++;
    return 0;
  }
  const size_t header = view.headerSize();
  const size_t payload = view.payloadSize() - 2;
  if (header + payload > buf_.size()) return 0;  // transports never hand over more
  uint8_t* out = buf_.data();
  std::memcpy(out, pkt, header);
  std::memcpy(out + header, view.payload() + 2, payload);
  out[0] &= static_cast<uint8_t>(~0x20);  // the RTX packet's padding is not the original's
  out[1] = static_cast<uint8_t>((out[1] & 0x80) | (track->payload_type & 0x7f));
  rtp::StoreU16(out + 2, rtp::LoadU16(view.payload()));
  rtp::StoreU32(out + 8, track->ssrc);
  track->counters.rtx_packets++;
  return header + payload;
}

}  // namespace router
}  // namespace webrtc_agent
