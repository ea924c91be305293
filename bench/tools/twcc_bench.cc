// Transport-wide feedback cost per packet: what a publishing WebRTC
// transport adds for each decrypted RTP packet (RtpPacketView::Parse +
// FindExtension for the transport-wide number, TwccFeedback::OnPacket) and
// the feedback it builds every 50 ms (here: every 100 packets, ~2000
// packets/s), against ReceiveStats::OnPacket (the per-track RFC 3550
// figures every packet already pays for) in the same run. Built and run by
// bench/twcc.js.
//
//   twcc_bench [packets-per-run] [runs]
//
// One JSON line per operation with the median ns/packet over the runs and
// every run's figure. The schedule loses 1 packet in 50 and swaps a pair
// in 40, so missing statuses and negative deltas are coded too.
#include "median.h"
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "rtp/byte_io.h"
#include "rtp/receive_stats.h"
#include "rtp/rtp_packet.h"
#include "rtp/twcc_feedback.h"

namespace {

using namespace webrtc_agent::rtp;
using Clock = std::chrono::steady_clock;

constexpr uint8_t kExtId = 3;

volatile size_t g_sink;

// A 1200-byte RTP packet with a one-byte extension block: mid (id 1) and
// the transport-wide number (id 3), as Chromium sends them.
std::vector<uint8_t> Packet() {
  std::vector<uint8_t> p(1200, 0);
  p[0] = 0x90;
  p[1] = 96;
  StoreU32(&p[8], 0x1234);
  StoreU16(&p[12], 0xBEDE);
  StoreU16(&p[14], 2);  // 2 words
  p[16] = (1 << 4) | 0;  // mid, 1 byte
  p[17] = '1';
  p[18] = (kExtId << 4) | 1;  // transport-wide number, 2 bytes
  return p;
}

void Print(const char* op, size_t packets, const std::vector<double>& runs) {
  std::printf("{\"bench\":\"twcc\",\"op\":\"%s\",\"packets\":%zu,\"ns_per_packet\":%.1f,\"runs_ns\":[", op,
              packets, Median(runs));
  for (size_t i = 0; i < runs.size(); ++i) std::printf("%s%.1f", i ? "," : "", runs[i]);
  std::printf("]}\n");
}

}  // namespace

int main(int argc, char** argv) {
  const size_t packets = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000000;
  const size_t runs = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 5;
  if (packets < 1000 || runs < 1) {
    std::fprintf(stderr, "usage: twcc_bench [packets>=1000] [runs>=1]\n");
    return 2;
  }
  // The schedule, made once: sequence numbers and arrival times.
  std::vector<uint16_t> seqs;
  std::vector<uint64_t> times;
  for (size_t i = 0; i < packets; ++i) {
    if (i % 50 == 49) continue;
    seqs.push_back(static_cast<uint16_t>(i));
    times.push_back(1000000 + i * 500 + (i % 7) * 40);
  }
  for (size_t i = 0; i + 1 < seqs.size(); i += 40) std::swap(seqs[i], seqs[i + 1]);
  std::vector<uint8_t> pkt = Packet();
  std::vector<double> base, twcc;
  std::vector<uint8_t> out(1200);
  size_t feedback_bytes = 0, feedbacks = 0;
  for (size_t r = 0; r < runs; ++r) {
    {
      ReceiveStats stats(90000);
      const auto t0 = Clock::now();
      for (size_t i = 0; i < seqs.size(); ++i) {
        StoreU16(&pkt[2], seqs[i]);
        RtpPacketView view(pkt.data(), pkt.size());
        if (view.Parse()) stats.OnPacket(view.sequence(), static_cast<uint32_t>(i * 3000), times[i]);
      }
      const auto t1 = Clock::now();
      g_sink = stats.received();
      base.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / seqs.size());
    }
    {
      TwccFeedback f;
      feedback_bytes = feedbacks = 0;
      const auto t0 = Clock::now();
      for (size_t i = 0; i < seqs.size(); ++i) {
        StoreU16(&pkt[19], seqs[i]);
        RtpPacketView view(pkt.data(), pkt.size());
        if (!view.Parse()) continue;
        const ByteSpan ext = view.FindExtension(kExtId);
        if (ext.present() && ext.size >= 2) f.OnPacket(LoadU16(ext.data), times[i]);
        if (i % 100 == 99) {
          while (const size_t n = f.Build(out.data(), out.size(), 1, 2)) {
            feedback_bytes += n;
            feedbacks++;
          }
        }
      }
      const auto t1 = Clock::now();
      g_sink = f.counters().packets;
      twcc.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / seqs.size());
    }
  }
  Print("parse+receive_stats", seqs.size(), base);
  Print("parse+extension+twcc_feedback+build", seqs.size(), twcc);
  std::printf("{\"bench\":\"twcc\",\"op\":\"feedback\",\"packets_per_feedback\":%.1f,\"bytes_per_feedback\":%.1f}\n",
              static_cast<double>(seqs.size()) / feedbacks, static_cast<double>(feedback_bytes) / feedbacks);
  return 0;
}
