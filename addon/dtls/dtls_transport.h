// One DTLS 1.2 association for DTLS-SRTP (RFC 5764), as an SFU runs it
// (RFC 8827, RFC 8842): a handshake, a fingerprint check, SRTP keys out.
//
// Sans-I/O: no sockets, no timers, no Napi, no libuv. The caller hands in
// each datagram that RFC 7983 classifies as DTLS (first byte 20..63) with
// the current time, drains the datagrams to send with PopOutgoing(), arms
// one timer for NextTimeoutMs() and calls Tick() when it fires, and reads
// state changes with PopStateChange(). Application data (WebRTC data
// channels) is out of scope: it is read and dropped, and counted.
//
// Time. `now_ms` is the caller's monotonic clock (the thread's loop time);
// it drives the handshake deadline and NextTimeoutMs(). The retransmission
// timer itself lives inside OpenSSL 3.0, which reads the system clock:
// Tick() asks OpenSSL to retransmit, and OpenSSL does so only if its own
// timer has run out. NextTimeoutMs() reports OpenSSL's remaining time
// relative to the caller's `now_ms`, so a loop timer armed for it fires
// when OpenSSL is ready. (A wall clock step backwards delays retransmissions
// but not the handshake deadline, which is on the caller's clock.)
//
// Not thread-safe: one transport belongs to one node thread, like its
// DtlsContext. The SSL holds its own reference to the context's SSL_CTX
// (and so to the certificate), so the two may be destroyed in any order.
#ifndef WEBRTC_AGENT_ADDON_DTLS_DTLS_TRANSPORT_H_
#define WEBRTC_AGENT_ADDON_DTLS_DTLS_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "dtls/certificate.h"
#include "dtls/dtls_context.h"
#include "dtls/ssl_ptr.h"

namespace webrtc_agent::dtls {

// SDP a=setup (RFC 4145, RFC 8842 §5): "active" opens the DTLS connection,
// i.e. is the DTLS client; "passive" waits for it, i.e. is the server.
enum class DtlsRole : uint8_t { kClient, kServer };

// Our own final a=setup value -> role. "actpass" is only ever an offer's
// value (the answerer must pick active or passive), so it has no role and,
// like anything else, returns false.
bool DtlsRoleFromSetup(const std::string& setup, DtlsRole* role);

enum class DtlsState : uint8_t {
  kNew,         // created, Start() not yet called
  kConnecting,  // handshake running, or done but the peer not yet verified
  kConnected,   // handshake done, fingerprint matched, keys available
  kFailed,      // see failure_reason(); terminal
  kClosed,      // close_notify sent or received; terminal
};
const char* DtlsStateName(DtlsState state);

// use_srtp protection profiles (IANA "DTLS-SRTP Protection Profiles").
enum class SrtpProfile : uint16_t {
  kNone = 0,
  kAes128CmHmacSha1_80 = 0x0001,
  kAeadAes128Gcm = 0x0007,
  kAeadAes256Gcm = 0x0008,
};
// RFC 4568 / RFC 7714 names: "AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM",
// "AEAD_AES_256_GCM"; "" for kNone.
const char* SrtpProfileName(SrtpProfile profile);
// Master key and master salt sizes in bytes (RFC 3711 §8.2, RFC 7714 §12):
// 16/14, 16/12, 32/12; 0 for kNone.
size_t SrtpMasterKeySize(SrtpProfile profile);
size_t SrtpMasterSaltSize(SrtpProfile profile);

constexpr size_t kMaxSrtpMasterKeySize = 32;
constexpr size_t kMaxSrtpMasterSaltSize = 14;

// The SRTP master keys of both directions. "local" protects what this side
// sends, "remote" unprotects what the peer sends. Wiped on destruction.
struct SrtpKeys {
  SrtpProfile profile = SrtpProfile::kNone;
  size_t key_size = 0;
  size_t salt_size = 0;
  uint8_t local_key[kMaxSrtpMasterKeySize] = {};
  uint8_t local_salt[kMaxSrtpMasterSaltSize] = {};
  uint8_t remote_key[kMaxSrtpMasterKeySize] = {};
  uint8_t remote_salt[kMaxSrtpMasterSaltSize] = {};

