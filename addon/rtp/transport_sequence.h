// Writing the transport-wide sequence number
// (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 2) into what
// the agent sends on a WebRTC transport whose subscriber negotiated
// transport-cc: every RTP packet carries it, media, RTX and padding alike.
//
// The agent does not forward a publisher's header extensions (their ids and
// values mean nothing to a subscriber), so the packet's extension block is
// replaced by one holding only this number, while the packet is copied into
// the send buffer anyway: no extra pass over the payload.
#ifndef WEBRTC_AGENT_ADDON_RTP_TRANSPORT_SEQUENCE_H_
#define WEBRTC_AGENT_ADDON_RTP_TRANSPORT_SEQUENCE_H_

#include <cstddef>
#include <cstdint>

namespace webrtc_agent::rtp {

// The extension block written: 4 bytes of header, one element, padded.
constexpr size_t kTransportSequenceBlockSize = 8;

// Copies the RTP packet `in` to `out` with its header extension block (if
// any) replaced by one holding `seq` under `ext_id`: the one-byte form
// (RFC 8285 section 4.2) for ids 1..14, the two-byte form for 15..255.
// CSRCs, payload and padding are kept. Returns the new length, or 0 (out
// unspecified) when `in` is not a whole RTP header, `ext_id` is 0 or the
// result does not fit in `cap`.
size_t CopyWithTransportSequence(const uint8_t* in, size_t len, uint8_t ext_id, uint16_t seq, uint8_t* out,
                                 size_t cap);

// A padding-only RTP packet (RFC 3550 section 5.1, P bit; what RFC 4588
// RTX streams carry to probe the path): the header, the transport-wide
// sequence number block, then `padding` bytes (1..255) whose last one is
// their count. Returns its length, or 0 if it does not fit or an argument
// cannot be encoded.
size_t BuildPaddingPacket(uint8_t* out, size_t cap, uint8_t payload_type, uint16_t sequence, uint32_t timestamp,
                          uint32_t ssrc, uint8_t ext_id, uint16_t transport_seq, size_t padding);

}  // namespace webrtc_agent::rtp

#endif  // WEBRTC_AGENT_ADDON_RTP_TRANSPORT_SEQUENCE_H_
