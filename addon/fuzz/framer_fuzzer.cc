// libFuzzer target: the RFC 4571 framing of ICE-TCP (addon/net/
// rfc4571_framer). Built and run by scripts/fuzz.sh.
//
// The input is a TCP byte stream from a hostile peer. Its first byte picks
// the reader's frame limit and a cut pattern; the rest is fed twice: whole
// in one read, and cut into reads at the chosen points. Invariants: both
// ways give the same frames (a read boundary changes nothing) and agree on
// breaking; every frame is 1..max_frame bytes and is a slice of the stream
// at the place its header says; the reader never holds more than
// header + max_frame; once broken it stays broken and delivers nothing.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "net/rfc4571_framer.h"

namespace {

using webrtc_agent::net::Rfc4571Framer;

struct Out {
  std::vector<std::vector<uint8_t>> frames;
  bool ok = true;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t ctl = data[0];
  const uint8_t* stream = data + 1;
  const size_t len = size - 1;
  // Small limits make the too-long path reachable; 1200 is the real one.
  static const size_t kLimits[] = {1, 4, 16, 200, 1200, 2048, 0xffff, 0x10000};
  const size_t max_frame = kLimits[ctl & 7];

  // Once: the whole stream in one read, checking where each frame sits.
  Out whole;
  {
    Rfc4571Framer f(max_frame);
    size_t expect_at = 0;  // where the next non-empty frame's header can be
    whole.ok = f.Feed(stream, len, [&](const uint8_t* d, size_t n) {
      FUZZ_CHECK(n >= 1 && n <= f.max_frame());
      FUZZ_CHECK(d >= stream + 2 && d + n <= stream + len);
      const size_t at = static_cast<size_t>(d - stream) - 2;
      FUZZ_CHECK(at >= expect_at);
      FUZZ_CHECK(((static_cast<size_t>(stream[at]) << 8) | stream[at + 1]) == n);
      expect_at = at + 2 + n;
      whole.frames.emplace_back(d, d + n);
    });
    FUZZ_CHECK(whole.ok == !f.broken());
    FUZZ_CHECK(f.pending() <= 2 + f.max_frame());
    if (!whole.ok) {
      int more = 0;
      FUZZ_CHECK(!f.Feed(stream, len, [&](const uint8_t*, size_t) { more++; }));
      FUZZ_CHECK(more == 0);
    }
  }

  // Again, cut into reads of 1..8 << (ctl >> 3 & 3) bytes, a pattern taken
  // from the stream's own bytes so the fuzzer steers it.
  Out cut;
  {
    Rfc4571Framer f(max_frame);
    size_t at = 0, k = 0;
    const unsigned shift = (ctl >> 3) & 3;
    while (at < len) {
      const size_t step = static_cast<size_t>(1 + (stream[k++ % len] & 7)) << shift;
      const size_t n = step < len - at ? step : len - at;
      if (!f.Feed(stream + at, n, [&](const uint8_t* d, size_t m) {
            FUZZ_CHECK(m >= 1 && m <= f.max_frame());
            cut.frames.emplace_back(d, d + m);
          })) {
        cut.ok = false;
        break;
      }
      FUZZ_CHECK(f.pending() <= 2 + f.max_frame());
      at += n;
    }
  }
  FUZZ_CHECK(cut.ok == whole.ok);
  FUZZ_CHECK(cut.frames == whole.frames);
  return 0;
}
