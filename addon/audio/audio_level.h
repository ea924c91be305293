// Audio levels (RFC 6464): the one-byte "client-to-mixer" header extension a
// publisher puts on every audio packet (negotiated as
// urn:ietf:params:rtp-hdrext:ssrc-audio-level), and a per-track meter that
// turns it into what the speaker detection and getStats read.
//
// The byte: V (the sender's voice activity flag) and a 7-bit level, the
// audio's loudness in -dBov (0 the loudest, 127 digital silence).
//
// Pure logic: a parsed packet in, numbers out; no sockets, no clock. It runs
// on the packet path of the publisher's node thread, so it allocates nothing
// and reads one extension element per packet.
#ifndef WEBRTC_AGENT_ADDON_AUDIO_AUDIO_LEVEL_H_
#define WEBRTC_AGENT_ADDON_AUDIO_AUDIO_LEVEL_H_

#include <cstdint>

#include "rtp/rtp_packet.h"

namespace webrtc_agent {
namespace audio {

// -dBov of digital silence: what a muted or silent source sends (and the
// level Opus DTX packets carry).
constexpr uint8_t kSilentLevel = 127;

struct AudioLevel {
  uint8_t level = kSilentLevel;  // 0..127, -dBov
  bool voice = false;            // the sender's V flag
};

// The ssrc-audio-level element with this id, if the packet carries one with
// at least one byte (RFC 6464 §3: one byte in the one-byte form; the
// two-byte form may pad it). False when absent or ext_id is 0.
bool ReadAudioLevel(const rtp::RtpPacketView& packet, uint8_t ext_id, AudioLevel* out);

struct LevelCounters {
  uint64_t packets = 0;  // packets that carried a level
  uint64_t silent = 0;   // of those, at kSilentLevel (silence, DTX)
  uint64_t voice = 0;    // of those, with the V flag
  uint64_t missing = 0;  // audio packets without the element
};

// What the speaker detection takes from a track, per reporting interval:
// how many packets carried a level, and the sum of how far each was above
// the noise floor (in dB). Their ratio is the interval's mean audibility.
struct LevelInterval {
  uint32_t packets = 0;
  uint64_t audibility_sum = 0;
};

class LevelMeter {
 public:
  // ext_id: the negotiated id (1..255). noise_floor: levels at or below it
  // (in -dBov, so quieter: numerically at or above) count as inaudible:
  // room noise must not make a speaker.
  LevelMeter(uint8_t ext_id, uint8_t noise_floor) : ext_id_(ext_id), noise_floor_(noise_floor) {}

  uint8_t ext_id() const { return ext_id_; }

  // Reads the packet's level (if any) into the meter. Returns true when the
  // packet carries digital silence (what silence dropping drops).
  bool OnPacket(const rtp::RtpPacketView& packet);
  // The same, for a level already read.
  bool OnLevel(const AudioLevel& level);

  // The smoothed level in -dBov (an exponential average over about the last
  // eight packets, 160 ms at 50 packets/s): what getStats shows.
  uint8_t smoothed_level() const;
  // The newest level read.
  uint8_t last_level() const { return last_level_; }
  const LevelCounters& counters() const { return counters_; }

  // Hands over the interval since the last call and starts a new one.
  LevelInterval TakeInterval();

 private:
  uint8_t ext_id_;
  uint8_t noise_floor_;
  uint8_t last_level_ = kSilentLevel;
  // Loudness (127 - level) scaled by 16, averaged with weight 1/8 per packet:
  // integer arithmetic, no drift.
  uint32_t smoothed_x16_ = 0;
  LevelCounters counters_;
  LevelInterval interval_;
};

}  // namespace audio
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_AUDIO_AUDIO_LEVEL_H_
