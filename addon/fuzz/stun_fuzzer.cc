// libFuzzer target: the STUN parser and the ICE-lite agent
// (addon/ice/). Built and run by scripts/fuzz.sh, linked with -lcrypto.
//
// Each input is used twice:
//  1. as one datagram: parsed (the layout must add up) and given to a fresh
//     IceLiteAgent, whose answer must be a well-formed STUN response;
//  2. as a sequence of records [ctl][len_hi][len_lo][len bytes], each a
//     datagram from one of eight source addresses at an advancing clock,
//     optionally re-signed (MESSAGE-INTEGRITY with the agent's password,
//     then FINGERPRINT) so that the fuzzer reaches the authenticated paths
//     (success, 487, nomination, consent) which it could never reach by
//     guessing an HMAC.
// Invariants: every answer parses, names the request's transaction, has a
// right FINGERPRINT; success answers verify with the password and map the
// sender's address; only a success validates an address; the pair table
// stays within its bound; a failed agent stays failed and validates nothing.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz/fuzz_check.h"
#include "ice/ice_lite.h"
#include "ice/stun_message.h"

namespace {

using namespace webrtc_agent::ice;

// Short credentials, so that seeds and mutations hit "u:r" easily.
constexpr char kUfrag[] = "u";
constexpr char kPwd[] = "fuzzPasswordOf22chars!";
constexpr char kRemote[] = "r";
constexpr size_t kMaxPairs = 4;

const uint8_t* U8(const char* s) { return reinterpret_cast<const uint8_t*>(s); }

void CheckLayout(const StunMessageView& v, StunParseResult r) {
  if (r == StunParseResult::kNotStun) return;
  FUZZ_CHECK(v.size() >= kStunHeaderSize && (v.size() & 3) == 0);
  if (r != StunParseResult::kOk) return;
  FUZZ_CHECK(v.attributeCount() <= kStunMaxAttributes);
  size_t expect = kStunHeaderSize;
  for (size_t i = 0; i < v.attributeCount(); ++i) {
    const StunAttribute& a = v.attribute(i);
    FUZZ_CHECK(a.offset == expect);
    FUZZ_CHECK(a.value.data == v.data() + a.offset + 4);
    expect += 4 + ((a.value.size + 3) & ~size_t{3});
    FUZZ_CHECK(expect <= v.size());
    if (a.type == kAttrFingerprint) FUZZ_CHECK(i + 1 == v.attributeCount());
  }
  FUZZ_CHECK(expect == v.size());
  // Accessors stay inside the message and agree with Find.
  FUZZ_CHECK(v.username().present() == (v.Find(kAttrUsername) != nullptr));
  if (v.username().present()) FUZZ_CHECK(v.username().size <= kStunMaxUsernameSize);
  uint32_t prio;
  (void)v.priority(&prio);
  uint64_t tie;
  (void)v.iceControlling(&tie);
  (void)v.iceControlled(&tie);
  Address a;
  if (v.xorMappedAddress(&a)) FUZZ_CHECK(a.family != Address::kNone);
  uint16_t code;
  ByteSpan reason;
  if (v.errorCode(&code, &reason)) FUZZ_CHECK(code >= 300 && code <= 699);
  if (v.hasMessageIntegrity()) {
    FUZZ_CHECK(v.messageIntegrityOffset() >= kStunHeaderSize);
    FUZZ_CHECK(v.messageIntegrityOffset() + 24 <= v.size());
  }
  (void)v.CheckFingerprint();
}

Address Source(uint8_t i) {
  uint8_t ip[16] = {0x20, 0x01, 0x0d, 0xb8};
  ip[15] = i;
  if (i & 1) return Address::V6(ip, static_cast<uint16_t>(1000 + i));
  const uint8_t ip4[4] = {198, 51, 100, i};
  return Address::V4(ip4, static_cast<uint16_t>(2000 + i));
}

void Feed(IceLiteAgent* agent, const uint8_t* data, size_t size,
          const Address& from, uint64_t now) {
  const bool was_failed = agent->state() == IceState::kFailed;
  const bool was_valid = agent->IsValidated(from);
  uint8_t out[128];
  size_t len = sizeof(out);
  const Decision d = agent->OnBindingRequest(data, size, from, now, out, &len);
  FUZZ_CHECK(d.respond == (len > 0));
  FUZZ_CHECK(len <= sizeof(out));
  FUZZ_CHECK(agent->pairCount() <= kMaxPairs);
  if (was_failed) {
    FUZZ_CHECK(d.result == CheckResult::kDropFailed && !d.respond);
    FUZZ_CHECK(!agent->IsValidated(from));
    return;
  }
  if (d.result == CheckResult::kSuccess) {
    FUZZ_CHECK(d.respond);
    FUZZ_CHECK(agent->IsValidated(from));
  } else {
    FUZZ_CHECK(!d.nominated);
    FUZZ_CHECK(agent->IsValidated(from) == was_valid);
  }
  if (d.nominated) {
    Address sel;
    FUZZ_CHECK(agent->selected(&sel) && sel == from);
    FUZZ_CHECK(agent->state() == IceState::kConnected);
  }
  if (!d.respond) return;

  StunMessageView req(data, size);
  FUZZ_CHECK(req.Parse() != StunParseResult::kNotStun);
  FUZZ_CHECK(req.type() == kStunBindingRequest);
  StunMessageView resp(out, len);
  FUZZ_CHECK(resp.Parse() == StunParseResult::kOk);
  CheckLayout(resp, StunParseResult::kOk);
  FUZZ_CHECK(std::memcmp(resp.transactionId(), data + 8, kStunTransactionIdSize) == 0);
  FUZZ_CHECK(resp.CheckFingerprint());
  HmacSha1 hmac;
  const bool signed_ok = resp.CheckMessageIntegrity(&hmac, U8(kPwd), std::strlen(kPwd));
  uint16_t code = 0;
  switch (d.result) {
    case CheckResult::kSuccess: {
      FUZZ_CHECK(resp.type() == kStunBindingSuccess);
      FUZZ_CHECK(signed_ok);
      Address mapped;
      FUZZ_CHECK(resp.xorMappedAddress(&mapped) && mapped == from);
      break;
    }
    case CheckResult::kRoleConflict:
      FUZZ_CHECK(signed_ok);
      FUZZ_CHECK(resp.errorCode(&code, nullptr) && code == kStunErrorRoleConflict);
      break;
    case CheckResult::kBadRequest:
      FUZZ_CHECK(!resp.hasMessageIntegrity());
      FUZZ_CHECK(resp.errorCode(&code, nullptr) && code == kStunErrorBadRequest);
      break;
    case CheckResult::kUnauthorized:
      FUZZ_CHECK(!resp.hasMessageIntegrity());
      FUZZ_CHECK(resp.errorCode(&code, nullptr) && code == kStunErrorUnauthorized);
      break;
    default:
      FUZZ_CHECK(false);  // every other result sends nothing
  }
}

// Copies the attributes of a parsed message that come before any
// MESSAGE-INTEGRITY/FINGERPRINT and signs the copy with the agent's
// password. Returns the size, or 0 if the input is not framed STUN.
size_t Resign(const uint8_t* data, size_t size, uint8_t* out, size_t cap) {
  StunMessageView v(data, size);
  if (v.Parse() != StunParseResult::kOk) return 0;
  StunMessageBuilder b(out, cap);
  b.Start(v.type() & 0x3FFF, v.transactionId());
  for (size_t i = 0; i < v.attributeCount(); ++i) {
    const StunAttribute& a = v.attribute(i);
    if (a.type == kAttrMessageIntegrity || a.type == kAttrFingerprint) break;
    b.AddAttribute(a.type, a.value.data, a.value.size);
  }
  HmacSha1 hmac;
  b.AddMessageIntegrity(&hmac, U8(kPwd), std::strlen(kPwd));
  b.AddFingerprint();
  return b.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // 1. The whole input as one datagram.
  StunMessageView v(data, size);
  const StunParseResult r = v.Parse();
  CheckLayout(v, r);
  {
    IceLiteAgent agent(kUfrag, kPwd, 0);
    agent.SetRemoteUfrag(kRemote);
    Feed(&agent, data, size, Source(0), 1);
  }

  // 2. A sequence of records against one agent.
  IceLiteConfig cfg;
  cfg.max_pairs = kMaxPairs;
  IceLiteAgent agent(kUfrag, kPwd, 0, cfg);
  if (size > 0 && (data[0] & 0x80)) agent.SetRemoteUfrag(kRemote);
  uint64_t now = 0;
  size_t pos = 0;
  uint8_t signed_buf[1600];
  while (size - pos >= 3) {
    const uint8_t ctl = data[pos];
    const size_t len = (static_cast<size_t>(data[pos + 1]) << 8) | data[pos + 2];
    pos += 3;
    const size_t n = len < size - pos ? len : size - pos;
    const uint8_t* msg = data + pos;
    pos += n;
    // ctl: bits 0-2 source, bit 3 re-sign, bits 4-7 clock step (x 2 s), so
    // that a few records cover disconnection and consent expiry.
    now += static_cast<uint64_t>(ctl >> 4) * 2000;
    const IceState before = agent.state();
    const IceState st = agent.Tick(now);
    if (before == IceState::kFailed) FUZZ_CHECK(st == IceState::kFailed);
    if (st == IceState::kFailed) FUZZ_CHECK(agent.pairCount() == 0 && !agent.selected(nullptr));
    FUZZ_CHECK(agent.pairCount() <= kMaxPairs);
    const Address from = Source(ctl & 7);
    if (ctl & 8) {
      const size_t m = Resign(msg, n, signed_buf, sizeof(signed_buf));
      if (m > 0) {
        Feed(&agent, signed_buf, m, from, now);
        continue;
      }
    }
    Feed(&agent, msg, n, from, now);
  }
  return 0;
}
