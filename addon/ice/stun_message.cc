#include "ice/stun_message.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <cstring>

namespace webrtc_agent::ice {

using rtp::LoadU16;
using rtp::LoadU32;
using rtp::StoreU16;
using rtp::StoreU32;

namespace {

size_t Padded(size_t n) { return (n + 3) & ~static_cast<size_t>(3); }

uint64_t LoadU64(const uint8_t* p) {
  return (static_cast<uint64_t>(LoadU32(p)) << 32) | LoadU32(p + 4);
}

// Length rules for the attributes we interpret. A wrong length on one of
// these makes the whole message malformed (400), rather than making the
// accessor quietly report "absent", which for USE-CANDIDATE or
// ICE-CONTROLLED would change what the agent decides.
bool KnownLengthOk(uint16_t type, size_t len) {
  switch (type) {
    case kAttrUsername: return len <= kStunMaxUsernameSize;
    case kAttrMessageIntegrity: return len == kHmacSha1Size;
    case kAttrFingerprint: return len == 4;
    case kAttrPriority: return len == 4;
    case kAttrUseCandidate: return len == 0;
    case kAttrIceControlled:
    case kAttrIceControlling: return len == 8;
    case kAttrXorMappedAddress: return len == 8 || len == 20;
    case kAttrErrorCode: return len >= 4 && len <= 4 + 763;  // §15.6: reason < 128 chars
    default: return true;
  }
}

// The CRC-32 table is computed by the compiler: a constant, not a mutable
// global, and nothing to initialise at load time on each node thread.
constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}

constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

}  // namespace

// ------------------------------------------------------------ Address ----

Address Address::V4(const uint8_t ip4[4], uint16_t port) {
  Address a;
  a.family = kIPv4;
  a.port = port;
  std::memcpy(a.ip, ip4, 4);
  return a;
}

Address Address::V6(const uint8_t ip6[16], uint16_t port) {
  Address a;
  a.family = kIPv6;
  a.port = port;
  std::memcpy(a.ip, ip6, 16);
  return a;
}

bool Address::operator==(const Address& o) const {
  return family == o.family && port == o.port && tcp == o.tcp &&
         std::memcmp(ip, o.ip, sizeof(ip)) == 0;
}

// ------------------------------------------------------------- crypto ----

