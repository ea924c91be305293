// Unit tests for TwccFeedback (addon/rtp/twcc_feedback.*): the RTCP
// transport-cc feedback it builds from hand-made arrival schedules, checked
// byte for byte against packets worked out by hand from
// draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1, and
// parsed back by an independent decoder written here. Built with ASan+UBSan
// by test/native/twcc.test.ts.
//
// Prints "twcc_test: N checks passed, M failed" last; exits 1 if M > 0.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "check.h"
#include "rtp/byte_io.h"
#include "rtp/rtcp.h"
#include "rtp/twcc_feedback.h"

namespace {

using namespace webrtc_agent::rtp;
using Bytes = std::vector<uint8_t>;

constexpr uint32_t kSender = 1;
constexpr uint32_t kMedia = 2;

Bytes BuildOne(TwccFeedback& f, size_t capacity = 1200) {
  Bytes out(capacity);
  const size_t n = f.Build(out.data(), out.size(), kSender, kMedia);
  out.resize(n);
  return out;
}

Bytes Header(uint16_t length, uint16_t base, uint16_t count, uint32_t reference, uint8_t fb_count) {
  return {0x8F, 205, static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length),
          0, 0, 0, 1, 0, 0, 0, 2,
          static_cast<uint8_t>(base >> 8), static_cast<uint8_t>(base),
          static_cast<uint8_t>(count >> 8), static_cast<uint8_t>(count),
          static_cast<uint8_t>(reference >> 16), static_cast<uint8_t>(reference >> 8),
          static_cast<uint8_t>(reference), fb_count};
}

Bytes Cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

void PrintIfDifferent(const Bytes& got, const Bytes& want, int line) {
  if (got == want) return;
  std::fprintf(stderr, "line %d: got ", line);
  for (uint8_t b : got) std::fprintf(stderr, "%02x ", b);
  std::fprintf(stderr, "\n          want ");
  for (uint8_t b : want) std::fprintf(stderr, "%02x ", b);
  std::fprintf(stderr, "\n");
}

#define CHECK_BYTES(got, want)              \
  do {                                      \
    PrintIfDifferent(got, want, __LINE__);  \
    CHECK((got) == (want));                 \
  } while (0)

// ---- an independent decoder: what a sender's estimator would read -----

struct Parsed {
  bool ok = false;
  uint32_t sender = 0, media = 0;
  uint16_t base = 0;
  uint8_t fb_count = 0;
  int64_t reference_us = 0;
  std::vector<uint8_t> symbols;
  // Arrival times of the received ones (reference + the running sum of deltas).
  std::vector<int64_t> arrivals_us;
};

Parsed Decode(const Bytes& p) {
  Parsed r;
  if (p.size() < 20 || p.size() % 4 != 0) return r;
  if (p[0] != 0x8F || p[1] != 205 || (LoadU16(&p[2]) + 1u) * 4 != p.size()) return r;
  r.sender = LoadU32(&p[4]);
  r.media = LoadU32(&p[8]);
  r.base = LoadU16(&p[12]);
  const size_t count = LoadU16(&p[14]);
  r.reference_us = static_cast<int64_t>(LoadU24(&p[16])) * 64000;
  r.fb_count = p[19];
  size_t pos = 20;
  while (r.symbols.size() < count) {
    if (pos + 2 > p.size()) return r;
    const uint16_t c = LoadU16(&p[pos]);
    pos += 2;
    if ((c & 0x8000) == 0) {
      const uint8_t s = (c >> 13) & 3;
      const size_t run = c & 0x1FFF;
      if (run == 0 || s == 3) return r;
      for (size_t i = 0; i < run && r.symbols.size() < count; ++i) r.symbols.push_back(s);
    } else if ((c & 0x4000) == 0) {
      for (int i = 13; i >= 0 && r.symbols.size() < count; --i) r.symbols.push_back((c >> i) & 1);
    } else {
      for (int i = 6; i >= 0 && r.symbols.size() < count; --i) {
        const uint8_t s = (c >> (2 * i)) & 3;
        if (s == 3) return r;
        r.symbols.push_back(s);
      }
    }
  }
  int64_t t = r.reference_us;
  for (uint8_t s : r.symbols) {
    if (s == 0) continue;
    if (pos + s > p.size()) return r;
    const int64_t ticks = s == 1 ? p[pos] : static_cast<int16_t>(LoadU16(&p[pos]));
    pos += s;
    t += ticks * 250;
    r.arrivals_us.push_back(t);
  }
  // Only zero padding may follow, less than a word of it.
  if (p.size() - pos >= 4) return r;
  for (; pos < p.size(); ++pos) if (p[pos] != 0) return r;
  r.ok = true;
  return r;
}

