// libFuzzer target: SRTP/SRTCP unprotect of arbitrary bytes, and protect ->
// unprotect round trips, for every profile. Built and run by scripts/fuzz.sh
// (linked with -lcrypto).
//
// The first input byte picks the profile and the mode; the rest is the
// packet (or, in the sequence mode, a list of packets). Sessions are made
// fresh for each input with fixed keys, so a finding replays on its own.
//
// Beyond "does not crash", it checks: a rejected packet leaves *len alone;
// an accepted one shrinks by exactly the tag (and SRTCP index); whatever we
// protect unprotects to the same bytes, exactly once (a second copy is a
// replay) and not at all with a bit flipped in its tag; and only
// authenticated packets create streams.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "srtp/srtp_session.h"

namespace {

using namespace webrtc_agent::srtp;

constexpr size_t kSlack = 64;  // room for any tag + SRTCP index

struct Sessions {
  std::unique_ptr<SrtpSession> tx;
  std::unique_ptr<SrtpSession> rx;
};

Sessions Make(Profile p) {
  const ProfileParams pp = ParamsOf(p);
  uint8_t key[kMaxKeyLen];
  uint8_t salt[kMaxSaltLen];
  for (size_t i = 0; i < sizeof(key); ++i) key[i] = static_cast<uint8_t>(i * 7 + 1);
  for (size_t i = 0; i < sizeof(salt); ++i) salt[i] = static_cast<uint8_t>(0xA0 + i);
  Sessions s;
  s.tx = SrtpSession::Create(p, Direction::kProtect, key, pp.key_len, salt,
                             pp.salt_len);
  s.rx = SrtpSession::Create(p, Direction::kUnprotect, key, pp.key_len, salt,
                             pp.salt_len);
  FUZZ_CHECK(s.tx && s.rx);
  return s;
}

// Unprotects a copy; checks the length contract either way.
Result Unprotect(SrtpSession& rx, const uint8_t* data, size_t size, bool rtcp,
                 std::vector<uint8_t>* plain) {
  std::vector<uint8_t> buf(data, data + size);
  size_t len = size;
  const size_t streams = rx.streamCount();
  const Result r = rtcp ? rx.UnprotectRtcp(buf.data(), &len)
                        : rx.UnprotectRtp(buf.data(), &len);
  const ProfileParams pp = ParamsOf(rx.profile());
  if (r == Result::kOk) {
    FUZZ_CHECK(len == size - (rtcp ? pp.rtcp_tag_len + 4 : pp.rtp_tag_len));
    buf.resize(len);
    if (plain) *plain = buf;
  } else {
    FUZZ_CHECK(len == size);
    FUZZ_CHECK(rx.streamCount() == streams);
  }
  return r;
}

bool Protect(SrtpSession& tx, const std::vector<uint8_t>& plain, bool rtcp,
             std::vector<uint8_t>* wire) {
  wire->assign(plain.begin(), plain.end());
  wire->resize(plain.size() + kSlack);
  size_t len = plain.size();
  const bool ok = rtcp ? tx.ProtectRtcp(wire->data(), &len, wire->size())
                       : tx.ProtectRtp(wire->data(), &len, wire->size());
  if (!ok) {
    FUZZ_CHECK(len == plain.size());
    return false;
  }
  const ProfileParams pp = ParamsOf(tx.profile());
  FUZZ_CHECK(len == plain.size() + (rtcp ? pp.rtcp_tag_len + 4 : pp.rtp_tag_len));
  wire->resize(len);
  return true;
}

// Protect then unprotect one packet; the contract of a round trip.
void RoundTrip(Sessions& s, std::vector<uint8_t> plain, bool rtcp) {
  if (!plain.empty()) plain[0] = static_cast<uint8_t>((plain[0] & 0x3F) | 0x80);
  std::vector<uint8_t> wire;
  if (!Protect(*s.tx, plain, rtcp, &wire)) return;
  std::vector<uint8_t> got;
  // Flip the last byte (always tag or SRTCP index, never unauthenticated).
  std::vector<uint8_t> bad = wire;
  bad.back() ^= 0x01;
  FUZZ_CHECK(Unprotect(*s.rx, bad.data(), bad.size(), rtcp, nullptr) != Result::kOk);
  FUZZ_CHECK(Unprotect(*s.rx, wire.data(), wire.size(), rtcp, &got) == Result::kOk);
  FUZZ_CHECK(got == plain);
  FUZZ_CHECK(Unprotect(*s.rx, wire.data(), wire.size(), rtcp, nullptr) == Result::kReplay);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Profile profile = kAllProfiles[data[0] % kProfileCount];
  const unsigned mode = (data[0] >> 2) % 4;
  ++data;
  --size;
  Sessions s = Make(profile);

  switch (mode) {
    case 0:  // hostile bytes, as SRTP and as SRTCP
      (void)Unprotect(*s.rx, data, size, false, nullptr);
      (void)Unprotect(*s.rx, data, size, true, nullptr);
      break;
    case 1:
      RoundTrip(s, std::vector<uint8_t>(data, data + size), false);
      break;
    case 2:
      RoundTrip(s, std::vector<uint8_t>(data, data + size), true);
      break;
    case 3: {
      // A sequence: [len][ctl][packet...] records. Each packet is
      // protected, then delivered now, held back (delivered at the end, in
      // reverse), or delivered twice. Any legitimate packet must come out
      // unchanged or be refused as a replay or (after a reorder wider than
      // the ROC estimate tolerates) an auth failure, never as malformed.
      std::vector<std::vector<uint8_t>> plains, held;
      size_t pos = 0;
      while (size - pos >= 2) {
        const size_t len = data[pos];
        const uint8_t ctl = data[pos + 1];
        pos += 2;
        const size_t n = len < size - pos ? len : size - pos;
        std::vector<uint8_t> plain(data + pos, data + pos + n);
        pos += n;
        const bool rtcp = ctl & 1;
        if (!plain.empty()) plain[0] = static_cast<uint8_t>((plain[0] & 0x3F) | 0x80);
        std::vector<uint8_t> wire;
        if (!Protect(*s.tx, plain, rtcp, &wire)) continue;
        const unsigned how = (ctl >> 1) % 3;
        if (how == 1) {
          wire.push_back(rtcp);  // remember the kind in a trailing byte
          held.push_back(wire);
          plains.push_back(plain);
          continue;
        }
        for (int copy = 0; copy < (how == 2 ? 2 : 1); ++copy) {
          std::vector<uint8_t> got;
          const Result r = Unprotect(*s.rx, wire.data(), wire.size(), rtcp, &got);
          FUZZ_CHECK(r == Result::kOk || r == Result::kReplay ||
                     r == Result::kAuthFailed);
          if (copy == 1) FUZZ_CHECK(r != Result::kOk);
          if (r == Result::kOk) FUZZ_CHECK(got == plain);
        }
      }
      for (size_t i = held.size(); i-- > 0;) {
        std::vector<uint8_t>& wire = held[i];
        const bool rtcp = wire.back() != 0;
        wire.pop_back();
        std::vector<uint8_t> got;
        const Result r = Unprotect(*s.rx, wire.data(), wire.size(), rtcp, &got);
        FUZZ_CHECK(r == Result::kOk || r == Result::kReplay ||
                   r == Result::kAuthFailed);
        if (r == Result::kOk) FUZZ_CHECK(got == plains[i]);
      }
      break;
    }
  }
  return 0;
}
