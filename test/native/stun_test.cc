// Unit tests for addon/ice: a plain program (no framework, no addon, no
// Node) built with ASan+UBSan by test/native/stun.test.ts and linked with
// -lcrypto. The STUN parser and builder are checked against the RFC 5769
// test vectors; the ICE-lite agent is driven with requests built here, the
// way a browser builds them (RFC 8445 §7.2.2).
//
// Prints "stun_test: N checks passed, M failed" last; exits 1 if M > 0. The
// tap wrapper checks N too, so a build that runs no checks cannot pass.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "check.h"
#include "ice/ice_lite.h"
#include "ice/stun_message.h"
#include "rtp/byte_io.h"

namespace {

using Bytes = std::vector<uint8_t>;
using namespace webrtc_agent::ice;
using webrtc_agent::rtp::LoadU16;
using webrtc_agent::rtp::LoadU32;
using webrtc_agent::rtp::StoreU16;

const uint8_t* U8(const char* s) { return reinterpret_cast<const uint8_t*>(s); }

bool SpanIs(ByteSpan s, const char* want) {
  const size_t n = std::strlen(want);
  return s.present() && s.size == n && std::memcmp(s.data, want, n) == 0;
}

// ------------------------------------------------- RFC 5769 vectors ----

// §2.1 Sample Request: SOFTWARE "STUN test client", PRIORITY, ICE-CONTROLLED, USERNAME
// "evtj:h6vY", MESSAGE-INTEGRITY, FINGERPRINT. Padding bytes are spaces.
const Bytes kRfc5769Request = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10,
    0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c,
    0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
    0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
    0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
    0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

// §2.2 Sample IPv4 Response: SOFTWARE "test vector", XOR-MAPPED-ADDRESS
// 192.0.2.1:32853, MESSAGE-INTEGRITY, FINGERPRINT.
const Bytes kRfc5769ResponseV4 = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
    0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
    0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
    0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

// §2.3 Sample IPv6 Response: XOR-MAPPED-ADDRESS
// [2001:db8:1234:5678:11:2233:4455:6677]:32853.
const Bytes kRfc5769ResponseV6 = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
    0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
    0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1,
    0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
    0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

const char kRfc5769Password[] = "VOkJxbRl1RmTxUk/WvJxBt";

void TestCrc32() {
  // The standard check value of CRC-32 (ISO-HDLC).
  CHECK_EQ(Crc32(U8("123456789"), 9), 0xCBF43926u);
  CHECK_EQ(Crc32(nullptr, 0), 0u);
}

void TestRfc5769Request() {
  HmacSha1 hmac;
  CHECK(hmac.ok());
  StunMessageView v(kRfc5769Request.data(), kRfc5769Request.size());
  CHECK(v.Parse() == StunParseResult::kOk);
  CHECK_EQ(v.type(), kStunBindingRequest);
  CHECK_EQ(v.method(), kStunMethodBinding);
  CHECK(v.stunClass() == StunClass::kRequest);
  CHECK(std::memcmp(v.transactionId(), kRfc5769Request.data() + 8, 12) == 0);
  CHECK_EQ(v.attributeCount(), 6u);
  CHECK(SpanIs(v.username(), "evtj:h6vY"));
  uint32_t prio = 0;
  CHECK(v.priority(&prio));
  CHECK_EQ(prio, 0x6e0001ffu);
  uint64_t tie = 0;
  CHECK(v.iceControlled(&tie));
  CHECK_EQ(tie, 0x932ff9b151263b36ull);
  CHECK(!v.iceControlling(nullptr));
  CHECK(!v.useCandidate());
  CHECK(v.hasMessageIntegrity());
  CHECK_EQ(v.messageIntegrityOffset(), 76u);
  CHECK(v.hasFingerprint());
  CHECK_EQ(v.fingerprint(), 0xe57a3bcfu);
  CHECK(v.CheckFingerprint());
  CHECK(v.CheckMessageIntegrity(&hmac, U8(kRfc5769Password), std::strlen(kRfc5769Password)));
  CHECK(!v.CheckMessageIntegrity(&hmac, U8("VOkJxbRl1RmTxUk/WvJxBu"), 22));
  const StunAttribute* sw = v.Find(kAttrSoftware);
  CHECK(sw != nullptr && sw->value.size == 16);

  // A copied view answers the same (it keeps indices, not pointers).
  const StunMessageView copy = v;
  CHECK(copy.CheckFingerprint());
  CHECK(copy.CheckMessageIntegrity(&hmac, U8(kRfc5769Password), 22));
  CHECK_EQ(copy.messageIntegrityOffset(), 76u);

  // One flipped bit anywhere before MESSAGE-INTEGRITY breaks the HMAC (and
  // the CRC); after it, only the CRC.
  Bytes bad = kRfc5769Request;
  bad[30] ^= 0x01;  // inside SOFTWARE
  StunMessageView b(bad.data(), bad.size());
  CHECK(b.Parse() == StunParseResult::kOk);
  CHECK(!b.CheckFingerprint());
  CHECK(!b.CheckMessageIntegrity(&hmac, U8(kRfc5769Password), 22));
  bad = kRfc5769Request;
  bad[bad.size() - 1] ^= 0x80;
  StunMessageView f(bad.data(), bad.size());
  CHECK(f.Parse() == StunParseResult::kOk);
  CHECK(!f.CheckFingerprint());
  CHECK(f.CheckMessageIntegrity(&hmac, U8(kRfc5769Password), 22));
}

void CheckRfc5769Response(const Bytes& vec, const Address& want) {
  HmacSha1 hmac;
  StunMessageView v(vec.data(), vec.size());
  CHECK(v.Parse() == StunParseResult::kOk);
  CHECK_EQ(v.type(), kStunBindingSuccess);
  CHECK(v.stunClass() == StunClass::kSuccessResponse);
  Address got;
  CHECK(v.xorMappedAddress(&got));
  CHECK(got == want);
  CHECK(v.CheckFingerprint());
  CHECK(v.CheckMessageIntegrity(&hmac, U8(kRfc5769Password), 22));
  const StunAttribute* sw = v.Find(kAttrSoftware);
  CHECK(sw != nullptr && sw->value.size == 11);

  // Rebuilt with our builder, byte for byte: the vectors pad with spaces.
  uint8_t out[256];
  StunMessageBuilder b(out, sizeof(out));
  b.setPaddingByte(0x20);
  CHECK(b.Start(kStunBindingSuccess, vec.data() + 8));
  CHECK(b.AddAttribute(kAttrSoftware, U8("test vector"), 11));
  CHECK(b.AddXorMappedAddress(want));
  CHECK(b.AddMessageIntegrity(&hmac, U8(kRfc5769Password), 22));
  CHECK(b.AddFingerprint());
  CHECK_EQ(b.size(), vec.size());
  CHECK(b.size() == vec.size() && std::memcmp(out, vec.data(), vec.size()) == 0);
}

void TestRfc5769Responses() {
  const uint8_t v4[4] = {192, 0, 2, 1};
  CheckRfc5769Response(kRfc5769ResponseV4, Address::V4(v4, 32853));
  const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
                          0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
  CheckRfc5769Response(kRfc5769ResponseV6, Address::V6(v6, 32853));
}

// --------------------------------------------------- parser errors ----

void TestParseRejects() {
  const Bytes& r = kRfc5769Request;
  // Header-level failures: not STUN at all.
  StunMessageView empty(nullptr, 0);
  CHECK(empty.Parse() == StunParseResult::kNotStun);
  for (size_t n : {size_t{0}, size_t{1}, size_t{19}, size_t{20}, size_t{50}, r.size() - 1, r.size() - 4}) {
    StunMessageView v(r.data(), n);
    CHECK(v.Parse() == StunParseResult::kNotStun);  // length field disagrees
  }
  Bytes x = r;
  x[0] |= 0x80;  // top bits: RTP/DTLS range, not STUN
  CHECK(StunMessageView(x.data(), x.size()).Parse() == StunParseResult::kNotStun);
  x = r;
  x[5] ^= 1;  // cookie
  CHECK(StunMessageView(x.data(), x.size()).Parse() == StunParseResult::kNotStun);
  x = r;
  x.push_back(0);
  x.push_back(0);
  StoreU16(x.data() + 2, static_cast<uint16_t>(x.size() - 20));  // 0x5a: not a multiple of 4
  CHECK(StunMessageView(x.data(), x.size()).Parse() == StunParseResult::kNotStun);

  // Framed, but an attribute lies about its length.
  x = r;
  StoreU16(x.data() + 22, 0x0100);  // SOFTWARE claims 256 bytes
  CHECK(StunMessageView(x.data(), x.size()).Parse() == StunParseResult::kMalformed);
  x = r;
  StoreU16(x.data() + 22, 0x0011);  // 17 bytes: padding would run past FINGERPRINT
  {
    StunMessageView v(x.data(), x.size());
    // Still inside the message: it misaligns the walk, which then fails.
    CHECK(v.Parse() == StunParseResult::kMalformed);
  }
  // Known attributes with impossible lengths.
  x = r;
  StoreU16(x.data() + 42, 3);  // PRIORITY length 3
  CHECK(StunMessageView(x.data(), x.size()).Parse() == StunParseResult::kMalformed);
  // An attribute after FINGERPRINT.
  x = r;
  x.insert(x.end(), {0x80, 0x22, 0x00, 0x00});
  StoreU16(x.data() + 2, static_cast<uint16_t>(x.size() - 20));
  {
    StunMessageView v(x.data(), x.size());
    CHECK(v.Parse() == StunParseResult::kMalformed);
    // Nothing of the failed walk stays visible.
    CHECK(!v.hasFingerprint());
    CHECK(!v.hasMessageIntegrity());
    CHECK_EQ(v.attributeCount(), 0u);
  }
  // Three bytes left after the last attribute: no room for a header.
  // (Built by hand: header + one empty attribute + 4 bytes of a cut one.)
  Bytes cut = {0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6,
               7, 8, 9, 10, 11, 12, 0x80, 0x22, 0x00, 0x00, 0x80, 0x22, 0x00, 0x01};
  CHECK(StunMessageView(cut.data(), cut.size()).Parse() == StunParseResult::kMalformed);

  // The attribute count is bounded.
  Bytes many = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6,
                7, 8, 9, 10, 11, 12};
  for (size_t i = 0; i < kStunMaxAttributes; ++i) many.insert(many.end(), {0x80, 0x22, 0, 0});
  StoreU16(many.data() + 2, static_cast<uint16_t>(many.size() - 20));
  CHECK(StunMessageView(many.data(), many.size()).Parse() == StunParseResult::kOk);
  many.insert(many.end(), {0x80, 0x22, 0, 0});
  StoreU16(many.data() + 2, static_cast<uint16_t>(many.size() - 20));
  CHECK(StunMessageView(many.data(), many.size()).Parse() == StunParseResult::kMalformed);

