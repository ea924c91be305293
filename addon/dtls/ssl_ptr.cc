// Deleters of ssl_ptr.h and the error-queue helper.
#include "dtls/ssl_ptr.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace webrtc_agent::dtls {

void X509Deleter::operator()(X509* p) const { X509_free(p); }
void EvpPkeyDeleter::operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
void SslCtxDeleter::operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
void SslDeleter::operator()(SSL* p) const { SSL_free(p); }
void BioDeleter::operator()(BIO* p) const { BIO_free(p); }
void BioMethodDeleter::operator()(BIO_METHOD* p) const { BIO_meth_free(p); }

std::string TakeOpenSslError(const char* fallback) {
  unsigned long code = ERR_peek_error();
  std::string out;
  if (code == 0) {
    out = fallback;
  } else {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    out = buf;
  }
  ERR_clear_error();
  return out;
}

}  // namespace webrtc_agent::dtls