  SrtpKeys() = default;
  SrtpKeys(const SrtpKeys&) = default;
  SrtpKeys& operator=(const SrtpKeys&) = default;
  ~SrtpKeys();
  void Wipe();
};

struct DtlsTransportOptions {
  // The handshake, including the wait for the remote fingerprint, must
  // complete within this; otherwise the transport fails. Bounds the time a
  // peer that never finishes can hold the transport's state.
  uint64_t handshake_timeout_ms = 30000;
  // OpenSSL's retransmission timer: first timeout, doubling up to the
  // maximum. RFC 6347 §4.2.4.1 suggests 1 s initially; 8 s as a ceiling
  // gives ~6 attempts within the 30 s deadline instead of 4 with OpenSSL's
  // own 60 s ceiling. OpenSSL gives up by itself after 12 timeouts.
  uint32_t initial_retransmit_ms = 1000;
  uint32_t max_retransmit_ms = 8000;
  // Largest datagram sent (UDP payload). 1200 fits any path WebRTC runs on
  // (IPv6 minimum MTU 1280 minus headers, TURN overhead included); OpenSSL
  // fragments handshake messages to fit and records are never split.
  size_t mtu = 1200;
};

// Per-transport counters. Nothing that arrives is silently ignored: every
// datagram is either passed to OpenSSL (`datagrams_in`) or counted under
// one of the reasons it was not.
struct DtlsStats {
  uint64_t datagrams_in = 0;     // passed to OpenSSL
  uint64_t bytes_in = 0;
  uint64_t datagrams_out = 0;    // queued for sending
  uint64_t bytes_out = 0;
  uint64_t rejected_size = 0;    // empty, or over kMaxDtlsDatagramSize
  uint64_t rejected_not_dtls = 0;  // first byte outside 20..63
  uint64_t malformed = 0;        // not a sequence of whole DTLS records, or
                                 // an encrypted record too short to be one
  uint64_t dropped_state = 0;    // arrived before Start (client) or after the end
  uint64_t app_data_bytes = 0;   // application data read and dropped
  uint64_t retransmissions = 0;  // flights resent on a timer
  uint64_t outgoing_dropped = 0; // outgoing queue full (caller not draining)
  uint64_t fingerprint_mismatches = 0;
};

// Largest datagram accepted. Browsers send at most ~1200 bytes; this leaves
// room for a peer on a large-MTU path with a long certificate chain, and
// still refuses what cannot be a DTLS flight before OpenSSL sees it.
constexpr size_t kMaxDtlsDatagramSize = 4096;
// Datagrams waiting in the outgoing queue; a flight is a handful, so this
// is only reached when the caller stops draining.
constexpr size_t kMaxOutgoingDatagrams = 64;
constexpr uint64_t kNoTimeout = std::numeric_limits<uint64_t>::max();

class DtlsTransport {
 public:
  // Null, with `*error` set, if OpenSSL fails or options are out of range
  // (mtu below 256 or above kMaxDtlsDatagramSize, handshake timeout 0,
  // retransmission timeouts outside 50 ms .. 60 s or min above max).
  static std::unique_ptr<DtlsTransport> Create(
      DtlsContext* context, DtlsRole role, const DtlsTransportOptions& options,
      std::string* error);
  ~DtlsTransport();

  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  // new -> connecting; starts the handshake clock. A client sends its
  // ClientHello now. A server waits; a ClientHello arriving before Start()
  // starts a server implicitly (ICE may finish before the caller does).
  void Start(uint64_t now_ms);
  // One datagram from the peer, already classified as DTLS by the caller
  // (checked again here). Bytes are copied by OpenSSL; not kept.
  void Feed(const uint8_t* datagram, size_t len, uint64_t now_ms);
  // Handshake deadline and retransmissions; call at NextTimeoutMs() (early
  // or late calls are harmless).
  void Tick(uint64_t now_ms);
  // When Tick() should next run, on the caller's clock; kNoTimeout if never.
  uint64_t NextTimeoutMs() const;
  // The peer's SDP a=fingerprint, e.g. ("sha-256", "AB:CD:..."). Before the
  // handshake completes it is kept; after, the peer's certificate is checked
  // at once: a match moves to connected, a mismatch fails the transport.
  // Setting it again (a re-offer) re-checks the same certificate. False,
  // with nothing changed, if the hash is not supported or the value is
  // malformed.
  bool SetRemoteFingerprint(const std::string& hash, const std::string& value);
  // Sends close_notify if the handshake has completed; -> closed.
  void Close();

