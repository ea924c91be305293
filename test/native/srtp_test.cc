// Unit tests for addon/srtp: a plain program (no framework, no addon, no
// Node) built with ASan+UBSan and linked against libcrypto by
// test/native/srtp.test.ts. Known-answer vectors come from RFC 3711
// Appendix B.2/B.3, RFC 7714 §16/§17, and the reference packet libsrtp's
// own validation uses for AES_CM_128_HMAC_SHA1_80; the rest are round trips
// and hostile inputs.
//
// Prints "srtp_test: N checks passed, M failed" last; exits 1 if M > 0. The
// tap wrapper checks N too, so a build that runs no checks cannot pass.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "check.h"
#include "srtp/replay_window.h"
#include "srtp/srtp_crypto.h"
#include "srtp/srtp_profile.h"
#include "srtp/srtp_session.h"

namespace {

using Bytes = std::vector<uint8_t>;
using namespace webrtc_agent::srtp;

// Hex digits, whitespace ignored, so vectors can be pasted as the RFCs
// print them.
Bytes Hex(const char* s) {
  Bytes out;
  int hi = -1;
  for (; *s; ++s) {
    int v;
    if (*s >= '0' && *s <= '9') v = *s - '0';
    else if (*s >= 'a' && *s <= 'f') v = *s - 'a' + 10;
    else if (*s >= 'A' && *s <= 'F') v = *s - 'A' + 10;
    else continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

Bytes Slice(const Bytes& b, size_t from, size_t n) {
  return Bytes(b.begin() + from, b.begin() + from + n);
}

// xorshift64*: deterministic, so a failure reproduces.
struct Rng {
  uint64_t s;
  uint64_t Next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1DULL;
  }
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(Next() % n); }
};

Bytes RtpPacket(uint16_t seq, uint32_t ssrc, size_t payload, uint8_t fill,
                uint8_t csrcs = 0, size_t ext_words = 0) {
  Bytes p = {static_cast<uint8_t>(0x80 | (ext_words ? 0x10 : 0) | csrcs), 96,
             static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq),
             0x11, 0x22, 0x33, 0x44,
             static_cast<uint8_t>(ssrc >> 24), static_cast<uint8_t>(ssrc >> 16),
             static_cast<uint8_t>(ssrc >> 8), static_cast<uint8_t>(ssrc)};
  for (int i = 0; i < 4 * csrcs; ++i) p.push_back(static_cast<uint8_t>(i));
  if (ext_words) {
    p.insert(p.end(), {0xBE, 0xDE, 0, static_cast<uint8_t>(ext_words)});
    for (size_t i = 0; i < 4 * ext_words; ++i) p.push_back(0);
  }
  for (size_t i = 0; i < payload; ++i) p.push_back(static_cast<uint8_t>(fill + i));
  return p;
}

Bytes RtcpPacket(uint32_t ssrc, size_t words, uint8_t fill) {
  // An RR with `words` 32-bit words after the sender SSRC (any body works:
  // SRTCP does not look inside).
  Bytes p = {0x80, 201, static_cast<uint8_t>((words + 1) >> 8),
             static_cast<uint8_t>(words + 1),
             static_cast<uint8_t>(ssrc >> 24), static_cast<uint8_t>(ssrc >> 16),
             static_cast<uint8_t>(ssrc >> 8), static_cast<uint8_t>(ssrc)};
  for (size_t i = 0; i < 4 * words; ++i) p.push_back(static_cast<uint8_t>(fill ^ i));
  return p;
}

// Protects a copy; returns the wire bytes (empty on failure).
Bytes Protect(SrtpSession& s, const Bytes& plain, bool rtcp = false) {
  Bytes buf(plain.size() + 64);
  std::memcpy(buf.data(), plain.data(), plain.size());
  size_t len = plain.size();
  const bool ok = rtcp ? s.ProtectRtcp(buf.data(), &len, buf.size())
                       : s.ProtectRtp(buf.data(), &len, buf.size());
  if (!ok) return Bytes();
  buf.resize(len);
  return buf;
}

Result Unprotect(SrtpSession& s, const Bytes& wire, Bytes* plain,
                 bool rtcp = false) {
  Bytes buf = wire;
  size_t len = buf.size();
  const Result r = rtcp ? s.UnprotectRtcp(buf.data(), &len)
                        : s.UnprotectRtp(buf.data(), &len);
  if (r == Result::kOk) {
    CHECK(len <= wire.size());
    buf.resize(len);
    if (plain) *plain = buf;
  }
  return r;
}

struct Pair {
  std::unique_ptr<SrtpSession> tx;
  std::unique_ptr<SrtpSession> rx;
};

