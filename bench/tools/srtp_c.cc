// The C face of addon/srtp for the bench tools (srtp_c.h).
#include "srtp_c.h"

#include <cstring>
#include <memory>

#include "srtp/srtp_session.h"

using webrtc_agent::srtp::Direction;
using webrtc_agent::srtp::Profile;
using webrtc_agent::srtp::Result;
using webrtc_agent::srtp::SrtpSession;

struct bench_srtp {
  std::unique_ptr<SrtpSession> session;
};

static int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

extern "C" int bench_srtp_parse_master(const char *hex, uint8_t out[BENCH_SRTP_MASTER_LEN]) {
  if (hex == nullptr || std::strlen(hex) != 2 * BENCH_SRTP_MASTER_LEN) return -1;
  for (size_t i = 0; i < BENCH_SRTP_MASTER_LEN; i++) {
    const int hi = HexDigit(hex[2 * i]), lo = HexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return 0;
}

extern "C" void bench_srtp_stream_master(const uint8_t base[BENCH_SRTP_MASTER_LEN], uint32_t index,
                                         uint8_t out[BENCH_SRTP_MASTER_LEN]) {
  std::memcpy(out, base, BENCH_SRTP_MASTER_LEN);
  for (int i = 0; i < 4; i++) out[12 + i] ^= static_cast<uint8_t>(index >> (24 - 8 * i));
}

extern "C" bench_srtp *bench_srtp_new(const uint8_t master[BENCH_SRTP_MASTER_LEN], int protect) {
  auto s = SrtpSession::Create(Profile::kAeadAes128Gcm, protect ? Direction::kProtect : Direction::kUnprotect,
                               master, 16, master + 16, 12);
  if (!s) return nullptr;
  return new bench_srtp{std::move(s)};
}

extern "C" void bench_srtp_free(bench_srtp *s) { delete s; }

extern "C" int bench_srtp_protect(bench_srtp *s, uint8_t *buf, size_t *len, size_t cap) {
  return s->session->ProtectRtp(buf, len, cap) ? 0 : -1;
}

extern "C" int bench_srtp_unprotect(bench_srtp *s, uint8_t *buf, size_t *len) {
  const Result r = s->session->UnprotectRtp(buf, len);
  return r == Result::kOk ? 0 : static_cast<int>(r);
}
