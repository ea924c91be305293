// The cryptographic primitives SRTP needs, as thin RAII wrappers over
// OpenSSL 3.0 EVP: AES in counter mode (RFC 3711 AES-CM, and the key
// derivation PRF), AES-GCM (RFC 7714) and HMAC-SHA1 (RFC 3711 §4.2.1).
//
// Only APIs that exist both in Node's bundled OpenSSL 3.0 (which the addon
// links against, through the symbols the node binary exports) and in
// Debian's libcrypto 3.0 (which the standalone tests link) are used, and
// nothing deprecated: EVP_MAC for HMAC rather than HMAC_*.
//
// Speed: each object initialises its key schedule once. Per packet only the
// IV is set (EVP_*Init_ex with a NULL cipher and NULL key keeps the key
// schedule) and, for HMAC, EVP_MAC_init with a NULL key, which restarts from
// the precomputed inner/outer pads instead of hashing the key again.
#ifndef WEBRTC_AGENT_ADDON_SRTP_SRTP_CRYPTO_H_
#define WEBRTC_AGENT_ADDON_SRTP_SRTP_CRYPTO_H_

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace webrtc_agent::srtp {

// unique_ptr deleters for every OpenSSL object we own, so that an early
// return can never leak a context (there are no exceptions to unwind, but
// there are many failure returns).
struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct MacDeleter {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;
using MacPtr = std::unique_ptr<EVP_MAC, MacDeleter>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter>;

// Overwrites key material with zeros in a way the compiler may not drop.
void Cleanse(void* p, size_t n);
// Constant-time equality, so that a tag check leaks nothing through timing.
bool ConstantTimeEqual(const uint8_t* a, const uint8_t* b, size_t n);

// AES-128/256 in counter mode with a 128-bit big-endian counter block. Both
// directions are the same operation (XOR with the keystream).
class AesCtr {
 public:
  // key_len 16 or 32. False if OpenSSL refuses (then the object is unusable).
  bool Init(const uint8_t* key, size_t key_len);
  // XORs n bytes at data (in place) with the keystream starting at counter
  // block iv. n must be below 2^31 (callers bound packets far lower).
  bool Apply(const uint8_t iv[16], uint8_t* data, size_t n);

 private:
  CipherCtxPtr ctx_;
};

// AES-GCM with a 96-bit IV and a 128-bit tag, for one direction.
class AesGcm {
 public:
  bool Init(const uint8_t* key, size_t key_len, bool encrypt);
  // Encrypts data in place and writes the 16-byte tag. aad may be split in
  // two pieces (SRTCP authenticates the header and the trailing index).
  bool Seal(const uint8_t iv[12], const uint8_t* aad1, size_t aad1_len,
            const uint8_t* aad2, size_t aad2_len, uint8_t* data, size_t n,
            uint8_t tag[16]);
  // Decrypts data in place and checks tag. False on a tag mismatch; data
  // then holds garbage (GCM decrypts before it can verify), so the caller
  // must drop the packet.
  bool Open(const uint8_t iv[12], const uint8_t* aad1, size_t aad1_len,
            const uint8_t* aad2, size_t aad2_len, uint8_t* data, size_t n,
            const uint8_t tag[16]);

 private:
  CipherCtxPtr ctx_;
  bool encrypt_ = true;
};

// HMAC-SHA1 keyed once; Compute() gives the full 20-byte MAC of two pieces
// (SRTP authenticates the packet then the 4-byte ROC, which is not in it).
class HmacSha1 {
 public:
  bool Init(const uint8_t* key, size_t key_len);
  bool Compute(const uint8_t* a, size_t a_len, const uint8_t* b, size_t b_len,
               uint8_t out[20]);

 private:
  MacPtr mac_;
  MacCtxPtr ctx_;
};

// RFC 3711 §4.3 key derivation with the AES-CM PRF and a key derivation
// rate of 0 (so r = 0 and the index never enters): x = label placed at
// octet 7 of the 14-octet salt, keystream from IV x * 2^16 under the master
// key. A 12-octet (AEAD, RFC 7714 §11) master salt is zero-padded on the
// right to 14 octets. key_len 16 or 32; salt_len 12 or 14; out_len any.
bool DeriveSessionKey(const uint8_t* master_key, size_t key_len,
                      const uint8_t* master_salt, size_t salt_len,
                      uint8_t label, uint8_t* out, size_t out_len);

// RFC 3711 §4.3.2 labels.
constexpr uint8_t kLabelRtpEncryption = 0x00;
constexpr uint8_t kLabelRtpAuth = 0x01;
constexpr uint8_t kLabelRtpSalt = 0x02;
constexpr uint8_t kLabelRtcpEncryption = 0x03;
constexpr uint8_t kLabelRtcpAuth = 0x04;
constexpr uint8_t kLabelRtcpSalt = 0x05;

}  // namespace webrtc_agent::srtp

#endif  // WEBRTC_AGENT_ADDON_SRTP_SRTP_CRYPTO_H_
