// Owning pointers for the OpenSSL objects addon/dtls uses. Each type gets a
// deleter calling its own *_free function, so an object is released exactly
// once on every path, including the early returns of a failed set-up (the
// code is built with -fno-exceptions: early returns are the error path).
//
// OpenSSL's types are declared here rather than included so that code using
// addon/dtls does not pull in OpenSSL's headers: the addon compiles against
// Node's copy, the tests and fuzzers against Debian's, and only the .cc files
// of this directory need either.
#ifndef WEBRTC_AGENT_ADDON_DTLS_SSL_PTR_H_
#define WEBRTC_AGENT_ADDON_DTLS_SSL_PTR_H_

#include <memory>
#include <string>

typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct bio_st BIO;
typedef struct bio_method_st BIO_METHOD;

namespace webrtc_agent::dtls {

struct X509Deleter {
  void operator()(X509* p) const;
};
struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* p) const;
};
struct SslCtxDeleter {
  void operator()(SSL_CTX* p) const;
};
struct SslDeleter {
  void operator()(SSL* p) const;
};
struct BioDeleter {
  void operator()(BIO* p) const;
};
struct BioMethodDeleter {
  void operator()(BIO_METHOD* p) const;
};

using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using SslPtr = std::unique_ptr<SSL, SslDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using BioMethodPtr = std::unique_ptr<BIO_METHOD, BioMethodDeleter>;

// The text of the oldest error on this thread's OpenSSL error queue, or
// `fallback` if it is empty; the queue is then cleared. OpenSSL's queue is
// per thread and Node's crypto module reads the same queue on a node
// thread, so nothing in addon/dtls leaves errors behind on it.
std::string TakeOpenSslError(const char* fallback);

}  // namespace webrtc_agent::dtls

#endif  // WEBRTC_AGENT_ADDON_DTLS_SSL_PTR_H_
