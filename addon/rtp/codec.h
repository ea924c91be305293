// The media codecs the data plane knows by name, and small helpers on them.
//
// Payload types are negotiated per session (SDP rtpmap), so the packet layer
// never guesses a codec from a payload type: whoever holds the negotiated
// mapping turns it into a Codec and passes that down (e.g. to IsKeyframe).
#ifndef WEBRTC_AGENT_ADDON_RTP_CODEC_H_
#define WEBRTC_AGENT_ADDON_RTP_CODEC_H_

#include <cstddef>
#include <cstdint>

namespace webrtc_agent::rtp {

enum class Codec : uint8_t {
  kUnknown = 0,
  kOpus,
  kVp8,
  kVp9,
  kH264,
  kAv1,
};

// The SDP encoding name (rtpmap), as used in SDP and in our JS API.
inline const char* CodecName(Codec codec) {
  switch (codec) {
    case Codec::kOpus: return "opus";
    case Codec::kVp8: return "VP8";
    case Codec::kVp9: return "VP9";
    case Codec::kH264: return "H264";
    case Codec::kAv1: return "AV1";
    case Codec::kUnknown: break;
  }
  return "unknown";
}

// Encoding names are case-insensitive in SDP (RFC 4855 §3), so "vp8" and
// "VP8" are the same codec. `name` need not be NUL-terminated.
inline Codec CodecFromName(const char* name, size_t len) {
  constexpr Codec kAll[] = {Codec::kOpus, Codec::kVp8, Codec::kVp9,
                            Codec::kH264, Codec::kAv1};
  if (name == nullptr) return Codec::kUnknown;
  for (Codec c : kAll) {
    const char* want = CodecName(c);
    size_t i = 0;
    for (; i < len && want[i] != '\0'; ++i) {
      char a = name[i];
      char b = want[i];
      if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
      if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
      if (a != b) break;
    }
    if (i == len && want[i] == '\0') return c;
  }
  return Codec::kUnknown;
}

inline bool IsVideoCodec(Codec codec) {
  return codec == Codec::kVp8 || codec == Codec::kVp9 ||
         codec == Codec::kH264 || codec == Codec::kAv1;
}

// RTP timestamp clock rate. WebRTC video is always 90 kHz (RFC 3551 and
// every video payload format); Opus always signals 48 kHz whatever its
// internal sampling rate (RFC 7587 §4.1). 0 for an unknown codec.
inline uint32_t ClockRate(Codec codec) {
  if (IsVideoCodec(codec)) return 90000;
  if (codec == Codec::kOpus) return 48000;
  return 0;
}

}  // namespace webrtc_agent::rtp

#endif  // WEBRTC_AGENT_ADDON_RTP_CODEC_H_
