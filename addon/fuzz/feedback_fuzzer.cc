// libFuzzer target: the receive side of RTCP fed with hostile arrival
// schedules. Each 8-byte record of the input is one event: a packet (its
// sequence number, an RTP timestamp step and an arrival-time step) or a
// timer tick, driving ReceiveStats and NackGenerator together the way the
// router does. The invariants are what the router relies on: bounded
// memory, counts that add up, report blocks within their field ranges, and
// NACKs only for numbers that really are missing. Built and run by
// scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "rtp/byte_io.h"
#include "rtp/nack_generator.h"
#include "rtp/rtcp.h"
#include "rtp/receive_stats.h"

namespace {

using namespace webrtc_agent::rtp;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the clock rate and how tight the NACK bounds are,
  // so the overflow and expiry paths are reached with short inputs too.
  const uint32_t clock = (data[0] & 1) ? 90000 : 48000;
  NackOptions opts;
  if (data[0] & 2) {
    opts.max_missing = 8;
    opts.max_age_ms = 40;
    opts.max_retries = 2;
  }
  ReceiveStats stats(clock);
  NackGenerator nack(opts);
  uint64_t now_ms = 1000;
  uint64_t arrival_us = 1000000;
  uint32_t ts = 0;
  std::vector<uint16_t> out;
  uint64_t prev_duplicates = 0;

  for (size_t at = 1; at + 8 <= size; at += 8) {
    const uint8_t* r = data + at;
    const uint16_t seq = LoadU16(r);
    const uint32_t ts_step = LoadU16(r + 2) * 16u;
    const uint32_t us_step = LoadU24(r + 4);
    const uint8_t op = r[7];
    now_ms += us_step / 1000;
    arrival_us += us_step;
    if (op & 0x80) {
      // A timer tick, with an RTT from the record (or none).
      out.clear();
      const int64_t rtt = (op & 0x40) ? -1 : static_cast<int64_t>(op & 0x3F) * 4;
      nack.OnTick(now_ms, rtt, &out);
      FUZZ_CHECK(out.size() <= opts.max_missing);
      if (op & 0x20) {
        ReportBlock b;
        if (stats.FillReportBlock(7, now_ms, &b)) {
          FUZZ_CHECK(b.cumulative_lost >= -0x800000 && b.cumulative_lost <= 0x7FFFFF);
          FUZZ_CHECK(b.extended_highest_sequence == stats.extended_highest());
          uint8_t buf[64];
          const size_t n = BuildRr(buf, sizeof(buf), 1, &b, 1);
          FUZZ_CHECK(n == 32);
          RtcpCompoundReader reader(buf, n);
          RtcpPacket p;
          FUZZ_CHECK(reader.Next(&p));
          ReceiverReport rr;
          FUZZ_CHECK(ParseReceiverReport(p, &rr));
          FUZZ_CHECK(rr.reports[0].cumulative_lost == b.cumulative_lost);
          FUZZ_CHECK(rr.reports[0].fraction_lost == b.fraction_lost);
        }
      }
      if (op & 0x10) stats.OnSenderReport(static_cast<uint64_t>(seq) << 32 | us_step, ts, now_ms);
    } else {
      ts += ts_step;
      const ReceiveStats::Arrival a = stats.OnPacket(seq, ts, arrival_us);
      FUZZ_CHECK(stats.started());
      if (a == ReceiveStats::Arrival::kDuplicate) {
        FUZZ_CHECK(stats.duplicates() == prev_duplicates + 1);
      } else {
        FUZZ_CHECK(stats.duplicates() == prev_duplicates);
      }
      prev_duplicates = stats.duplicates();
      out.clear();
      nack.OnPacket(seq, now_ms, &out);
      // What a gap asks for lies strictly between the previous newest
      // packet and this one, and never includes this packet.
      for (uint16_t s : out) FUZZ_CHECK(s != seq);
      FUZZ_CHECK(out.size() <= opts.max_missing);
    }
    FUZZ_CHECK(nack.pending() <= opts.max_missing);
    const NackCounters& c = nack.counters();
    FUZZ_CHECK(c.recovered + c.expired + nack.pending() <= c.missing);
    FUZZ_CHECK(stats.cumulative_lost() >= -0x800000 && stats.cumulative_lost() <= 0x7FFFFF);
    FUZZ_CHECK(stats.jitter_ms() >= 0);
    FUZZ_CHECK(RoundTripMs(NtpFromUnixMicros(arrival_us), ts, us_step) >= -1);
  }
  return 0;
}