bool ReaderAccepts(const Bytes& p) {
  RtcpCompoundReader reader(p.data(), p.size());
  RtcpPacket pkt;
  return reader.Next(&pkt) && IsTransportCc(pkt) && !reader.Next(&pkt) && reader.done();
}

// --------------------------------------------------- hand-made bytes ----

void TestNothingPending() {
  TwccFeedback f;
  CHECK(!f.HasPending());
  CHECK(BuildOne(f).empty());
  f.OnPacket(1, 1000);
  CHECK(f.HasPending());
  uint8_t tiny[23];
  CHECK_EQ(f.Build(tiny, sizeof(tiny), kSender, kMedia), 0u);  // no room for one status
  CHECK(f.HasPending());
}

void TestRunLengthChunk() {
  // 20 packets, 10..29, 1 ms apart from 640 ms (reference 10 x 64 ms):
  // one run-length chunk of 20 "small delta", deltas 0 then 4 x 250 us.
  TwccFeedback f;
  for (uint16_t i = 0; i < 20; ++i) f.OnPacket(10 + i, 640000 + i * 1000);
  const Bytes got = BuildOne(f);
  Bytes want = Cat(Header(10, 10, 20, 10, 0), {0x20, 0x14, 0x00});
  for (int i = 0; i < 19; ++i) want.push_back(0x04);
  want.push_back(0);
  want.push_back(0);
  CHECK_BYTES(got, want);
  CHECK(ReaderAccepts(got));
  CHECK(!f.HasPending());
  CHECK(BuildOne(f).empty());
  CHECK_EQ(f.counters().feedback_built, 1u);
}

void TestOneBitVectorWithMissing() {
  // 100, 101, (102 lost), 103 at 1280 ms (reference 20), +2.5 ms, +5 ms:
  // 1-bit vector 1 1 0 1 = 1 0 1101 0000000000 = 0xB400; deltas 0, 10, 10.
  TwccFeedback f;
  f.OnPacket(100, 1280000);
  f.OnPacket(101, 1282500);
  f.OnPacket(103, 1285000);
  const Bytes got = BuildOne(f);
  CHECK_BYTES(got, Cat(Header(6, 100, 4, 20, 0), {0xB4, 0x00, 0x00, 0x0A, 0x0A, 0x00, 0x00, 0x00}));
  CHECK(ReaderAccepts(got));
  const Parsed p = Decode(got);
  CHECK(p.ok);
  CHECK_EQ(p.symbols.size(), 4u);
  CHECK_EQ(p.symbols[2], 0);
}

void TestTwoBitVectorReorderAndLargeDelta() {
  // 200 at 640 ms, 202 at +0.5 ms, 201 late at +1 ms, 203 at +101 ms.
  // Deltas in number order: 200: 0; 201: +4 (small); 202: 640.5 - 641 ms
  // = -2 (large, negative); 203: 741 - 640.5 = 100.5 ms = +402 (large).
  // 2-bit vector 1 1 2 2 = 11 01 01 10 10 00 00 00 = 0xD6 0x80.
  TwccFeedback f;
  f.OnPacket(200, 640000);
  f.OnPacket(202, 640500);
  f.OnPacket(201, 641000);
  f.OnPacket(203, 741000);
  const Bytes got = BuildOne(f);
  CHECK_BYTES(got, Cat(Header(6, 200, 4, 10, 0), {0xD6, 0x80, 0x00, 0x04, 0xFF, 0xFE, 0x01, 0x92}));
  CHECK(ReaderAccepts(got));
  const Parsed p = Decode(got);
  CHECK(p.ok);
  CHECK_EQ(p.arrivals_us.size(), 4u);
  if (p.arrivals_us.size() == 4) {
    CHECK_EQ(p.arrivals_us[1], 641000);
    CHECK_EQ(p.arrivals_us[2], 640500);
    CHECK_EQ(p.arrivals_us[3], 741000);
  }
}

