// What reading the audio level costs per packet: RtpPacketView::Parse (paid
// per packet already, by the transport) against Parse + LevelMeter::OnPacket
// (what the router adds for a metered audio track: find one RFC 8285
// element, an integer average, counters), and the per-subscriber copy of
// the same packet for scale, in the same run. Built and run by
// bench/audio-level.js.
//
//   audio_level_bench [packets-per-run] [runs]
//
// One JSON line per operation with the median ns/packet over the runs and
// every run's figure. Packets are Opus-sized (160 bytes) with Chromium's
// extension block (mid, abs-send-time, audio level, transport-wide seq),
// the level following a talk pattern (speech, then silence).
#include "median.h"
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "audio/audio_level.h"
#include "rtp/rtp_packet.h"

namespace {

using namespace webrtc_agent;
using Clock = std::chrono::steady_clock;

constexpr size_t kPacket = 160;
constexpr int kKinds = 64;  // distinct packets cycled through (levels differ)

volatile size_t g_sink;

// ids: 4 mid ("0"), 2 abs-send-time (3 bytes), 1 audio level, 3 transport-wide seq (2 bytes).
std::vector<uint8_t> Packet(uint16_t seq, uint8_t level) {
  std::vector<uint8_t> p(kPacket, 0x55);
  const uint8_t hdr[] = {0x90, 111, static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq), 0, 0, 3, 0xC0, 0x12, 0x34, 0x56, 0x78,
                         0xBE, 0xDE, 0, 4,
                         0x40, '0', 0x22, 1, 2, 3, 0x10, static_cast<uint8_t>(level), 0x31, static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq), 0, 0, 0, 0, 0};
  std::memcpy(p.data(), hdr, sizeof hdr);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  const long packets = argc > 1 ? std::atol(argv[1]) : 2000000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  std::vector<std::vector<uint8_t>> pkts;
  for (int i = 0; i < kKinds; i++) pkts.push_back(Packet(static_cast<uint16_t>(i), i < kKinds / 2 ? static_cast<uint8_t>(0x80 | (20 + i)) : 127));
  std::vector<double> parse_ns, level_ns, copy_ns;
  uint8_t scratch[kPacket];
  for (int r = 0; r < runs; r++) {
    size_t acc = 0;
    auto t0 = Clock::now();
    for (long i = 0; i < packets; i++) {
      const auto& p = pkts[i % kKinds];
      rtp::RtpPacketView v(p.data(), p.size());
      acc += v.Parse();
    }
    auto t1 = Clock::now();
    audio::LevelMeter meter(1, 70);
    for (long i = 0; i < packets; i++) {
      const auto& p = pkts[i % kKinds];
      rtp::RtpPacketView v(p.data(), p.size());
      acc += v.Parse();
      acc += meter.OnPacket(v);
    }
    auto t2 = Clock::now();
    for (long i = 0; i < packets; i++) {
      const auto& p = pkts[i % kKinds];
      std::memcpy(scratch, p.data(), p.size());
      acc += scratch[i % kPacket];
    }
    auto t3 = Clock::now();
    acc += meter.counters().packets + meter.TakeInterval().audibility_sum;
    g_sink = acc;
    const auto ns = [&](Clock::time_point a, Clock::time_point b) {
      return std::chrono::duration<double, std::nano>(b - a).count() / static_cast<double>(packets);
    };
    parse_ns.push_back(ns(t0, t1));
    level_ns.push_back(ns(t1, t2));
    copy_ns.push_back(ns(t2, t3));
  }
  const auto line = [&](const char* op, const std::vector<double>& v) {
    std::printf("{\"bench\":\"audio-level\",\"op\":\"%s\",\"packets\":%ld,\"runs\":%d,\"ns_per_packet\":%.2f,\"runs_ns\":[", op, packets, runs, Median(v));
    for (size_t i = 0; i < v.size(); i++) std::printf("%s%.2f", i ? "," : "", v[i]);
    std::printf("]}\n");
  };
  line("parse", parse_ns);
  line("parse+level_meter", level_ns);
  line("copy_160B", copy_ns);
  return 0;
}