Pair MakePair(Profile p, uint8_t seed, size_t max_streams = 64) {
  const ProfileParams pp = ParamsOf(p);
  Bytes key(pp.key_len), salt(pp.salt_len);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(seed + 3 * i);
  for (size_t i = 0; i < salt.size(); ++i) salt[i] = static_cast<uint8_t>(seed ^ (7 * i));
  Pair out;
  out.tx = SrtpSession::Create(p, Direction::kProtect, key.data(), key.size(),
                               salt.data(), salt.size(), max_streams);
  out.rx = SrtpSession::Create(p, Direction::kUnprotect, key.data(), key.size(),
                               salt.data(), salt.size(), max_streams);
  return out;
}

// --------------------------------------------------- known answers --------

void TestRfc3711KeystreamB2() {
  AesCtr ctr;
  const Bytes key = Hex("2B7E151628AED2A6ABF7158809CF4F3C");
  CHECK(ctr.Init(key.data(), key.size()));
  const Bytes iv = Hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000");
  Bytes ks(0xFF02 * 16, 0);  // blocks 0x0000 .. 0xFF01
  CHECK(ctr.Apply(iv.data(), ks.data(), ks.size()));
  CHECK(Slice(ks, 0, 16) == Hex("E03EAD0935C95E80E166B16DD92B4EB4"));
  CHECK(Slice(ks, 16, 16) == Hex("D23513162B02D0F72A43A2FE4A5F97AB"));
  CHECK(Slice(ks, 32, 16) == Hex("41E95B3BB0A2E8DD477901E4FCA894C0"));
  CHECK(Slice(ks, 0xFEFF * 16, 16) == Hex("EC8CDF7398607CB0F2D21675EA9EA1E4"));
  CHECK(Slice(ks, 0xFF00 * 16, 16) == Hex("362B7C3C6773516318A077D7FC5073AE"));
  CHECK(Slice(ks, 0xFF01 * 16, 16) == Hex("6A2CC3787889374FBEB4C81B17BA6C44"));

  // Re-using the context with a new IV restarts the keystream (the
  // per-packet path sets only the IV).
  Bytes again(16, 0);
  CHECK(ctr.Apply(iv.data(), again.data(), again.size()));
  CHECK(again == Hex("E03EAD0935C95E80E166B16DD92B4EB4"));
  // A wrong key length is refused.
  AesCtr bad;
  CHECK(!bad.Init(key.data(), 24));
  uint8_t b[4] = {0};
  CHECK(!bad.Apply(iv.data(), b, 4));
}

