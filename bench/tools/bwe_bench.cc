// Send-side bandwidth estimation cost per packet sent on a WebRTC transport
// towards a subscriber that negotiated transport-cc (addon/bwe), against
// what the transport does per packet without it, in the same run:
//   baseline  copy the 1200-byte packet into the send buffer and strip its
//             header extension block (WebRtcTransport::SendProtected
//             without transport-cc);
//   numbered  CopyWithTransportSequence (the same copy, the publisher's
//             block replaced by the transport-wide number) + a steady
//             clock read + SendSideBwe::OnPacketSent;
//   feedback  per packet reported: ParseTransportCc + SendSideBwe::OnFeedback
//             on the feedback a receiver writes (TwccFeedback, built
//             beforehand: every 100 packets, ~50 ms at 2000 packets/s).
// Built and run by bench/bwe.js.
//
//   bwe_bench [packets-per-run] [runs]
#include "median.h"
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bwe/send_side_bwe.h"
#include "rtp/byte_io.h"
#include "rtp/rtcp.h"
#include "rtp/transport_cc.h"
#include "rtp/transport_sequence.h"
#include "rtp/twcc_feedback.h"

namespace {

using namespace webrtc_agent;
using Clock = std::chrono::steady_clock;

volatile size_t g_sink;

// A 1200-byte RTP packet as the router hands it to the transport: the
// publisher's one-byte extension block (mid, audio level: 2 words) kept.
std::vector<uint8_t> Packet() {
  std::vector<uint8_t> p(1200, 0x5A);
  p[0] = 0x90;
  p[1] = 96;
  rtp::StoreU32(&p[8], 0x1234);
  rtp::StoreU16(&p[12], 0xBEDE);
  rtp::StoreU16(&p[14], 2);
  p[16] = (1 << 4) | 0;
  p[17] = '1';
  p[18] = (3 << 4) | 1;
  p[19] = 0;
  p[20] = 0;
  p[21] = p[22] = p[23] = 0;
  return p;
}

// The strip of the baseline (the same steps as the transport's).
size_t Strip(uint8_t* pkt, size_t len) {
  if ((pkt[0] & 0x10) == 0) return len;
  const size_t at = 12 + 4 * static_cast<size_t>(pkt[0] & 0x0f);
  const size_t ext = 4 + 4 * static_cast<size_t>(rtp::LoadU16(pkt + at + 2));
  std::memmove(pkt + at, pkt + at + ext, len - at - ext);
  pkt[0] &= static_cast<uint8_t>(~0x10);
  return len - ext;
}

void Print(const char* op, size_t packets, const std::vector<double>& runs) {
  std::printf("{\"bench\":\"bwe\",\"op\":\"%s\",\"packets\":%zu,\"ns_per_packet\":%.1f,\"runs_ns\":[", op, packets,
              Median(runs));
  for (size_t i = 0; i < runs.size(); ++i) std::printf("%s%.1f", i ? "," : "", runs[i]);
  std::printf("]}\n");
}

}  // namespace

int main(int argc, char** argv) {
  const size_t packets = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000000;
  const size_t runs = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 5;
  if (packets < 1000 || runs < 1) {
    std::fprintf(stderr, "usage: bwe_bench [packets>=1000] [runs>=1]\n");
    return 2;
  }
  const std::vector<uint8_t> pkt = Packet();
  std::vector<uint8_t> out(2048);
  std::vector<double> base, numbered, feedback;
  for (size_t r = 0; r < runs; ++r) {
    {
      size_t sum = 0;
      const auto t0 = Clock::now();
      for (size_t i = 0; i < packets; ++i) {
        std::memcpy(out.data(), pkt.data(), pkt.size());
        sum += Strip(out.data(), pkt.size());
      }
      const auto t1 = Clock::now();
      g_sink = sum + out[100];
      base.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / packets);
    }
    // The feedback a receiver would return for this run's packets (1 in 50
    // lost), built outside the measured loops.
    std::vector<std::vector<uint8_t>> fbs;
    {
      bwe::BweConfig config;
      bwe::SendSideBwe est(config);
      size_t sum = 0;
      const auto t0 = Clock::now();
      for (size_t i = 0; i < packets; ++i) {
        const size_t n = rtp::CopyWithTransportSequence(pkt.data(), pkt.size(), 3, est.next_sequence(), out.data(),
                                                        out.size());
        const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
        est.OnPacketSent(static_cast<uint32_t>(n), bwe::PacketKind::kMedia, bwe::kNoCluster, now_us);
        sum += n;
      }
      const auto t1 = Clock::now();
      g_sink = sum + out[100];
      numbered.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / packets);
    }
    {
      rtp::TwccFeedback receiver;
      std::vector<uint8_t> b(1200);
      for (size_t i = 0; i < packets; ++i) {
        if (i % 50 != 49) receiver.OnPacket(static_cast<uint16_t>(i), 1000000 + i * 500 + (i % 7) * 40);
        if (i % 100 == 99) {
          while (const size_t n = receiver.Build(b.data(), b.size(), 1, 2)) fbs.emplace_back(b.begin(), b.begin() + n);
        }
      }
      // The sender that sent them: the same numbering from 0, 500 us apart.
      bwe::BweConfig config;
      bwe::SendSideBwe est(config);
      rtp::TransportCc parsed;
      size_t next_fb = 0, reported = 0;
      double spent = 0;
      for (size_t i = 0; i < packets; ++i) {
        est.OnPacketSent(1208, bwe::PacketKind::kMedia, bwe::kNoCluster, static_cast<int64_t>(1000000 + i * 500));
        if (i % 100 != 99) continue;
        const auto t0 = Clock::now();
        for (; next_fb < fbs.size(); ++next_fb) {
          rtp::RtcpCompoundReader reader(fbs[next_fb].data(), fbs[next_fb].size());
          rtp::RtcpPacket p;
          if (!reader.Next(&p) || rtp::ParseTransportCc(p, &parsed) != rtp::TransportCcError::kNone) continue;
          est.OnFeedback(parsed, static_cast<int64_t>(1000000 + i * 500 + 50000));
          reported += parsed.entries.size();
          if (parsed.entries.empty() || static_cast<uint16_t>(parsed.entries.back().sequence) == static_cast<uint16_t>(i)) {
            ++next_fb;
            break;
          }
        }
        spent += std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
      }
      g_sink = est.estimate_bps();
      feedback.push_back(spent / static_cast<double>(std::max<size_t>(reported, 1)));
    }
  }
  Print("copy+strip (baseline)", packets, base);
  Print("copy+number+history", packets, numbered);
  Print("feedback per reported packet", packets, feedback);
  return 0;
}