  // Accessors on a message that did not parse report nothing.
  StunMessageView bad(r.data(), 30);
  CHECK(bad.Parse() == StunParseResult::kNotStun);
  CHECK(!bad.username().present());
  CHECK(bad.Find(kAttrUsername) == nullptr);
  CHECK(!bad.CheckFingerprint());
}

void TestIgnoredAfterIntegrity() {
  // RFC 5389 §15.4: attributes between MESSAGE-INTEGRITY and FINGERPRINT
  // are not covered by the HMAC and are ignored.
  HmacSha1 hmac;
  const uint8_t tid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  uint8_t buf[256];
  StunMessageBuilder b(buf, sizeof(buf));
  b.Start(kStunBindingRequest, tid);
  b.AddAttribute(kAttrUsername, U8("a:b"), 3);
  b.AddMessageIntegrity(&hmac, U8("pw"), 2);
  b.AddAttribute(kAttrUseCandidate, nullptr, 0);
  b.AddFingerprint();
  CHECK(b.ok());
  StunMessageView v(buf, b.size());
  CHECK(v.Parse() == StunParseResult::kOk);
  CHECK(!v.useCandidate());
  CHECK(v.CheckFingerprint());
  CHECK(v.CheckMessageIntegrity(&hmac, U8("pw"), 2));
  CHECK(SpanIs(v.username(), "a:b"));
}