void TestRfc3711KeyDerivationB3() {
  const Bytes mk = Hex("E1F97A0D3E018BE0D64FA32C06DE4139");
  const Bytes ms = Hex("0EC675AD498AFEEBB6960B3AABE6");
  Bytes out(94);
  CHECK(DeriveSessionKey(mk.data(), 16, ms.data(), 14, kLabelRtpEncryption,
                         out.data(), 16));
  CHECK(Slice(out, 0, 16) == Hex("C61E7A93744F39EE10734AFE3FF7A087"));
  CHECK(DeriveSessionKey(mk.data(), 16, ms.data(), 14, kLabelRtpSalt,
                         out.data(), 14));
  CHECK(Slice(out, 0, 14) == Hex("30CBBC08863D8C85D49DB34A9AE1"));
  CHECK(DeriveSessionKey(mk.data(), 16, ms.data(), 14, kLabelRtpAuth,
                         out.data(), 94));
  CHECK(out == Hex("CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE"
                   "E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25"
                   "6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2"));
  // The session-key helper agrees with the per-label function.
  SessionKeys srtp, srtcp;
  CHECK(DeriveSessionKeys(Profile::kAes128CmHmacSha1_80, mk.data(), 16,
                          ms.data(), 14, &srtp, &srtcp));
  CHECK(Bytes(srtp.enc_key, srtp.enc_key + 16) ==
        Hex("C61E7A93744F39EE10734AFE3FF7A087"));
  CHECK(Bytes(srtp.salt, srtp.salt + 14) == Hex("30CBBC08863D8C85D49DB34A9AE1"));
  CHECK(Bytes(srtp.auth_key, srtp.auth_key + 20) ==
        Hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"));
  CHECK(Bytes(srtcp.enc_key, srtcp.enc_key + 16) !=
        Bytes(srtp.enc_key, srtp.enc_key + 16));
  // Lengths that do not match the profile are refused.
  CHECK(!DeriveSessionKeys(Profile::kAes128CmHmacSha1_80, mk.data(), 16,
                           ms.data(), 12, &srtp, &srtcp));
  CHECK(!DeriveSessionKeys(Profile::kAeadAes256Gcm, mk.data(), 16, ms.data(),
                           12, &srtp, &srtcp));
  CHECK(!DeriveSessionKey(mk.data(), 16, ms.data(), 13, 0, out.data(), 16));
}

// libsrtp's validation packet for AES_CM_128_HMAC_SHA1_80 (master key and
// salt of RFC 3711 B.3, SSRC 0xcafebabe): exercises KDF, IV, HMAC and tag
// truncation end to end, for SRTP and SRTCP.
void TestAesCmReferencePackets() {
  const Bytes mk = Hex("E1F97A0D3E018BE0D64FA32C06DE4139");
  const Bytes ms = Hex("0EC675AD498AFEEBB6960B3AABE6");
  auto tx = SrtpSession::Create(Profile::kAes128CmHmacSha1_80,
                                Direction::kProtect, mk.data(), 16, ms.data(), 14);
  auto rx = SrtpSession::Create(Profile::kAes128CmHmacSha1_80,
                                Direction::kUnprotect, mk.data(), 16, ms.data(), 14);
  CHECK(tx && rx);
  if (!tx || !rx) return;
  const Bytes rtp = Hex("800f1234decafbadcafebabe abababababababababababababababab");
  const Bytes srtp = Hex("800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402"
                         "b78d6acc99ea179b8dbb");
  CHECK(Protect(*tx, rtp) == srtp);
  Bytes plain;
  CHECK(Unprotect(*rx, srtp, &plain) == Result::kOk);
  CHECK(plain == rtp);

  // The reference SRTCP packet carries index 1: our first index is 0
  // (RFC 3711 §3.3.2), so send one packet first.
  const Bytes rtcp = Hex("81c8000bcafebabe abababababababababababababababab");
  const Bytes srtcp = Hex("81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8"
                          "80000001 993e08cd54d6c1230798");
  const Bytes first = Protect(*tx, rtcp, true);
  CHECK_EQ(first.size(), rtcp.size() + 14);
  CHECK(Slice(first, first.size() - 14, 4) == Hex("80000000"));
  CHECK(Protect(*tx, rtcp, true) == srtcp);
  CHECK(Unprotect(*rx, srtcp, &plain, true) == Result::kOk);
  CHECK(plain == rtcp);
  CHECK(Unprotect(*rx, first, &plain, true) == Result::kOk);
  CHECK(plain == rtcp);
  CHECK(Unprotect(*rx, srtcp, &plain, true) == Result::kReplay);

  // The _32 profile: same keys, 4-byte SRTP tag (a prefix of the same
  // HMAC), SRTCP unchanged at 10 bytes.
  auto tx32 = SrtpSession::Create(Profile::kAes128CmHmacSha1_32,
                                  Direction::kProtect, mk.data(), 16, ms.data(), 14);
  CHECK(tx32 != nullptr);
  if (!tx32) return;
  CHECK(Protect(*tx32, rtp) == Slice(srtp, 0, rtp.size() + 4));
  CHECK(Protect(*tx32, rtcp, true).size() == rtcp.size() + 14);
}

SessionKeys Rfc7714Keys(bool aes256) {
  SessionKeys k;
  const Bytes key = aes256 ? Hex("000102030405060708090a0b0c0d0e0f"
                                 "101112131415161718191a1b1c1d1e1f")
                           : Hex("000102030405060708090a0b0c0d0e0f");
  const Bytes salt = Hex("517569642070726f2071756f");  // "Quid pro quo"
  std::memcpy(k.enc_key, key.data(), key.size());
  std::memcpy(k.salt, salt.data(), salt.size());
  return k;
}

std::unique_ptr<SrtpSession> Rfc7714Session(bool aes256, Direction d) {
  const SessionKeys k = Rfc7714Keys(aes256);
  return SrtpSession::CreateFromSessionKeys(
      aes256 ? Profile::kAeadAes256Gcm : Profile::kAeadAes128Gcm, d, k, k);
}

void TestRfc7714Rtp() {
  const Bytes rtp = Hex("8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f"
                        "6d6e6973 20646976 69736120 696e2070 61727465 73207472"
                        "6573");
  const Bytes want128 = Hex("8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c"
                            "9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf"
                            "8833899d 7f27beb1 6a9152cf 765ee439 0cce");
  const Bytes want256 = Hex("8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa"
                            "332e33aa b1801238 9a58e2f3 b50b2a02 76ffae0f 1ba63799"
                            "b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13");
  for (int aes256 = 0; aes256 < 2; ++aes256) {
    const Bytes& want = aes256 ? want256 : want128;
    auto tx = Rfc7714Session(aes256, Direction::kProtect);
    auto rx = Rfc7714Session(aes256, Direction::kUnprotect);
    CHECK(tx && rx);
    if (!tx || !rx) continue;
    CHECK(Protect(*tx, rtp) == want);
    Bytes plain;
    CHECK(Unprotect(*rx, want, &plain) == Result::kOk);
    CHECK(plain == rtp);
    CHECK(Unprotect(*rx, want, &plain) == Result::kReplay);
    // A flipped tag bit on a fresh receiver: auth failure, no state.
    auto rx2 = Rfc7714Session(aes256, Direction::kUnprotect);
    Bytes bad = want;
    bad.back() ^= 0x01;
    CHECK(Unprotect(*rx2, bad, nullptr) == Result::kAuthFailed);
    CHECK_EQ(rx2->streamCount(), 0u);
    CHECK(Unprotect(*rx2, want, &plain) == Result::kOk);
  }
}

void TestRfc7714Rtcp() {
  const Bytes rtcp = Hex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a"
                         "0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef"
                         "deadbeef");
  // §17.1 / §17.2: E=1, SRTCP index 0x5d4.
  const Bytes enc128 = Hex("81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99"
                           "7ff5c0f7 6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded"
                           "0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4");
  const Bytes enc256 = Hex("81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28"
                           "2c3ece5d bffe0a50 a2eaa5c1 110555be 8415f658 c61de047"
                           "6f1b6fad 1d1eb30c 4446839f 57ff6f6c b26ac3be 800005d4");
  // §17.3 / §17.4: E=0 (authenticated only).
  const Bytes clear128 = Hex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a"
                             "0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef"
                             "deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4");
  const Bytes clear256 = Hex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a"
                             "0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef"
                             "deadbeef 91db4afb feee5a97 8fab4393 ed2615fe 000005d4");
  for (int aes256 = 0; aes256 < 2; ++aes256) {
    auto tx = Rfc7714Session(aes256, Direction::kProtect);
    auto rx = Rfc7714Session(aes256, Direction::kUnprotect);
    CHECK(tx && rx);
    if (!tx || !rx) continue;
    // Walk the sender's index up to 0x5d4.
    bool all = true;
    for (int i = 0; i < 0x5d4; ++i) all = all && !Protect(*tx, rtcp, true).empty();
    CHECK(all);
    CHECK(Protect(*tx, rtcp, true) == (aes256 ? enc256 : enc128));
    Bytes plain;
    CHECK(Unprotect(*rx, aes256 ? enc256 : enc128, &plain, true) == Result::kOk);
    CHECK(plain == rtcp);
    // The E=0 form of the same index is a replay now...
    CHECK(Unprotect(*rx, aes256 ? clear256 : clear128, &plain, true) ==
          Result::kReplay);
    // ...and accepted by a fresh receiver.
    auto rx2 = Rfc7714Session(aes256, Direction::kUnprotect);
    CHECK(Unprotect(*rx2, aes256 ? clear256 : clear128, &plain, true) ==
          Result::kOk);
    CHECK(plain == rtcp);
    // Flipping E turns the packet into a different AAD: auth failure.
    auto rx3 = Rfc7714Session(aes256, Direction::kUnprotect);
    Bytes flipped = aes256 ? clear256 : clear128;
    flipped[flipped.size() - 4] ^= 0x80;
    CHECK(Unprotect(*rx3, flipped, nullptr, true) == Result::kAuthFailed);
  }
}

