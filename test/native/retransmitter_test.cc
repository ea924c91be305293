// Unit tests for addon/rtp/retransmitter: which NACKed packets a subscriber
// is sent again. Each rule (once per RTT, at most max_resends, repeats in
// one NACK once, misses, the switch boundary, the byte budget) is driven
// on a fake clock, and the hostile NACKs of the issue (one number listed
// 4,096 times; a flood) are shown to cost bounded bytes. RTX wrapping is
// checked byte by byte against a hand-made packet.
// A plain program built with ASan+UBSan by test/native/retransmitter.test.ts.
#include <cstdint>
#include <vector>

#include "check.h"
#include "rtp/byte_io.h"
#include "rtp/retransmitter.h"

namespace {

using webrtc_agent::rtp::LoadU16;
using webrtc_agent::rtp::LoadU32;
using webrtc_agent::rtp::RetransmitOptions;
using webrtc_agent::rtp::Retransmitter;

constexpr size_t kPkt = 1200;

std::vector<uint16_t> Nack(Retransmitter& r, std::vector<uint16_t> seqs, uint64_t now, int64_t rtt,
                           std::vector<uint16_t>* missed = nullptr) {
  std::vector<uint16_t> out;
  r.OnNack(seqs.data(), seqs.size(), now, rtt, &out, missed);
  return out;
}

void SendRange(Retransmitter& r, uint16_t from, int n) {
  for (int i = 0; i < n; ++i) r.OnSent(static_cast<uint16_t>(from + i), kPkt);
}

void TestOncePerRtt() {
  Retransmitter r;
  SendRange(r, 100, 100);
  CHECK_EQ(Nack(r, {110}, 1000, 200).size(), 1u);
  // Within the RTT: refused; after it: allowed again.
  CHECK(Nack(r, {110}, 1100, 200).empty());
  CHECK(Nack(r, {110}, 1199, 200).empty());
  CHECK_EQ(r.counters().too_soon, 2u);
  CHECK_EQ(Nack(r, {110}, 1200, 200).size(), 1u);
  // The floor: an RTT of 1 ms still spaces re-sends by min_interval_ms.
  CHECK_EQ(Nack(r, {111}, 2000, 1).size(), 1u);
  CHECK(Nack(r, {111}, 2005, 1).empty());
  CHECK_EQ(Nack(r, {111}, 2015, 1).size(), 1u);
  // Unknown RTT: default_rtt_ms.
  CHECK_EQ(Nack(r, {112}, 3000, -1).size(), 1u);
  CHECK(Nack(r, {112}, 3099, -1).empty());
  CHECK_EQ(Nack(r, {112}, 3100, -1).size(), 1u);
}

void TestNothingSentAndClockWrap() {
  // A NACK before anything was sent: every number a miss, nothing re-sent.
  Retransmitter r;
  std::vector<uint16_t> missed;
  CHECK(Nack(r, {1, 2, 1}, 1000, 50, &missed).empty());
  CHECK(missed == (std::vector<uint16_t>{1, 2}));
  CHECK_EQ(r.counters().duplicates, 1u);
  // Re-send spacing across the 2^32 ms boundary of the slots' clock.
  SendRange(r, 0, 10);
  const uint64_t t = (uint64_t{1} << 32) - 30;
  CHECK_EQ(Nack(r, {3}, t, 100).size(), 1u);
  CHECK(Nack(r, {3}, t + 60, 100).empty());
  CHECK_EQ(Nack(r, {3}, t + 100, 100).size(), 1u);
}

void TestAtMostMaxResends() {
  RetransmitOptions o;
  o.max_resends = 3;
  Retransmitter r(o);
  SendRange(r, 0, 50);
  int sent = 0;
  for (int i = 0; i < 20; ++i) sent += static_cast<int>(Nack(r, {7}, 1000 + i * 100, 50).size());
  CHECK_EQ(sent, 3);
  CHECK_EQ(r.counters().too_many, 17u);
  // A new packet in the slot (the ring came round) starts afresh.
  SendRange(r, 50, Retransmitter::kSlots);
  const uint16_t again = static_cast<uint16_t>(7 + Retransmitter::kSlots);
  CHECK_EQ(Nack(r, {again}, 5000, 50).size(), 1u);
}

void TestRepeatsInOneNackCountOnce() {
  Retransmitter r;
  SendRange(r, 1000, 20);
  // The hostile NACK: one number 4,096 times.
  std::vector<uint16_t> list(4096, 1005);
  std::vector<uint16_t> out = Nack(r, list, 1000, 50);
  CHECK_EQ(out.size(), 1u);
  CHECK_EQ(r.counters().duplicates, 4095u);
  CHECK_EQ(r.counters().requested, 4096u);
  CHECK_EQ(r.counters().bytes, kPkt);
  // Order kept, each once; the next NACK is not affected by this one's marks.
  out = Nack(r, {1001, 1002, 1001, 1003, 1002}, 1000, 50);
  CHECK(out == (std::vector<uint16_t>{1001, 1002, 1003}));
  out = Nack(r, {1004}, 1000, 50);
  CHECK_EQ(out.size(), 1u);
}

void TestMissesAndSwitch() {
  Retransmitter r;
  SendRange(r, 0, 600);  // 0..87 overwritten by 512..599
  std::vector<uint16_t> missed;
  std::vector<uint16_t> out = Nack(r, {10, 10, 700, 590}, 1000, 50, &missed);
  CHECK(out == (std::vector<uint16_t>{590}));
  CHECK(missed == (std::vector<uint16_t>{10, 700}));
  CHECK_EQ(r.counters().missed, 2u);
  // A switch: what was sent before is not repaired, what comes after is.
  r.OnSwitch();
  SendRange(r, 600, 10);
  out = Nack(r, {595, 596, 605}, 2000, 50);
  CHECK(out == (std::vector<uint16_t>{605}));
  CHECK_EQ(r.counters().before_switch, 2u);
}

void TestBudget() {
  RetransmitOptions o;
  o.budget_per_mille = 100;  // 10 % of the media bytes
  o.initial_credit_bytes = 2 * kPkt;
  o.max_credit_bytes = 100 * kPkt;
  Retransmitter r(o);
  // 2 packets of initial credit + 10 % of 30 packets = 5 packets.
  SendRange(r, 0, 30);
  std::vector<uint16_t> all;
  for (uint16_t i = 0; i < 30; ++i) all.push_back(i);
  CHECK_EQ(Nack(r, all, 1000, 50).size(), 5u);
  CHECK_EQ(r.counters().over_budget, 25u);
  // More media refills it.
  SendRange(r, 30, 20);
  CHECK_EQ(Nack(r, all, 2000, 50).size(), 2u);
  // The credit is capped: a long quiet stream does not bank a burst.
  RetransmitOptions c;
  c.budget_per_mille = 1000;
  c.max_credit_bytes = 3 * kPkt;
  Retransmitter capped(c);
  SendRange(capped, 0, 200);
  CHECK(capped.credit_bytes() == 3 * kPkt);
  std::vector<uint16_t> many;
  for (uint16_t i = 100; i < 200; ++i) many.push_back(i);
  CHECK_EQ(Nack(capped, many, 1000, 50).size(), 3u);
}

// With a rate from the subscriber's estimate, the budget refills over
// time, not with the media sent: a subscriber on a low layer (little media)
// behind a good link may still be repaired, and one whose link collapsed
// is not sent more repairs than a share of what its link carries.
void TestBudgetRate() {
  RetransmitOptions o;
  o.initial_credit_bytes = 0;
  o.max_credit_bytes = 20 * kPkt;
  Retransmitter r(o);
  r.SetBudgetRate(8 * kPkt * 10, 1000);  // 10 packets/s
  SendRange(r, 0, 200);
  CHECK_EQ(r.credit_bytes(), 0u);  // media credits nothing once a rate is set
  std::vector<uint16_t> all;
  for (uint16_t i = 0; i < 100; ++i) all.push_back(i);
  CHECK_EQ(Nack(r, all, 1500, 50).size(), 5u);  // 500 ms: 5 packets earned
  // 2.5 s later: the cap (20 packets), not 25.
  std::vector<uint16_t> more;
  for (uint16_t i = 100; i < 200; ++i) more.push_back(i);
  CHECK_EQ(Nack(r, more, 4000, 50).size(), 20u);
  CHECK_EQ(r.counters().over_budget, 95u + 80u);
  // Back to 0: the media credits again.
  r.SetBudgetRate(0, 4000);
  CHECK_EQ(r.budget_rate_bps(), 0u);
  const uint64_t c0 = r.credit_bytes();
  SendRange(r, 200, 10);
  CHECK(r.credit_bytes() > c0);
}

void TestFloodIsBounded() {
  // A NACK flood: every packet of a 1,000-packet stream NACKed 50 times,
  // a NACK every 2 ms. Bytes re-sent stay within the budget: the initial
  // credit plus the share of the media bytes.
  Retransmitter r;
  uint64_t now = 1000;
  uint64_t media = 0;
  for (int p = 0; p < 1000; ++p) {
    r.OnSent(static_cast<uint16_t>(p), kPkt);
    media += kPkt;
    if (p % 10 != 9) continue;
    for (int k = 0; k < 5; ++k) {
      std::vector<uint16_t> all;
      for (int q = 0; q <= p; ++q) all.push_back(static_cast<uint16_t>(q));
      all.resize(std::min<size_t>(all.size(), 4096));
      Nack(r, all, now, 10);
      now += 2;
    }
  }
  const RetransmitOptions o;
  CHECK(r.counters().bytes <= o.initial_credit_bytes + media * o.budget_per_mille / 1000);
  CHECK(r.counters().sent > 0);
  CHECK(r.counters().sent <= 1000u * o.max_resends);
}

void TestWrapRtx() {
  // V=2, P=1, X=1, CC=0, M=1 PT=96, seq 0x1234, ts, ssrc; a one-byte
  // extension block of 4 bytes; 3 payload bytes; 2 bytes of padding.
  std::vector<uint8_t> p = {0xB0, 0xE0, 0x12, 0x34, 0, 0, 0, 9, 0xAA, 0xBB, 0xCC, 0xDD,
                            0xBE, 0xDE, 0x00, 0x01, 0x10, 0x7F, 0, 0, 1, 2, 3, 0, 2};
  uint8_t out[64];
  const size_t n = Retransmitter::WrapRtx(p.data(), p.size(), 97, 0x0102, 0x11223344, out, sizeof(out));
  CHECK_EQ(n, 20u + 2 + 3);  // 12 + 4 + 4 bytes of header
  CHECK_EQ(out[0], 0x90);  // padding bit cleared, extension kept
  CHECK_EQ(out[1], 0x80 | 97);
  CHECK_EQ(LoadU16(out + 2), 0x0102);
  CHECK_EQ(LoadU32(out + 4), 9u);
  CHECK_EQ(LoadU32(out + 8), 0x11223344u);
  CHECK(out[12] == 0xBE && out[16] == 0x10 && out[17] == 0x7F);
  CHECK_EQ(LoadU16(out + 20), 0x1234);  // the original sequence number
  CHECK(out[22] == 1 && out[23] == 2 && out[24] == 3);
  CHECK_EQ(Retransmitter::WrapRtx(p.data(), p.size(), 97, 1, 1, out, 24), 0u);  // no room
  CHECK_EQ(Retransmitter::WrapRtx(p.data(), 5, 97, 1, 1, out, sizeof(out)), 0u);  // not RTP
}

}  // namespace

int main() {
  TestOncePerRtt();
  TestNothingSentAndClockWrap();
  TestAtMostMaxResends();
  TestRepeatsInOneNackCountOnce();
  TestMissesAndSwitch();
  TestBudget();
  TestBudgetRate();
  TestFloodIsBounded();
  TestWrapRtx();
  return webrtc_agent::native_test::ReportChecks("retransmitter_test");
}
