#include "audio/audio_level.h"

namespace webrtc_agent {
namespace audio {

bool ReadAudioLevel(const rtp::RtpPacketView& packet, uint8_t ext_id, AudioLevel* out) {
  if (ext_id == 0) return false;
  const rtp::ByteSpan v = packet.FindExtension(ext_id);
  if (v.data == nullptr || v.size < 1) return false;
  out->voice = (v.data[0] & 0x80) != 0;
  out->level = v.data[0] & 0x7f;
  return true;
}

bool LevelMeter::OnPacket(const rtp::RtpPacketView& packet) {
  AudioLevel l;
  if (!ReadAudioLevel(packet, ext_id_, &l)) {
    counters_.missing++;
    return false;
  }
  return OnLevel(l);
}

bool LevelMeter::OnLevel(const AudioLevel& l) {
  counters_.packets++;
  if (l.voice) counters_.voice++;
  last_level_ = l.level;
  const uint32_t loud_x16 = static_cast<uint32_t>(kSilentLevel - l.level) * 16;
  // smoothed += (sample - smoothed) / 8, in integers (both at most 127*16).
  smoothed_x16_ = (smoothed_x16_ * 7 + loud_x16) / 8;
  interval_.packets++;
  if (l.level < noise_floor_) interval_.audibility_sum += noise_floor_ - l.level;
  if (l.level >= kSilentLevel) {
    counters_.silent++;
    return true;
  }
  return false;
}

uint8_t LevelMeter::smoothed_level() const {
  const uint32_t loud = (smoothed_x16_ + 8) / 16;
  return static_cast<uint8_t>(kSilentLevel - (loud > kSilentLevel ? kSilentLevel : loud));
}

LevelInterval LevelMeter::TakeInterval() {
  LevelInterval out = interval_;
  interval_ = LevelInterval{};
  return out;
}

}  // namespace audio
}  // namespace webrtc_agent