void TestSequenceWrap() {
  // 65534, 65535, 0, 1 one tick apart from 320 ms (reference 5): one
  // feedback across the wrap (1-bit vector 1111 = 0xBC00), and the next
  // one starts at 2 with feedback count 1.
  TwccFeedback f;
  const uint16_t seqs[] = {65534, 65535, 0, 1};
  for (int i = 0; i < 4; ++i) f.OnPacket(seqs[i], 320000 + i * 250);
  const Bytes first = BuildOne(f);
  CHECK_BYTES(first, Cat(Header(6, 65534, 4, 5, 0), {0xBC, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00, 0x00}));
  f.OnPacket(2, 321000);
  const Bytes second = BuildOne(f);
  // 321 ms: reference still 5 (320 ms), delta 1 ms = 4 ticks.
  CHECK_BYTES(second, Cat(Header(5, 2, 1, 5, 1), {0xA0, 0x00, 0x04, 0x00}));
  CHECK_EQ(f.window_end() - f.window_start(), 5);
}

void TestDeltaTooLargeEndsThePacket() {
  // 300 at 640 ms, 301 ten seconds later: 40000 ticks fit no delta. The
  // first feedback holds 300 alone; the second 301, with its own reference
  // (10.64 s -> 166 x 64 ms = 10.624 s, delta 16 ms = 64 ticks).
  TwccFeedback f;
  f.OnPacket(300, 640000);
  f.OnPacket(301, 10640000);
  const Bytes first = BuildOne(f);
  CHECK_BYTES(first, Cat(Header(5, 300, 1, 10, 0), {0xA0, 0x00, 0x00, 0x00}));
  CHECK(f.HasPending());
  const Bytes second = BuildOne(f);
  CHECK_BYTES(second, Cat(Header(5, 301, 1, 166, 1), {0xA0, 0x00, 0x40, 0x00}));
  CHECK(!f.HasPending());
}

void TestLongLossRun() {
  // 1, then 2..31 lost, then 32: run-length chunks mixed with vectors:
  // [1] [30 x 0] [1] -> a 1-bit vector would hold 14 only; the coder takes
  // symbol 1 (run 1, the next 14 are all 0/1: a 1-bit vector 1 + 13 x 0),
  // then a run of 17 zeros, then a 1-bit vector with the last one.
  TwccFeedback f;
  f.OnPacket(1, 64000);
  f.OnPacket(32, 64000 + 31 * 250);
  const Bytes got = BuildOne(f);
  // 0xA000 (1, then 13 zeros), 0x0011 (run of 17 "not received"), 0xA000.
  CHECK_BYTES(got, Cat(Header(6, 1, 32, 1, 0), {0xA0, 0x00, 0x00, 0x11, 0xA0, 0x00, 0x00, 0x1F}));
  const Parsed p = Decode(got);
  CHECK(p.ok);
  CHECK_EQ(p.symbols.size(), 32u);
  CHECK_EQ(p.arrivals_us.size(), 2u);
}

