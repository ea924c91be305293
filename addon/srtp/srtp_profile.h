// SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2) and the sizes
// each one implies. Kept apart from the session so that signalling code can
// ask "how many exporter bytes does this profile need" without OpenSSL.
#ifndef WEBRTC_AGENT_ADDON_SRTP_SRTP_PROFILE_H_
#define WEBRTC_AGENT_ADDON_SRTP_SRTP_PROFILE_H_

#include <cstddef>
#include <cstdint>

namespace webrtc_agent::srtp {

enum class Profile : uint8_t {
  kAes128CmHmacSha1_80,  // DTLS-SRTP id 0x0001
  kAes128CmHmacSha1_32,  // 0x0002: 32-bit SRTP tag, SRTCP keeps 80 bits
  kAeadAes128Gcm,        // 0x0007
  kAeadAes256Gcm,        // 0x0008
};

constexpr size_t kProfileCount = 4;
constexpr Profile kAllProfiles[kProfileCount] = {
    Profile::kAes128CmHmacSha1_80, Profile::kAes128CmHmacSha1_32,
    Profile::kAeadAes128Gcm, Profile::kAeadAes256Gcm};

// The largest key, salt and tag any profile uses: fixed-size buffers are
// sized with these so that no length taken from a profile can overrun them.
constexpr size_t kMaxKeyLen = 32;
constexpr size_t kMaxSaltLen = 14;
constexpr size_t kMaxTagLen = 16;
constexpr size_t kHmacSha1KeyLen = 20;

struct ProfileParams {
  size_t key_len;        // master key = session encryption key length
  size_t salt_len;       // master salt = session salt length
  size_t rtp_tag_len;    // bytes appended to an SRTP packet
  size_t rtcp_tag_len;   // bytes of tag in an SRTCP packet (plus 4 of index)
  bool aead;             // AES-GCM: no separate auth key, tag from GCM
};

constexpr ProfileParams ParamsOf(Profile p) {
  switch (p) {
    case Profile::kAes128CmHmacSha1_80: return {16, 14, 10, 10, false};
    case Profile::kAes128CmHmacSha1_32: return {16, 14, 4, 10, false};
    case Profile::kAeadAes128Gcm: return {16, 12, 16, 16, true};
    case Profile::kAeadAes256Gcm: return {32, 12, 16, 16, true};
  }
  return {16, 14, 10, 10, false};
}

// RFC 5764 §4.2: the exporter output is client key, server key, client
// salt, server salt, so both directions' material is 2 * (key + salt).
constexpr size_t ExporterLength(Profile p) {
  return 2 * (ParamsOf(p).key_len + ParamsOf(p).salt_len);
}

inline const char* ProfileName(Profile p) {
  switch (p) {
    case Profile::kAes128CmHmacSha1_80: return "SRTP_AES128_CM_HMAC_SHA1_80";
    case Profile::kAes128CmHmacSha1_32: return "SRTP_AES128_CM_HMAC_SHA1_32";
    case Profile::kAeadAes128Gcm: return "SRTP_AEAD_AES_128_GCM";
    case Profile::kAeadAes256Gcm: return "SRTP_AEAD_AES_256_GCM";
  }
  return "?";
}

// The DTLS use_srtp protection profile id (RFC 5764 §4.1.2, RFC 7714
// §14.2). False for ids we do not implement (the NULL-cipher profiles are
// deliberately absent: media in clear is not something an SFU should agree to).
inline bool ProfileFromDtlsId(uint16_t id, Profile* out) {
  switch (id) {
    case 0x0001: *out = Profile::kAes128CmHmacSha1_80; return true;
    case 0x0002: *out = Profile::kAes128CmHmacSha1_32; return true;
    case 0x0007: *out = Profile::kAeadAes128Gcm; return true;
    case 0x0008: *out = Profile::kAeadAes256Gcm; return true;
    default: return false;
  }
}

}  // namespace webrtc_agent::srtp

#endif  // WEBRTC_AGENT_ADDON_SRTP_SRTP_PROFILE_H_
