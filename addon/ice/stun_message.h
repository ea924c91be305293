// STUN messages (RFC 5389, the subset of RFC 8489 that ICE uses): a
// non-owning view that validates a datagram and exposes the attributes an
// ICE-lite agent reads, a builder for the responses it sends, and the two
// integrity mechanisms: MESSAGE-INTEGRITY (HMAC-SHA1, short-term
// credentials) and FINGERPRINT (CRC-32).
//
// Pure C++17 like addon/rtp: bytes in, bytes out, no Napi, no libuv, no
// sockets, no globals. Every input byte comes from the network, so every
// length is checked against the bytes present before it is used, and the
// number of attributes remembered is bounded.
#ifndef WEBRTC_AGENT_ADDON_ICE_STUN_MESSAGE_H_
#define WEBRTC_AGENT_ADDON_ICE_STUN_MESSAGE_H_

#include <cstddef>
#include <cstdint>

#include "rtp/byte_io.h"

// OpenSSL's types, declared rather than included so that users of this header
// do not pull in OpenSSL headers (the addon builds against Node's copy, the
// tests against Debian's).
typedef struct evp_mac_st EVP_MAC;
typedef struct evp_mac_ctx_st EVP_MAC_CTX;

namespace webrtc_agent::ice {

using rtp::ByteSpan;

constexpr size_t kStunHeaderSize = 20;
constexpr size_t kStunTransactionIdSize = 12;
constexpr uint32_t kStunMagicCookie = 0x2112A442;
// FINGERPRINT is the CRC-32 of the message XOR'ed with this ("STUN"), so that
// it differs from a CRC that another protocol on the port might carry.
constexpr uint32_t kStunFingerprintXor = 0x5354554E;
constexpr size_t kHmacSha1Size = 20;

// A message may carry any number of attributes up to its length; only this
// many are remembered. A browser's Binding request has fewer than ten
// (USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, a few vendor ones,
// MESSAGE-INTEGRITY, FINGERPRINT); a message with more is refused rather than
// walked again and again by every accessor.
constexpr size_t kStunMaxAttributes = 32;
// RFC 5389 §15.3: USERNAME is less than 513 bytes.
constexpr size_t kStunMaxUsernameSize = 512;

// Message type = method + class (RFC 5389 §6). Only Binding is used by ICE.
constexpr uint16_t kStunMethodBinding = 0x001;
constexpr uint16_t kStunBindingRequest = 0x0001;
constexpr uint16_t kStunBindingIndication = 0x0011;
constexpr uint16_t kStunBindingSuccess = 0x0101;
constexpr uint16_t kStunBindingError = 0x0111;

enum class StunClass : uint8_t {
  kRequest = 0,
  kIndication = 1,
  kSuccessResponse = 2,
  kErrorResponse = 3,
};

// Attribute types (RFC 5389 §18.2, RFC 8445 §16.1).
constexpr uint16_t kAttrMappedAddress = 0x0001;
constexpr uint16_t kAttrUsername = 0x0006;
constexpr uint16_t kAttrMessageIntegrity = 0x0008;
constexpr uint16_t kAttrErrorCode = 0x0009;
constexpr uint16_t kAttrUnknownAttributes = 0x000A;
constexpr uint16_t kAttrXorMappedAddress = 0x0020;
constexpr uint16_t kAttrPriority = 0x0024;
constexpr uint16_t kAttrUseCandidate = 0x0025;
constexpr uint16_t kAttrSoftware = 0x8022;
constexpr uint16_t kAttrFingerprint = 0x8028;
constexpr uint16_t kAttrIceControlled = 0x8029;
constexpr uint16_t kAttrIceControlling = 0x802A;

// Error codes an ICE-lite agent sends (RFC 5389 §15.6, RFC 8445 §7.3.1.1).
constexpr uint16_t kStunErrorBadRequest = 400;
constexpr uint16_t kStunErrorUnauthorized = 401;
constexpr uint16_t kStunErrorRoleConflict = 487;

// A transport address. IPv4 addresses live in ip[0..3]; the rest is zero so
// that equality can compare the whole array.
struct Address {
  enum Family : uint8_t { kNone = 0, kIPv4 = 1, kIPv6 = 2 };
  Family family = kNone;
  uint16_t port = 0;
  uint8_t ip[16] = {};
  // Reached over ICE-TCP (RFC 6544) rather than UDP. Not on the wire (a
  // STUN address has no protocol); part of equality, because a candidate
  // pair is a 5-tuple and a TCP peer may have a UDP peer's ip:port.
  bool tcp = false;

  static Address V4(const uint8_t ip4[4], uint16_t port);
  static Address V6(const uint8_t ip6[16], uint16_t port);
  bool operator==(const Address& o) const;
  bool operator!=(const Address& o) const { return !(*this == o); }
};

// Why a datagram is not a usable STUN message. The first group means "not
// STUN at all" (RFC 5389 §7.3: silently discarded, since the port also
// carries DTLS and RTP and a reply would be a reflection of arbitrary bytes);
// the second means a well-framed STUN message whose attributes are wrong,
// which a server answers with 400 when it is a request.
enum class StunParseResult : uint8_t {
  kOk,
  // Not STUN: shorter than the header, top two bits not 0, wrong magic
  // cookie, length not a multiple of 4 or not matching the datagram.
  kNotStun,
  // Framed STUN, malformed body: an attribute running past the end, more
  // than kStunMaxAttributes, an attribute after FINGERPRINT, or a known
  // attribute with an impossible length.
  kMalformed,
};

struct StunAttribute {
  uint16_t type = 0;
  uint16_t offset = 0;  // of the 4-byte attribute header, from message start
  ByteSpan value;       // length as declared (padding not included)
};

// HMAC-SHA1 through OpenSSL 3.0's EVP_MAC. The algorithm is fetched once per
// object (EVP_MAC_fetch looks it up in the provider tables, which is too slow
// to do per packet) and each Compute re-keys the context. Not copyable; not
// thread-safe (one per agent, each agent lives on one node thread).
class HmacSha1 {
 public:
  HmacSha1();
  ~HmacSha1();
  HmacSha1(const HmacSha1&) = delete;
  HmacSha1& operator=(const HmacSha1&) = delete;