// ------------------------------------------------------- round trips ------

void TestRoundTripsEveryProfile() {
  Rng rng{0x9E3779B97F4A7C15ULL};
  for (Profile p : kAllProfiles) {
    Pair s = MakePair(p, static_cast<uint8_t>(p) * 17 + 1);
    CHECK(s.tx && s.rx);
    if (!s.tx || !s.rx) continue;
    const ProfileParams pp = ParamsOf(p);
    int rtp_ok = 0, rtcp_ok = 0;
    for (int i = 0; i < 200; ++i) {
      const size_t payload = rng.Below(1400);
      const uint8_t csrcs = static_cast<uint8_t>(rng.Below(4));
      const size_t ext = rng.Below(3);
      const Bytes rtp = RtpPacket(static_cast<uint16_t>(1000 + i),
                                  0xA0000000u + rng.Below(3), payload,
                                  static_cast<uint8_t>(i), csrcs, ext);
      const Bytes wire = Protect(*s.tx, rtp);
      Bytes plain;
      if (wire.size() == rtp.size() + pp.rtp_tag_len &&
          (payload == 0 || std::memcmp(wire.data() + rtp.size() - payload,
                                       rtp.data() + rtp.size() - payload,
                                       payload) != 0) &&
          std::memcmp(wire.data(), rtp.data(), rtp.size() - payload) == 0 &&
          Unprotect(*s.rx, wire, &plain) == Result::kOk && plain == rtp) {
        ++rtp_ok;
      }
      const Bytes rtcp = RtcpPacket(0xB0000000u + rng.Below(3), rng.Below(60),
                                    static_cast<uint8_t>(i));
      const Bytes swire = Protect(*s.tx, rtcp, true);
      if (swire.size() == rtcp.size() + 4 + pp.rtcp_tag_len &&
          Unprotect(*s.rx, swire, &plain, true) == Result::kOk && plain == rtcp) {
        ++rtcp_ok;
      }
    }
    CHECK_EQ(rtp_ok, 200);
    CHECK_EQ(rtcp_ok, 200);
    CHECK_EQ(s.tx->streamCount(), 6u);
    CHECK_EQ(s.rx->streamCount(), 6u);
    CHECK_EQ(s.rx->stats().rtp[0], 200u);
    CHECK_EQ(s.rx->stats().rtcp[0], 200u);

    // Exact capacity: fits with cap == len + tag, refused one byte below.
    const Bytes rtp = RtpPacket(7, 1, 100, 0);
    Bytes buf(rtp.size() + pp.rtp_tag_len);
    std::memcpy(buf.data(), rtp.data(), rtp.size());
    size_t len = rtp.size();
    CHECK(!s.tx->ProtectRtp(buf.data(), &len, buf.size() - 1));
    CHECK_EQ(len, rtp.size());
    CHECK(std::memcmp(buf.data(), rtp.data(), rtp.size()) == 0);
    CHECK(s.tx->ProtectRtp(buf.data(), &len, buf.size()));
    CHECK_EQ(len, buf.size());
    const Bytes rtcp = RtcpPacket(1, 3, 0);
    Bytes rbuf(rtcp.size() + 4 + pp.rtcp_tag_len);
    std::memcpy(rbuf.data(), rtcp.data(), rtcp.size());
    len = rtcp.size();
    CHECK(!s.tx->ProtectRtcp(rbuf.data(), &len, rbuf.size() - 1));
    CHECK(s.tx->ProtectRtcp(rbuf.data(), &len, rbuf.size()));
    // Direction mismatch is refused both ways.
    len = rtp.size();
    std::memcpy(buf.data(), rtp.data(), rtp.size());
    CHECK(!s.rx->ProtectRtp(buf.data(), &len, buf.size()));
    len = buf.size();
    CHECK(s.tx->UnprotectRtp(buf.data(), &len) == Result::kMalformed);
  }
}

