// RingPattern: the verifiable test records that tests and benches push
// through rings (docs/ring.md, "Test pattern"). test/kit/ring/RingPattern.ts
// is the same definition in TypeScript; records made by one side are
// checked by the other.
//
// A record is an 8-byte header {u32 seq, u32 check} followed by a payload
// whose bytes are a window into a fixed pseudo-random table, starting at an
// offset derived from seq. WHY a table window: the producer pushes a
// pointer into the table (no per-byte generation), and the consumer checks
// every byte with one memcmp, so full verification stays cheap enough to
// leave on in the benchmark.
#ifndef WEBRTC_AGENT_TEST_ADDON_RING_PATTERN_H_
#define WEBRTC_AGENT_TEST_ADDON_RING_PATTERN_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace webrtc_agent {
namespace ring {

class RingPattern {
 public:
  static constexpr uint32_t kHeaderBytes = 8;
  static constexpr uint32_t kWindow = 4096;  // payload start offsets

  // A table long enough for payloads of up to `max_payload` bytes.
  explicit RingPattern(uint32_t max_payload);

  // murmur3's 32-bit finaliser: cheap, well mixed, easy to mirror in JS.
  static uint32_t Mix(uint32_t h);
  static uint32_t Check(uint32_t seq, uint32_t payload_len) {
    return Mix(seq ^ 0x5bd1e995u) ^ payload_len;
  }
  // Payload length of record `seq` of a burst, uniform in [min, max].
  static uint32_t PayloadLength(uint32_t seed, uint32_t seq, uint32_t min,
                                uint32_t max);
  static void Header(uint32_t seq, uint32_t payload_len,
                     uint8_t out[kHeaderBytes]);

  uint32_t max_payload() const { return max_payload_; }
  // The payload bytes of record `seq` (valid for up to max_payload()).
  const uint8_t* Payload(uint32_t seq) const {
    return table_.data() + ((seq * 7u) & (kWindow - 1));
  }

  enum class Level { kNone, kHeader, kFull };
  // Checks one record; nullptr if good, else a static description.
  // *seq gets the record's sequence number when it has a header.
  const char* Verify(const uint8_t* rec, size_t len, Level level,
                     uint32_t* seq) const;

 private:
  uint32_t max_payload_;
  std::vector<uint8_t> table_;
};

}  // namespace ring
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_TEST_ADDON_RING_PATTERN_H_
