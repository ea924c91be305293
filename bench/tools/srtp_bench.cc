// SRTP cost per packet: protect and unprotect of one RTP packet (default
// 1200 bytes: 12-byte header + payload) with addon/srtp, against a plain
// memcpy of the same packet in the same run (every protect/unprotect below
// also starts with that memcpy, as the agent copies a packet before it
// rewrites and protects it). Built and run by bench/srtp.js.
//
//   srtp_bench [packets-per-run] [runs] [packet-size]
//
// Prints one JSON line per (profile, operation) with the median ns/packet
// over the runs and every run's figure.
#include "median.h"
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "srtp/srtp_session.h"

namespace {

using namespace webrtc_agent::srtp;
using Clock = std::chrono::steady_clock;

constexpr size_t kChunk = 1024;  // packets protected ahead for an unprotect pass

void SetSeq(uint8_t* p, uint16_t seq) {
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
}

// A sink the compiler cannot see through, so the copies are not elided.
volatile uint8_t g_sink;

void Print(const char* profile, const char* op, size_t size, size_t packets,
           const std::vector<double>& runs) {
  std::printf("{\"bench\":\"srtp\",\"profile\":\"%s\",\"op\":\"%s\",\"size\":%zu,"
              "\"packets\":%zu,\"ns_per_packet\":%.1f,\"runs_ns\":[",
              profile, op, size, packets, Median(runs));
  for (size_t i = 0; i < runs.size(); ++i) {
    std::printf("%s%.1f", i ? "," : "", runs[i]);
  }
  std::printf("]}\n");
}

}  // namespace

int main(int argc, char** argv) {
  const size_t packets = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 200000;
  const size_t runs = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 5;
  const size_t size = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 1200;
  if (packets < kChunk || runs < 1 || size < 12 || size > 1400) {
    std::fprintf(stderr, "usage: srtp_bench [packets>=%zu] [runs>=1] [size 12..1400]\n", kChunk);
    return 2;
  }
  const Profile profiles[] = {Profile::kAes128CmHmacSha1_80, Profile::kAeadAes128Gcm,
                              Profile::kAeadAes256Gcm};
  std::vector<uint8_t> tmpl(size);
  tmpl[0] = 0x80;
  tmpl[1] = 96;
  tmpl[8] = 0x12;
  tmpl[11] = 0x34;
  for (size_t i = 12; i < size; ++i) tmpl[i] = static_cast<uint8_t>(i * 31);
  const size_t stride = size + 64;
  std::vector<uint8_t> buf(stride);
  std::vector<uint8_t> ahead(kChunk * stride);
  std::vector<size_t> ahead_len(kChunk);

  for (Profile p : profiles) {
    const ProfileParams pp = ParamsOf(p);
    std::vector<uint8_t> key(pp.key_len, 0x5A), salt(pp.salt_len, 0xA5);
    std::vector<double> copy_ns, protect_ns, unprotect_ns;
    for (size_t r = 0; r < runs; ++r) {
      auto tx = SrtpSession::Create(p, Direction::kProtect, key.data(), key.size(),
                                    salt.data(), salt.size());
      auto rx = SrtpSession::Create(p, Direction::kUnprotect, key.data(), key.size(),
                                    salt.data(), salt.size());
      if (!tx || !rx) return 1;

      // Baseline: the copy alone.
      auto t0 = Clock::now();
      for (size_t i = 0; i < packets; ++i) {
        std::memcpy(buf.data(), tmpl.data(), size);
        SetSeq(buf.data(), static_cast<uint16_t>(i));
        g_sink = buf[size - 1];
      }
      auto t1 = Clock::now();
      copy_ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / packets);

      // Protect: copy, then protect in place.
      t0 = Clock::now();
      for (size_t i = 0; i < packets; ++i) {
        std::memcpy(buf.data(), tmpl.data(), size);
        SetSeq(buf.data(), static_cast<uint16_t>(i));
        size_t len = size;
        if (!tx->ProtectRtp(buf.data(), &len, stride)) return 1;
        g_sink = buf[len - 1];
      }
      t1 = Clock::now();
      protect_ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / packets);

      // Unprotect: a fresh sender makes kChunk packets (untimed), then the
      // receiver copies and unprotects each (timed); consecutive sequence
      // numbers across chunks, so the ROC and replay window work for real.
      auto tx2 = SrtpSession::Create(p, Direction::kProtect, key.data(), key.size(),
                                     salt.data(), salt.size());
      double total = 0;
      size_t done = 0;
      uint32_t seq = 0;
      while (done < packets) {
        for (size_t k = 0; k < kChunk; ++k) {
          uint8_t* q = ahead.data() + k * stride;
          std::memcpy(q, tmpl.data(), size);
          SetSeq(q, static_cast<uint16_t>(seq++));
          ahead_len[k] = size;
          if (!tx2->ProtectRtp(q, &ahead_len[k], stride)) return 1;
        }
        t0 = Clock::now();
        for (size_t k = 0; k < kChunk; ++k) {
          std::memcpy(buf.data(), ahead.data() + k * stride, ahead_len[k]);
          size_t len = ahead_len[k];
          if (rx->UnprotectRtp(buf.data(), &len) != Result::kOk) {
            std::fprintf(stderr, "srtp_bench: unprotect failed\n");
            return 1;
          }
          g_sink = buf[len - 1];
        }
        t1 = Clock::now();
        total += std::chrono::duration<double, std::nano>(t1 - t0).count();
        done += kChunk;
      }
      unprotect_ns.push_back(total / done);
    }
    Print(ProfileName(p), "memcpy", size, packets, copy_ns);
    Print(ProfileName(p), "protect", size, packets, protect_ns);
    Print(ProfileName(p), "unprotect", size, packets, unprotect_ns);
  }
  return 0;
}