  // False if OpenSSL could not provide HMAC/SHA1 (e.g. a FIPS-only
  // configuration): every Compute then fails and checks fail closed.
  bool ok() const { return ctx_ != nullptr; }

  // HMAC over the concatenation of `count` parts. False on any OpenSSL error.
  bool Compute(const uint8_t* key, size_t key_size, const ByteSpan* parts,
               size_t count, uint8_t out[kHmacSha1Size]);

 private:
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;
};

// CRC-32 (ISO 3309 / ITU-T V.42, the one FINGERPRINT names), table-driven.
uint32_t Crc32(const uint8_t* data, size_t size);

class StunMessageView {
 public:
  StunMessageView(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  // Validates the header, then walks the attributes. The header accessors
  // are meaningful unless the result is kNotStun; the attribute accessors
  // only when it is kOk.
  StunParseResult Parse();

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  uint16_t type() const { return type_; }
  uint16_t method() const;
  StunClass stunClass() const;
  const uint8_t* transactionId() const { return data_ + 8; }

  size_t attributeCount() const { return count_; }
  const StunAttribute& attribute(size_t i) const { return attrs_[i]; }
  // First occurrence of an attribute type (RFC 5389 §15: later duplicates
  // are ignored). Attributes after MESSAGE-INTEGRITY other than FINGERPRINT
  // are not visible (RFC 5389 §15.4: they are not covered by the HMAC and
  // must be ignored). Absent: nullptr.
  const StunAttribute* Find(uint16_t type) const;

  ByteSpan username() const;
  bool hasMessageIntegrity() const { return integrity_ >= 0; }
  // Offset of the MESSAGE-INTEGRITY attribute header; 0 when absent.
  size_t messageIntegrityOffset() const;
  bool hasFingerprint() const { return fingerprint_ >= 0; }
  // The FINGERPRINT value as carried; 0 when absent.
  uint32_t fingerprint() const;
  bool priority(uint32_t* out) const;
  bool useCandidate() const { return Find(kAttrUseCandidate) != nullptr; }
  bool iceControlling(uint64_t* tie_breaker) const;
  bool iceControlled(uint64_t* tie_breaker) const;
  // False when absent or when the family is neither IPv4 with 4 address
  // bytes nor IPv6 with 16.
  bool xorMappedAddress(Address* out) const;
  // code = class * 100 + number; reason is the UTF-8 phrase.
  bool errorCode(uint16_t* code, ByteSpan* reason) const;

  // FINGERPRINT present and equal to the CRC-32 of everything before it.
  bool CheckFingerprint() const;
  // MESSAGE-INTEGRITY present and equal to the HMAC-SHA1, keyed with `key`,
  // of the message up to the attribute, the header's length field set as if
  // MESSAGE-INTEGRITY were the last attribute (RFC 5389 §15.4). Compared in
  // constant time: an early-exit compare would leak how many leading bytes
  // of a forged HMAC are right.
  bool CheckMessageIntegrity(HmacSha1* hmac, const uint8_t* key,
                             size_t key_size) const;

 private:
  StunParseResult Walk();

  const uint8_t* data_;
  size_t size_;
  uint16_t type_ = 0;
  bool parsed_ = false;
  size_t count_ = 0;
  StunAttribute attrs_[kStunMaxAttributes];
  // Indices into attrs_ (not pointers, so that a copied view stays right);
  // -1 when absent.
  int integrity_ = -1;
  int fingerprint_ = -1;
};

// Writes a STUN message into a caller's buffer. Any write that does not fit
// marks the builder failed; size() is then 0, so a truncated message can
// never be sent. MESSAGE-INTEGRITY and FINGERPRINT, when used, go last and
// in that order.
class StunMessageBuilder {
 public:
  StunMessageBuilder(uint8_t* buffer, size_t capacity);

  // Padding bytes are ignored by receivers (RFC 5389 §15) and may be any
  // value; zero unless set (the RFC 5769 vectors pad with spaces).
  void setPaddingByte(uint8_t b) { padding_byte_ = b; }

  bool Start(uint16_t type, const uint8_t transaction_id[kStunTransactionIdSize]);
  bool AddAttribute(uint16_t type, const uint8_t* value, size_t size);
  bool AddXorMappedAddress(const Address& address);
  // 300..699 (RFC 5389 §15.6).
  bool AddErrorCode(uint16_t code, const char* reason);
  bool AddMessageIntegrity(HmacSha1* hmac, const uint8_t* key, size_t key_size);
  bool AddFingerprint();

  bool ok() const { return ok_; }
  size_t size() const { return ok_ ? size_ : 0; }

 private:
  bool Reserve(size_t attr_value_size, uint8_t** value);
  void SetLength(size_t body_size);

  uint8_t* buf_;
  size_t cap_;
  size_t size_ = 0;
  bool ok_ = false;
  uint8_t padding_byte_ = 0;
};

// The reason phrases sent with our error codes.
const char* StunErrorReason(uint16_t code);

}  // namespace webrtc_agent::ice

#endif  // WEBRTC_AGENT_ADDON_ICE_STUN_MESSAGE_H_
