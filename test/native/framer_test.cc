// Unit tests for addon/net/rfc4571_framer: a plain program built with
// ASan+UBSan by test/native/framer.test.ts. The reader is fed streams cut
// at every possible point, with empty and too-long frames, and what comes
// out is compared with what went in.
//
// Prints "framer_test: N checks passed, M failed" last; exits 1 if M > 0.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "check.h"
#include "net/rfc4571_framer.h"

namespace {

using Bytes = std::vector<uint8_t>;
using webrtc_agent::net::Rfc4571Framer;

Bytes Frame(const Bytes& payload) {
  Bytes out(2);
  CHECK(Rfc4571Framer::WriteHeader(payload.size(), out.data()));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Bytes Payload(size_t n, uint8_t seed) {
  Bytes p(n);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(seed + i * 7);
  return p;
}

// Feeds `stream` in pieces cut at `cuts` (ascending offsets); collects frames.
struct Result {
  std::vector<Bytes> frames;
  bool ok = true;
};
Result FeedCut(Rfc4571Framer& f, const Bytes& stream, const std::vector<size_t>& cuts) {
  Result r;
  size_t from = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(stream.size());
  for (size_t end : ends) {
    const bool ok = f.Feed(stream.data() + from, end - from, [&](const uint8_t* d, size_t n) {
      r.frames.emplace_back(d, d + n);
    });
    if (!ok) r.ok = false;
    from = end;
  }
  return r;
}

void TestHeader() {
  uint8_t h[2] = {0xaa, 0xaa};
  CHECK(Rfc4571Framer::WriteHeader(0x1234, h));
  CHECK_EQ(h[0], 0x12);
  CHECK_EQ(h[1], 0x34);
  CHECK(Rfc4571Framer::WriteHeader(0xffff, h));
  CHECK(h[0] == 0xff && h[1] == 0xff);
  h[0] = h[1] = 7;
  CHECK(!Rfc4571Framer::WriteHeader(0x10000, h));
  CHECK(h[0] == 7 && h[1] == 7);  // nothing written
  // The limit is clamped into what the header can say.
  CHECK_EQ(Rfc4571Framer(0).max_frame(), 1u);
  CHECK_EQ(Rfc4571Framer(1u << 20).max_frame(), 0xffffu);
}

void TestWholeFramesInPlace() {
  Rfc4571Framer f(1500);
  const Bytes a = Payload(100, 1), b = Payload(1, 2), c = Payload(1500, 3);
  Bytes stream = Frame(a);
  const Bytes fb = Frame(b), fc = Frame(c);
  stream.insert(stream.end(), fb.begin(), fb.end());
  stream.insert(stream.end(), fc.begin(), fc.end());
  std::vector<const uint8_t*> where;
  std::vector<Bytes> got;
  CHECK(f.Feed(stream.data(), stream.size(), [&](const uint8_t* d, size_t n) {
    where.push_back(d);
    got.emplace_back(d, d + n);
  }));
  CHECK_EQ(got.size(), 3u);
  if (got.size() == 3) {
    CHECK(got[0] == a && got[1] == b && got[2] == c);
    // Handed out in place, not copied.
    CHECK(where[0] == stream.data() + 2);
    CHECK(where[1] == stream.data() + 2 + 100 + 2);
    CHECK(where[2] == stream.data() + 2 + 100 + 2 + 1 + 2);
  }
  CHECK_EQ(f.pending(), 0u);
  CHECK_EQ(f.frames(), 3u);
  CHECK(!f.broken());
}

// Every single cut point, and every pair of cut points, of a three-frame
// stream: the same frames come out, in order.
void TestEveryCut() {
  const std::vector<Bytes> want = {Payload(5, 9), Payload(3, 1), Payload(7, 4)};
  Bytes stream;
  for (const Bytes& p : want) {
    const Bytes fr = Frame(p);
    stream.insert(stream.end(), fr.begin(), fr.end());
  }
  int bad = 0, runs = 0;
  for (size_t i = 0; i <= stream.size(); ++i) {
    for (size_t j = i; j <= stream.size(); ++j) {
      Rfc4571Framer f(64);
      const Result r = FeedCut(f, stream, {i, j});
      runs++;
      if (!r.ok || r.frames != want || f.pending() != 0) bad++;
    }
  }
  CHECK(runs > 100);
  CHECK_EQ(bad, 0);
  // Byte by byte.
  Rfc4571Framer f(64);
  std::vector<size_t> cuts;
  for (size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  const Result r = FeedCut(f, stream, cuts);
  CHECK(r.ok);
  CHECK(r.frames == want);
}

void TestPendingBetweenReads() {
  Rfc4571Framer f(100);
  const Bytes p = Payload(50, 5);
  const Bytes fr = Frame(p);
  int n = 0;
  CHECK(f.Feed(fr.data(), 1, [&](const uint8_t*, size_t) { n++; }));
  CHECK_EQ(f.pending(), 1u);
  CHECK(f.Feed(fr.data() + 1, 20, [&](const uint8_t*, size_t) { n++; }));
  CHECK_EQ(f.pending(), 21u);
  CHECK_EQ(n, 0);
  Bytes got;
  CHECK(f.Feed(fr.data() + 21, fr.size() - 21, [&](const uint8_t* d, size_t len) {
    n++;
    got.assign(d, d + len);
  }));
  CHECK_EQ(n, 1);
  CHECK(got == p);
  CHECK_EQ(f.pending(), 0u);
}

void TestEmptyFrames() {
  // Empty frames in place, split across reads, and before a real one.
  const Bytes p = Payload(4, 3);
  Bytes stream = {0, 0, 0, 0};
  const Bytes fr = Frame(p);
  stream.insert(stream.end(), fr.begin(), fr.end());
  stream.push_back(0);
  stream.push_back(0);
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    Rfc4571Framer f(16);
    const Result r = FeedCut(f, stream, {cut});
    CHECK(r.ok);
    CHECK(r.frames.size() == 1 && r.frames[0] == p);
    CHECK_EQ(f.empty_frames(), 3u);
    CHECK_EQ(f.pending(), 0u);
  }
  // Header completed in the partial path as an empty frame, then more data.
  Rfc4571Framer f(16);
  const uint8_t one[] = {0};
  int n = 0;
  CHECK(f.Feed(one, 1, [&](const uint8_t*, size_t) { n++; }));
  Bytes rest = {0};
  rest.insert(rest.end(), fr.begin(), fr.end());
  CHECK(f.Feed(rest.data(), rest.size(), [&](const uint8_t*, size_t len) { n += static_cast<int>(len); }));
  CHECK_EQ(n, 4);
  CHECK_EQ(f.empty_frames(), 1u);
}

void TestTooLong() {
  // Exactly the limit passes; one more breaks the stream, in place...
  {
    Rfc4571Framer f(10);
    const Bytes ok = Frame(Payload(10, 1));
    Bytes stream = ok;
    const Bytes big = Frame(Payload(11, 2));
    stream.insert(stream.end(), big.begin(), big.end());
    std::vector<size_t> lens;
    CHECK(!f.Feed(stream.data(), stream.size(), [&](const uint8_t*, size_t n) { lens.push_back(n); }));
    CHECK(lens.size() == 1 && lens[0] == 10);  // the frame before it was delivered
    CHECK(f.broken());
    int more = 0;
    CHECK(!f.Feed(ok.data(), ok.size(), [&](const uint8_t*, size_t) { more++; }));
    CHECK_EQ(more, 0);
  }
  // ...and with the header split across reads (the partial path).
  {
    Rfc4571Framer f(10);
    const uint8_t h1[] = {0x00};
    const uint8_t h2[] = {0x0b, 1, 2, 3};
    int n = 0;
    CHECK(f.Feed(h1, 1, [&](const uint8_t*, size_t) { n++; }));
    CHECK(!f.Feed(h2, sizeof(h2), [&](const uint8_t*, size_t) { n++; }));
    CHECK(f.broken());
    CHECK_EQ(n, 0);
    CHECK_EQ(f.pending(), 0u);
  }
  // A header of 0xffff against the default-sized reader (what a hostile
  // peer sends first) holds nothing.
  {
    Rfc4571Framer f(2048);
    const uint8_t h[] = {0xff, 0xff, 0, 0, 0};
    CHECK(!f.Feed(h, sizeof(h), [](const uint8_t*, size_t) {}));
    CHECK_EQ(f.pending(), 0u);
  }
}

// Random frames, random cuts: what comes out is what went in.
void TestRandom() {
  std::mt19937 rng(4571);
  int bad = 0;
  for (int round = 0; round < 300; ++round) {
    std::vector<Bytes> want;
    Bytes stream;
    const int frames = 1 + static_cast<int>(rng() % 20);
    for (int i = 0; i < frames; ++i) {
      const Bytes p = Payload(rng() % 1201, static_cast<uint8_t>(rng()));
      const Bytes fr = Frame(p);
      stream.insert(stream.end(), fr.begin(), fr.end());
      if (!p.empty()) want.push_back(p);
    }
    std::vector<size_t> cuts;
    for (size_t at = 0;;) {
      at += 1 + rng() % 1500;
      if (at >= stream.size()) break;
      cuts.push_back(at);
    }
    Rfc4571Framer f(1200);
    const Result r = FeedCut(f, stream, cuts);
    if (!r.ok || r.frames != want || f.pending() != 0) bad++;
  }
  CHECK_EQ(bad, 0);
}

}  // namespace

int main() {
  TestHeader();
  TestWholeFramesInPlace();
  TestEveryCut();
  TestPendingBetweenReads();
  TestEmptyFrames();
  TestTooLong();
  TestRandom();
  return webrtc_agent::native_test::ReportChecks("framer_test");
}
