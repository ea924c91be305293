// Per-thread DTLS configuration: one SSL_CTX and the certificate it
// presents, shared by every DtlsTransport of a node thread.
//
// One per node thread, owned by the thread's addon instance (never a
// global): an SSL_CTX may be shared between threads, but a per-thread one
// keeps the "all state hangs off the instance" rule, and a thread that dies
// takes its key with it.
#ifndef WEBRTC_AGENT_ADDON_DTLS_DTLS_CONTEXT_H_
#define WEBRTC_AGENT_ADDON_DTLS_DTLS_CONTEXT_H_

#include <memory>
#include <string>

#include "dtls/certificate.h"
#include "dtls/ssl_ptr.h"

namespace webrtc_agent::dtls {

// use_srtp profiles offered (client) or accepted (server), in order of
// preference. OpenSSL's server picks its own most preferred profile among
// those the client offers, so listing the AEAD (GCM) profiles first makes
// GCM win whenever the browser offers it (Chrome and Firefox do); AES-CM
// with HMAC-SHA1-80 is the one every WebRTC endpoint must support
// (RFC 8827 §6.5). The 32-bit-tag and NULL profiles are not offered.
constexpr const char kDefaultSrtpProfiles[] =
    "SRTP_AEAD_AES_128_GCM:SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_80";

class DtlsContext {
 public:
  // Generates a new certificate. Null, with `*error` set, on failure.
  static std::unique_ptr<DtlsContext> Create(std::string* error);
  // Uses `certificate` (e.g. one kept across contexts in a test);
  // `srtp_profiles` is an OpenSSL use_srtp list, for tests and for
  // restricting the profiles; it must not be empty.
  static std::unique_ptr<DtlsContext> Create(
      std::unique_ptr<Certificate> certificate, const char* srtp_profiles,
      std::string* error);

  DtlsContext(const DtlsContext&) = delete;
  DtlsContext& operator=(const DtlsContext&) = delete;

  SSL_CTX* ssl_ctx() const { return ctx_.get(); }
  const Certificate& certificate() const { return *certificate_; }
  // "sha-256 AB:CD:...": what the SDP answer announces.
  const std::string& sdp_fingerprint() const {
    return certificate_->sdp_fingerprint();
  }

 private:
  DtlsContext(std::unique_ptr<Certificate> certificate, SslCtxPtr ctx);

  std::unique_ptr<Certificate> certificate_;
  SslCtxPtr ctx_;
};

}  // namespace webrtc_agent::dtls

#endif  // WEBRTC_AGENT_ADDON_DTLS_DTLS_CONTEXT_H_