void TestLateArrivalIsReportedAgain() {
  // 50, (51 lost), 52 reported; then 51 turns up (a repair): the next
  // feedback starts again at 51 and says it arrived.
  TwccFeedback f;
  f.OnPacket(50, 64000);
  f.OnPacket(52, 64500);
  const Parsed a = Decode(BuildOne(f));
  CHECK(a.ok);
  CHECK_EQ(a.symbols.size(), 3u);
  f.OnPacket(51, 80000);
  CHECK(f.HasPending());
  const Parsed b = Decode(BuildOne(f));
  CHECK(b.ok);
  CHECK_EQ(b.base, 51);
  CHECK_EQ(b.symbols.size(), 2u);
  CHECK_EQ(b.fb_count, 1);
  CHECK_EQ(b.arrivals_us.size(), 2u);
  if (b.arrivals_us.size() == 2) {
    CHECK_EQ(b.arrivals_us[0], 80000);
    CHECK_EQ(b.arrivals_us[1], 64500);  // a negative delta back to 52's time
  }
  f.OnPacket(52, 90000);  // a duplicate
  CHECK_EQ(f.counters().duplicates, 1u);
  CHECK(!f.HasPending());
}

void TestFirstTwoSwapped() {
  // 8 arrives before 7, nothing reported yet: both are reported, from 7.
  TwccFeedback f;
  f.OnPacket(8, 64000);
  f.OnPacket(7, 64250);
  const Parsed p = Decode(BuildOne(f));
  CHECK(p.ok);
  CHECK_EQ(p.base, 7);
  CHECK_EQ(p.symbols.size(), 2u);
  CHECK_EQ(f.counters().too_old, 0u);
  // After a report, a number before the window is too old.
  f.OnPacket(6, 64500);
  CHECK_EQ(f.counters().too_old, 1u);
}

void TestRounding() {
  // Deltas are rounded to the nearest 250 us, and the error does not add
  // up: 10 packets 130 us apart are written 1, 0, 1, 0 ... ticks (the
  // running total stays within 125 us of the truth).
  TwccFeedback f;
  for (int i = 0; i < 10; ++i) f.OnPacket(static_cast<uint16_t>(i), 64000 + i * 130);
  const Parsed p = Decode(BuildOne(f));
  CHECK(p.ok);
  CHECK_EQ(p.arrivals_us.size(), 10u);
  bool close = p.arrivals_us.size() == 10;
  for (size_t i = 0; i < p.arrivals_us.size(); ++i) {
    close = close && std::llabs(p.arrivals_us[i] - static_cast<int64_t>(64000 + i * 130)) <= 125;
  }
  CHECK(close);
}

// ---------------------------------------- bounds, ageing, parse-back ----