void TestBuilderLimits() {
  HmacSha1 hmac;
  const uint8_t tid[12] = {};
  uint8_t buf[64];
  StunMessageBuilder small(buf, 19);
  CHECK(!small.Start(kStunBindingSuccess, tid));
  CHECK_EQ(small.size(), 0u);
  StunMessageBuilder b(buf, 40);
  CHECK(b.Start(kStunBindingSuccess, tid));
  CHECK(b.AddErrorCode(400, "Bad Request"));  // 20 + 4 + 16 = 40
  CHECK(!b.AddFingerprint());                 // no room: failed for good
  CHECK(!b.ok());
  CHECK_EQ(b.size(), 0u);
  StunMessageBuilder c(buf, sizeof(buf));
  c.Start(kStunBindingError, tid);
  CHECK(!c.AddErrorCode(200, "OK"));  // not an error class
  CHECK_EQ(c.size(), 0u);
  StunMessageBuilder d(buf, sizeof(buf));
  d.Start(kStunBindingError, tid);
  CHECK(d.AddErrorCode(487, "Role Conflict"));
  d.AddFingerprint();
  StunMessageView v(buf, d.size());
  CHECK(v.Parse() == StunParseResult::kOk);
  uint16_t code = 0;
  ByteSpan reason;
  CHECK(v.errorCode(&code, &reason));
  CHECK_EQ(code, 487);
  CHECK(SpanIs(reason, "Role Conflict"));
  CHECK(v.stunClass() == StunClass::kErrorResponse);
  CHECK(v.CheckFingerprint());
  Address none;
  StunMessageBuilder e(buf, sizeof(buf));
  e.Start(kStunBindingSuccess, tid);
  CHECK(!e.AddXorMappedAddress(none));
  CHECK(!e.ok());
}

