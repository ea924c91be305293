#include "ring_pattern.h"

#include <cstring>

namespace webrtc_agent {
namespace ring {

RingPattern::RingPattern(uint32_t max_payload)
    : max_payload_(max_payload), table_(kWindow + max_payload) {
  // xorshift32 from a fixed seed: the same bytes in every thread and in
  // the TS twin, with no state to share.
  uint32_t x = 0x2545F491u;
  for (auto& byte : table_) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    byte = static_cast<uint8_t>(x);
  }
}

uint32_t RingPattern::Mix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

uint32_t RingPattern::PayloadLength(uint32_t seed, uint32_t seq, uint32_t min,
                                    uint32_t max) {
  if (max <= min) return min;
  const uint32_t span = max - min + 1;  // max < 2^32 - 1 for real sizes
  return min + Mix(seed ^ (seq * 0x9E3779B1u)) % span;
}

void RingPattern::Header(uint32_t seq, uint32_t payload_len,
                         uint8_t out[kHeaderBytes]) {
  const uint32_t check = Check(seq, payload_len);
  // Little-endian on the wire, whatever the host (JS DataView reads LE).
  for (int i = 0; i < 4; ++i) {
    out[i] = static_cast<uint8_t>(seq >> (8 * i));
    out[4 + i] = static_cast<uint8_t>(check >> (8 * i));
  }
}

const char* RingPattern::Verify(const uint8_t* rec, size_t len, Level level,
                                uint32_t* seq) const {
  if (level == Level::kNone) return nullptr;
  if (len < kHeaderBytes) return "record shorter than the pattern header";
  uint32_t s = 0;
  uint32_t check = 0;
  for (int i = 0; i < 4; ++i) {
    s |= static_cast<uint32_t>(rec[i]) << (8 * i);
    check |= static_cast<uint32_t>(rec[4 + i]) << (8 * i);
  }
  *seq = s;
  const size_t payload_len = len - kHeaderBytes;
  if (check != Check(s, static_cast<uint32_t>(payload_len))) {
    return "record header check word does not match";
  }
  if (level == Level::kFull) {
    if (payload_len > max_payload_) return "record payload longer than expected";
    if (std::memcmp(rec + kHeaderBytes, Payload(s), payload_len) != 0) {
      return "record payload bytes differ from the pattern";
    }
  }
  return nullptr;
}

}  // namespace ring
}  // namespace webrtc_agent