void TestCapacitySplitsAndParseBack() {
  // 3000 packets with loss, reordering and jitter, fed in bursts and
  // reported through small buffers: every feedback parses, the pieces are
  // consecutive, and every arrival comes back within 125 us.
  TwccOptions o;
  o.max_packets = 8192;
  TwccFeedback f(o);
  uint32_t rng = 12345;
  auto next = [&] { rng = rng * 1103515245u + 12345u; return (rng >> 8) & 0xFFFF; };
  std::vector<int64_t> truth(3000, -1);
  uint64_t t = 5000000;
  for (int i = 0; i < 3000; ++i) {
    t += 200 + next() % 900;
    if (next() % 20 == 0) continue;  // lost
    truth[i] = static_cast<int64_t>(t);
  }
  // Swap neighbours now and then: reordering on the wire.
  std::vector<int> order;
  for (int i = 0; i < 3000; ++i) order.push_back(i);
  for (int i = 0; i + 1 < 3000; i += 17) std::swap(order[i], order[i + 1]);
  bool all_ok = true, consecutive = true, close = true;
  size_t feedbacks = 0, statuses = 0, received = 0, went_back = 0;
  uint16_t expect_base = 64000;
  uint8_t expect_count = 0;
  for (int k = 0; k < 3000; ++k) {
    const int i = order[k];
    if (truth[i] >= 0) f.OnPacket(static_cast<uint16_t>(64000 + i), static_cast<uint64_t>(truth[i]));
    if (k % 400 != 399 && k != 2999) continue;
    for (;;) {
      const Bytes b = BuildOne(f, 120);
      if (b.empty()) break;
      CHECK(b.size() <= 120);
      const Parsed p = Decode(b);
      feedbacks++;
      all_ok = all_ok && p.ok && ReaderAccepts(b) && p.sender == kSender && p.media == kMedia;
      if (!p.ok) break;
      // Counts follow each other; the base follows the previous packet's
      // end, or goes back when a reordered packet filled a reported gap.
      consecutive = consecutive && p.fb_count == expect_count && static_cast<int16_t>(expect_base - p.base) >= 0;
      if (p.base != expect_base) went_back++;
      expect_base = static_cast<uint16_t>(p.base + p.symbols.size());
      expect_count++;
      size_t r = 0;
      for (size_t j = 0; j < p.symbols.size(); ++j) {
        const int idx = static_cast<uint16_t>(p.base + j - 64000);
        if (p.symbols[j] == 0) {
          // Missing now may still arrive (reordered): only lost ones stay missing at the end.
          continue;
        }
        close = close && idx < 3000 && truth[idx] >= 0 && std::llabs(p.arrivals_us[r] - truth[idx]) <= 125;
        r++;
        received++;
      }
      statuses += p.symbols.size();
    }
  }
  CHECK(all_ok);
  CHECK(close);
  if (!consecutive) std::fprintf(stderr, "feedbacks out of order: packets=%llu too_old=%llu dup=%llu resets=%llu went_back=%zu\n", (unsigned long long)f.counters().packets, (unsigned long long)f.counters().too_old, (unsigned long long)f.counters().duplicates, (unsigned long long)f.counters().resets, went_back);
  CHECK(consecutive);
  CHECK(went_back > 0);  // the schedule reorders across report boundaries
  CHECK(feedbacks > 20);
  CHECK(statuses >= 3000 - 1);
  CHECK(received >= 2800);
  CHECK_EQ(f.counters().packets, static_cast<uint64_t>(std::count_if(truth.begin(), truth.end(), [](int64_t v) { return v >= 0; })));
}

void TestBoundedHistory() {
  TwccOptions o;
  o.max_packets = 64;
  o.max_age_us = 100000;
  TwccFeedback f(o);
  // Reported entries older than 100 ms go.
  for (int i = 0; i < 10; ++i) f.OnPacket(static_cast<uint16_t>(i), 1000000 + i * 1000);
  CHECK(!BuildOne(f).empty());
  f.OnPacket(10, 1300000);
  CHECK_EQ(f.window_start(), f.next_to_report());  // 0..9 forgotten
  f.OnPacket(3, 1300001);  // behind the history now
  CHECK_EQ(f.counters().too_old, 1u);
  // Unreported entries are kept until reported, however old...
  f.OnPacket(11, 5000000);
  CHECK_EQ(f.window_end() - f.next_to_report(), 2);
  // ...but a jump past the ring starts over.
  f.OnPacket(11 + 64, 5001000);
  CHECK_EQ(f.counters().resets, 1u);
  CHECK_EQ(f.window_end() - f.window_start(), 1);
  const Parsed p = Decode(BuildOne(f));
  CHECK(p.ok);
  CHECK_EQ(p.base, 75);
  CHECK_EQ(p.symbols.size(), 1u);
  // Within the ring, reported slots are reused: the window never exceeds it.
  for (int i = 76; i < 76 + 200; ++i) {
    f.OnPacket(static_cast<uint16_t>(i), 5001000 + (i - 75) * 100);
    if (i % 10 == 0) while (!BuildOne(f).empty()) {}
    CHECK(f.window_end() - f.window_start() <= 64);
  }
}

}  // namespace

int main() {
  TestNothingPending();
  TestRunLengthChunk();
  TestOneBitVectorWithMissing();
  TestTwoBitVectorReorderAndLargeDelta();
  TestSequenceWrap();
  TestDeltaTooLargeEndsThePacket();
  TestLongLossRun();
  TestLateArrivalIsReportedAgain();
  TestFirstTwoSwapped();
  TestRounding();
  TestCapacitySplitsAndParseBack();
  TestBoundedHistory();
  return webrtc_agent::native_test::ReportChecks("twcc_test");
}
