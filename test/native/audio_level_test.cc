// Unit tests for addon/audio/audio_level: reading the RFC 6464 byte from a
// packet (one- and two-byte extension forms, absent, other ids, empty
// elements), and the LevelMeter's smoothing, silence flag, interval sums
// and noise floor. A plain program built with ASan+UBSan by
// test/native/audio-level.test.ts.
#include <cstdint>
#include <vector>

#include "audio/audio_level.h"
#include "check.h"
#include "rtp/rtp_packet.h"

namespace {

using webrtc_agent::audio::AudioLevel;
using webrtc_agent::audio::LevelInterval;
using webrtc_agent::audio::LevelMeter;
using webrtc_agent::audio::ReadAudioLevel;
using webrtc_agent::rtp::RtpPacketView;

// An RTP packet with a one-byte extension block holding `elements` (id,
// bytes...) and 4 payload bytes.
std::vector<uint8_t> OneByte(const std::vector<std::vector<uint8_t>>& elements) {
  std::vector<uint8_t> block;
  for (const auto& e : elements) {
    const uint8_t len = static_cast<uint8_t>(e.size() - 1);
    block.push_back(static_cast<uint8_t>((e[0] << 4) | ((len - 1) & 0x0f)));
    block.insert(block.end(), e.begin() + 1, e.end());
  }
  while (block.size() % 4) block.push_back(0);
  std::vector<uint8_t> p = {0x90, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0xBE, 0xDE, 0,
                            static_cast<uint8_t>(block.size() / 4)};
  p.insert(p.end(), block.begin(), block.end());
  p.insert(p.end(), {1, 2, 3, 4});
  return p;
}

std::vector<uint8_t> LevelPacket(uint8_t id, uint8_t level, bool voice) {
  return OneByte({{id, static_cast<uint8_t>((voice ? 0x80 : 0) | level)}});
}

void TestRead() {
  std::vector<uint8_t> p = OneByte({{3, 0x00, 0x11}, {1, 0x80 | 42}});
  RtpPacketView v(p.data(), p.size());
  CHECK(v.Parse());
  AudioLevel l;
  CHECK(ReadAudioLevel(v, 1, &l));
  CHECK(l.level == 42);
  CHECK(l.voice);
  CHECK(!ReadAudioLevel(v, 2, &l));  // no such id
  CHECK(!ReadAudioLevel(v, 0, &l));  // 0: not negotiated

  // Two-byte form (0x1000): id 20, length 1.
  std::vector<uint8_t> q = {0x90, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0x10, 0x00, 0, 1, 20, 1, 127, 0, 9, 9};
  RtpPacketView w(q.data(), q.size());
  CHECK(w.Parse());
  CHECK(ReadAudioLevel(w, 20, &l));
  CHECK(l.level == 127);
  CHECK(!l.voice);
  // Two-byte form with a zero-length element: no level.
  std::vector<uint8_t> z = {0x90, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0x10, 0x00, 0, 1, 20, 0, 0, 0, 9, 9};
  RtpPacketView zv(z.data(), z.size());
  CHECK(zv.Parse());
  CHECK(!ReadAudioLevel(zv, 20, &l));
  // No extension at all.
  std::vector<uint8_t> n = {0x80, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 1, 2};
  RtpPacketView nv(n.data(), n.size());
  CHECK(nv.Parse());
  CHECK(!ReadAudioLevel(nv, 1, &l));
}

void TestMeter() {
  LevelMeter m(1, 80);
  CHECK(m.smoothed_level() == 127);  // nothing heard: silence
  // Loud speech converges towards its level.
  for (int i = 0; i < 50; i++) {
    std::vector<uint8_t> p = LevelPacket(1, 20, true);
    RtpPacketView v(p.data(), p.size());
    CHECK(v.Parse());
    CHECK(!m.OnPacket(v));  // not silent
  }
  CHECK(m.smoothed_level() >= 20 && m.smoothed_level() <= 21);
  CHECK(m.last_level() == 20);
  CHECK(m.counters().packets == 50);
  CHECK(m.counters().voice == 50);
  LevelInterval iv = m.TakeInterval();
  CHECK(iv.packets == 50);
  CHECK(iv.audibility_sum == 50u * (80 - 20));  // dB above the noise floor
  iv = m.TakeInterval();
  CHECK(iv.packets == 0 && iv.audibility_sum == 0);  // a new interval

  // Silence: flagged (silence dropping), counted, inaudible, and the smoothed
  // level falls back to 127 over a few packets.
  std::vector<uint8_t> s = LevelPacket(1, 127, false);
  RtpPacketView sv(s.data(), s.size());
  CHECK(sv.Parse());
  CHECK(m.OnPacket(sv));
  CHECK(m.smoothed_level() > 20 && m.smoothed_level() < 127);
  for (int i = 0; i < 80; i++) m.OnPacket(sv);
  CHECK(m.smoothed_level() >= 126);
  CHECK(m.counters().silent == 81);
  iv = m.TakeInterval();
  CHECK(iv.packets == 81 && iv.audibility_sum == 0);

  // Room noise below the floor is heard (counted, smoothed) but adds no audibility.
  std::vector<uint8_t> noise = LevelPacket(1, 85, false);
  RtpPacketView nv(noise.data(), noise.size());
  CHECK(nv.Parse());
  CHECK(!m.OnPacket(nv));
  iv = m.TakeInterval();
  CHECK(iv.packets == 1 && iv.audibility_sum == 0);

  // A packet without the element is counted as missing, not as silence.
  std::vector<uint8_t> other = LevelPacket(2, 10, true);
  RtpPacketView ov(other.data(), other.size());
  CHECK(ov.Parse());
  CHECK(!m.OnPacket(ov));
  CHECK(m.counters().missing == 1);
  CHECK(m.TakeInterval().packets == 0);
}

}  // namespace

int main() {
  TestRead();
  TestMeter();
  return webrtc_agent::native_test::ReportChecks("audio_level_test");
}
