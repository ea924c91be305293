// libFuzzer target: TwccFeedback (transport-wide congestion control
// feedback) fed with hostile arrival schedules. Each 4-byte record of the
// input is one event: a packet (a transport-wide sequence number and an
// arrival-time step that may go backwards or leap by minutes) or, when the
// top bit of the step is set, a feedback built into a buffer of a size taken
// from the record. The invariants are what the transport relies on: the
// window never exceeds the ring, every feedback fits its buffer, is a whole
// number of words, reads back as one transport-cc packet, and its status
// count and chunks agree. Built and run by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "rtp/byte_io.h"
#include "rtp/rtcp.h"
#include "rtp/twcc_feedback.h"

namespace {

using namespace webrtc_agent::rtp;

// Walks the chunks and deltas of a feedback the way a sender would; false
// if they do not add up to the packet's length.
bool Consistent(const uint8_t* p, size_t n) {
  const size_t count = LoadU16(p + 14);
  if (count == 0) return false;
  size_t pos = kTwccHeaderSize, seen = 0, delta_bytes = 0;
  while (seen < count) {
    if (pos + 2 > n) return false;
    const uint16_t c = LoadU16(p + pos);
    pos += 2;
    if ((c & 0x8000) == 0) {
      const size_t run = c & 0x1FFF;
      const uint8_t s = (c >> 13) & 3;
      if (run == 0 || s == 3) return false;
      const size_t take = run < count - seen ? run : count - seen;
      delta_bytes += take * s;
      seen += take;
    } else {
      const bool two = (c & 0x4000) != 0;
      const int symbols = two ? 7 : 14;
      for (int i = 0; i < symbols && seen < count; ++i, ++seen) {
        const uint8_t s = two ? (c >> (12 - 2 * i)) & 3 : (c >> (13 - i)) & 1;
        if (s == 3) return false;
        delta_bytes += s;
      }
    }
  }
  pos += delta_bytes;
  return pos <= n && n - pos < 4;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks tight or default bounds, so the ring reuse, reset
  // and ageing paths are reached with short inputs too.
  TwccOptions opts;
  if (data[0] & 1) {
    opts.max_packets = 32;
    opts.max_age_us = 20000;
  }
  TwccFeedback twcc(opts);
  uint64_t now_us = (data[0] & 2) ? (uint64_t{1} << 63) : 1000000;  // a clock near overflow too
  std::vector<uint8_t> out(1500);
  uint64_t built = 0;

  for (size_t at = 1; at + 4 <= size; at += 4) {
    const uint8_t* r = data + at;
    const uint16_t seq = LoadU16(r);
    const uint16_t step = LoadU16(r + 2);
    if (step & 0x8000) {
      // A feedback into a buffer of 0..1499 bytes (from the record), then
      // maybe everything pending.
      const size_t capacity = (static_cast<size_t>(seq) * 7) % out.size();
      for (int i = 0; i < ((step & 0x4000) ? 64 : 1); ++i) {
        const bool pending = twcc.HasPending();
        const size_t n = twcc.Build(out.data(), capacity, 0x11, 0x22);
        if (n == 0) {
          FUZZ_CHECK(!pending || capacity < kTwccHeaderSize + 4);
          break;
        }
        built++;
        FUZZ_CHECK(pending);
        FUZZ_CHECK(n <= capacity && n % 4 == 0 && n >= kTwccHeaderSize + 4);
        RtcpCompoundReader reader(out.data(), n);
        RtcpPacket p;
        FUZZ_CHECK(reader.Next(&p) && IsTransportCc(p) && !reader.Next(&p) && reader.done());
        FUZZ_CHECK(Consistent(out.data(), n));
        FUZZ_CHECK(out[19] == static_cast<uint8_t>(built - 1));
      }
    } else {
      // Steps of -8 .. +8 s in ~0.5 ms units: reordering, stalls and leaps.
      const int64_t delta = (static_cast<int64_t>(step & 0x7FFF) - 0x4000) * 500;
      if (delta < 0 && static_cast<uint64_t>(-delta) > now_us) now_us = 0;
      else now_us += static_cast<uint64_t>(delta);
      twcc.OnPacket(seq, now_us);
    }
    FUZZ_CHECK(twcc.window_start() <= twcc.next_to_report());
    FUZZ_CHECK(twcc.next_to_report() <= twcc.window_end());
    FUZZ_CHECK(static_cast<size_t>(twcc.window_end() - twcc.window_start()) <= opts.max_packets);
    FUZZ_CHECK(twcc.counters().feedback_built == built);
  }
  return 0;
}