void TestRocRollover() {
  for (Profile p : kAllProfiles) {
    Pair s = MakePair(p, 0x42);
    if (!s.tx || !s.rx) { CHECK(false); continue; }
    std::vector<Bytes> wires;
    std::vector<Bytes> plains;
    for (uint32_t i = 0; i < 12; ++i) {
      const uint16_t seq = static_cast<uint16_t>(65530 + i);  // 65530..5
      plains.push_back(RtpPacket(seq, 0x1234, 50, static_cast<uint8_t>(i)));
      wires.push_back(Protect(*s.tx, plains.back()));
    }
    // Seq 0 after the wrap is encrypted under ROC 1: not the same bytes as
    // seq 0 under ROC 0 would give.
    Pair fresh = MakePair(p, 0x42);
    const Bytes roc0 = Protect(*fresh.tx, plains[6]);
    CHECK(roc0.size() == wires[6].size() && roc0 != wires[6]);

    // In order, across the wrap.
    int ok = 0;
    for (size_t i = 0; i < 12; ++i) {
      Bytes plain;
      if (Unprotect(*s.rx, wires[i], &plain) == Result::kOk && plain == plains[i]) ++ok;
    }
    CHECK_EQ(ok, 12);

    // Reordered across the wrap: 65530, 0, 1, 65535, 2 (65535 guesses ROC-1).
    Pair r = MakePair(p, 0x42);
    const size_t order[] = {0, 6, 7, 5, 8, 4, 11, 3};
    ok = 0;
    for (size_t i : order) {
      Bytes plain;
      if (Unprotect(*r.rx, wires[i], &plain) == Result::kOk && plain == plains[i]) ++ok;
    }
    CHECK_EQ(ok, 8);
    CHECK(Unprotect(*r.rx, wires[5], nullptr) == Result::kReplay);
    CHECK(Unprotect(*r.rx, wires[7], nullptr) == Result::kReplay);

    // A receiver whose first packet is seq 5 (ROC 1 at the sender) guesses
    // ROC 0: authentication fails, which is RFC 3711's stated limit.
    Pair late = MakePair(p, 0x42);
    CHECK(Unprotect(*late.rx, wires[11], nullptr) == Result::kAuthFailed);
    CHECK_EQ(late.rx->streamCount(), 0u);
  }

  // Many wraps, with gaps under 2^15: ROC follows.
  Pair s = MakePair(Profile::kAeadAes128Gcm, 9);
  uint32_t seq = 100;
  int ok = 0;
  for (int i = 0; i < 300; ++i) {
    seq += 1000 + (i % 7) * 3000;  // < 32768 apart
    const Bytes plain = RtpPacket(static_cast<uint16_t>(seq), 77, 20, 1);
    Bytes got;
    if (Unprotect(*s.rx, Protect(*s.tx, plain), &got) == Result::kOk && got == plain) ++ok;
  }
  CHECK_EQ(ok, 300);

  // Protect refuses an index before the stream's first one: first seq 10,
  // then 65000 would be ROC -1.
  Pair q = MakePair(Profile::kAes128CmHmacSha1_80, 3);
  CHECK(!Protect(*q.tx, RtpPacket(10, 5, 10, 0)).empty());
  CHECK(Protect(*q.tx, RtpPacket(65000, 5, 10, 0)).empty());
  CHECK_EQ(q.tx->stats().protect_rtp_failed, 1u);
}