uint32_t Crc32(const uint8_t* data, size_t size) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) c = kCrcTable[(c ^ data[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

HmacSha1::HmacSha1() {
  mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac_ != nullptr) ctx_ = EVP_MAC_CTX_new(mac_);
}

HmacSha1::~HmacSha1() {
  EVP_MAC_CTX_free(ctx_);
  EVP_MAC_free(mac_);
}

bool HmacSha1::Compute(const uint8_t* key, size_t key_size,
                       const ByteSpan* parts, size_t count,
                       uint8_t out[kHmacSha1Size]) {
  if (ctx_ == nullptr) return false;
  // EVP_MAC_init rejects a NULL key with length 0; an empty password is
  // never valid for ICE anyway (RFC 8445 §5.3: at least 128 bits).
  if (key == nullptr || key_size == 0) return false;
  char digest[] = "SHA1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(ctx_, key, key_size, params) != 1) return false;
  for (size_t i = 0; i < count; ++i) {
    if (parts[i].size == 0) continue;
    if (EVP_MAC_update(ctx_, parts[i].data, parts[i].size) != 1) return false;
  }
  size_t len = 0;
  if (EVP_MAC_final(ctx_, out, &len, kHmacSha1Size) != 1) return false;
  return len == kHmacSha1Size;
}

// ------------------------------------------------------------- parser ----

StunParseResult StunMessageView::Parse() {
  const StunParseResult r = Walk();
  if (r != StunParseResult::kOk) {
    // Nothing half-parsed stays visible (e.g. a FINGERPRINT seen before the
    // walk failed).
    count_ = 0;
    integrity_ = -1;
    fingerprint_ = -1;
  }
  parsed_ = r == StunParseResult::kOk;
  return r;
}

StunParseResult StunMessageView::Walk() {
  parsed_ = false;
  count_ = 0;
  integrity_ = -1;
  fingerprint_ = -1;
  type_ = 0;
  // RFC 5389 §6/§7.3: the top two bits are 0 (RFC 7983 demux relies on it),
  // the cookie is fixed, and the length counts the attribute bytes, always
  // a multiple of 4. A length that disagrees with the datagram means a
  // truncated or padded datagram, or not STUN at all.
  if (data_ == nullptr || size_ < kStunHeaderSize) return StunParseResult::kNotStun;
  if ((data_[0] & 0xC0) != 0) return StunParseResult::kNotStun;
  if (LoadU32(data_ + 4) != kStunMagicCookie) return StunParseResult::kNotStun;
  const size_t length = LoadU16(data_ + 2);
  if ((length & 3) != 0 || length != size_ - kStunHeaderSize) {
    return StunParseResult::kNotStun;
  }
  type_ = LoadU16(data_);

  size_t pos = kStunHeaderSize;
  while (pos < size_) {
    // Compared as "bytes left" so no sum of lengths can wrap.
    if (size_ - pos < 4) return StunParseResult::kMalformed;
    if (fingerprint_ >= 0) {
      return StunParseResult::kMalformed;  // §15.5: FINGERPRINT is last
    }
    const uint16_t type = LoadU16(data_ + pos);
    const size_t len = LoadU16(data_ + pos + 2);
    if (len > size_ - pos - 4) return StunParseResult::kMalformed;
    // The last attribute's padding must be inside the message too: the
    // header length is a multiple of 4, so a short last pad is a lie.
    if (Padded(len) > size_ - pos - 4) return StunParseResult::kMalformed;
    if (!KnownLengthOk(type, len)) return StunParseResult::kMalformed;
    if (count_ == kStunMaxAttributes) return StunParseResult::kMalformed;
    StunAttribute& a = attrs_[count_++];
    a.type = type;
    a.offset = static_cast<uint16_t>(pos);
    a.value.data = data_ + pos + 4;
    a.value.size = len;
    if (type == kAttrFingerprint) {
      fingerprint_ = static_cast<int>(count_ - 1);
    } else if (type == kAttrMessageIntegrity && integrity_ < 0) {
      integrity_ = static_cast<int>(count_ - 1);
    }
    pos += 4 + Padded(len);
  }
  return StunParseResult::kOk;
}

uint16_t StunMessageView::method() const {
  // The 12 method bits are interleaved with the two class bits (§6).
  return static_cast<uint16_t>((type_ & 0x000F) | ((type_ & 0x00E0) >> 1) |
                               ((type_ & 0x3E00) >> 2));
}

StunClass StunMessageView::stunClass() const {
  return static_cast<StunClass>(((type_ >> 4) & 1) | ((type_ >> 7) & 2));
}

const StunAttribute* StunMessageView::Find(uint16_t type) const {
  if (!parsed_) return nullptr;
  for (size_t i = 0; i < count_; ++i) {
    const StunAttribute* a = &attrs_[i];
    // Past MESSAGE-INTEGRITY only FINGERPRINT counts (§15.4).
    if (integrity_ >= 0 && i > static_cast<size_t>(integrity_) &&
        a->type != kAttrFingerprint) {
      return nullptr;
    }
    if (a->type == type) return a;
  }
  return nullptr;
}

ByteSpan StunMessageView::username() const {
  const StunAttribute* a = Find(kAttrUsername);
  return a != nullptr ? a->value : ByteSpan{};
}

size_t StunMessageView::messageIntegrityOffset() const {
  return integrity_ >= 0 ? attrs_[integrity_].offset : 0;
}

uint32_t StunMessageView::fingerprint() const {
  return fingerprint_ >= 0 ? LoadU32(attrs_[fingerprint_].value.data) : 0;
}

bool StunMessageView::priority(uint32_t* out) const {
  const StunAttribute* a = Find(kAttrPriority);
  if (a == nullptr) return false;
  *out = LoadU32(a->value.data);
  return true;
}

bool StunMessageView::iceControlling(uint64_t* tie_breaker) const {
  const StunAttribute* a = Find(kAttrIceControlling);
  if (a == nullptr) return false;
  if (tie_breaker != nullptr) *tie_breaker = LoadU64(a->value.data);
  return true;
}

bool StunMessageView::iceControlled(uint64_t* tie_breaker) const {
  const StunAttribute* a = Find(kAttrIceControlled);
  if (a == nullptr) return false;
  if (tie_breaker != nullptr) *tie_breaker = LoadU64(a->value.data);
  return true;
}

bool StunMessageView::xorMappedAddress(Address* out) const {
  const StunAttribute* a = Find(kAttrXorMappedAddress);
  if (a == nullptr) return false;
  const uint8_t* v = a->value.data;
  const uint8_t family = v[1];
  // X-Port is XOR'ed with the cookie's top 16 bits, the address with the
  // cookie (IPv4) or cookie + transaction id (IPv6), RFC 5389 §15.2.
  const uint16_t port = LoadU16(v + 2) ^ static_cast<uint16_t>(kStunMagicCookie >> 16);
  uint8_t key[16];
  StoreU32(key, kStunMagicCookie);
  std::memcpy(key + 4, transactionId(), kStunTransactionIdSize);
  uint8_t ip[16];
  if (family == 0x01 && a->value.size == 8) {
    for (int i = 0; i < 4; ++i) ip[i] = v[4 + i] ^ key[i];
    *out = Address::V4(ip, port);
    return true;
  }
  if (family == 0x02 && a->value.size == 20) {
    for (int i = 0; i < 16; ++i) ip[i] = v[4 + i] ^ key[i];
    *out = Address::V6(ip, port);
    return true;
  }
  return false;
}

bool StunMessageView::errorCode(uint16_t* code, ByteSpan* reason) const {
  const StunAttribute* a = Find(kAttrErrorCode);
  if (a == nullptr) return false;
  const uint8_t* v = a->value.data;
  const unsigned cls = v[2] & 0x07;
  const unsigned number = v[3];
  if (cls < 3 || cls > 6 || number > 99) return false;
  *code = static_cast<uint16_t>(cls * 100 + number);
  if (reason != nullptr) {
    reason->data = v + 4;
    reason->size = a->value.size - 4;
  }
  return true;
}

bool StunMessageView::CheckFingerprint() const {
  if (!parsed_ || fingerprint_ < 0) return false;
  // FINGERPRINT is last, so the header's length already covers it, exactly
  // as when the sender computed the CRC (§15.5).
  const uint32_t crc = Crc32(data_, attrs_[fingerprint_].offset) ^ kStunFingerprintXor;
  return crc == fingerprint();
}

bool StunMessageView::CheckMessageIntegrity(HmacSha1* hmac, const uint8_t* key,
                                            size_t key_size) const {
  if (!parsed_ || integrity_ < 0 || hmac == nullptr) return false;
  const size_t mi = attrs_[integrity_].offset;
  // §15.4: the HMAC covers the header and the attributes before
  // MESSAGE-INTEGRITY, with the length field counting up to and including
  // MESSAGE-INTEGRITY (so a FINGERPRINT added afterwards does not change
  // it). Only the header is copied to patch the length.
  uint8_t header[kStunHeaderSize];
  std::memcpy(header, data_, kStunHeaderSize);
  StoreU16(header + 2, static_cast<uint16_t>(mi + 4 + kHmacSha1Size - kStunHeaderSize));
  const ByteSpan parts[2] = {{header, kStunHeaderSize},
                             {data_ + kStunHeaderSize, mi - kStunHeaderSize}};
  uint8_t expected[kHmacSha1Size];
  if (!hmac->Compute(key, key_size, parts, 2, expected)) return false;
  return CRYPTO_memcmp(expected, attrs_[integrity_].value.data, kHmacSha1Size) == 0;
}

// ------------------------------------------------------------ builder ----

StunMessageBuilder::StunMessageBuilder(uint8_t* buffer, size_t capacity)
    : buf_(buffer), cap_(capacity) {}

bool StunMessageBuilder::Start(uint16_t type,
                               const uint8_t transaction_id[kStunTransactionIdSize]) {
  ok_ = false;
  size_ = 0;
  if (buf_ == nullptr || cap_ < kStunHeaderSize || (type & 0xC000) != 0) return false;
  StoreU16(buf_, type);
  StoreU16(buf_ + 2, 0);
  StoreU32(buf_ + 4, kStunMagicCookie);
  std::memcpy(buf_ + 8, transaction_id, kStunTransactionIdSize);
  size_ = kStunHeaderSize;
  ok_ = true;
  return true;
}

void StunMessageBuilder::SetLength(size_t body_size) {
  StoreU16(buf_ + 2, static_cast<uint16_t>(body_size));
}

bool StunMessageBuilder::Reserve(size_t value_size, uint8_t** value) {
  if (!ok_) return false;
  const size_t need = 4 + Padded(value_size);
  // The length field is 16 bits; cap_ - size_ is "bytes left".
  if (value_size > 0xFFFF || need > cap_ - size_ ||
      size_ - kStunHeaderSize + need > 0xFFFF) {
    ok_ = false;
    return false;
  }
  *value = buf_ + size_ + 4;
  std::memset(*value + value_size, padding_byte_, Padded(value_size) - value_size);
  return true;
}

bool StunMessageBuilder::AddAttribute(uint16_t type, const uint8_t* value, size_t size) {
  uint8_t* v = nullptr;
  if (!Reserve(size, &v)) return false;
  StoreU16(buf_ + size_, type);
  StoreU16(buf_ + size_ + 2, static_cast<uint16_t>(size));
  if (size > 0) std::memcpy(v, value, size);
  size_ += 4 + Padded(size);
  SetLength(size_ - kStunHeaderSize);
  return true;
}

bool StunMessageBuilder::AddXorMappedAddress(const Address& address) {
  if (!ok_) return false;
  uint8_t key[16];
  StoreU32(key, kStunMagicCookie);
  std::memcpy(key + 4, buf_ + 8, kStunTransactionIdSize);
  uint8_t v[20];
  v[0] = 0;
  StoreU16(v + 2, address.port ^ static_cast<uint16_t>(kStunMagicCookie >> 16));
  size_t n = 0;
  if (address.family == Address::kIPv4) {
    v[1] = 0x01;
    n = 4;
  } else if (address.family == Address::kIPv6) {
    v[1] = 0x02;
    n = 16;
  } else {
    ok_ = false;
    return false;
  }
  for (size_t i = 0; i < n; ++i) v[4 + i] = address.ip[i] ^ key[i];
  return AddAttribute(kAttrXorMappedAddress, v, 4 + n);
}

bool StunMessageBuilder::AddErrorCode(uint16_t code, const char* reason) {
  if (code < 300 || code > 699 || reason == nullptr) {
    ok_ = false;
    return false;
  }
  const size_t len = std::strlen(reason);
  if (len > 763) {
    ok_ = false;
    return false;
  }
  uint8_t v[4 + 763];
  v[0] = 0;
  v[1] = 0;
  v[2] = static_cast<uint8_t>(code / 100);
  v[3] = static_cast<uint8_t>(code % 100);
  std::memcpy(v + 4, reason, len);
  return AddAttribute(kAttrErrorCode, v, 4 + len);
}

bool StunMessageBuilder::AddMessageIntegrity(HmacSha1* hmac, const uint8_t* key,
                                             size_t key_size) {
  uint8_t* v = nullptr;
  if (hmac == nullptr || !Reserve(kHmacSha1Size, &v)) {
    ok_ = false;
    return false;
  }
  // The length field must already count MESSAGE-INTEGRITY when hashed.
  const size_t start = size_;
  SetLength(start + 4 + kHmacSha1Size - kStunHeaderSize);
  const ByteSpan part{buf_, start};
  uint8_t mac[kHmacSha1Size];
  if (!hmac->Compute(key, key_size, &part, 1, mac)) {
    ok_ = false;
    return false;
  }
  StoreU16(buf_ + start, kAttrMessageIntegrity);
  StoreU16(buf_ + start + 2, kHmacSha1Size);
  std::memcpy(v, mac, kHmacSha1Size);
  size_ = start + 4 + kHmacSha1Size;
  return true;
}

bool StunMessageBuilder::AddFingerprint() {
  uint8_t* v = nullptr;
  if (!Reserve(4, &v)) return false;
  const size_t start = size_;
  SetLength(start + 8 - kStunHeaderSize);
  const uint32_t crc = Crc32(buf_, start) ^ kStunFingerprintXor;
  StoreU16(buf_ + start, kAttrFingerprint);
  StoreU16(buf_ + start + 2, 4);
  StoreU32(v, crc);
  size_ = start + 8;
  return true;
}

const char* StunErrorReason(uint16_t code) {
  switch (code) {
    case kStunErrorBadRequest: return "Bad Request";
    case kStunErrorUnauthorized: return "Unauthorized";
    case kStunErrorRoleConflict: return "Role Conflict";
    default: return "Error";
  }
}

}  // namespace webrtc_agent::ice
