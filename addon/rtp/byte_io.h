// Big-endian (network order) loads and stores, and a non-owning byte span.
//
// Every RTP/RTCP field is big-endian and may sit at any alignment, so reads
// go byte by byte: no casts of packet memory to wider types (unaligned
// access and strict aliasing both bite there). Callers check bounds BEFORE
// calling these; the helpers themselves do not, so that a missing check is a
// bug the fuzzers and ASan see rather than a silently clamped value.
#ifndef WEBRTC_AGENT_ADDON_RTP_BYTE_IO_H_
#define WEBRTC_AGENT_ADDON_RTP_BYTE_IO_H_

#include <cstddef>
#include <cstdint>

namespace webrtc_agent::rtp {

// A view of bytes inside a packet. `data == nullptr` means "absent", which is
// different from present-but-empty (a two-byte RTP header extension element
// may carry zero bytes).
struct ByteSpan {
  const uint8_t* data = nullptr;
  size_t size = 0;

  bool present() const { return data != nullptr; }
};

inline uint16_t LoadU16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

inline uint32_t LoadU24(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 16) |
         (static_cast<uint32_t>(p[1]) << 8) | p[2];
}

inline uint32_t LoadU32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) |
         (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}

inline void StoreU16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

inline void StoreU24(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 16);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v);
}

inline void StoreU32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

}  // namespace webrtc_agent::rtp

#endif  // WEBRTC_AGENT_ADDON_RTP_BYTE_IO_H_