void TestReplayWindow() {
  for (Profile p : kAllProfiles) {
    Pair s = MakePair(p, 0x77);
    if (!s.tx || !s.rx) { CHECK(false); continue; }
    std::vector<Bytes> wires;
    for (uint16_t seq = 1; seq <= 1100; ++seq) {
      wires.push_back(Protect(*s.tx, RtpPacket(seq, 0xCAFE, 8, 0)));
    }
    CHECK(Unprotect(*s.rx, wires[1099], nullptr) == Result::kOk);   // seq 1100
    CHECK(Unprotect(*s.rx, wires[1099], nullptr) == Result::kReplay);
    CHECK(Unprotect(*s.rx, wires[49], nullptr) == Result::kReplay);  // 1050 back
    CHECK(Unprotect(*s.rx, wires[75], nullptr) == Result::kReplay);  // 1024 back
    CHECK(Unprotect(*s.rx, wires[76], nullptr) == Result::kOk);      // 1023 back
    CHECK(Unprotect(*s.rx, wires[76], nullptr) == Result::kReplay);
    CHECK(Unprotect(*s.rx, wires[99], nullptr) == Result::kOk);
    CHECK(Unprotect(*s.rx, wires[1098], nullptr) == Result::kOk);
    CHECK(Unprotect(*s.rx, wires[1098], nullptr) == Result::kReplay);
    CHECK(s.rx->stats().rtp[static_cast<size_t>(Result::kReplay)] == 5u);

    // SRTCP: same rules on the 31-bit index.
    std::vector<Bytes> rw;
    for (int i = 0; i < 1100; ++i) rw.push_back(Protect(*s.tx, RtcpPacket(0xCAFE, 2, 0), true));
    CHECK(Unprotect(*s.rx, rw[1099], nullptr, true) == Result::kOk);
    CHECK(Unprotect(*s.rx, rw[1099], nullptr, true) == Result::kReplay);
    CHECK(Unprotect(*s.rx, rw[10], nullptr, true) == Result::kReplay);
    CHECK(Unprotect(*s.rx, rw[500], nullptr, true) == Result::kOk);
    CHECK(Unprotect(*s.rx, rw[500], nullptr, true) == Result::kReplay);
  }

  // The window on its own: big jumps, word-aligned clears.
  ReplayWindow w;
  CHECK(w.Test(5) == ReplayWindow::Verdict::kNew);
  w.Accept(5);
  CHECK(w.Test(5) == ReplayWindow::Verdict::kDuplicate);
  CHECK(w.Test(4) == ReplayWindow::Verdict::kNew);
  w.Accept(5 + 64 * 3);
  CHECK(w.Test(5) == ReplayWindow::Verdict::kDuplicate);
  w.Accept(5 + 1024);
  CHECK(w.Test(5) == ReplayWindow::Verdict::kTooOld);
  CHECK(w.Test(5 + 64 * 3) == ReplayWindow::Verdict::kDuplicate);
  CHECK(w.Test(6 + 64 * 3) == ReplayWindow::Verdict::kNew);
  w.Accept(1u << 20);
  CHECK(w.Test(5 + 1024) == ReplayWindow::Verdict::kTooOld);
  CHECK(w.Test((1u << 20) - 1) == ReplayWindow::Verdict::kNew);
  CHECK(w.Test((1u << 20) - 1023) == ReplayWindow::Verdict::kNew);
  CHECK(w.Test((1u << 20) - 1024) == ReplayWindow::Verdict::kTooOld);
  // Exhaustive against a set model over a random walk.
  Rng rng{12345};
  ReplayWindow m;
  std::vector<uint8_t> seen(20000, 0);
  uint64_t top = 0;
  bool started = false;
  int agree = 0, total = 0;
  for (int i = 0; i < 20000; ++i) {
    uint64_t idx = started ? top + 100 - rng.Below(1300) : 3000;
    if (idx >= seen.size()) idx = seen.size() - 1;
    ReplayWindow::Verdict want = ReplayWindow::Verdict::kNew;
    if (started && idx <= top) {
      if (top - idx >= ReplayWindow::kSize) want = ReplayWindow::Verdict::kTooOld;
      else if (seen[idx]) want = ReplayWindow::Verdict::kDuplicate;
    }
    const ReplayWindow::Verdict got = m.Test(idx);
    ++total;
    if (got == want) ++agree;
    if (got == ReplayWindow::Verdict::kNew) {
      m.Accept(idx);
      seen[idx] = 1;
      if (!started || idx > top) top = idx;
      started = true;
    }
  }
  CHECK_EQ(agree, total);
}

