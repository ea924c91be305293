// The DTLS certificate of a node thread, and SDP fingerprints (RFC 8122).
//
// WebRTC does not authenticate DTLS through a PKI: each side sends a
// self-signed certificate and announces its hash in the SDP
// (`a=fingerprint:sha-256 AB:CD:...`), which reaches the other side over the
// signalling channel. After the handshake the peer's certificate is hashed
// and compared with that announcement (RFC 8827 §6.5); that comparison is
// the only thing tying the media keys to the signalled peer.
//
// The key is ECDSA P-256 (what browsers use), not the RSA-1024 of OWT's
// agent: 1024-bit RSA is below any current security level, and generating
// a P-256 key takes well under a millisecond instead of tens of
// milliseconds, so each node thread can make its own.
#ifndef WEBRTC_AGENT_ADDON_DTLS_CERTIFICATE_H_
#define WEBRTC_AGENT_ADDON_DTLS_CERTIFICATE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "dtls/ssl_ptr.h"

namespace webrtc_agent::dtls {

// The hash functions a fingerprint may use. RFC 8122 also lists md5, md2
// and sha-224; WebRTC endpoints use sha-256 (RFC 8827 requires it be
// supported), so the obsolete ones are refused rather than trusted.
enum class FingerprintHash : uint8_t { kSha1, kSha256, kSha384, kSha512 };

constexpr size_t kMaxFingerprintSize = 64;  // SHA-512

// "sha-256" etc., compared case-insensitively (RFC 8122 §5: the hash
// function token is case-insensitive). False for any other name.
bool FingerprintHashFromName(const std::string& name, FingerprintHash* out);
// The lowercase SDP token: "sha-1", "sha-256", "sha-384", "sha-512".
const char* FingerprintHashName(FingerprintHash hash);
// Digest size in bytes: 20, 32, 48, 64.
size_t FingerprintHashSize(FingerprintHash hash);

// A certificate hash as bytes. Comparing bytes (not text) makes the check
// independent of the letter case the peer used in its SDP.
struct Fingerprint {
  FingerprintHash hash = FingerprintHash::kSha256;
  size_t size = 0;
  uint8_t bytes[kMaxFingerprintSize] = {};
};

// Parses an SDP fingerprint: a hash name and a value of exactly the hash's
// size in bytes written as two hex digits each (either case) separated by
// single colons, nothing else (no spaces, no trailing colon). False, with
// `out` unspecified, for anything else.
bool ParseFingerprint(const std::string& hash_name, const std::string& value,
                      Fingerprint* out);
// The same from one string "sha-256 AB:CD:..." (the attribute value of
// a=fingerprint): one space between name and value.
bool ParseSdpFingerprint(const std::string& sdp, Fingerprint* out);

// Hashes the DER encoding of `cert`. False if OpenSSL fails (it should
// not: the certificate is already parsed).
bool ComputeFingerprint(X509* cert, FingerprintHash hash, Fingerprint* out);

// "AB:CD:..." (uppercase, colon-separated), and "sha-256 AB:CD:...".
std::string FormatFingerprintValue(const Fingerprint& fp);
std::string FormatSdpFingerprint(const Fingerprint& fp);

// True if `cert` hashes to `expected` under expected.hash. The bytes are
// compared in constant time: the expected value is public, but an
// early-exit compare is a habit not worth having next to key material.
bool FingerprintMatches(X509* cert, const Fingerprint& expected);
// Convenience: parses first; a malformed expected value never matches.
bool FingerprintMatches(X509* cert, const std::string& hash_name,
                        const std::string& value);

// A freshly generated ECDSA P-256 key and a self-signed X.509 v3 certificate
// for it: random 64-bit serial, CN "webrtc-agent", valid from 30 days ago
// (peers with a slow clock still accept it) to 30 days ahead (a node thread
// lives far less; a new thread makes a new certificate).
class Certificate {
 public:
  // Null, with `*error` set, if OpenSSL fails.
  static std::unique_ptr<Certificate> Generate(std::string* error);

  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;

  EVP_PKEY* key() const { return key_.get(); }
  X509* x509() const { return x509_.get(); }
  // SHA-256 fingerprint in SDP form: "sha-256 AB:CD:...".
  const std::string& sdp_fingerprint() const { return sdp_fingerprint_; }
  const Fingerprint& fingerprint() const { return fingerprint_; }

 private:
  Certificate(EvpPkeyPtr key, X509Ptr x509, const Fingerprint& fp);

  EvpPkeyPtr key_;
  X509Ptr x509_;
  Fingerprint fingerprint_;
  std::string sdp_fingerprint_;
};

}  // namespace webrtc_agent::dtls

#endif  // WEBRTC_AGENT_ADDON_DTLS_CERTIFICATE_H_