  // Next datagram to send, moved into `*out`; false when none is queued.
  bool PopOutgoing(std::vector<uint8_t>* out);
  // Next state the transport moved to, in order; false when none.
  bool PopStateChange(DtlsState* state);

  DtlsRole role() const { return role_; }
  DtlsState state() const { return state_; }
  // Why the transport failed or closed; empty otherwise.
  const std::string& failure_reason() const { return reason_; }
  // The negotiated keys; false (and `*out` untouched) unless connected.
  bool GetSrtpKeys(SrtpKeys* out) const;
  SrtpProfile srtp_profile() const;
  const DtlsStats& stats() const { return stats_; }

  // What the custom BIO reads from and writes to (dtls_transport.cc). Public
  // only so that the BIO callbacks, plain functions, can name it.
  struct DatagramIo {
    const uint8_t* input = nullptr;  // the datagram being fed, if any
    size_t input_size = 0;
    std::vector<std::vector<uint8_t>> records;  // written since last Flush
  };

 private:
  DtlsTransport(DtlsRole role, const DtlsTransportOptions& options);

  void Drive();
  void ReadApplicationData();
  void OnHandshakeComplete();
  void VerifyPeer();
  void CheckDeadline(uint64_t now_ms);
  void UpdateRetransmitTime(uint64_t now_ms);
  void Flush();
  void SetState(DtlsState state);
  void Fail(const std::string& reason);
  void PushOutgoing(std::vector<uint8_t> datagram);
  // OpenSSL's DTLS timer callback (DTLS_set_timer_cb): the next timeout in
  // microseconds given the previous one (0 when a flight is first sent).
  static unsigned int RetransmitTimeoutUs(SSL* ssl, unsigned int previous_us);
  bool Active() const {
    return state_ == DtlsState::kConnecting || state_ == DtlsState::kConnected;
  }

  const DtlsRole role_;
  const DtlsTransportOptions options_;
  DtlsState state_ = DtlsState::kNew;
  std::string reason_;
  DtlsStats stats_;

  uint64_t deadline_ms_ = kNoTimeout;
  uint64_t retransmit_at_ms_ = kNoTimeout;
  bool handshake_complete_ = false;
  bool have_remote_fingerprint_ = false;
  Fingerprint remote_fingerprint_;
  X509Ptr peer_certificate_;
  SrtpKeys keys_;  // filled at handshake completion, exposed once connected

  std::deque<std::vector<uint8_t>> outgoing_;
  std::deque<DtlsState> state_changes_;

  // Declaration order is destruction order reversed: the SSL (which owns
  // the BIO) goes first, then the BIO's method and the buffers it points to.
  // The BIO_METHOD is per transport, not per context: a BIO keeps a bare
  // pointer to its method, so holding both here leaves no lifetime rule
  // for the caller to get wrong.
  DatagramIo io_;
  BioMethodPtr bio_method_;
  SslPtr ssl_;
};

}  // namespace webrtc_agent::dtls

#endif  // WEBRTC_AGENT_ADDON_DTLS_DTLS_TRANSPORT_H_