void TestTamperAndTruncation() {
  for (Profile p : kAllProfiles) {
    const ProfileParams pp = ParamsOf(p);
    Pair s = MakePair(p, 0x10);
    if (!s.tx || !s.rx) { CHECK(false); continue; }
    const Bytes plain = RtpPacket(300, 0xABCD, 60, 5, 1, 1);
    const Bytes wire = Protect(*s.tx, plain);
    const size_t header = 12 + 4 + 4 + 4;
    // Every bit of every byte: never accepted; past the header always an
    // authentication failure.
    int rejected = 0, auth_fail_after_header = 0;
    for (size_t i = 0; i < wire.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        Bytes bad = wire;
        bad[i] ^= static_cast<uint8_t>(1u << bit);
        const Result r = Unprotect(*s.rx, bad, nullptr);
        if (r != Result::kOk) ++rejected;
        if (i >= header && r == Result::kAuthFailed) ++auth_fail_after_header;
      }
    }
    CHECK_EQ(rejected, static_cast<int>(wire.size() * 8));
    CHECK_EQ(auth_fail_after_header, static_cast<int>((wire.size() - header) * 8));
    CHECK_EQ(s.rx->streamCount(), 0u);  // nothing forged created a stream
    // Every truncation is rejected; the short ones as too short.
    int trunc_rejected = 0;
    for (size_t n = 0; n < wire.size(); ++n) {
      Bytes cut(wire.begin(), wire.begin() + n);
      const Result r = Unprotect(*s.rx, cut, nullptr);
      if (r != Result::kOk) ++trunc_rejected;
      if (n < 12 + pp.rtp_tag_len) CHECK(r == Result::kTooShort);
    }
    CHECK_EQ(trunc_rejected, static_cast<int>(wire.size()));
    // The untouched packet still works after all that.
    Bytes got;
    CHECK(Unprotect(*s.rx, wire, &got) == Result::kOk);
    CHECK(got == plain);

    // Malformed headers: version 1; CSRC count past the end; extension
    // length past the end.
    Bytes v1 = wire;
    v1[0] = (v1[0] & 0x3F) | 0x40;
    CHECK(Unprotect(*s.rx, v1, nullptr) == Result::kMalformed);
    Bytes cc = RtpPacket(1, 2, 0, 0);
    cc[0] |= 0x0F;
    cc.resize(12 + pp.rtp_tag_len + 4);
    CHECK(Unprotect(*s.rx, cc, nullptr) == Result::kMalformed);
    Bytes ext = RtpPacket(1, 2, 0, 0, 0, 1);
    ext[15] = 0xFF;  // 255 words of extension
    ext.resize(ext.size() + pp.rtp_tag_len);
    CHECK(Unprotect(*s.rx, ext, nullptr) == Result::kMalformed);
    // Protect refuses the same malformed inputs.
    CHECK(Protect(*s.tx, Bytes{0x80, 96, 0, 1}).empty());
    CHECK(Protect(*s.tx, Slice(ext, 0, 20)).empty());

    // SRTCP tamper and truncation.
    const Bytes rtcp = RtcpPacket(0xABCD, 6, 3);
    const Bytes swire = Protect(*s.tx, rtcp, true);
    int srej = 0;
    for (size_t i = 0; i < swire.size(); ++i) {
      Bytes bad = swire;
      bad[i] ^= 0x04;
      if (Unprotect(*s.rx, bad, nullptr, true) != Result::kOk) ++srej;
    }
    CHECK_EQ(srej, static_cast<int>(swire.size()));
    for (size_t n = 0; n < swire.size(); ++n) {
      Bytes cut(swire.begin(), swire.begin() + n);
      const Result r = Unprotect(*s.rx, cut, nullptr, true);
      CHECK(r != Result::kOk);
      if (n < 8 + 4 + pp.rtcp_tag_len) CHECK(r == Result::kTooShort);
    }
    CHECK(Unprotect(*s.rx, swire, &got, true) == Result::kOk);
    CHECK(got == rtcp);
    CHECK(s.rx->stats().rtcp[static_cast<size_t>(Result::kTooShort)] ==
          8 + 4 + pp.rtcp_tag_len);
  }
}

