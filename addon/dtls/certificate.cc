#include "dtls/certificate.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

namespace webrtc_agent::dtls {

namespace {

// 30 days either side of "now": see the class comment in the header.
constexpr long kValiditySeconds = 30L * 24 * 60 * 60;
constexpr size_t kSerialBytes = 8;

char LowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool EqualsIgnoreCase(const std::string& a, const char* b) {
  size_t i = 0;
  for (; i < a.size(); ++i) {
    if (b[i] == '\0' || LowerAscii(a[i]) != b[i]) return false;
  }
  return b[i] == '\0';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

const EVP_MD* DigestFor(FingerprintHash hash) {
  switch (hash) {
    case FingerprintHash::kSha1:
      return EVP_sha1();
    case FingerprintHash::kSha256:
      return EVP_sha256();
    case FingerprintHash::kSha384:
      return EVP_sha384();
    case FingerprintHash::kSha512:
      return EVP_sha512();
  }
  return nullptr;
}

}  // namespace

bool FingerprintHashFromName(const std::string& name, FingerprintHash* out) {
  static constexpr FingerprintHash kAll[] = {
      FingerprintHash::kSha1, FingerprintHash::kSha256,
      FingerprintHash::kSha384, FingerprintHash::kSha512};
  for (FingerprintHash h : kAll) {
    if (EqualsIgnoreCase(name, FingerprintHashName(h))) {
      *out = h;
      return true;
    }
  }
  return false;
}

const char* FingerprintHashName(FingerprintHash hash) {
  switch (hash) {
    case FingerprintHash::kSha1:
      return "sha-1";
    case FingerprintHash::kSha256:
      return "sha-256";
    case FingerprintHash::kSha384:
      return "sha-384";
    case FingerprintHash::kSha512:
      return "sha-512";
  }
  return "";
}

size_t FingerprintHashSize(FingerprintHash hash) {
  switch (hash) {
    case FingerprintHash::kSha1:
      return 20;
    case FingerprintHash::kSha256:
      return 32;
    case FingerprintHash::kSha384:
      return 48;
    case FingerprintHash::kSha512:
      return 64;
  }
  return 0;
}

bool ParseFingerprint(const std::string& hash_name, const std::string& value,
                      Fingerprint* out) {
  FingerprintHash hash;
  if (!FingerprintHashFromName(hash_name, &hash)) return false;
  size_t n = FingerprintHashSize(hash);
  // "XX" per byte plus n-1 colons: checking the length first means the loop
  // below never indexes past the string.
  if (value.size() != 3 * n - 1) return false;
  for (size_t i = 0; i < n; ++i) {
    int hi = HexValue(value[3 * i]);
    int lo = HexValue(value[3 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    if (i + 1 < n && value[3 * i + 2] != ':') return false;
    out->bytes[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  out->hash = hash;
  out->size = n;
  return true;
}

bool ParseSdpFingerprint(const std::string& sdp, Fingerprint* out) {
  size_t space = sdp.find(' ');
  if (space == std::string::npos) return false;
  return ParseFingerprint(sdp.substr(0, space), sdp.substr(space + 1), out);
}

bool ComputeFingerprint(X509* cert, FingerprintHash hash, Fingerprint* out) {
  const EVP_MD* md = DigestFor(hash);
  if (cert == nullptr || md == nullptr) return false;
  unsigned int len = 0;
  uint8_t buf[EVP_MAX_MD_SIZE];
  if (X509_digest(cert, md, buf, &len) != 1 ||
      len != FingerprintHashSize(hash)) {
    ERR_clear_error();
    return false;
  }
  out->hash = hash;
  out->size = len;
  for (size_t i = 0; i < len; ++i) out->bytes[i] = buf[i];
  return true;
}

std::string FormatFingerprintValue(const Fingerprint& fp) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(fp.size * 3);
  for (size_t i = 0; i < fp.size && i < kMaxFingerprintSize; ++i) {
    if (i > 0) out.push_back(':');
    out.push_back(kHex[fp.bytes[i] >> 4]);
    out.push_back(kHex[fp.bytes[i] & 0x0F]);
  }
  return out;
}

std::string FormatSdpFingerprint(const Fingerprint& fp) {
  return std::string(FingerprintHashName(fp.hash)) + " " +
         FormatFingerprintValue(fp);
}

bool FingerprintMatches(X509* cert, const Fingerprint& expected) {
  Fingerprint actual;
  if (!ComputeFingerprint(cert, expected.hash, &actual)) return false;
  // Sizes are fixed by the hash, so this only rejects a corrupt `expected`.
  if (actual.size != expected.size) return false;
  return CRYPTO_memcmp(actual.bytes, expected.bytes, actual.size) == 0;
}

bool FingerprintMatches(X509* cert, const std::string& hash_name,
                        const std::string& value) {
  Fingerprint expected;
  if (!ParseFingerprint(hash_name, value, &expected)) return false;
  return FingerprintMatches(cert, expected);
}

Certificate::Certificate(EvpPkeyPtr key, X509Ptr x509, const Fingerprint& fp)
    : key_(std::move(key)),
      x509_(std::move(x509)),
      fingerprint_(fp),
      sdp_fingerprint_(FormatSdpFingerprint(fp)) {}

std::unique_ptr<Certificate> Certificate::Generate(std::string* error) {
  ERR_clear_error();
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) {
    *error = TakeOpenSslError("P-256 key generation failed");
    return nullptr;
  }
  X509Ptr x509(X509_new());
  if (!x509) {
    *error = TakeOpenSslError("X509_new failed");
    return nullptr;
  }
  // A random serial: RFC 5280 wants it unique per issuer, and every
  // certificate here is its own issuer, so randomness is all that matters.
  // The top bit is cleared so the DER INTEGER stays positive; the low bit
  // is set so it is never zero.
  uint8_t serial_bytes[kSerialBytes];
  if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1) {
    *error = TakeOpenSslError("RAND_bytes failed");
    return nullptr;
  }
  serial_bytes[0] &= 0x7F;
  serial_bytes[kSerialBytes - 1] |= 0x01;
  BIGNUM* serial_bn = BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr);
  bool serial_ok = serial_bn != nullptr &&
                   BN_to_ASN1_INTEGER(serial_bn, X509_get_serialNumber(x509.get())) != nullptr;
  BN_free(serial_bn);
  if (!serial_ok) {
    *error = TakeOpenSslError("serial number failed");
    return nullptr;
  }
  // Version 3 (the value is zero-based); needed by peers that refuse v1.
  bool ok = X509_set_version(x509.get(), 2) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(x509.get()), -kValiditySeconds) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(x509.get()), kValiditySeconds) != nullptr &&
            X509_set_pubkey(x509.get(), key.get()) == 1;
  if (ok) {
    // Subject == issuer: self-signed. The CN is informational only (the
    // fingerprint is what is checked); a short fixed one keeps the
    // certificate small, which keeps the handshake flight in one datagram.
    X509_NAME* name = X509_get_subject_name(x509.get());
    ok = X509_NAME_add_entry_by_txt(
             name, "CN", MBSTRING_ASC,
             reinterpret_cast<const unsigned char*>("webrtc-agent"), -1, -1,
             0) == 1 &&
         X509_set_issuer_name(x509.get(), name) == 1 &&
         X509_sign(x509.get(), key.get(), EVP_sha256()) > 0;
  }
  if (!ok) {
    *error = TakeOpenSslError("certificate creation failed");
    return nullptr;
  }
  Fingerprint fp;
  if (!ComputeFingerprint(x509.get(), FingerprintHash::kSha256, &fp)) {
    *error = TakeOpenSslError("certificate fingerprint failed");
    return nullptr;
  }
  ERR_clear_error();
  return std::unique_ptr<Certificate>(
      new Certificate(std::move(key), std::move(x509), fp));
}

}  // namespace webrtc_agent::dtls
