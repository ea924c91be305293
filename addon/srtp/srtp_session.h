// SRTP and SRTCP (RFC 3711; AES-GCM per RFC 7714) for one direction of one
// DTLS-SRTP association: a session either protects (what we send) or
// unprotects (what we receive), never both, because the two directions use
// different master keys (RFC 5764 §4.2).
//
// Bytes in, bytes out: packets are transformed in place in the caller's
// buffer. No Napi, no libuv, no globals; the OpenSSL contexts are owned by
// the session and reused for every packet.
//
// Every input to Unprotect* comes from the network. Nothing in a packet
// changes session state until it has been authenticated: ROC, highest
// sequence number, replay windows and the stream table only move after the
// tag checks out, so forged packets cost CPU but cannot desynchronise or
// fill anything.
#ifndef WEBRTC_AGENT_ADDON_SRTP_SRTP_SESSION_H_
#define WEBRTC_AGENT_ADDON_SRTP_SRTP_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "srtp/replay_window.h"
#include "srtp/srtp_crypto.h"
#include "srtp/srtp_profile.h"

namespace webrtc_agent::srtp {

enum class Direction : uint8_t { kProtect, kUnprotect };

enum class Result : uint8_t {
  kOk,
  kAuthFailed,   // tag mismatch (forged, corrupted, wrong key or wrong ROC)
  kReplay,       // index already received, or older than the replay window
  kMalformed,    // not RTP/RTCP version 2, or a header running past the end
  kTooShort,     // fewer bytes than a header plus the tag (and SRTCP index)
  kStreamLimit,  // a new SSRC while the stream table is full
};
constexpr size_t kResultCount = 6;
const char* ResultName(Result r);

// Per-result packet counts, for the agent's stats: a rising kAuthFailed or
// kReplay count is how an attack or a keying bug shows up.
struct SrtpStats {
  uint64_t rtp[kResultCount] = {};
  uint64_t rtcp[kResultCount] = {};
  uint64_t protect_rtp_failed = 0;
  uint64_t protect_rtcp_failed = 0;
};

// Session keys for one of SRTP or SRTCP (RFC 3711 §4.3). auth_key is unused
// by the AEAD profiles; salt is 14 octets for AES-CM, 12 for GCM.
struct SessionKeys {
  uint8_t enc_key[kMaxKeyLen] = {};
  uint8_t salt[kMaxSaltLen] = {};
  uint8_t auth_key[kHmacSha1KeyLen] = {};
};

// Derives the SRTP and SRTCP session keys from a master key and salt
// (RFC 3711 §4.3, AES-CM PRF, key derivation rate 0).
bool DeriveSessionKeys(Profile profile, const uint8_t* master_key,
                       size_t key_len, const uint8_t* master_salt,
                       size_t salt_len, SessionKeys* srtp, SessionKeys* srtcp);

class SrtpSession {
 public:
  // Bounds the stream table against hostile input: a peer (or anyone who
  // can spoof its address) could otherwise make us keep state for 2^32
  // SSRCs. Only authenticated packets create streams, so this bounds what
  // a peer holding the keys can make us allocate.
  static constexpr size_t kDefaultMaxStreams = 64;
  // Largest packet accepted or produced: a UDP datagram.
  static constexpr size_t kMaxPacketSize = 65535;

  // From the master key and salt (the DTLS exporter's output, RFC 5764).
  // nullptr if a length does not match the profile or OpenSSL fails.
  static std::unique_ptr<SrtpSession> Create(
      Profile profile, Direction direction, const uint8_t* master_key,
      size_t key_len, const uint8_t* master_salt, size_t salt_len,
      size_t max_streams = kDefaultMaxStreams);

