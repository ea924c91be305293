// RTP packets (RFC 3550 §5.1) with RFC 8285 header extensions, read through
// a non-owning view, plus in-place writers for the fields an SFU rewrites
// when it forwards a packet, and the first-byte demultiplexing of a socket
// that carries STUN, DTLS, RTP and RTCP together (RFC 7983, RFC 5761).
//
// Everything here takes bytes from the network: every read is checked
// against the buffer size, and no length field is believed until it has been
// checked against the bytes actually present.
#ifndef WEBRTC_AGENT_ADDON_RTP_RTP_PACKET_H_
#define WEBRTC_AGENT_ADDON_RTP_RTP_PACKET_H_

#include <cstddef>
#include <cstdint>

#include "rtp/byte_io.h"

namespace webrtc_agent::rtp {

constexpr size_t kRtpFixedHeaderSize = 12;
constexpr uint8_t kRtpVersion = 2;
// "defined by profile" values of the header extension (RFC 8285 §4.2, §4.3).
constexpr uint16_t kOneByteExtensionProfile = 0xBEDE;
// Two-byte form: 0x100 followed by 4 "appbits" the receiver ignores.
constexpr uint16_t kTwoByteExtensionProfileMask = 0xFFF0;
constexpr uint16_t kTwoByteExtensionProfile = 0x1000;

enum class ExtensionForm : uint8_t {
  kNone,      // X bit clear
  kOneByte,   // 0xBEDE: ids 1..14, 1..16 bytes each
  kTwoByte,   // 0x100X: ids 1..255, 0..255 bytes each
  kOther,     // some other profile: the block is skipped, never interpreted
};

// One element of an RFC 8285 header extension block.
struct RtpExtension {
  uint8_t id = 0;
  ByteSpan value;
};

class RtpPacketView {
 public:
  RtpPacketView(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  // Validates the header and computes the layout. False (and the accessors
  // below return their defaults) when the packet is not well-formed RTP:
  // shorter than 12 bytes, version other than 2, CSRC list or header
  // extension running past the end, or (P bit) a padding count of 0 or one
  // that does not fit after the header. A malformed RFC 8285 element list
  // does NOT fail the packet (RFC 8285 says to keep the elements before the
  // problem); it only cuts the list short, see extensionsTruncated().
  bool Parse();
  bool valid() const { return valid_; }

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

  bool hasPadding() const;
  bool hasExtension() const;
  bool marker() const;
  uint8_t payloadType() const;
  uint16_t sequence() const;
  uint32_t timestamp() const;
  uint32_t ssrc() const;
  uint8_t csrcCount() const;
  // The i-th contributing source; 0 if i >= csrcCount().
  uint32_t csrc(size_t i) const;

  // Fixed header + CSRCs + extension block.
  size_t headerSize() const { return header_size_; }
  const uint8_t* payload() const { return valid_ ? data_ + header_size_ : nullptr; }
  size_t payloadSize() const { return payload_size_; }
  size_t paddingSize() const { return padding_size_; }

  ExtensionForm extensionForm() const { return extension_form_; }
  uint16_t extensionProfile() const { return extension_profile_; }
  // The element bytes after the 4-byte extension header (all of them,
  // including any trailing padding).
  ByteSpan extensionBlock() const { return extension_block_; }
  // True if the element walk stopped early: an element ran past the block,
  // or the one-byte form held the reserved id 15.
  bool extensionsTruncated() const { return extensions_truncated_; }

  // The first element with this id; absent (data == nullptr) if none, the
  // id is 0, or the extension block is not RFC 8285.
  ByteSpan FindExtension(uint8_t id) const;

  // Walks the elements in order: start with *cursor = 0 and call until it
  // returns false. Padding bytes are skipped.
  bool NextExtension(size_t* cursor, RtpExtension* out) const;

 private:
  const uint8_t* data_;
  size_t size_;
  bool valid_ = false;
  size_t header_size_ = 0;
  size_t payload_size_ = 0;
  size_t padding_size_ = 0;
  ExtensionForm extension_form_ = ExtensionForm::kNone;
  uint16_t extension_profile_ = 0;
  ByteSpan extension_block_;
  bool extensions_truncated_ = false;
};

// Quick structural checks for demultiplexing; they read at most two bytes
// beyond the size test and never parse further (RtpPacketView::Parse does).
// RTP: at least the fixed header, version 2, and not RTCP by RFC 5761.
bool LooksLikeRtp(const uint8_t* data, size_t size);
// RFC 5761 §4: with RTP and RTCP on one port, a packet whose second byte
// (RTCP packet type; for RTP, marker bit + payload type) is in 192..223 is
// RTCP. That is why RTP payload types 64..95 must not be used with rtcp-mux:
// with the marker set they would land in this range.
bool IsRtcpPacket(const uint8_t* data, size_t size);

enum class PacketClass : uint8_t {
  kUnknown,
  kStun,   // first byte 0..3
  kDtls,   // 20..63
  kRtp,    // 128..191 and not RTCP
  kRtcp,   // 128..191 and second byte 192..223
};

// RFC 7983 §7 first-byte demultiplexing (ZRTP 16..19 and TURN channels
// 64..79 are not used by WebRTC peers and count as unknown here).
PacketClass Classify(const uint8_t* data, size_t size);

// In-place writers. Each checks that the buffer is at least a fixed RTP
// header of version 2 and returns false (writing nothing) otherwise.
bool SetSsrc(uint8_t* data, size_t size, uint32_t ssrc);
bool SetSequence(uint8_t* data, size_t size, uint16_t sequence);
bool SetTimestamp(uint8_t* data, size_t size, uint32_t timestamp);
// payload_type must be 0..127.
bool SetPayloadType(uint8_t* data, size_t size, uint8_t payload_type);
bool SetMarker(uint8_t* data, size_t size, bool marker);

// Renumbers every header extension element with id `from` to id `to` (a
// subscriber may have negotiated other ids than the publisher). Returns how
// many elements were renumbered, or -1 (nothing written) if the packet does
// not parse or `to` cannot be expressed in the packet's form (one-byte: 1..14,
// two-byte: 1..255). Only the elements the walk reaches are considered.
// An element already carrying `to` is left alone: mapping a whole set of ids
// is the caller's job (apply a permutation through unused ids).
int RewriteExtensionId(uint8_t* data, size_t size, uint8_t from, uint8_t to);

}  // namespace webrtc_agent::rtp

#endif  // WEBRTC_AGENT_ADDON_RTP_RTP_PACKET_H_
