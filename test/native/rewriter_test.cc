// Unit tests for addon/router/rtp_rewriter: what one subscriber sees of a
// stream (SSRC, sequence numbers, timestamps), and the way back: a NACK the
// subscriber sends names its own sequence numbers, which SourceSeq maps to
// the source's so the request can go further up (media between agents).
// A plain program built with ASan+UBSan by test/native/rewriter.test.ts.
#include <cstdint>
#include <vector>

#include "check.h"
#include "router/rtp_rewriter.h"
#include "rtp/byte_io.h"

namespace {

using webrtc_agent::router::RtpRewriter;
using webrtc_agent::rtp::LoadU16;
using webrtc_agent::rtp::LoadU32;

std::vector<uint8_t> Packet(uint16_t seq, uint32_t ts, uint32_t ssrc, uint8_t pt = 96) {
  std::vector<uint8_t> p(20, 0);
  p[0] = 0x80;
  p[1] = pt;
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  p[4] = static_cast<uint8_t>(ts >> 24);
  p[5] = static_cast<uint8_t>(ts >> 16);
  p[6] = static_cast<uint8_t>(ts >> 8);
  p[7] = static_cast<uint8_t>(ts);
  p[8] = static_cast<uint8_t>(ssrc >> 24);
  p[9] = static_cast<uint8_t>(ssrc >> 16);
  p[10] = static_cast<uint8_t>(ssrc >> 8);
  p[11] = static_cast<uint8_t>(ssrc);
  return p;
}

// Rewrites one packet and returns its (seq, ts, ssrc, pt) as sent.
struct Out {
  uint16_t seq;
  uint32_t ts;
  uint32_t ssrc;
  uint8_t pt;
};
Out Send(RtpRewriter& r, uint16_t seq, uint32_t ts, uint32_t ssrc, uint64_t now_ms) {
  std::vector<uint8_t> p = Packet(seq, ts, ssrc);
  r.Rewrite(p.data(), p.size(), now_ms);
  return {LoadU16(p.data() + 2), LoadU32(p.data() + 4), LoadU32(p.data() + 8), static_cast<uint8_t>(p[1] & 0x7f)};
}

void TestFirstSourceKeepsNumbers() {
  RtpRewriter r(4242, -1, 90000);
  Out o = Send(r, 1000, 5000, 777, 10);
  CHECK(o.seq == 1000);
  CHECK(o.ts == 5000);
  CHECK(o.ssrc == 4242);
  CHECK(o.pt == 96);
  CHECK(r.SourceSeq(1000) == 1000);
}

void TestPayloadTypeRewrite() {
  RtpRewriter r(1, 100, 90000);
  Out o = Send(r, 1, 1, 2, 0);
  CHECK(o.pt == 100);
}

void TestSwitchContinuesAndMapsBack() {
  RtpRewriter r(4242, -1, 90000);
  for (uint16_t i = 0; i < 10; i++) Send(r, static_cast<uint16_t>(1000 + i), 5000 + i * 3000u, 777, 100 + i);
  // A new source with unrelated numbers, 100 ms later.
  Out o = Send(r, 60000, 123456, 888, 209);
  CHECK(o.seq == 1010);  // goes on by one
  CHECK(o.ssrc == 4242);
  CHECK(o.ts == 5000 + 9 * 3000u + 100 * 90);  // moved on by the 100 ms that passed
  // A NACK for what the subscriber saw as 1010 means the new source's 60000.
  CHECK(r.SourceSeq(1010) == 60000);
  Out o2 = Send(r, 60001, 126456, 888, 242);
  CHECK(o2.seq == 1011);
  CHECK(r.SourceSeq(1011) == 60001);
  CHECK(r.SourceSeq(1005) == static_cast<uint16_t>(1005 - 1010 + 60000));
}

void TestWrapAround() {
  RtpRewriter r(9, -1, 48000);
  Send(r, 65534, 0, 5, 0);
  Send(r, 65535, 960, 5, 20);
  Out o = Send(r, 0, 1920, 5, 40);
  CHECK(o.seq == 0);
  CHECK(r.SourceSeq(0) == 0);
  CHECK(r.SourceSeq(65535) == 65535);
  // Switch across the wrap: mapping stays modulo 2^16.
  r.Rebase();
  Out s = Send(r, 10, 5000, 5, 60);
  CHECK(s.seq == 1);
  CHECK(r.SourceSeq(1) == 10);
  CHECK(r.SourceSeq(0) == 9);
}

void TestLatePacketDoesNotMoveContinuation() {
  RtpRewriter r(3, -1, 90000);
  Send(r, 100, 0, 1, 0);
  Send(r, 102, 6000, 1, 66);
  Out late = Send(r, 101, 3000, 1, 70);  // a retransmission or reordering
  CHECK(late.seq == 101);
  CHECK(r.last_seq() == 102);
  Out next = Send(r, 103, 9000, 1, 100);
  CHECK(next.seq == 103);
}

}  // namespace

int main() {
  TestFirstSourceKeepsNumbers();
  TestPayloadTypeRewrite();
  TestSwitchContinuesAndMapsBack();
  TestWrapAround();
  TestLatePacketDoesNotMoveContinuation();
  return webrtc_agent::native_test::ReportChecks("rewriter_test");
}