// ------------------------------------------------------- ICE-lite ----

const char kLocalUfrag[] = "sfuU";
const char kLocalPwd[] = "sfuPasswordOf22Chars!!";
const char kRemoteUfrag[] = "brwsr";

struct RequestSpec {
  std::string username = std::string(kLocalUfrag) + ":" + kRemoteUfrag;
  std::string password = kLocalPwd;
  bool integrity = true;
  bool fingerprint = true;
  bool corrupt_fingerprint = false;
  bool controlling = true;
  bool controlled = false;
  bool use_candidate = false;
  bool corrupt_integrity = false;
  uint8_t tid_seed = 1;
};

Bytes BuildRequest(const RequestSpec& s) {
  HmacSha1 hmac;
  uint8_t tid[12];
  for (int i = 0; i < 12; ++i) tid[i] = static_cast<uint8_t>(s.tid_seed + i);
  uint8_t buf[512];
  StunMessageBuilder b(buf, sizeof(buf));
  b.Start(kStunBindingRequest, tid);
  if (!s.username.empty()) {
    b.AddAttribute(kAttrUsername, U8(s.username.c_str()), s.username.size());
  }
  const uint8_t prio[4] = {0x6e, 0x00, 0x01, 0xff};
  b.AddAttribute(kAttrPriority, prio, 4);
  const uint8_t tie[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  if (s.controlling) b.AddAttribute(kAttrIceControlling, tie, 8);
  if (s.controlled) b.AddAttribute(kAttrIceControlled, tie, 8);
  if (s.use_candidate) b.AddAttribute(kAttrUseCandidate, nullptr, 0);
  if (s.integrity) {
    b.AddMessageIntegrity(&hmac, U8(s.password.c_str()), s.password.size());
  }
  // A forged HMAC under a correct FINGERPRINT: corrupt before the CRC.
  if (s.corrupt_integrity && s.integrity && b.ok()) buf[b.size() - 1] ^= 0x01;
  if (s.fingerprint) b.AddFingerprint();
  Bytes out(buf, buf + b.size());
  if (s.corrupt_fingerprint) out.back() ^= 0x01;
  return out;
}

Address V4(uint8_t last, uint16_t port) {
  const uint8_t ip[4] = {203, 0, 113, last};
  return Address::V4(ip, port);
}

struct Reply {
  Decision d;
  Bytes bytes;
};

Reply Send(IceLiteAgent* agent, const Bytes& req, const Address& from, uint64_t now) {
  uint8_t out[128];
  size_t len = sizeof(out);
  Reply r;
  r.d = agent->OnBindingRequest(req.data(), req.size(), from, now, out, &len);
  r.bytes.assign(out, out + len);
  CHECK_EQ(r.d.respond, len > 0);
  return r;
}

// The reply parses, answers the request's transaction, carries a right
// FINGERPRINT, and the expected code (0: success).
bool ReplyIs(const Reply& r, const Bytes& req, uint16_t code, bool integrity) {
  if (!r.d.respond) return false;
  StunMessageView v(r.bytes.data(), r.bytes.size());
  if (v.Parse() != StunParseResult::kOk) return false;
  if (std::memcmp(v.transactionId(), req.data() + 8, 12) != 0) return false;
  if (!v.CheckFingerprint()) return false;
  HmacSha1 hmac;
  const bool mi_ok = v.CheckMessageIntegrity(&hmac, U8(kLocalPwd), std::strlen(kLocalPwd));
  if (mi_ok != integrity || v.hasMessageIntegrity() != integrity) return false;
  if (code == 0) return v.type() == kStunBindingSuccess;
  uint16_t got = 0;
  return v.type() == kStunBindingError && v.errorCode(&got, nullptr) && got == code;
}

void TestIceGoodRequest() {
  IceLiteAgent agent(kLocalUfrag, kLocalPwd, 0);
  agent.SetRemoteUfrag(kRemoteUfrag);
  const Bytes req = BuildRequest(RequestSpec());
  const Address from = V4(7, 50000);
  CHECK(!agent.IsValidated(from));
  Reply r = Send(&agent, req, from, 1000);
  CHECK(r.d.result == CheckResult::kSuccess);
  CHECK(ReplyIs(r, req, 0, true));
  CHECK(!r.d.nominated);
  StunMessageView v(r.bytes.data(), r.bytes.size());
  CHECK(v.Parse() == StunParseResult::kOk);
  Address mapped;
  CHECK(v.xorMappedAddress(&mapped));
  CHECK(mapped == from);
  CHECK(agent.IsValidated(from));
  CHECK(!agent.IsValidated(V4(7, 50001)));
  CHECK(agent.state() == IceState::kNew);  // validated, not nominated
  CHECK_EQ(agent.pairCount(), 1u);

  // IPv6 source: XOR-MAPPED-ADDRESS uses the transaction id too.
  const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
  const Address from6 = Address::V6(ip6, 443);
  Reply r6 = Send(&agent, req, from6, 1000);
  CHECK(ReplyIs(r6, req, 0, true));
  StunMessageView v6(r6.bytes.data(), r6.bytes.size());
  CHECK(v6.Parse() == StunParseResult::kOk);
  CHECK(v6.xorMappedAddress(&mapped));
  CHECK(mapped == from6);
  CHECK_EQ(r6.bytes.size(), 76u);  // 20 + 24 + 24 + 8

  // Before the remote ufrag is known any sender part is accepted.
  IceLiteAgent early(kLocalUfrag, kLocalPwd, 0);
  RequestSpec other;
  other.username = std::string(kLocalUfrag) + ":someone";
  Reply e = Send(&early, BuildRequest(other), from, 10);
  CHECK(e.d.result == CheckResult::kSuccess);
  early.SetRemoteUfrag(kRemoteUfrag);
  e = Send(&early, BuildRequest(other), from, 20);
  CHECK(e.d.result == CheckResult::kUnauthorized);
}

void TestIceErrors() {
  IceLiteAgent agent(kLocalUfrag, kLocalPwd, 0);
  agent.SetRemoteUfrag(kRemoteUfrag);
  const Address from = V4(8, 40000);

  RequestSpec s;
  s.username = std::string("wrong:") + kRemoteUfrag;
  Bytes req = BuildRequest(s);
  Reply r = Send(&agent, req, from, 1);
  CHECK(r.d.result == CheckResult::kUnauthorized);
  CHECK(ReplyIs(r, req, 401, false));

  s = RequestSpec();
  s.username = std::string(kLocalUfrag) + ":other";
  req = BuildRequest(s);
  CHECK(Send(&agent, req, from, 1).d.result == CheckResult::kUnauthorized);
  s.username = kLocalUfrag;  // no colon
  CHECK(Send(&agent, BuildRequest(s), from, 1).d.result == CheckResult::kUnauthorized);
  s.username = std::string(kLocalUfrag) + ":";  // empty sender part
  CHECK(Send(&agent, BuildRequest(s), from, 1).d.result == CheckResult::kUnauthorized);
  s.username = std::string("sfuUx:") + kRemoteUfrag;  // ours is a prefix only
  CHECK(Send(&agent, BuildRequest(s), from, 1).d.result == CheckResult::kUnauthorized);

  s = RequestSpec();
  s.corrupt_integrity = true;
  req = BuildRequest(s);
  r = Send(&agent, req, from, 1);
  CHECK(r.d.result == CheckResult::kUnauthorized);
  CHECK(ReplyIs(r, req, 401, false));
  s = RequestSpec();
  s.password = "notOurPasswordAtAll!!!";
  CHECK(Send(&agent, BuildRequest(s), from, 1).d.result == CheckResult::kUnauthorized);

  s = RequestSpec();
  s.fingerprint = false;
  req = BuildRequest(s);
  r = Send(&agent, req, from, 1);
  CHECK(r.d.result == CheckResult::kBadRequest);
  CHECK(ReplyIs(r, req, 400, false));

  s = RequestSpec();
  s.corrupt_fingerprint = true;
  r = Send(&agent, BuildRequest(s), from, 1);
  CHECK(r.d.result == CheckResult::kDropBadFingerprint);
  CHECK(!r.d.respond);

  // Missing credentials: 400 (RFC 5389 §10.1.2), not 401.
  s = RequestSpec();
  s.integrity = false;
  req = BuildRequest(s);
  r = Send(&agent, req, from, 1);
  CHECK(r.d.result == CheckResult::kBadRequest);
  CHECK(ReplyIs(r, req, 400, false));
  s = RequestSpec();
  s.username.clear();
  CHECK(Send(&agent, BuildRequest(s), from, 1).d.result == CheckResult::kBadRequest);

  // The peer claims the controlled role: 487, authenticated.
  s = RequestSpec();
  s.controlling = false;
  s.controlled = true;
  req = BuildRequest(s);
  r = Send(&agent, req, from, 1);
  CHECK(r.d.result == CheckResult::kRoleConflict);
  CHECK(ReplyIs(r, req, 487, true));
  // ... but only once authenticated: a forged one gets 401.
  s.corrupt_integrity = true;
  CHECK(Send(&agent, BuildRequest(s), from, 1).d.result == CheckResult::kUnauthorized);

  // Malformed body of a framed Binding request: 400.
  req = BuildRequest(RequestSpec());
  Bytes bad = req;
  StoreU16(bad.data() + 22, 0x0200);  // USERNAME runs past the end
  r = Send(&agent, bad, from, 1);
  CHECK(r.d.result == CheckResult::kBadRequest);
  CHECK(ReplyIs(r, bad, 400, false));

  // Truncated or garbage: dropped, nothing sent (no transaction to answer,
  // and answering arbitrary bytes would make us a reflector).
  r = Send(&agent, Bytes(req.begin(), req.end() - 4), from, 1);
  CHECK(r.d.result == CheckResult::kDropNotStun);
  CHECK(!r.d.respond);
  const Bytes garbage = {0x80, 0x60, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef};
  CHECK(Send(&agent, garbage, from, 1).d.result == CheckResult::kDropNotStun);
  CHECK(Send(&agent, Bytes{}, from, 1).d.result == CheckResult::kDropNotStun);
  const Bytes twenty_zeros(20, 0);
  CHECK(Send(&agent, twenty_zeros, from, 1).d.result == CheckResult::kDropNotStun);

  // Indications and responses are not answered.
  Bytes ind = req;
  StoreU16(ind.data(), kStunBindingIndication);
  CHECK(Send(&agent, ind, from, 1).d.result == CheckResult::kDropNotRequest);
  CHECK(Send(&agent, kRfc5769ResponseV4, from, 1).d.result == CheckResult::kDropNotRequest);

  // Nothing above validated the address.
  CHECK(!agent.IsValidated(from));
  CHECK_EQ(agent.pairCount(), 0u);

  // An output buffer too small: nothing is sent, nothing validated.
  uint8_t tiny[40];
  size_t len = sizeof(tiny);
  Decision d = agent.OnBindingRequest(req.data(), req.size(), from, 1, tiny, &len);
  CHECK(d.result == CheckResult::kDropNoRoom);
  CHECK(!d.respond);
  CHECK_EQ(len, 0u);
  CHECK(!agent.IsValidated(from));
}

void TestIceNominationAndConsent() {
  IceLiteAgent agent(kLocalUfrag, kLocalPwd, 0);
  agent.SetRemoteUfrag(kRemoteUfrag);
  const Address a = V4(1, 1111);
  const Address b = V4(2, 2222);
  Address sel;
  CHECK(!agent.selected(&sel));

  CHECK(Send(&agent, BuildRequest(RequestSpec()), a, 100).d.result == CheckResult::kSuccess);
  CHECK(Send(&agent, BuildRequest(RequestSpec()), b, 100).d.result == CheckResult::kSuccess);
  CHECK(agent.Tick(200) == IceState::kNew);

  RequestSpec nominate;
  nominate.use_candidate = true;
  Reply r = Send(&agent, BuildRequest(nominate), a, 1000);
  CHECK(r.d.nominated);
  CHECK(r.d.selected_changed);
  CHECK(agent.selected(&sel) && sel == a);
  CHECK(agent.state() == IceState::kConnected);
  r = Send(&agent, BuildRequest(nominate), a, 2000);
  CHECK(r.d.nominated);
  CHECK(!r.d.selected_changed);

  // A later nomination switches the selected pair.
  r = Send(&agent, BuildRequest(nominate), b, 3000);
  CHECK(r.d.nominated && r.d.selected_changed);
  CHECK(agent.selected(&sel) && sel == b);
  CHECK(agent.IsValidated(a));  // still validated, just not selected

  // Consent: checks on b keep it fresh; none for 7 s: disconnected.
  CHECK(agent.Tick(9999) == IceState::kConnected);
  CHECK(agent.Tick(10000) == IceState::kDisconnected);
  Send(&agent, BuildRequest(RequestSpec()), b, 12000);  // consent check, no USE-CANDIDATE
  CHECK(agent.state() == IceState::kConnected);
  CHECK(agent.Tick(12001) == IceState::kConnected);
  // Checks on a non-selected pair do not refresh the selected one's consent.
  Send(&agent, BuildRequest(RequestSpec()), a, 30000);
  CHECK(agent.Tick(30000) == IceState::kDisconnected);
  // a was last checked at 30000, b at 12000: at 41999 b's consent is 29.999
  // s old, at 42000 it has expired: failed, and nothing is validated.
  CHECK(agent.Tick(41999) == IceState::kDisconnected);
  CHECK(agent.IsValidated(b));
  CHECK(agent.Tick(42000) == IceState::kFailed);
  CHECK(!agent.IsValidated(a));
  CHECK(!agent.IsValidated(b));
  CHECK(!agent.selected(nullptr));
  // Failed is final: further checks are not answered.
  r = Send(&agent, BuildRequest(nominate), b, 42001);
  CHECK(r.d.result == CheckResult::kDropFailed);
  CHECK(!r.d.respond);
  CHECK(agent.Tick(50000) == IceState::kFailed);
}

void TestIceNeverNominated() {
  IceLiteAgent agent(kLocalUfrag, kLocalPwd, 5000);
  CHECK(agent.Tick(5000) == IceState::kNew);
  CHECK(agent.Tick(34999) == IceState::kNew);
  CHECK(agent.Tick(35000) == IceState::kFailed);
  // A clock that steps backwards does not fail a fresh transport.
  IceLiteAgent back(kLocalUfrag, kLocalPwd, 100000);
  CHECK(back.Tick(10) == IceState::kNew);
}

void TestIcePairBoundAndExpiry() {
  IceLiteConfig cfg;
  cfg.max_pairs = 4;
  IceLiteAgent agent(kLocalUfrag, kLocalPwd, 0, cfg);
  agent.SetRemoteUfrag(kRemoteUfrag);
  RequestSpec nominate;
  nominate.use_candidate = true;
  const Address sel = V4(100, 9);
  Send(&agent, BuildRequest(nominate), sel, 0);
  // Many source addresses with valid credentials: the table stays bounded,
  // the selected pair survives, the oldest others are forgotten.
  for (uint16_t i = 0; i < 50; ++i) {
    Reply r = Send(&agent, BuildRequest(RequestSpec()), V4(1, static_cast<uint16_t>(1000 + i)), 10 + i);
    CHECK(r.d.result == CheckResult::kSuccess);
    CHECK(agent.pairCount() <= 4u);
  }
  CHECK_EQ(agent.pairCount(), 4u);
  Address s;
  CHECK(agent.selected(&s) && s == sel);
  CHECK(agent.IsValidated(sel));
  CHECK(agent.IsValidated(V4(1, 1049)));
  CHECK(agent.IsValidated(V4(1, 1047)));
  CHECK(!agent.IsValidated(V4(1, 1000)));
  CHECK(!agent.IsValidated(V4(1, 1046)));

  // Keep the selected pair fresh; the others' consent expires after 30 s
  // and Tick forgets them.
  for (uint64_t t = 5000; t <= 40000; t += 5000) {
    Send(&agent, BuildRequest(RequestSpec()), sel, t);
    CHECK(agent.Tick(t) == IceState::kConnected);
  }
  CHECK_EQ(agent.pairCount(), 1u);
  CHECK(!agent.IsValidated(V4(1, 1049)));
  CHECK(agent.IsValidated(sel));

  // Media from an address that never passed a check is refused.
  CHECK(!agent.IsValidated(V4(66, 6666)));
  const uint8_t ip6[16] = {0xfe, 0x80};
  CHECK(!agent.IsValidated(Address::V6(ip6, 9)));
}

}  // namespace

int main() {
  TestCrc32();
  TestRfc5769Request();
  TestRfc5769Responses();
  TestParseRejects();
  TestIgnoredAfterIntegrity();
  TestBuilderLimits();
  TestIceGoodRequest();
  TestIceErrors();
  TestIceNominationAndConsent();
  TestIceNeverNominated();
  TestIcePairBoundAndExpiry();
  return webrtc_agent::native_test::ReportChecks("stun_test");
}
