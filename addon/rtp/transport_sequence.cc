#include "rtp/transport_sequence.h"

#include <cstring>

#include "rtp/byte_io.h"
#include "rtp/rtp_packet.h"

namespace webrtc_agent::rtp {

namespace {

void WriteBlock(uint8_t* p, uint8_t ext_id, uint16_t seq) {
  if (ext_id <= 14) {
    StoreU16(p, kOneByteExtensionProfile);
    StoreU16(p + 2, 1);  // one 32-bit word of elements
    p[4] = static_cast<uint8_t>((ext_id << 4) | 1);  // length - 1
    StoreU16(p + 5, seq);
    p[7] = 0;  // padding
  } else {
    StoreU16(p, kTwoByteExtensionProfile);
    StoreU16(p + 2, 1);
    p[4] = ext_id;
    p[5] = 2;
    StoreU16(p + 6, seq);
  }
}

}  // namespace

size_t CopyWithTransportSequence(const uint8_t* in, size_t len, uint8_t ext_id, uint16_t seq, uint8_t* out,
                                 size_t cap) {
  if (ext_id == 0 || len < kRtpFixedHeaderSize || (in[0] >> 6) != kRtpVersion) return 0;
  const size_t fixed = kRtpFixedHeaderSize + 4 * static_cast<size_t>(in[0] & 0x0f);
  if (fixed > len) return 0;
  size_t rest = fixed;  // where the payload starts in `in`
  if (in[0] & 0x10) {
    if (fixed + 4 > len) return 0;
    const size_t block = 4 + 4 * static_cast<size_t>(LoadU16(in + fixed + 2));
    if (block > len - fixed) return 0;
    rest = fixed + block;
  }
  const size_t payload = len - rest;
  if (cap < fixed + kTransportSequenceBlockSize || payload > cap - fixed - kTransportSequenceBlockSize) return 0;
  std::memcpy(out, in, fixed);
  out[0] |= 0x10;
  WriteBlock(out + fixed, ext_id, seq);
  std::memcpy(out + fixed + kTransportSequenceBlockSize, in + rest, payload);
  return fixed + kTransportSequenceBlockSize + payload;
}

size_t BuildPaddingPacket(uint8_t* out, size_t cap, uint8_t payload_type, uint16_t sequence, uint32_t timestamp,
                          uint32_t ssrc, uint8_t ext_id, uint16_t transport_seq, size_t padding) {
  const size_t size = kRtpFixedHeaderSize + kTransportSequenceBlockSize + padding;
  if (out == nullptr || ext_id == 0 || payload_type > 127 || padding < 1 || padding > 255 || cap < size) return 0;
  out[0] = 0x80 | 0x20 | 0x10;  // V=2, P, X, no CSRC
  out[1] = payload_type;
  StoreU16(out + 2, sequence);
  StoreU32(out + 4, timestamp);
  StoreU32(out + 8, ssrc);
  WriteBlock(out + kRtpFixedHeaderSize, ext_id, transport_seq);
  uint8_t* pad = out + kRtpFixedHeaderSize + kTransportSequenceBlockSize;
  std::memset(pad, 0, padding - 1);
  pad[padding - 1] = static_cast<uint8_t>(padding);
  return size;
}

}  // namespace webrtc_agent::rtp
