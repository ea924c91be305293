#include "srtp/srtp_crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include <climits>
#include <cstring>

namespace webrtc_agent::srtp {

namespace {

const EVP_CIPHER* CtrCipher(size_t key_len) {
  if (key_len == 16) return EVP_aes_128_ctr();
  if (key_len == 32) return EVP_aes_256_ctr();
  return nullptr;
}

const EVP_CIPHER* GcmCipher(size_t key_len) {
  if (key_len == 16) return EVP_aes_128_gcm();
  if (key_len == 32) return EVP_aes_256_gcm();
  return nullptr;
}

// EVP takes int lengths; everything here is a packet, far below INT_MAX,
// but a size_t must never be silently truncated into one.
bool FitsInt(size_t n) { return n <= static_cast<size_t>(INT_MAX); }

}  // namespace

void Cleanse(void* p, size_t n) { OPENSSL_cleanse(p, n); }

bool ConstantTimeEqual(const uint8_t* a, const uint8_t* b, size_t n) {
  return CRYPTO_memcmp(a, b, n) == 0;
}

bool AesCtr::Init(const uint8_t* key, size_t key_len) {
  const EVP_CIPHER* cipher = CtrCipher(key_len);
  if (cipher == nullptr) return false;
  ctx_.reset(EVP_CIPHER_CTX_new());
  if (!ctx_) return false;
  // The key schedule is computed here, once; Apply() only sets the IV.
  if (EVP_EncryptInit_ex(ctx_.get(), cipher, nullptr, key, nullptr) != 1) {
    ctx_.reset();
    return false;
  }
  return true;
}

bool AesCtr::Apply(const uint8_t iv[16], uint8_t* data, size_t n) {
  if (!ctx_ || !FitsInt(n)) return false;
  // NULL cipher and key: keep the schedule, reset counter and keystream
  // position to the new IV.
  if (EVP_EncryptInit_ex(ctx_.get(), nullptr, nullptr, nullptr, iv) != 1) {
    return false;
  }
  if (n == 0) return true;
  int out_len = 0;
  // In-place (out == in) is allowed for stream modes.
  return EVP_EncryptUpdate(ctx_.get(), data, &out_len, data,
                           static_cast<int>(n)) == 1 &&
         out_len == static_cast<int>(n);
}

bool AesGcm::Init(const uint8_t* key, size_t key_len, bool encrypt) {
  const EVP_CIPHER* cipher = GcmCipher(key_len);
  if (cipher == nullptr) return false;
  ctx_.reset(EVP_CIPHER_CTX_new());
  if (!ctx_) return false;
  encrypt_ = encrypt;
  // 12 bytes is OpenSSL's default GCM IV length, which is what RFC 7714
  // uses, so no EVP_CTRL_GCM_SET_IVLEN is needed.
  const int ok = encrypt
                     ? EVP_EncryptInit_ex(ctx_.get(), cipher, nullptr, key, nullptr)
                     : EVP_DecryptInit_ex(ctx_.get(), cipher, nullptr, key, nullptr);
  if (ok != 1) {
    ctx_.reset();
    return false;
  }
  return true;
}

bool AesGcm::Seal(const uint8_t iv[12], const uint8_t* aad1, size_t aad1_len,
                  const uint8_t* aad2, size_t aad2_len, uint8_t* data, size_t n,
                  uint8_t tag[16]) {
  if (!ctx_ || !encrypt_ || !FitsInt(n) || !FitsInt(aad1_len) ||
      !FitsInt(aad2_len)) {
    return false;
  }
  EVP_CIPHER_CTX* c = ctx_.get();
  int len = 0;
  if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, iv) != 1) return false;
  if (aad1_len > 0 &&
      EVP_EncryptUpdate(c, nullptr, &len, aad1, static_cast<int>(aad1_len)) != 1) {
    return false;
  }
  if (aad2_len > 0 &&
      EVP_EncryptUpdate(c, nullptr, &len, aad2, static_cast<int>(aad2_len)) != 1) {
    return false;
  }
  if (n > 0 &&
      EVP_EncryptUpdate(c, data, &len, data, static_cast<int>(n)) != 1) {
    return false;
  }
  uint8_t final_block[16];
  if (EVP_EncryptFinal_ex(c, final_block, &len) != 1) return false;
  return EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
}

bool AesGcm::Open(const uint8_t iv[12], const uint8_t* aad1, size_t aad1_len,
                  const uint8_t* aad2, size_t aad2_len, uint8_t* data, size_t n,
                  const uint8_t tag[16]) {
  if (!ctx_ || encrypt_ || !FitsInt(n) || !FitsInt(aad1_len) ||
      !FitsInt(aad2_len)) {
    return false;
  }
  EVP_CIPHER_CTX* c = ctx_.get();
  int len = 0;
  if (EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, iv) != 1) return false;
  if (aad1_len > 0 &&
      EVP_DecryptUpdate(c, nullptr, &len, aad1, static_cast<int>(aad1_len)) != 1) {
    return false;
  }
  if (aad2_len > 0 &&
      EVP_DecryptUpdate(c, nullptr, &len, aad2, static_cast<int>(aad2_len)) != 1) {
    return false;
  }
  if (n > 0 &&
      EVP_DecryptUpdate(c, data, &len, data, static_cast<int>(n)) != 1) {
    return false;
  }
  // SET_TAG takes a non-const pointer but only copies from it.
  uint8_t expected[16];
  std::memcpy(expected, tag, 16);
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, expected) != 1) {
    return false;
  }
  uint8_t final_block[16];
  // The tag comparison happens here (constant time inside OpenSSL).
  return EVP_DecryptFinal_ex(c, final_block, &len) == 1;
}

bool HmacSha1::Init(const uint8_t* key, size_t key_len) {
  mac_.reset(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac_) return false;
  ctx_.reset(EVP_MAC_CTX_new(mac_.get()));
  if (!ctx_) return false;
  char digest[] = "SHA1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx_.get(), key, key_len, params) != 1) {
    ctx_.reset();
    return false;
  }
  return true;
}

bool HmacSha1::Compute(const uint8_t* a, size_t a_len, const uint8_t* b,
                       size_t b_len, uint8_t out[20]) {
  if (!ctx_) return false;
  // NULL key: restart from the pads computed at Init (OpenSSL 3.0's HMAC
  // provider re-initialises with the stored key).
  if (EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1) return false;
  if (a_len > 0 && EVP_MAC_update(ctx_.get(), a, a_len) != 1) return false;
  if (b_len > 0 && EVP_MAC_update(ctx_.get(), b, b_len) != 1) return false;
  size_t out_len = 0;
  return EVP_MAC_final(ctx_.get(), out, &out_len, 20) == 1 && out_len == 20;
}

bool DeriveSessionKey(const uint8_t* master_key, size_t key_len,
                      const uint8_t* master_salt, size_t salt_len,
                      uint8_t label, uint8_t* out, size_t out_len) {
  if (salt_len != 12 && salt_len != 14) return false;
  AesCtr prf;
  if (!prf.Init(master_key, key_len)) return false;
  // IV = (master_salt XOR (label || r) aligned right in 14 octets) || 0x0000.
  // With kdr = 0, r is zero, so only the label at octet 7 changes the salt.
  uint8_t iv[16] = {0};
  std::memcpy(iv, master_salt, salt_len);
  iv[7] ^= label;
  // The PRF output is the keystream itself: encrypt zeros.
  std::memset(out, 0, out_len);
  const bool ok = prf.Apply(iv, out, out_len);
  Cleanse(iv, sizeof(iv));
  return ok;
}

}  // namespace webrtc_agent::srtp