void TestStreamLimitAndWrongKeys() {
  Pair s = MakePair(Profile::kAeadAes128Gcm, 1, 4);
  if (!s.tx || !s.rx) { CHECK(false); return; }
  for (uint32_t ssrc = 1; ssrc <= 4; ++ssrc) {
    CHECK(Unprotect(*s.rx, Protect(*s.tx, RtpPacket(1, ssrc, 10, 0)), nullptr) ==
          Result::kOk);
  }
  CHECK(Protect(*s.tx, RtpPacket(1, 5, 10, 0)).empty());  // sender full too
  Pair big = MakePair(Profile::kAeadAes128Gcm, 1, 64);
  const Bytes fifth = Protect(*big.tx, RtpPacket(1, 5, 10, 0));
  CHECK(Unprotect(*s.rx, fifth, nullptr) == Result::kStreamLimit);
  CHECK_EQ(s.rx->streamCount(), 4u);
  // Known SSRCs keep working at the limit.
  CHECK(Unprotect(*s.rx, Protect(*big.tx, RtpPacket(2, 3, 10, 0)), nullptr) ==
        Result::kOk);
  CHECK(s.rx->stats().rtp[static_cast<size_t>(Result::kStreamLimit)] == 1u);

  // Forged packets under many SSRCs create nothing.
  Pair other = MakePair(Profile::kAeadAes128Gcm, 2, 1000);  // other keys
  Pair victim = MakePair(Profile::kAeadAes128Gcm, 1);
  int auth = 0;
  for (uint32_t ssrc = 100; ssrc < 300; ++ssrc) {
    if (Unprotect(*victim.rx, Protect(*other.tx, RtpPacket(1, ssrc, 10, 0)),
                  nullptr) == Result::kAuthFailed) {
      ++auth;
    }
  }
  CHECK_EQ(auth, 200);
  CHECK_EQ(victim.rx->streamCount(), 0u);

  // Bad key lengths.
  uint8_t k[32] = {0};
  CHECK(SrtpSession::Create(Profile::kAeadAes128Gcm, Direction::kProtect, k, 16,
                            k, 14) == nullptr);
  CHECK(SrtpSession::Create(Profile::kAes128CmHmacSha1_80, Direction::kProtect,
                            k, 32, k, 14) == nullptr);
  CHECK(SrtpSession::Create(Profile::kAeadAes256Gcm, Direction::kProtect, k, 32,
                            k, 12) != nullptr);
}

void TestExporterSplit() {
  for (Profile p : kAllProfiles) {
    const size_t n = ExporterLength(p);
    Bytes material(n);
    for (size_t i = 0; i < n; ++i) material[i] = static_cast<uint8_t>(i * 11 + 1);
    SessionPair client, server;
    CHECK(SessionsFromExporter(p, material.data(), n, true, &client));
    CHECK(SessionsFromExporter(p, material.data(), n, false, &server));
    if (!client.protect || !server.protect) continue;
    const Bytes rtp = RtpPacket(9, 0x51, 100, 2);
    Bytes got;
    CHECK(Unprotect(*server.unprotect, Protect(*client.protect, rtp), &got) ==
          Result::kOk);
    CHECK(got == rtp);
    CHECK(Unprotect(*client.unprotect, Protect(*server.protect, rtp), &got) ==
          Result::kOk);
    CHECK(got == rtp);
    // Our own packets do not authenticate with our receive keys.
    CHECK(Unprotect(*client.unprotect, Protect(*client.protect, RtpPacket(10, 0x51, 9, 0)),
                    nullptr) == Result::kAuthFailed);
    // The client write key really is the first key_len bytes.
    const ProfileParams pp = ParamsOf(p);
    auto direct = SrtpSession::Create(p, Direction::kUnprotect, material.data(),
                                      pp.key_len, material.data() + 2 * pp.key_len,
                                      pp.salt_len);
    CHECK(direct != nullptr);
    if (direct) {
      CHECK(Unprotect(*direct, Protect(*client.protect, RtpPacket(11, 0x51, 9, 0)),
                      nullptr) == Result::kOk);
    }
    SessionPair bad;
    CHECK(!SessionsFromExporter(p, material.data(), n - 1, true, &bad));
    CHECK(!bad.protect && !bad.unprotect);
  }
  Profile got;
  CHECK(ProfileFromDtlsId(0x0007, &got) && got == Profile::kAeadAes128Gcm);
  CHECK(ProfileFromDtlsId(0x0001, &got) && got == Profile::kAes128CmHmacSha1_80);
  CHECK(!ProfileFromDtlsId(0x0005, &got));
  CHECK_EQ(ExporterLength(Profile::kAes128CmHmacSha1_80), 60u);
  CHECK_EQ(ExporterLength(Profile::kAeadAes128Gcm), 56u);
  CHECK_EQ(ExporterLength(Profile::kAeadAes256Gcm), 88u);
  CHECK(std::string(ResultName(Result::kReplay)) == "replay");
}

}  // namespace

int main() {
  TestRfc3711KeystreamB2();
  TestRfc3711KeyDerivationB3();
  TestAesCmReferencePackets();
  TestRfc7714Rtp();
  TestRfc7714Rtcp();
  TestRoundTripsEveryProfile();
  TestRocRollover();
  TestReplayWindow();
  TestTamperAndTruncation();
  TestStreamLimitAndWrongKeys();
  TestExporterSplit();
  return webrtc_agent::native_test::ReportChecks("srtp_test");
}
