#include "rtp/transport_cc.h"

#include "rtp/byte_io.h"

namespace webrtc_agent::rtp {

namespace {

constexpr size_t kFixedSize = 16;  // two SSRCs, base, count, reference, fb count
constexpr uint8_t kNotReceived = 0;
constexpr uint8_t kSmallDelta = 1;
constexpr uint8_t kLargeDelta = 2;

}  // namespace

const char* TransportCcErrorName(TransportCcError e) {
  switch (e) {
    case TransportCcError::kNone: return "none";
    case TransportCcError::kNotTransportCc: return "notTransportCc";
    case TransportCcError::kNoStatus: return "noStatus";
    case TransportCcError::kTooMany: return "tooMany";
    case TransportCcError::kTruncated: return "truncated";
    case TransportCcError::kReserved: return "reserved";
  }
  return "unknown";
}

TransportCcError ParseTransportCc(const RtcpPacket& packet, TransportCc* out, size_t max_statuses) {
  if (packet.type != kRtcpRtpfb || packet.count != kRtpfbTransportCc || packet.body.data == nullptr ||
      packet.body.size < kFixedSize) {
    return TransportCcError::kNotTransportCc;
  }
  const uint8_t* p = packet.body.data;
  const size_t size = packet.body.size;
  out->header.sender_ssrc = LoadU32(p);
  out->header.media_ssrc = LoadU32(p + 4);
  out->base_sequence = LoadU16(p + 8);
  out->status_count = LoadU16(p + 10);
  out->reference_time = LoadU24(p + 12);
  out->feedback_count = p[15];
  const size_t count = out->status_count;
  if (count == 0) return TransportCcError::kNoStatus;
  if (count > max_statuses) return TransportCcError::kTooMany;

  // Chunks first: the symbol of every status (its delta's size in bytes).
  out->entries.clear();
  size_t pos = kFixedSize;
  while (out->entries.size() < count) {
    if (pos + 2 > size) return TransportCcError::kTruncated;
    const uint16_t chunk = LoadU16(p + pos);
    pos += 2;
    const size_t left = count - out->entries.size();
    if ((chunk & 0x8000) == 0) {
      // Run length: 0 | symbol (2) | length (13). A zero-length run says
      // nothing and costs its two bytes, so it cannot loop for free.
      const uint8_t symbol = static_cast<uint8_t>((chunk >> 13) & 3);
      if (symbol == 3) return TransportCcError::kReserved;
      size_t run = chunk & 0x1FFF;
      if (run > left) run = left;
      for (size_t i = 0; i < run; ++i) out->entries.push_back({0, symbol != kNotReceived, symbol});
    } else if ((chunk & 0x4000) == 0) {
      // Status vector, fourteen one-bit symbols.
      for (int i = 0; i < 14 && out->entries.size() < count; ++i) {
        const uint8_t symbol = static_cast<uint8_t>((chunk >> (13 - i)) & 1);
        out->entries.push_back({0, symbol != kNotReceived, symbol});
      }
    } else {
      // Status vector, seven two-bit symbols. Past the count they are
      // padding and must be zero; reserved ones inside the count fail.
      for (int i = 0; i < 7 && out->entries.size() < count; ++i) {
        const uint8_t symbol = static_cast<uint8_t>((chunk >> (12 - 2 * i)) & 3);
        if (symbol == 3) return TransportCcError::kReserved;
        out->entries.push_back({0, symbol != kNotReceived, symbol});
      }
    }
  }

  // Then one delta per received status, each from the previous arrival
  // (the first from the reference time), in 250 us ticks.
  int64_t ticks = 0;
  uint16_t seq = out->base_sequence;
  for (TransportCcEntry& e : out->entries) {
    // The symbol was parked in arrival_ticks while reading the chunks.
    const int64_t symbol = e.arrival_ticks;
    e.sequence = seq++;
    e.arrival_ticks = 0;
    if (symbol == kSmallDelta) {
      if (pos + 1 > size) return TransportCcError::kTruncated;
      ticks += p[pos];
      pos += 1;
      e.arrival_ticks = ticks;
    } else if (symbol == kLargeDelta) {
      if (pos + 2 > size) return TransportCcError::kTruncated;
      ticks += static_cast<int16_t>(LoadU16(p + pos));
      pos += 2;
      e.arrival_ticks = ticks;
    }
  }
  // Whatever follows the deltas is zero padding to a word boundary; it is
  // not checked (receivers differ, and it carries nothing).
  return TransportCcError::kNone;
}

}  // namespace webrtc_agent::rtp
