#include "dtls/dtls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace webrtc_agent::dtls {

namespace {

// ECDHE-ECDSA first: our certificate is P-256, so as a server only the
// ECDSA suites can be chosen; the RSA ones are for the client role towards
// a peer with an RSA certificate. RFC 8827 §6.5 requires
// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, and every browser offers it.
//
// AES-GCM only, on purpose. In OpenSSL 3.0's DTLS record layer a forged
// CBC record with a bad MAC under encrypt-then-mac is a fatal error, not a
// silently dropped packet (RFC 6347 §4.1.2.7 says drop), so anyone able to
// send one datagram on the 5-tuple could end the association. With AEAD
// suites a bad tag is dropped; the one remaining fatal case, a record
// shorter than nonce + tag, is filtered by DtlsTransport, and that filter
// is one fixed size only because no ChaCha20 (16-byte minimum) is offered.
constexpr const char kCipherList[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384";

// X25519 first (what browsers send a key share for), P-256 as the group
// every WebRTC endpoint supports, P-384 for completeness.
constexpr const char kGroups[] = "X25519:P-256:P-384";

// The TLS layer accepts whatever certificate the peer presents: WebRTC
// certificates are self-signed, so chain validation would always fail. The
// real check, the certificate's hash against the SDP fingerprint, is done
// by DtlsTransport once the handshake is complete. Returning 1 for every
// (preverify, depth) also accepts expired certificates, as browsers do:
// the fingerprint pins the exact certificate, its dates add nothing.
int AcceptAnyCertificate(int /*preverify_ok*/, X509_STORE_CTX* /*store*/) {
  return 1;
}

}  // namespace

DtlsContext::DtlsContext(std::unique_ptr<Certificate> certificate,
                         SslCtxPtr ctx)
    : certificate_(std::move(certificate)), ctx_(std::move(ctx)) {}

std::unique_ptr<DtlsContext> DtlsContext::Create(std::string* error) {
  std::unique_ptr<Certificate> cert = Certificate::Generate(error);
  if (!cert) return nullptr;
  return Create(std::move(cert), kDefaultSrtpProfiles, error);
}

std::unique_ptr<DtlsContext> DtlsContext::Create(
    std::unique_ptr<Certificate> certificate, const char* srtp_profiles,
    std::string* error) {
  if (!certificate || srtp_profiles == nullptr || srtp_profiles[0] == '\0') {
    *error = "DtlsContext: no certificate or no SRTP profiles";
    return nullptr;
  }
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(DTLS_method()));
  if (!ctx) {
    *error = TakeOpenSslError("SSL_CTX_new failed");
    return nullptr;
  }
  SSL_CTX* c = ctx.get();
  // DTLS 1.0 is deprecated for WebRTC (RFC 8827 §6.5 requires 1.2); 1.3 is
  // not in OpenSSL 3.0, the ceiling only makes that explicit.
  if (SSL_CTX_set_min_proto_version(c, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(c, DTLS1_2_VERSION) != 1) {
    *error = TakeOpenSslError("DTLS 1.2 version bounds failed");
    return nullptr;
  }
  // Security level 2 (112-bit: RSA >= 2048, ECC >= 224) set explicitly: the
  // default comes from the OpenSSL configuration, which differs between
  // Node's build and Debian's (Debian's openssl.cnf raises it), and the
  // addon and the tests must accept the same peers.
  SSL_CTX_set_security_level(c, 2);
  if (SSL_CTX_use_certificate(c, certificate->x509()) != 1 ||
      SSL_CTX_use_PrivateKey(c, certificate->key()) != 1 ||
      SSL_CTX_check_private_key(c) != 1) {
    *error = TakeOpenSslError("certificate/key not accepted");
    return nullptr;
  }
  // SSL_VERIFY_PEER makes the server send a CertificateRequest, and
  // FAIL_IF_NO_PEER_CERT aborts a handshake whose client sends none: with
  // no certificate there is nothing to compare with the fingerprint.
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     AcceptAnyCertificate);
  if (SSL_CTX_set_cipher_list(c, kCipherList) != 1 ||
      SSL_CTX_set1_groups_list(c, kGroups) != 1) {
    *error = TakeOpenSslError("cipher list / groups not accepted");
    return nullptr;
  }
  // Returns 0 on success, unlike almost everything else in OpenSSL.
  if (SSL_CTX_set_tlsext_use_srtp(c, srtp_profiles) != 0) {
    *error = TakeOpenSslError("use_srtp profiles not accepted");
    return nullptr;
  }
  // Every association is a full handshake with fresh keys: there is no
  // resumption in WebRTC (each PeerConnection has its own certificate
  // binding), so tickets and the session cache would only hold secrets.
  // Renegotiation would change the keys under SRTP's feet, so it is off.
  // NO_QUERY_MTU: the transport has no socket to ask; it sets the MTU.
  SSL_CTX_set_options(c, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                             SSL_OP_NO_COMPRESSION | SSL_OP_NO_QUERY_MTU |
                             SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  ERR_clear_error();
  return std::unique_ptr<DtlsContext>(
      new DtlsContext(std::move(certificate), std::move(ctx)));
}

}  // namespace webrtc_agent::dtls