  // From already-derived session keys: the RFC 7714 test vectors are given
  // this way, and it is how the tests drive the packet transforms alone.
  static std::unique_ptr<SrtpSession> CreateFromSessionKeys(
      Profile profile, Direction direction, const SessionKeys& srtp,
      const SessionKeys& srtcp, size_t max_streams = kDefaultMaxStreams);

  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // Encrypts the RTP packet in buf[0..*len) in place and appends the tag;
  // *len grows by the profile's tag length. False (buf untouched) on a
  // protect-direction mismatch, a packet that is not RTP version 2, a
  // buffer too small (cap < *len + tag), a full stream table, or a sequence
  // number from before the stream's first packet across a wrap. Sending the
  // same index twice is allowed (an RTP retransmission without RTX must be
  // able to go out again with the same keystream over the same bytes).
  bool ProtectRtp(uint8_t* buf, size_t* len, size_t cap);
  // Encrypts the RTCP compound after its first 8 bytes, appends E=1 and the
  // 31-bit SRTCP index (per SSRC, from 0) and the tag. False also once a
  // stream's 2^31 indices are used up (RFC 3711 §9.2: re-key).
  bool ProtectRtcp(uint8_t* buf, size_t* len, size_t cap);

  // Checks and decrypts in place; on kOk *len shrinks to the plain packet.
  // On any other result *len is unchanged and buf's bytes are unspecified
  // (GCM decrypts before it can check the tag): drop the packet. A protect
  // session answers kMalformed.
  Result UnprotectRtp(uint8_t* buf, size_t* len);
  // Accepts E=0 (authenticated, not encrypted) SRTCP as well as E=1.
  Result UnprotectRtcp(uint8_t* buf, size_t* len);

  Profile profile() const { return profile_; }
  Direction direction() const { return direction_; }
  size_t streamCount() const { return streams_.size(); }
  const SrtpStats& stats() const { return stats_; }

 private:
  struct RtpState {
    uint32_t roc = 0;   // rollover counter
    uint16_t s_l = 0;   // highest sequence number (within roc)
    ReplayWindow window;  // unprotect only
  };
  struct RtcpState {
    uint32_t next_index = 0;  // protect: the next SRTCP index to send
    ReplayWindow window;      // unprotect
  };
  struct Stream {
    uint32_t ssrc = 0;
    bool rtp_started = false;
    RtpState rtp;
    RtcpState rtcp;
  };

  SrtpSession(Profile profile, Direction direction, size_t max_streams);
  bool Init(const SessionKeys& srtp, const SessionKeys& srtcp);

  Stream* Find(uint32_t ssrc);
  Stream* Add(uint32_t ssrc);  // nullptr when full

  Result UnprotectRtpImpl(uint8_t* buf, size_t* len);
  Result UnprotectRtcpImpl(uint8_t* buf, size_t* len);

  const Profile profile_;
  const ProfileParams params_;
  const Direction direction_;
  const size_t max_streams_;

  // Only the ones the profile uses are initialised.
  AesCtr rtp_ctr_, rtcp_ctr_;
  AesGcm rtp_gcm_, rtcp_gcm_;
  HmacSha1 rtp_hmac_, rtcp_hmac_;
  uint8_t rtp_salt_[kMaxSaltLen] = {};
  uint8_t rtcp_salt_[kMaxSaltLen] = {};

  std::vector<Stream> streams_;
  size_t last_stream_ = 0;  // most packets in a row share an SSRC
  SrtpStats stats_;
};

// RFC 5764 §4.2: splits exporter output (client key, server key, client
// salt, server salt) into our protect session (our write keys) and our
// unprotect session (the peer's write keys). False if material_len is not
// ExporterLength(profile) or a session cannot be created.
struct SessionPair {
  std::unique_ptr<SrtpSession> protect;
  std::unique_ptr<SrtpSession> unprotect;
};
bool SessionsFromExporter(Profile profile, const uint8_t* material,
                          size_t material_len, bool we_are_dtls_client,
                          SessionPair* out,
                          size_t max_streams = SrtpSession::kDefaultMaxStreams);

}  // namespace webrtc_agent::srtp

#endif  // WEBRTC_AGENT_ADDON_SRTP_SRTP_SESSION_H_
