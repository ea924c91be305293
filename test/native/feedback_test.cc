// Unit tests for the receive side of RTCP in addon/rtp: ReceiveStats (RFC
// 3550 A.1/A.3/A.8 figures) and NackGenerator (RFC 4585 generic NACK
// timing), both pure logic fed with hand-made sequences and a fake clock,
// and the report/NACK bytes built from them, parsed back. Built with
// ASan+UBSan by test/native/feedback.test.ts.
//
// Prints "feedback_test: N checks passed, M failed" last; exits 1 if M > 0.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "check.h"
#include "rtp/nack_generator.h"
#include "rtp/rtcp.h"
#include "rtp/receive_stats.h"

namespace {

using namespace webrtc_agent::rtp;
using Arrival = ReceiveStats::Arrival;
using Seqs = std::vector<uint16_t>;

// ------------------------------------------------------ ReceiveStats ----

void TestStatsWrapReorderDuplicate() {
  ReceiveStats s(90000);
  CHECK(!s.started());
  ReportBlock none;
  CHECK(!s.FillReportBlock(1, 0, &none));
  CHECK(s.OnPacket(65533, 0, 0) == Arrival::kFirst);
  CHECK(s.OnPacket(65534, 0, 0) == Arrival::kInOrder);
  CHECK(s.OnPacket(65535, 0, 0) == Arrival::kInOrder);
  CHECK(s.OnPacket(0, 0, 0) == Arrival::kInOrder);  // the wrap: one cycle
  CHECK_EQ(s.extended_highest(), 0x00010000u);
  CHECK(s.OnPacket(2, 0, 0) == Arrival::kGap);  // 1 is missing
  CHECK(s.OnPacket(1, 0, 0) == Arrival::kLate);
  CHECK(s.OnPacket(1, 0, 0) == Arrival::kDuplicate);
  CHECK(s.OnPacket(3, 0, 0) == Arrival::kInOrder);
  CHECK(s.OnPacket(3, 0, 0) == Arrival::kDuplicate);  // the highest again
  // 65533 .. 65539 (extended): 7 expected, 7 received (and two repeats,
  // which do not count: no negative loss from a sender's probes).
  CHECK_EQ(s.extended_highest(), 0x00010003u);
  CHECK_EQ(s.expected(), 7u);
  CHECK_EQ(s.received(), 7u);
  CHECK_EQ(s.cumulative_lost(), 0);
  CHECK_EQ(s.duplicates(), 2u);
  CHECK_EQ(s.reordered(), 1u);
  ReportBlock b;
  CHECK(s.FillReportBlock(0xABCD, 0, &b));
  CHECK_EQ(b.ssrc, 0xABCDu);
  CHECK_EQ(b.fraction_lost, 0);
  CHECK_EQ(b.cumulative_lost, 0);
  CHECK_EQ(b.extended_highest_sequence, 0x00010003u);
}

void TestStatsLateBeforeFirst() {
  // A packet older than the first one: received, but "expected" starts at
  // the first packet, so loss goes below zero (RFC 3550 A.3 does the same).
  ReceiveStats s(48000);
  s.OnPacket(10, 0, 0);
  CHECK(s.OnPacket(9, 0, 0) == Arrival::kLate);
  CHECK_EQ(s.expected(), 1u);
  CHECK_EQ(s.cumulative_lost(), -1);
  // Behind the first cycle's start too (ext < 0) must not crash or wrap.
  ReceiveStats w(48000);
  w.OnPacket(3, 0, 0);
  CHECK(w.OnPacket(65530, 0, 0) == Arrival::kLate);
  CHECK_EQ(w.extended_highest(), 3u);
}

void TestStatsLossAndFraction() {
  ReceiveStats s(90000);
  for (uint16_t seq = 100; seq < 110; ++seq) {
    if (seq == 103 || seq == 104 || seq == 107) continue;
    s.OnPacket(seq, 0, 0);
  }
  CHECK_EQ(s.expected(), 10u);
  CHECK_EQ(s.received(), 7u);
  CHECK_EQ(s.cumulative_lost(), 3);
  ReportBlock b;
  CHECK(s.FillReportBlock(7, 0, &b));
  CHECK_EQ(b.fraction_lost, (3 << 8) / 10);  // 76
  CHECK_EQ(b.cumulative_lost, 3);
  CHECK_EQ(b.extended_highest_sequence, 109u);
  // The next interval loses nothing: fraction 0, the total stays.
  for (uint16_t seq = 110; seq < 120; ++seq) s.OnPacket(seq, 0, 0);
  CHECK(s.FillReportBlock(7, 0, &b));
  CHECK_EQ(b.fraction_lost, 0);
  CHECK_EQ(b.cumulative_lost, 3);
  // One in ten lost: 256 / 10 = 25.
  for (uint16_t seq = 120; seq < 130; ++seq) {
    if (seq != 125) s.OnPacket(seq, 0, 0);
  }
  CHECK(s.FillReportBlock(7, 0, &b));
  CHECK_EQ(b.fraction_lost, 25);
  CHECK_EQ(s.last_fraction_lost(), 25);
  CHECK_EQ(b.cumulative_lost, 4);
  // A late repair of 125 in the next interval: more received than expected
  // there, so the fraction is 0 and the total drops back.
  s.OnPacket(125, 0, 0);
  CHECK(s.FillReportBlock(7, 0, &b));
  CHECK_EQ(b.fraction_lost, 0);
  CHECK_EQ(b.cumulative_lost, 3);
  // Nothing at all in an interval: 0, not a division by zero.
  CHECK(s.FillReportBlock(7, 0, &b));
  CHECK_EQ(b.fraction_lost, 0);
  // Everything lost in an interval except its last packet: 9 of 10 = 230.
  s.OnPacket(139, 0, 0);
  CHECK(s.FillReportBlock(7, 0, &b));
  CHECK_EQ(b.fraction_lost, (9 << 8) / 10);
}

void TestStatsCumulativeClamp() {
  // 24 bits hold at most 0x7FFFFF lost: drive the loss past that with jumps
  // of 2999 (below kMaxDropout, so each is taken as loss, not a restart).
  ReceiveStats s(90000);
  uint16_t seq = 0;
  s.OnPacket(seq, 0, 0);
  for (int i = 0; i < 3000; ++i) {
    seq = static_cast<uint16_t>(seq + 2999);
    s.OnPacket(seq, 0, 0);
  }
  CHECK_EQ(s.expected(), 3000u * 2999u + 1u);
  CHECK_EQ(s.cumulative_lost(), 0x7FFFFF);
  ReportBlock b;
  CHECK(s.FillReportBlock(1, 0, &b));
  uint8_t buf[64];
  const size_t n = BuildRr(buf, sizeof(buf), 5, &b, 1);
  CHECK_EQ(n, 32u);
  RtcpCompoundReader r(buf, n);
  RtcpPacket p;
  CHECK(r.Next(&p));
  ReceiverReport rr;
  CHECK(ParseReceiverReport(p, &rr));
  CHECK_EQ(rr.reports[0].cumulative_lost, 0x7FFFFF);
  CHECK_EQ(rr.reports[0].extended_highest_sequence, b.extended_highest_sequence);
}

void TestStatsJumpAndRestart() {
  ReceiveStats s(90000);
  s.OnPacket(10, 0, 0);
  s.OnPacket(11, 0, 0);
  CHECK(s.OnPacket(20000, 0, 0) == Arrival::kJump);  // not counted
  CHECK_EQ(s.received(), 2u);
  CHECK_EQ(s.extended_highest(), 11u);
  CHECK(s.OnPacket(12, 0, 0) == Arrival::kInOrder);  // the old numbering goes on
  CHECK(s.OnPacket(30000, 0, 0) == Arrival::kJump);
  CHECK(s.OnPacket(30001, 0, 0) == Arrival::kFirst);  // confirmed: a restart
  CHECK_EQ(s.expected(), 1u);
  CHECK_EQ(s.received(), 1u);
  CHECK_EQ(s.cumulative_lost(), 0);
  CHECK_EQ(s.jumps(), 2u);
  CHECK(s.OnPacket(30002, 0, 0) == Arrival::kInOrder);
  CHECK_EQ(s.extended_highest(), 30002u);
}

void TestStatsJitter() {
  // 20 ms packets at 90 kHz (1800 ticks each); arrivals delayed by 0, 5, 0,
  // 10 and 2 ms. Transit differences D = 450, -450, 900, -720 ticks.
  ReceiveStats s(90000);
  const uint64_t base_us = 1000000000ull;
  const uint64_t extra_us[] = {0, 5000, 0, 10000, 2000};
  double reference = 0;  // RFC 3550 §6.4.1's J = J + (|D| - J) / 16
  double prev_transit = 0;
  for (int i = 0; i < 5; ++i) {
    const uint64_t arrival = base_us + static_cast<uint64_t>(i) * 20000 + extra_us[i];
    const uint32_t ts = 5000 + 1800u * static_cast<uint32_t>(i);
    s.OnPacket(static_cast<uint16_t>(i), ts, arrival);
    const double transit = static_cast<double>(arrival) * 90000 / 1e6 - ts;
    if (i > 0) reference += (std::fabs(transit - prev_transit) - reference) / 16;
    prev_transit = transit;
  }
  CHECK(std::fabs(reference - 145.63) < 0.01);
  CHECK_EQ(s.jitter(), 145u);
  CHECK(std::fabs(static_cast<double>(s.jitter()) - reference) <= 1.0);
  CHECK(std::fabs(s.jitter_ms() - 145.0 / 90.0) < 1e-9);
  // A late packet (old timestamp, arriving now) leaves the jitter alone.
  s.OnPacket(65535, 0, base_us + 900000);
  CHECK_EQ(s.jitter(), 145u);
  // Perfectly paced packets pull it down by 1/16 each.
  ReceiveStats p(48000);
  for (int i = 0; i < 50; ++i) p.OnPacket(static_cast<uint16_t>(i), 960u * i, 20000ull * i);
  CHECK_EQ(p.jitter(), 0u);
}

void TestStatsSenderReport() {
  ReceiveStats s(90000);
  s.OnPacket(1, 0, 0);
  ReportBlock b;
  CHECK(s.FillReportBlock(9, 100, &b));
  CHECK_EQ(b.last_sr, 0u);  // no SR yet: LSR and DLSR are 0
  CHECK_EQ(b.delay_since_last_sr, 0u);
  s.OnSenderReport(0x1122334455667788ull, 123456, 1000);
  CHECK_EQ(s.sender_reports(), 1u);
  CHECK_EQ(s.sr_rtp_timestamp(), 123456u);
  CHECK(s.FillReportBlock(9, 1500, &b));
  CHECK_EQ(b.last_sr, 0x33445566u);
  CHECK_EQ(b.delay_since_last_sr, 32768u);  // 0.5 s in 1/65536 s
}

void TestNtpAndRtt() {
  CHECK_EQ(NtpFromUnixMicros(0), 2208988800ull << 32);
  CHECK_EQ(NtpFromUnixMicros(1500000), ((2208988801ull) << 32) | 0x80000000ull);
  const uint64_t now = NtpFromUnixMicros(1700000000ull * 1000000);
  const uint32_t mid = NtpMiddle(now);
  // Sent at LSR, held 1 s by the peer, 100 ms on the wire in total.
  const uint32_t dlsr = 65536;
  const uint32_t lsr = mid - dlsr - 6554;
  CHECK_EQ(RoundTripMs(now, lsr, dlsr), 100);
  CHECK_EQ(RoundTripMs(now, 0, dlsr), -1);             // no SR seen by the peer
  CHECK_EQ(RoundTripMs(now, mid - dlsr + 100, dlsr), 0);  // a hair below zero
  CHECK_EQ(RoundTripMs(now, mid, dlsr), -1);           // a second below zero
  // Across the 32-bit wrap of the middle word.
  CHECK_EQ(RoundTripMs(uint64_t{3276} << 16, 0xFFFFFFFFu - 3275, 1), 100);
}

// ----------------------------------------------------- NackGenerator ----

size_t Count(const Seqs& v, uint16_t seq) {
  size_t n = 0;
  for (uint16_t x : v) n += x == seq;
  return n;
}

void TestNackGapAndRetry() {
  NackGenerator g;
  Seqs out;
  CHECK(!g.OnPacket(10, 1000, &out));
  CHECK(!g.OnPacket(11, 1000, &out));
  CHECK(out.empty());
  CHECK(!g.OnPacket(14, 1000, &out));
  CHECK(out == (Seqs{12, 13}));
  CHECK_EQ(g.pending(), 2u);
  out.clear();
  g.OnTick(1010, -1, &out);  // default interval 50 ms: not due yet
  CHECK(out.empty());
  g.OnTick(1050, -1, &out);
  CHECK(out == (Seqs{12, 13}));
  out.clear();
  CHECK(!g.OnPacket(12, 1060, &out));  // the repair arrives
  CHECK(out.empty());
  CHECK_EQ(g.pending(), 1u);
  CHECK_EQ(g.counters().recovered, 1u);
  g.OnTick(1100, -1, &out);
  CHECK(out == (Seqs{13}));
  CHECK_EQ(g.counters().requests, 5u);
  CHECK_EQ(g.counters().missing, 2u);
  // A reordered packet that was never missing changes nothing.
  out.clear();
  CHECK(!g.OnPacket(11, 1100, &out));
  CHECK_EQ(g.pending(), 1u);
  CHECK(out.empty());
}

void TestNackRetriesBounded() {
  NackOptions o;
  o.max_retries = 3;
  o.max_age_ms = 100000;
  NackGenerator g(o);
  Seqs out;
  g.OnPacket(1, 0, &out);
  g.OnPacket(3, 0, &out);  // 2 missing, asked for once
  for (uint64_t t = 10; t <= 1000; t += 10) g.OnTick(t, -1, &out);
  CHECK_EQ(Count(out, 2), 3u);
  CHECK_EQ(g.pending(), 0u);
  CHECK_EQ(g.counters().expired, 1u);
  CHECK_EQ(g.counters().recovered, 0u);
  // A repair after giving up is not counted as recovered.
  g.OnPacket(2, 1100, &out);
  CHECK_EQ(g.counters().recovered, 0u);
}

void TestNackAging() {
  NackGenerator g;  // 500 ms
  Seqs out;
  g.OnPacket(100, 0, &out);
  g.OnPacket(102, 0, &out);
  CHECK(out == (Seqs{101}));
  out.clear();
  g.OnTick(500, -1, &out);  // 500 ms old: still asked for
  CHECK(out == (Seqs{101}));
  out.clear();
  g.OnTick(501, -1, &out);
  CHECK(out.empty());
  CHECK_EQ(g.pending(), 0u);
  CHECK_EQ(g.counters().expired, 1u);
}

void TestNackRttSpacing() {
  NackGenerator g;
  Seqs out;
  g.OnPacket(1, 0, &out);
  g.OnPacket(3, 0, &out);
  out.clear();
  g.OnTick(29, 30, &out);
  CHECK(out.empty());
  g.OnTick(30, 30, &out);  // RTT 30 ms: one retry per 30 ms
  CHECK(out == (Seqs{2}));
  out.clear();
  g.OnTick(49, 5, &out);  // RTT 5: clamped to 20 ms
  CHECK(out.empty());
  g.OnTick(50, 5, &out);
  CHECK(out == (Seqs{2}));
  out.clear();
  g.OnTick(149, 900, &out);  // RTT 900: clamped to 100 ms
  CHECK(out.empty());
  g.OnTick(150, 900, &out);
  CHECK(out == (Seqs{2}));
}

void TestNackOverflowAskForKeyframe() {
  NackGenerator g;  // at most 500 missing
  Seqs out;
  g.OnPacket(10, 0, &out);
  g.OnPacket(20, 0, &out);  // 9 missing
  out.clear();
  CHECK(g.OnPacket(530, 0, &out));  // 509 more: 518 > 500
  CHECK(out.empty());
  CHECK_EQ(g.pending(), 0u);
  CHECK_EQ(g.counters().overflows, 1u);
  CHECK_EQ(g.counters().expired, 9u);
  CHECK(!g.OnPacket(532, 0, &out));  // and carries on from there
  CHECK(out == (Seqs{531}));
  // Exactly at the bound is still repaired.
  NackGenerator h;
  h.OnPacket(0, 0, &out);
  out.clear();
  CHECK(!h.OnPacket(501, 0, &out));
  CHECK_EQ(out.size(), 500u);
  CHECK_EQ(h.pending(), 500u);
}

void TestNackWrapAndBytes() {
  NackGenerator g;
  Seqs out;
  g.OnPacket(65533, 0, &out);
  g.OnPacket(1, 0, &out);
  CHECK(out == (Seqs{65534, 65535, 0}));
  out.clear();
  g.OnTick(50, -1, &out);
  CHECK(out == (Seqs{65534, 65535, 0}));  // RTP order across the wrap
  uint8_t buf[64];
  const size_t n = BuildNack(buf, sizeof(buf), 0x11111111, 0x22222222, out.data(), out.size());
  CHECK_EQ(n, 16u);  // one (PID, BLP) pair covers all three
  RtcpCompoundReader r(buf, n);
  RtcpPacket p;
  CHECK(r.Next(&p));
  Nack nack;
  CHECK(ParseNack(p, &nack));
  CHECK_EQ(nack.header.sender_ssrc, 0x11111111u);
  CHECK_EQ(nack.header.media_ssrc, 0x22222222u);
  CHECK_EQ(nack.pair_count, 1u);
  CHECK(nack.sequences == (Seqs{65534, 65535, 0}));
  // A packet far behind the newest is a restart, not a repair.
  CHECK(!g.OnPacket(static_cast<uint16_t>(1 - 20000), 60, &out));
  CHECK_EQ(g.pending(), 0u);
}

void TestCompoundRrAndNack() {
  // What the router sends a publisher on a gap: an RR (with its report
  // block) first, then the NACK, in one compound.
  ReceiveStats s(90000);
  NackGenerator g;
  Seqs lost;
  for (uint16_t seq : {uint16_t{5}, uint16_t{6}, uint16_t{9}}) {
    s.OnPacket(seq, 0, 0);
    g.OnPacket(seq, 0, &lost);
  }
  CHECK(lost == (Seqs{7, 8}));
  ReportBlock b;
  CHECK(s.FillReportBlock(0xCAFE, 0, &b));
  uint8_t buf[128];
  size_t n = BuildRr(buf, sizeof(buf), 0xBEEF, &b, 1);
  n += BuildNack(buf + n, sizeof(buf) - n, 0xBEEF, 0xCAFE, lost.data(), lost.size());
  CHECK_EQ(n, 32u + 16u);
  CHECK(IsValidRtcpCompound(buf, n));
  RtcpCompoundReader r(buf, n);
  RtcpPacket p;
  CHECK(r.Next(&p));
  ReceiverReport rr;
  CHECK(ParseReceiverReport(p, &rr));
  CHECK_EQ(rr.sender_ssrc, 0xBEEFu);
  CHECK_EQ(rr.report_count, 1u);
  CHECK_EQ(rr.reports[0].ssrc, 0xCAFEu);
  CHECK_EQ(rr.reports[0].cumulative_lost, 2);
  CHECK_EQ(rr.reports[0].fraction_lost, (2 << 8) / 5);
  CHECK_EQ(rr.reports[0].extended_highest_sequence, 9u);
  CHECK(r.Next(&p));
  Nack nack;
  CHECK(ParseNack(p, &nack));
  CHECK(nack.sequences == (Seqs{7, 8}));
  CHECK(!r.Next(&p));
  CHECK(r.done());
}

void TestSenderReportBytes() {
  SenderInfo si;
  si.ssrc = 0x01020304;
  si.ntp_timestamp = NtpFromUnixMicros(1700000000ull * 1000000 + 250000);
  si.rtp_timestamp = 0xFFFFFF00u;
  si.packet_count = 1234;
  si.octet_count = 567890;
  uint8_t buf[64];
  const size_t n = BuildSr(buf, sizeof(buf), si, nullptr, 0);
  CHECK_EQ(n, 28u);
  RtcpCompoundReader r(buf, n);
  RtcpPacket p;
  CHECK(r.Next(&p));
  SenderReport sr;
  CHECK(ParseSenderReport(p, &sr));
  CHECK_EQ(sr.sender.ssrc, si.ssrc);
  CHECK_EQ(sr.sender.ntp_timestamp, si.ntp_timestamp);
  CHECK_EQ(sr.sender.rtp_timestamp, si.rtp_timestamp);
  CHECK_EQ(sr.sender.packet_count, 1234u);
  CHECK_EQ(sr.sender.octet_count, 567890u);
  CHECK_EQ(sr.report_count, 0u);
  // The receiver's side: LSR is the middle of that NTP time.
  ReceiveStats s(90000);
  s.OnPacket(1, 0, 0);
  s.OnSenderReport(sr.sender.ntp_timestamp, sr.sender.rtp_timestamp, 0);
  ReportBlock b;
  s.FillReportBlock(si.ssrc, 20, &b);
  CHECK_EQ(b.last_sr, NtpMiddle(si.ntp_timestamp));
  CHECK_EQ(b.delay_since_last_sr, 20u * 65536 / 1000);
  // And the RTT the sender computes from that block 70 ms after its SR.
  const uint64_t later = NtpFromUnixMicros(1700000000ull * 1000000 + 250000 + 70000);
  CHECK_EQ(RoundTripMs(later, b.last_sr, b.delay_since_last_sr), 50);
}

}  // namespace

int main() {
  TestStatsWrapReorderDuplicate();
  TestStatsLateBeforeFirst();
  TestStatsLossAndFraction();
  TestStatsCumulativeClamp();
  TestStatsJumpAndRestart();
  TestStatsJitter();
  TestStatsSenderReport();
  TestNtpAndRtt();
  TestNackGapAndRetry();
  TestNackRetriesBounded();
  TestNackAging();
  TestNackRttSpacing();
  TestNackOverflowAskForKeyframe();
  TestNackWrapAndBytes();
  TestCompoundRrAndNack();
  TestSenderReportBytes();
  return webrtc_agent::native_test::ReportChecks("feedback_test");
}
