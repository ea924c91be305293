// Unit tests for addon/rtp: a plain program (no framework, no addon, no
// Node) built with ASan+UBSan by test/native/rtp.test.ts. Packets are built
// by hand from the RFC layouts, so a test states the wire bytes it means.
//
// Prints "rtp_test: N checks passed, M failed" last; exits 1 if M > 0. The
// tap wrapper checks N too, so a build that runs no checks cannot pass.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <vector>

#include "check.h"
#include "rtp/codec.h"
#include "rtp/keyframe.h"
#include "rtp/rtcp.h"
#include "rtp/rtp_packet.h"

namespace {

using Bytes = std::vector<uint8_t>;
using namespace webrtc_agent::rtp;

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A fixed RTP header: V=2, given flags in byte 0 (P X CC), marker, PT.
Bytes RtpHeader(uint8_t byte0_flags, bool marker, uint8_t pt, uint16_t seq,
                uint32_t ts, uint32_t ssrc) {
  return Bytes{static_cast<uint8_t>(0x80 | byte0_flags),
               static_cast<uint8_t>((marker ? 0x80 : 0) | pt),
               static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq),
               static_cast<uint8_t>(ts >> 24), static_cast<uint8_t>(ts >> 16),
               static_cast<uint8_t>(ts >> 8), static_cast<uint8_t>(ts),
               static_cast<uint8_t>(ssrc >> 24),
               static_cast<uint8_t>(ssrc >> 16),
               static_cast<uint8_t>(ssrc >> 8), static_cast<uint8_t>(ssrc)};
}

Bytes U32(uint32_t v) {
  return Bytes{static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
               static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

bool SpanIs(ByteSpan s, const Bytes& want) {
  return s.present() && s.size == want.size() &&
         (want.empty() || std::memcmp(s.data, want.data(), want.size()) == 0);
}

// ---------------------------------------------------------------- RTP ----

void TestRtpBasicHeader() {
  Bytes pkt = Cat({RtpHeader(0, false, 96, 0x1234, 0xDEADBEEF, 0x11223344),
                   Bytes{1, 2, 3}});
  RtpPacketView v(pkt.data(), pkt.size());
  CHECK(v.Parse());
  CHECK(v.valid());
  CHECK(!v.marker());
  CHECK_EQ(v.payloadType(), 96);
  CHECK_EQ(v.sequence(), 0x1234);
  CHECK_EQ(v.timestamp(), 0xDEADBEEFu);
  CHECK_EQ(v.ssrc(), 0x11223344u);
  CHECK_EQ(v.csrcCount(), 0);
  CHECK_EQ(v.headerSize(), 12u);
  CHECK_EQ(v.payloadSize(), 3u);
  CHECK_EQ(v.paddingSize(), 0u);
  CHECK(v.payload() == pkt.data() + 12);
  CHECK(v.extensionForm() == ExtensionForm::kNone);
  CHECK(!v.FindExtension(1).present());

  Bytes marked = RtpHeader(0, true, 111, 1, 2, 3);
  RtpPacketView m(marked.data(), marked.size());
  CHECK(m.Parse());
  CHECK(m.marker());
  CHECK_EQ(m.payloadType(), 111);
  CHECK_EQ(m.payloadSize(), 0u);  // a header alone is a valid (empty) packet
}

void TestRtpCsrcs() {
  Bytes pkt = Cat({RtpHeader(0x02, false, 96, 7, 8, 9), U32(0xAAAAAAAA),
                   U32(0xBBBBBBBB), Bytes{0x42}});
  RtpPacketView v(pkt.data(), pkt.size());
  CHECK(v.Parse());
  CHECK_EQ(v.csrcCount(), 2);
  CHECK_EQ(v.csrc(0), 0xAAAAAAAAu);
  CHECK_EQ(v.csrc(1), 0xBBBBBBBBu);
  CHECK_EQ(v.csrc(2), 0u);
  CHECK_EQ(v.headerSize(), 20u);
  CHECK_EQ(v.payloadSize(), 1u);

  // CC = 15 claims 60 bytes of CSRCs; only 8 are there.
  Bytes past = Cat({RtpHeader(0x0F, false, 96, 7, 8, 9), U32(1), U32(2)});
  RtpPacketView p(past.data(), past.size());
  CHECK(!p.Parse());
  CHECK(!p.valid());
  CHECK_EQ(p.payloadSize(), 0u);
  CHECK(p.payload() == nullptr);
  CHECK_EQ(p.ssrc(), 0u);  // accessors of an invalid view are defaults
}

void TestRtpMalformedHeaders() {
  Bytes full = RtpHeader(0, false, 96, 1, 2, 3);
  RtpPacketView truncated(full.data(), 11);
  CHECK(!truncated.Parse());
  RtpPacketView empty(full.data(), 0);
  CHECK(!empty.Parse());
  RtpPacketView null_view(nullptr, 100);
  CHECK(!null_view.Parse());

  Bytes v1 = full;
  v1[0] = 0x40;  // version 1
  RtpPacketView bad_version(v1.data(), v1.size());
  CHECK(!bad_version.Parse());
  Bytes v0 = full;
  v0[0] = 0x00;
  RtpPacketView version0(v0.data(), v0.size());
  CHECK(!version0.Parse());
}

// RFC 8285 §4.2 one-byte form: 0xBEDE, length in words, then elements of
// one byte (ID << 4 | len-1) followed by 1..16 bytes; zero bytes pad.
void TestRtpOneByteExtension() {
  Bytes ext = {0xBE, 0xDE, 0x00, 0x02,  // profile, 2 words
               0x10, 0xAA,              // id 1, 1 byte
               0x21, 0xBB, 0xCC,        // id 2, 2 bytes
               0x00, 0x00, 0x00};       // padding
  Bytes pkt = Cat({RtpHeader(0x10, false, 100, 5, 6, 7), ext, Bytes{9, 9}});
  RtpPacketView v(pkt.data(), pkt.size());
  CHECK(v.Parse());
  CHECK(v.hasExtension());
  CHECK(v.extensionForm() == ExtensionForm::kOneByte);
  CHECK_EQ(v.extensionProfile(), 0xBEDE);
  CHECK_EQ(v.headerSize(), 24u);
  CHECK_EQ(v.payloadSize(), 2u);
  CHECK_EQ(v.extensionBlock().size, 8u);
  CHECK(!v.extensionsTruncated());
  CHECK(SpanIs(v.FindExtension(1), {0xAA}));
  CHECK(SpanIs(v.FindExtension(2), {0xBB, 0xCC}));
  CHECK(!v.FindExtension(3).present());
  CHECK(!v.FindExtension(0).present());

  size_t cursor = 0;
  RtpExtension e;
  int n = 0;
  while (v.NextExtension(&cursor, &e)) ++n;
  CHECK_EQ(n, 2);
  CHECK(!v.NextExtension(&cursor, &e));  // stays at the end

  // Padding between elements, and a 16-byte element (L = 15).
  Bytes ext16 = {0xBE, 0xDE, 0x00, 0x05, 0x00, 0x3F};
  for (int i = 0; i < 16; ++i) ext16.push_back(static_cast<uint8_t>(i));
  ext16.push_back(0x40);  // id 4, 1 byte
  ext16.push_back(0x77);
  Bytes pkt16 = Cat({RtpHeader(0x10, false, 100, 5, 6, 7), ext16});
  RtpPacketView v16(pkt16.data(), pkt16.size());
  CHECK(v16.Parse());
  CHECK_EQ(v16.FindExtension(3).size, 16u);
  CHECK(SpanIs(v16.FindExtension(4), {0x77}));

  // A byte with id 0 and a non-zero length nibble is a padding byte, not an
  // element of id 0 (a fuzzer finding): the walk steps over it alone.
  Bytes odd_pad = {0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0x01, 0x20};
  Bytes pkt_pad = Cat({RtpHeader(0x10, false, 100, 5, 6, 7), odd_pad, Bytes{0x55}});
  RtpPacketView vp(pkt_pad.data(), pkt_pad.size());
  CHECK(vp.Parse());
  CHECK(vp.extensionsTruncated());  // 0x20 = id 2 needing 1 byte: none left
  size_t c2 = 0;
  int ids = 0;
  while (vp.NextExtension(&c2, &e)) {
    CHECK(e.id != 0);
    ++ids;
  }
  CHECK_EQ(ids, 1);
  CHECK(SpanIs(vp.FindExtension(1), {0xAA}));
}

void TestRtpOneByteStopAndTruncation() {
  // Id 15 ends the walk (RFC 8285 §4.2): element 2 after it is not seen.
  Bytes ext = {0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0xF0, 0x20};
  Bytes pkt = Cat({RtpHeader(0x10, false, 100, 5, 6, 7), ext});
  RtpPacketView v(pkt.data(), pkt.size());
  CHECK(v.Parse());
  CHECK(v.extensionsTruncated());
  CHECK(SpanIs(v.FindExtension(1), {0xAA}));
  CHECK(!v.FindExtension(2).present());

  // An element whose length runs past the block: the packet stays valid,
  // the elements before it are kept.
  Bytes over = {0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0x2F, 0x01};
  Bytes pkt2 = Cat({RtpHeader(0x10, false, 100, 5, 6, 7), over, Bytes{1, 2, 3}});
  RtpPacketView v2(pkt2.data(), pkt2.size());
  CHECK(v2.Parse());
  CHECK(v2.extensionsTruncated());
  CHECK(SpanIs(v2.FindExtension(1), {0xAA}));
  CHECK(!v2.FindExtension(2).present());
  CHECK_EQ(v2.payloadSize(), 3u);
}

// RFC 8285 §4.3 two-byte form: 0x100 + 4 appbits, elements of id, length
// (0..255), data.
void TestRtpTwoByteExtension() {
  Bytes ext = {0x10, 0x00, 0x00, 0x03,   // profile, 3 words
               0x05, 0x00,               // id 5, empty
               0x00,                     // padding
               0xC8, 0x03, 1, 2, 3,      // id 200, 3 bytes
               0x0E, 0x01, 0x55,         // id 14, 1 byte
               0x00};
  CHECK_EQ(ext.size(), 16u);
  Bytes pkt = Cat({RtpHeader(0x10, false, 100, 5, 6, 7), ext, Bytes{0xEE}});
  RtpPacketView v(pkt.data(), pkt.size());
  CHECK(v.Parse());
  CHECK(v.extensionForm() == ExtensionForm::kTwoByte);
  CHECK(!v.extensionsTruncated());
  ByteSpan empty = v.FindExtension(5);
  CHECK(empty.present());
  CHECK_EQ(empty.size, 0u);
  CHECK(SpanIs(v.FindExtension(200), {1, 2, 3}));
  CHECK(SpanIs(v.FindExtension(14), {0x55}));
  CHECK(!v.FindExtension(6).present());
  CHECK_EQ(v.payloadSize(), 1u);

  // Appbits are ignored: 0x100F is the two-byte form too.
  Bytes app = ext;
  app[1] = 0x0F;
  Bytes pkt2 = Cat({RtpHeader(0x10, false, 100, 5, 6, 7), app});
  RtpPacketView v2(pkt2.data(), pkt2.size());
  CHECK(v2.Parse());
  CHECK(v2.extensionForm() == ExtensionForm::kTwoByte);
  CHECK(SpanIs(v2.FindExtension(200), {1, 2, 3}));

  // Two-byte element whose length byte is missing at the block's end.
  Bytes cut = {0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07};
  Bytes pkt3 = Cat({RtpHeader(0x10, false, 100, 5, 6, 7), cut});
  RtpPacketView v3(pkt3.data(), pkt3.size());
  CHECK(v3.Parse());
  CHECK(v3.extensionsTruncated());
  CHECK(!v3.FindExtension(7).present());
}

void TestRtpExtensionMalformed() {
  // Extension length (0x0010 words = 64 bytes) past the end of the packet.
  Bytes pkt = Cat({RtpHeader(0x10, false, 100, 5, 6, 7),
                   Bytes{0xBE, 0xDE, 0x00, 0x10, 0x10, 0xAA, 0, 0}});
  RtpPacketView v(pkt.data(), pkt.size());
  CHECK(!v.Parse());

  // X bit set but not even the 4-byte extension header fits.
  Bytes pkt2 = Cat({RtpHeader(0x10, false, 100, 5, 6, 7), Bytes{0xBE, 0xDE}});
  RtpPacketView v2(pkt2.data(), pkt2.size());
  CHECK(!v2.Parse());

  // Largest length field: 65535 words.
  Bytes pkt3 = Cat({RtpHeader(0x10, false, 100, 5, 6, 7),
                    Bytes{0xBE, 0xDE, 0xFF, 0xFF}});
  RtpPacketView v3(pkt3.data(), pkt3.size());
  CHECK(!v3.Parse());

  // An unknown profile: skipped, never interpreted.
  Bytes pkt4 = Cat({RtpHeader(0x10, false, 100, 5, 6, 7),
                    Bytes{0xAB, 0xCD, 0x00, 0x01, 0x10, 0xAA, 0, 0}, Bytes{1}});
  RtpPacketView v4(pkt4.data(), pkt4.size());
  CHECK(v4.Parse());
  CHECK(v4.extensionForm() == ExtensionForm::kOther);
  CHECK_EQ(v4.extensionProfile(), 0xABCD);
  CHECK(!v4.FindExtension(1).present());
  CHECK_EQ(v4.headerSize(), 20u);
  CHECK_EQ(v4.payloadSize(), 1u);

  // CSRCs and extension together.
  Bytes pkt5 = Cat({RtpHeader(0x11, false, 100, 5, 6, 7), U32(0xC0C0C0C0),
                    Bytes{0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0, 0}, Bytes{1, 2}});
  RtpPacketView v5(pkt5.data(), pkt5.size());
  CHECK(v5.Parse());
  CHECK_EQ(v5.headerSize(), 24u);
  CHECK(SpanIs(v5.FindExtension(1), {0xAA}));
  CHECK_EQ(v5.payloadSize(), 2u);
}

void TestRtpPadding() {
  Bytes pkt = Cat({RtpHeader(0x20, false, 96, 1, 2, 3), Bytes{7, 7, 7},
                   Bytes{0, 0, 0, 4}});
  RtpPacketView v(pkt.data(), pkt.size());
  CHECK(v.Parse());
  CHECK(v.hasPadding());
  CHECK_EQ(v.paddingSize(), 4u);
  CHECK_EQ(v.payloadSize(), 3u);

  // Padding only (a bandwidth probe): zero payload bytes, still valid.
  Bytes probe = Cat({RtpHeader(0x20, false, 96, 1, 2, 3), Bytes{0, 0, 0, 4}});
  RtpPacketView p(probe.data(), probe.size());
  CHECK(p.Parse());
  CHECK_EQ(p.payloadSize(), 0u);
  CHECK_EQ(p.paddingSize(), 4u);

  // Padding count larger than what follows the header.
  Bytes big = Cat({RtpHeader(0x20, false, 96, 1, 2, 3), Bytes{7, 7, 7, 5}});
  RtpPacketView b(big.data(), big.size());
  CHECK(!b.Parse());
  Bytes huge = Cat({RtpHeader(0x20, false, 96, 1, 2, 3), Bytes{0xFF}});
  RtpPacketView h(huge.data(), huge.size());
  CHECK(!h.Parse());

  // A padding count of 0 is impossible (it counts itself).
  Bytes zero = Cat({RtpHeader(0x20, false, 96, 1, 2, 3), Bytes{7, 0}});
  RtpPacketView z(zero.data(), zero.size());
  CHECK(!z.Parse());

  // P bit set with no byte after the header for the count.
  Bytes none = RtpHeader(0x20, false, 96, 1, 2, 3);
  RtpPacketView n(none.data(), none.size());
  CHECK(!n.Parse());

  // Padding may not reach back into the extension block.
  Bytes into = Cat({RtpHeader(0x30, false, 96, 1, 2, 3),
                    Bytes{0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0, 0}, Bytes{2}});
  RtpPacketView i(into.data(), into.size());
  CHECK(!i.Parse());
}

void TestRtpWriters() {
  Bytes pkt = Cat({RtpHeader(0, true, 96, 1, 2, 3), Bytes{1, 2}});
  CHECK(SetSsrc(pkt.data(), pkt.size(), 0xCAFEBABE));
  CHECK(SetSequence(pkt.data(), pkt.size(), 0xFFFF));
  CHECK(SetTimestamp(pkt.data(), pkt.size(), 0x01020304));
  CHECK(SetPayloadType(pkt.data(), pkt.size(), 127));
  RtpPacketView v(pkt.data(), pkt.size());
  CHECK(v.Parse());
  CHECK_EQ(v.ssrc(), 0xCAFEBABEu);
  CHECK_EQ(v.sequence(), 0xFFFF);
  CHECK_EQ(v.timestamp(), 0x01020304u);
  CHECK_EQ(v.payloadType(), 127);
  CHECK(v.marker());  // SetPayloadType keeps the marker
  CHECK(SetMarker(pkt.data(), pkt.size(), false));
  CHECK(v.Parse());
  CHECK(!v.marker());
  CHECK_EQ(v.payloadType(), 127);  // SetMarker keeps the payload type
  CHECK(!SetPayloadType(pkt.data(), pkt.size(), 128));
  CHECK_EQ(pkt[1], 127);

  Bytes shorty(11, 0x80);
  CHECK(!SetSsrc(shorty.data(), shorty.size(), 1));
  CHECK(!SetSequence(shorty.data(), shorty.size(), 1));
  CHECK(!SetTimestamp(shorty.data(), shorty.size(), 1));
  CHECK(!SetMarker(shorty.data(), shorty.size(), true));
  CHECK(!SetSsrc(nullptr, 100, 1));
  CHECK(shorty == Bytes(11, 0x80));
}

void TestRtpRewriteExtensionId() {
  Bytes ext = {0xBE, 0xDE, 0x00, 0x02, 0x10, 0xAA, 0x21, 0xBB, 0xCC, 0x11, 0xDD, 0x00};
  Bytes pkt = Cat({RtpHeader(0x10, false, 100, 5, 6, 7), ext});
  CHECK_EQ(RewriteExtensionId(pkt.data(), pkt.size(), 1, 3), 2);
  RtpPacketView v(pkt.data(), pkt.size());
  CHECK(v.Parse());
  CHECK(!v.FindExtension(1).present());
  CHECK(SpanIs(v.FindExtension(3), {0xAA}));  // the first one with id 3
  CHECK(SpanIs(v.FindExtension(2), {0xBB, 0xCC}));
  CHECK_EQ(pkt[12 + 4 + 2] & 0x0F, 1);  // element 2's length nibble unchanged
  CHECK_EQ(RewriteExtensionId(pkt.data(), pkt.size(), 3, 15), -1);
  CHECK_EQ(RewriteExtensionId(pkt.data(), pkt.size(), 3, 0), -1);
  CHECK_EQ(RewriteExtensionId(pkt.data(), pkt.size(), 9, 4), 0);

  Bytes ext2 = {0x10, 0x00, 0x00, 0x02, 0xC8, 0x02, 1, 2, 0x05, 0x00, 0, 0};
  Bytes pkt2 = Cat({RtpHeader(0x10, false, 100, 5, 6, 7), ext2});
  CHECK_EQ(RewriteExtensionId(pkt2.data(), pkt2.size(), 200, 20), 1);
  RtpPacketView v2(pkt2.data(), pkt2.size());
  CHECK(v2.Parse());
  CHECK(SpanIs(v2.FindExtension(20), {1, 2}));
  CHECK(v2.FindExtension(5).present());

  Bytes plain = RtpHeader(0, false, 100, 5, 6, 7);
  CHECK_EQ(RewriteExtensionId(plain.data(), plain.size(), 1, 2), 0);
  Bytes broken = Cat({RtpHeader(0x10, false, 100, 5, 6, 7), Bytes{0xBE, 0xDE, 0, 9}});
  Bytes before = broken;
  CHECK_EQ(RewriteExtensionId(broken.data(), broken.size(), 1, 2), -1);
  CHECK(broken == before);
}

void TestDemux() {
  const Bytes stun = {0x00, 0x01, 0x00, 0x00};
  const Bytes dtls = {0x16, 0xFE, 0xFD};
  const Bytes rtp = RtpHeader(0, false, 96, 1, 2, 3);
  const Bytes rtp_marked = RtpHeader(0, true, 96, 1, 2, 3);  // 2nd byte 224
  const Bytes rtcp_sr = {0x80, 200, 0x00, 0x06};
  const Bytes rtcp_192 = {0x80, 192, 0x00, 0x00};
  const Bytes rtcp_223 = {0x80, 223, 0x00, 0x00};
  const Bytes pt_191 = {0x80, 191, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

  CHECK(Classify(stun.data(), stun.size()) == PacketClass::kStun);
  Bytes stun3 = {0x03};
  CHECK(Classify(stun3.data(), 1) == PacketClass::kStun);
  CHECK(Classify(dtls.data(), dtls.size()) == PacketClass::kDtls);
  Bytes b20 = {20}, b63 = {63}, b64 = {64}, b19 = {19}, b4 = {4}, b127 = {127},
        b192 = {192}, b255 = {255};
  CHECK(Classify(b20.data(), 1) == PacketClass::kDtls);
  CHECK(Classify(b63.data(), 1) == PacketClass::kDtls);
  CHECK(Classify(b64.data(), 1) == PacketClass::kUnknown);   // TURN channel
  CHECK(Classify(b19.data(), 1) == PacketClass::kUnknown);   // ZRTP
  CHECK(Classify(b4.data(), 1) == PacketClass::kUnknown);
  CHECK(Classify(b127.data(), 1) == PacketClass::kUnknown);
  CHECK(Classify(b192.data(), 1) == PacketClass::kUnknown);
  CHECK(Classify(b255.data(), 1) == PacketClass::kUnknown);
  CHECK(Classify(rtp.data(), rtp.size()) == PacketClass::kRtp);
  CHECK(Classify(rtp_marked.data(), rtp_marked.size()) == PacketClass::kRtp);
  CHECK(Classify(rtcp_sr.data(), rtcp_sr.size()) == PacketClass::kRtcp);
  CHECK(Classify(nullptr, 0) == PacketClass::kUnknown);
  CHECK(Classify(rtp.data(), 0) == PacketClass::kUnknown);

  CHECK(IsRtcpPacket(rtcp_sr.data(), rtcp_sr.size()));
  CHECK(IsRtcpPacket(rtcp_192.data(), rtcp_192.size()));
  CHECK(IsRtcpPacket(rtcp_223.data(), rtcp_223.size()));
  CHECK(!IsRtcpPacket(rtp_marked.data(), rtp_marked.size()));
  CHECK(!IsRtcpPacket(pt_191.data(), pt_191.size()));
  CHECK(!IsRtcpPacket(rtcp_sr.data(), 3));
  CHECK(LooksLikeRtp(rtp.data(), rtp.size()));
  CHECK(LooksLikeRtp(rtp_marked.data(), rtp_marked.size()));
  CHECK(LooksLikeRtp(pt_191.data(), pt_191.size()));
  CHECK(!LooksLikeRtp(rtp.data(), 11));
  Bytes rtcp_long = Cat({rtcp_sr, Bytes(24, 0)});
  CHECK(!LooksLikeRtp(rtcp_long.data(), rtcp_long.size()));
  // RTP with marker and PT 72 (second byte 200) is indistinguishable from
  // an SR: RFC 5761 forbids PTs 64..95 with rtcp-mux for this reason.
  Bytes pt72 = RtpHeader(0, true, 72, 1, 2, 3);
  CHECK(IsRtcpPacket(pt72.data(), pt72.size()));
}

// --------------------------------------------------------------- RTCP ----

Bytes ReportBlockBytes(uint32_t ssrc, uint8_t fraction, uint32_t lost24,
                       uint32_t highest, uint32_t jitter, uint32_t lsr,
                       uint32_t dlsr) {
  return Cat({U32(ssrc),
              Bytes{fraction, static_cast<uint8_t>(lost24 >> 16),
                    static_cast<uint8_t>(lost24 >> 8),
                    static_cast<uint8_t>(lost24)},
              U32(highest), U32(jitter), U32(lsr), U32(dlsr)});
}

void TestRtcpReceiverReport() {
  // RFC 3550 §6.4.2: V=2 RC=1 PT=201 length=7, sender SSRC, one block.
  Bytes rr = Cat({Bytes{0x81, 201, 0x00, 0x07}, U32(0x01020304),
                  ReportBlockBytes(0xAABBCCDD, 64, 0xFFFFFF, 0x00010005, 17,
                                   0x12345678, 655)});
  CHECK_EQ(rr.size(), 32u);
  RtcpCompoundReader reader(rr.data(), rr.size());
  RtcpPacket pkt;
  CHECK(reader.Next(&pkt));
  CHECK_EQ(pkt.type, kRtcpRr);
  CHECK_EQ(pkt.count, 1);
  CHECK_EQ(pkt.size, 32u);
  CHECK_EQ(pkt.body.size, 28u);
  ReceiverReport report;
  CHECK(ParseReceiverReport(pkt, &report));
  CHECK_EQ(report.sender_ssrc, 0x01020304u);
  CHECK_EQ(report.report_count, 1u);
  CHECK_EQ(report.reports[0].ssrc, 0xAABBCCDDu);
  CHECK_EQ(report.reports[0].fraction_lost, 64);
  CHECK_EQ(report.reports[0].cumulative_lost, -1);  // 24-bit signed
  CHECK_EQ(report.reports[0].extended_highest_sequence, 0x00010005u);
  CHECK_EQ(report.reports[0].jitter, 17u);
  CHECK_EQ(report.reports[0].last_sr, 0x12345678u);
  CHECK_EQ(report.reports[0].delay_since_last_sr, 655u);
  SenderReport sr;
  CHECK(!ParseSenderReport(pkt, &sr));  // wrong type
  CHECK(!reader.Next(&pkt));
  CHECK(reader.done());
  CHECK(reader.error() == RtcpError::kNone);
  CHECK_EQ(reader.packetCount(), 1u);

  // RC says 2 blocks, the length holds 1.
  Bytes short_rr = rr;
  short_rr[0] = 0x82;
  RtcpCompoundReader r2(short_rr.data(), short_rr.size());
  CHECK(!r2.Next(&pkt));
  CHECK(r2.error() == RtcpError::kBodyTooShort);
  CHECK(!r2.done());
}

void TestRtcpSenderReportAndSdes() {
  // SR with no blocks followed by SDES with one chunk (CNAME "ab"), the
  // usual head of a compound packet (RFC 3550 §6.1).
  Bytes sr = Cat({Bytes{0x80, 200, 0x00, 0x06}, U32(0x11111111),
                  U32(0xE0000000), U32(0x80000000), U32(90000), U32(10),
                  U32(1200)});
  Bytes sdes = Cat({Bytes{0x81, 202, 0x00, 0x02}, U32(0x11111111),
                    Bytes{0x01, 0x02, 'a', 'b'}, Bytes{0, 0, 0, 0}});
  // That chunk is SSRC + item(4) + null + pad = 12 bytes: length 3 words.
  sdes[3] = 0x03;
  Bytes compound = Cat({sr, sdes});
  RtcpCompoundReader reader(compound.data(), compound.size());
  RtcpPacket pkt;
  CHECK(reader.Next(&pkt));
  SenderReport report;
  CHECK(ParseSenderReport(pkt, &report));
  CHECK_EQ(report.sender.ssrc, 0x11111111u);
  CHECK_EQ(report.sender.ntp_timestamp, 0xE000000080000000ull);
  CHECK_EQ(report.sender.rtp_timestamp, 90000u);
  CHECK_EQ(report.sender.packet_count, 10u);
  CHECK_EQ(report.sender.octet_count, 1200u);
  CHECK_EQ(report.report_count, 0u);
  CHECK(reader.Next(&pkt));
  CHECK_EQ(pkt.type, kRtcpSdes);
  Sdes parsed;
  CHECK(ParseSdes(pkt, &parsed));
  CHECK_EQ(parsed.chunk_count, 1u);
  CHECK_EQ(parsed.chunks[0].ssrc, 0x11111111u);
  CHECK(SpanIs(parsed.chunks[0].cname, {'a', 'b'}));
  CHECK(!reader.Next(&pkt));
  CHECK(reader.done());
  CHECK(IsValidRtcpCompound(compound.data(), compound.size()));

  // SDES whose item length runs past the chunk, and one never terminated.
  Bytes bad_item = Cat({Bytes{0x81, 202, 0x00, 0x02}, U32(1), Bytes{0x01, 0x09, 'a', 'b'}});
  RtcpCompoundReader r2(bad_item.data(), bad_item.size());
  CHECK(r2.Next(&pkt));
  CHECK(!ParseSdes(pkt, &parsed));
  Bytes unterminated = Cat({Bytes{0x81, 202, 0x00, 0x02}, U32(1), Bytes{0x01, 0x02, 'a', 'b'}});
  RtcpCompoundReader r3(unterminated.data(), unterminated.size());
  CHECK(r3.Next(&pkt));
  CHECK(!ParseSdes(pkt, &parsed));
  // SC = 2 but one chunk.
  Bytes two = sdes;
  two[0] = 0x82;
  RtcpCompoundReader r4(two.data(), two.size());
  CHECK(r4.Next(&pkt));
  CHECK(!ParseSdes(pkt, &parsed));
}

void TestRtcpBuildReports() {
  ReportBlock blocks[2];
  blocks[0].ssrc = 0x01010101;
  blocks[0].fraction_lost = 3;
  blocks[0].cumulative_lost = -5;
  blocks[0].extended_highest_sequence = 70000;
  blocks[0].jitter = 9;
  blocks[0].last_sr = 11;
  blocks[0].delay_since_last_sr = 13;
  blocks[1].ssrc = 0x02020202;
  blocks[1].cumulative_lost = 100000000;  // clamps to 2^23 - 1
  uint8_t buf[256];
  size_t n = BuildRr(buf, sizeof(buf), 0x99, blocks, 2);
  CHECK_EQ(n, 4u + 4u + 48u);
  RtcpCompoundReader reader(buf, n);
  RtcpPacket pkt;
  CHECK(reader.Next(&pkt));
  ReceiverReport rr;
  CHECK(ParseReceiverReport(pkt, &rr));
  CHECK_EQ(rr.sender_ssrc, 0x99u);
  CHECK_EQ(rr.report_count, 2u);
  CHECK_EQ(rr.reports[0].cumulative_lost, -5);
  CHECK_EQ(rr.reports[0].extended_highest_sequence, 70000u);
  CHECK_EQ(rr.reports[0].delay_since_last_sr, 13u);
  CHECK_EQ(rr.reports[1].cumulative_lost, 0x7FFFFF);
  CHECK(reader.done() || !reader.Next(&pkt));

  SenderInfo info;
  info.ssrc = 0x42;
  info.ntp_timestamp = 0x0123456789ABCDEFull;
  info.rtp_timestamp = 3000;
  info.packet_count = 4;
  info.octet_count = 5;
  n = BuildSr(buf, sizeof(buf), info, blocks, 1);
  CHECK_EQ(n, 52u);
  RtcpCompoundReader r2(buf, n);
  CHECK(r2.Next(&pkt));
  SenderReport sr;
  CHECK(ParseSenderReport(pkt, &sr));
  CHECK_EQ(sr.sender.ntp_timestamp, 0x0123456789ABCDEFull);
  CHECK_EQ(sr.sender.octet_count, 5u);
  CHECK_EQ(sr.report_count, 1u);
  CHECK_EQ(sr.reports[0].ssrc, 0x01010101u);

  CHECK_EQ(BuildSr(buf, 51, info, blocks, 1), 0u);
  CHECK_EQ(BuildRr(buf, 7, 1, nullptr, 0), 0u);
  CHECK_EQ(BuildRr(buf, 8, 1, nullptr, 0), 8u);
  ReportBlock many[32];
  CHECK_EQ(BuildRr(buf, sizeof(buf), 1, many, 32), 0u);
}

void TestRtcpCompoundErrors() {
  RtcpPacket pkt;
  // Zero-length compound.
  RtcpCompoundReader empty(nullptr, 0);
  CHECK(!empty.Next(&pkt));
  CHECK(empty.error() == RtcpError::kEmpty);
  CHECK(!empty.done());
  CHECK(!IsValidRtcpCompound(nullptr, 0));

  Bytes rr = Cat({Bytes{0x80, 201, 0x00, 0x01}, U32(7)});
  // Length lies: says 0x10 words (68 bytes) for an 8-byte packet, after a
  // good packet. The good one is still returned.
  Bytes lying = Cat({rr, Bytes{0x80, 201, 0x00, 0x10}, U32(7)});
  RtcpCompoundReader r(lying.data(), lying.size());
  CHECK(r.Next(&pkt));
  CHECK(!r.Next(&pkt));
  CHECK(r.error() == RtcpError::kLengthPastEnd);
  CHECK_EQ(r.errorOffset(), 8u);
  CHECK_EQ(r.packetCount(), 1u);
  CHECK(!r.Next(&pkt));  // stays stopped
  CHECK(!IsValidRtcpCompound(lying.data(), lying.size()));

  // Trailing bytes too short for a header.
  Bytes trailing = Cat({rr, Bytes{0x80, 201, 0x00}});
  RtcpCompoundReader t(trailing.data(), trailing.size());
  CHECK(t.Next(&pkt));
  CHECK(!t.Next(&pkt));
  CHECK(t.error() == RtcpError::kTruncatedHeader);

  Bytes v1 = rr;
  v1[0] = 0x40;
  RtcpCompoundReader bv(v1.data(), v1.size());
  CHECK(!bv.Next(&pkt));
  CHECK(bv.error() == RtcpError::kBadVersion);

  Bytes bad_type = rr;
  bad_type[1] = 96;
  RtcpCompoundReader bt(bad_type.data(), bad_type.size());
  CHECK(!bt.Next(&pkt));
  CHECK(bt.error() == RtcpError::kBadType);

  // Padding: RR + 4 padding bytes, count 4 (valid); count 0; count > body.
  Bytes padded = Cat({Bytes{0xA0, 201, 0x00, 0x02}, U32(7), Bytes{0, 0, 0, 4}});
  RtcpCompoundReader pr(padded.data(), padded.size());
  CHECK(pr.Next(&pkt));
  CHECK(pkt.padding);
  CHECK_EQ(pkt.body.size, 4u);
  CHECK_EQ(pkt.size, 12u);
  CHECK(pr.done() || !pr.Next(&pkt));
  CHECK(pr.error() == RtcpError::kNone);
  Bytes pad0 = padded;
  pad0[11] = 0;
  RtcpCompoundReader p0(pad0.data(), pad0.size());
  CHECK(!p0.Next(&pkt));
  CHECK(p0.error() == RtcpError::kBadPadding);
  Bytes pad9 = padded;
  pad9[11] = 9;  // 9 > 8 body bytes: would eat into the header
  RtcpCompoundReader p9(pad9.data(), pad9.size());
  CHECK(!p9.Next(&pkt));
  CHECK(p9.error() == RtcpError::kBadPadding);
  Bytes pad8 = padded;
  pad8[11] = 8;  // leaves an RR body of 0 < 4 bytes
  RtcpCompoundReader p8(pad8.data(), pad8.size());
  CHECK(!p8.Next(&pkt));
  CHECK(p8.error() == RtcpError::kBodyTooShort);

  // A header-only packet of an unknown type is fine (skipped by callers).
  Bytes unknown = {0x80, 210, 0x00, 0x00};
  RtcpCompoundReader u(unknown.data(), unknown.size());
  CHECK(u.Next(&pkt));
  CHECK_EQ(pkt.body.size, 0u);
  CHECK(u.done());
  // A feedback packet without its two SSRCs is not.
  Bytes fb = {0x81, 206, 0x00, 0x00};
  RtcpCompoundReader f(fb.data(), fb.size());
  CHECK(!f.Next(&pkt));
  CHECK(f.error() == RtcpError::kBodyTooShort);
  CHECK(std::strcmp(RtcpErrorName(RtcpError::kLengthPastEnd), "length past end") == 0);
}

void TestRtcpBye() {
  Bytes bye = Cat({Bytes{0x82, 203, 0x00, 0x04}, U32(1), U32(2),
                   Bytes{0x03, 'b', 'y', 'e', 0, 0, 0, 0}});
  bye.resize(20);
  RtcpCompoundReader r(bye.data(), bye.size());
  RtcpPacket pkt;
  CHECK(r.Next(&pkt));
  Bye parsed;
  CHECK(ParseBye(pkt, &parsed));
  CHECK_EQ(parsed.ssrc_count, 2u);
  CHECK_EQ(parsed.ssrcs[1], 2u);
  CHECK(SpanIs(parsed.reason, {'b', 'y', 'e'}));

  Bytes lying = bye;
  lying[12] = 0x20;  // reason length 32 > 7 bytes left
  RtcpCompoundReader r2(lying.data(), lying.size());
  CHECK(r2.Next(&pkt));
  CHECK(!ParseBye(pkt, &parsed));

  Bytes sc3 = bye;
  sc3[0] = 0x85;  // 5 sources = 20 bytes > 16
  RtcpCompoundReader r3(sc3.data(), sc3.size());
  CHECK(!r3.Next(&pkt));
  CHECK(r3.error() == RtcpError::kBodyTooShort);
}

void TestRtcpNack() {
  // RFC 4585 §6.2.1: PID 100 with BLP bits 0 and 15 -> 100, 101, 116; and
  // a pair wrapping the 16-bit space: 65535 and 0.
  Bytes nack = Cat({Bytes{0x81, 205, 0x00, 0x04}, U32(0xA), U32(0xB),
                    Bytes{0x00, 100, 0x80, 0x01}, Bytes{0xFF, 0xFF, 0x00, 0x01}});
  RtcpCompoundReader r(nack.data(), nack.size());
  RtcpPacket pkt;
  CHECK(r.Next(&pkt));
  Nack parsed;
  CHECK(ParseNack(pkt, &parsed));
  CHECK_EQ(parsed.header.sender_ssrc, 0xAu);
  CHECK_EQ(parsed.header.media_ssrc, 0xBu);
  CHECK_EQ(parsed.pair_count, 2u);
  CHECK(parsed.sequences == (std::vector<uint16_t>{100, 101, 116, 65535, 0}));
  CHECK(!parsed.truncated);
  CHECK(!IsTransportCc(pkt));
  Pli pli;
  CHECK(!ParsePli(pkt, &pli));

  Nack capped;
  CHECK(ParseNack(pkt, &capped, 2));
  CHECK(capped.truncated);
  CHECK_EQ(capped.sequences.size(), 2u);

  // Empty FCI: a NACK must carry at least one pair.
  Bytes empty = Cat({Bytes{0x81, 205, 0x00, 0x02}, U32(0xA), U32(0xB)});
  RtcpCompoundReader re(empty.data(), empty.size());
  CHECK(re.Next(&pkt));
  CHECK(!ParseNack(pkt, &parsed));

  // Padding leaving half a pair.
  Bytes half = Cat({Bytes{0xA1, 205, 0x00, 0x03}, U32(0xA), U32(0xB), Bytes{0, 1, 0, 2}});
  RtcpCompoundReader rh(half.data(), half.size());
  CHECK(rh.Next(&pkt));
  CHECK_EQ(pkt.body.size, 10u);
  CHECK(!ParseNack(pkt, &parsed));

  // Build -> parse round trip, with a wrap and a duplicate.
  const uint16_t seqs[] = {10, 11, 26, 27, 27, 100, 65535, 0};
  uint8_t buf[128];
  size_t n = BuildNack(buf, sizeof(buf), 1, 2, seqs, 8);
  CHECK_EQ(n, 12u + 4u * 4u);  // {10..26}, {27}, {100}, {65535, 0}
  RtcpCompoundReader rb(buf, n);
  CHECK(rb.Next(&pkt));
  CHECK(ParseNack(pkt, &parsed));
  CHECK(parsed.sequences ==
        (std::vector<uint16_t>{10, 11, 26, 27, 100, 65535, 0}));
  CHECK_EQ(BuildNack(buf, sizeof(buf), 1, 2, seqs, 0), 0u);
  CHECK_EQ(BuildNack(buf, 15, 1, 2, seqs, 1), 0u);
  CHECK_EQ(BuildNack(buf, 16, 1, 2, seqs, 1), 16u);
  CHECK_EQ(BuildNack(buf, 16, 1, 2, seqs, 8), 0u);  // needs 4 pairs
}

void TestRtcpPliFir() {
  uint8_t buf[64];
  size_t n = BuildPli(buf, sizeof(buf), 0x1111, 0x2222);
  CHECK_EQ(n, 12u);
  const Bytes pli_wire = {0x81, 206, 0x00, 0x02, 0, 0, 0x11, 0x11, 0, 0, 0x22, 0x22};
  CHECK(Bytes(buf, buf + n) == pli_wire);
  RtcpCompoundReader r(buf, n);
  RtcpPacket pkt;
  CHECK(r.Next(&pkt));
  Pli pli;
  CHECK(ParsePli(pkt, &pli));
  CHECK_EQ(pli.header.sender_ssrc, 0x1111u);
  CHECK_EQ(pli.header.media_ssrc, 0x2222u);
  Fir fir;
  CHECK(!ParseFir(pkt, &fir));
  CHECK_EQ(BuildPli(buf, 11, 1, 2), 0u);

  // RFC 5104 §4.3.1: header media SSRC 0, entries of SSRC + seq nr + 3
  // reserved bytes.
  Bytes fir_wire = Cat({Bytes{0x84, 206, 0x00, 0x06}, U32(0x1111), U32(0),
                        U32(0x3333), Bytes{7, 0, 0, 0}, U32(0x4444),
                        Bytes{8, 0, 0, 0}});
  RtcpCompoundReader rf(fir_wire.data(), fir_wire.size());
  CHECK(rf.Next(&pkt));
  CHECK(ParseFir(pkt, &fir));
  CHECK_EQ(fir.entries.size(), 2u);
  CHECK_EQ(fir.entries[0].ssrc, 0x3333u);
  CHECK_EQ(fir.entries[0].sequence_number, 7);
  CHECK_EQ(fir.entries[1].ssrc, 0x4444u);
  CHECK_EQ(fir.entries[1].sequence_number, 8);
  CHECK(!ParsePli(pkt, &pli));

  // A partial entry (12 bytes of FCI), and no entry at all.
  Bytes partial = Cat({Bytes{0x84, 206, 0x00, 0x05}, U32(0x1111), U32(0),
                       U32(0x3333), Bytes{7, 0, 0, 0}, U32(0x4444)});
  RtcpCompoundReader rp(partial.data(), partial.size());
  CHECK(rp.Next(&pkt));
  CHECK(!ParseFir(pkt, &fir));
  Bytes none = Cat({Bytes{0x84, 206, 0x00, 0x02}, U32(0x1111), U32(0)});
  RtcpCompoundReader rn(none.data(), none.size());
  CHECK(rn.Next(&pkt));
  CHECK(!ParseFir(pkt, &fir));

  n = BuildFir(buf, sizeof(buf), 0x1111, 0x5555, 42);
  CHECK_EQ(n, 20u);
  RtcpCompoundReader rb(buf, n);
  CHECK(rb.Next(&pkt));
  CHECK(ParseFir(pkt, &fir));
  CHECK_EQ(fir.header.media_ssrc, 0u);
  CHECK_EQ(fir.entries.size(), 1u);
  CHECK_EQ(fir.entries[0].ssrc, 0x5555u);
  CHECK_EQ(fir.entries[0].sequence_number, 42);
  CHECK_EQ(BuildFir(buf, 19, 1, 2, 3), 0u);
}

void TestRtcpRembAndTcc() {
  // REMB: 'REMB', 2 SSRCs, exponent 3, mantissa 0x3FFFF -> 0x3FFFF << 3.
  Bytes remb = Cat({Bytes{0x8F, 206, 0x00, 0x06}, U32(0x1), U32(0),
                    Bytes{'R', 'E', 'M', 'B', 2, (3 << 2) | 0x03, 0xFF, 0xFF},
                    U32(0xAAAA), U32(0xBBBB)});
  RtcpCompoundReader r(remb.data(), remb.size());
  RtcpPacket pkt;
  CHECK(r.Next(&pkt));
  Remb parsed;
  CHECK(ParseRemb(pkt, &parsed));
  CHECK_EQ(parsed.bitrate_bps, uint64_t{0x3FFFF} << 3);
  CHECK(parsed.ssrcs == (std::vector<uint32_t>{0xAAAA, 0xBBBB}));

  // Num SSRC past the end.
  Bytes past = remb;
  past[16] = 9;
  RtcpCompoundReader rp(past.data(), past.size());
  CHECK(rp.Next(&pkt));
  CHECK(!ParseRemb(pkt, &parsed));
  // Not 'REMB'.
  Bytes other = remb;
  other[12] = 'X';
  RtcpCompoundReader ro(other.data(), other.size());
  CHECK(ro.Next(&pkt));
  CHECK(!ParseRemb(pkt, &parsed));
  // Exponent 63 over a full mantissa saturates instead of wrapping.
  Bytes huge = remb;
  huge[17] = (63 << 2) | 0x03;
  RtcpCompoundReader rhu(huge.data(), huge.size());
  CHECK(rhu.Next(&pkt));
  CHECK(ParseRemb(pkt, &parsed));
  CHECK_EQ(parsed.bitrate_bps, std::numeric_limits<uint64_t>::max());

  uint8_t buf[128];
  const uint32_t ssrcs[] = {0x10, 0x20, 0x30};
  size_t n = BuildRemb(buf, sizeof(buf), 0x77, 2500000, ssrcs, 3);
  CHECK_EQ(n, 4u + 8u + 8u + 12u);
  RtcpCompoundReader rb(buf, n);
  CHECK(rb.Next(&pkt));
  CHECK(ParseRemb(pkt, &parsed));
  // 2.5 Mb/s needs exponent 4: the value is rounded down to 16 b/s.
  CHECK(parsed.bitrate_bps <= 2500000u && parsed.bitrate_bps > 2500000u - 16u);
  CHECK_EQ(parsed.ssrcs.size(), 3u);
  CHECK_EQ(parsed.header.sender_ssrc, 0x77u);
  n = BuildRemb(buf, sizeof(buf), 0x77, 1000, nullptr, 0);
  CHECK_EQ(n, 20u);
  RtcpCompoundReader rz(buf, n);
  CHECK(rz.Next(&pkt));
  CHECK(ParseRemb(pkt, &parsed));
  CHECK_EQ(parsed.bitrate_bps, 1000u);
  CHECK(parsed.ssrcs.empty());

  // transport-cc: RTPFB FMT 15 with base seq, count, ref time, fb count.
  Bytes tcc = Cat({Bytes{0x8F, 205, 0x00, 0x04}, U32(1), U32(2),
                   Bytes{0, 1, 0, 0}, Bytes{0, 0, 1, 0}});
  RtcpCompoundReader rt(tcc.data(), tcc.size());
  CHECK(rt.Next(&pkt));
  CHECK(IsTransportCc(pkt));
  Nack nack;
  CHECK(!ParseNack(pkt, &nack));
  CHECK(!ParseRemb(pkt, &parsed));
  Bytes tcc_short = Cat({Bytes{0x8F, 205, 0x00, 0x03}, U32(1), U32(2), Bytes{0, 1, 0, 0}});
  RtcpCompoundReader rts(tcc_short.data(), tcc_short.size());
  CHECK(rts.Next(&pkt));
  CHECK(!IsTransportCc(pkt));
}

void TestRtcpRewrite() {
  const uint32_t kSub = 0x5AB5AB;   // SSRC the subscriber knows
  const uint32_t kPub = 0x9B0B9B;   // the publisher's real SSRC
  uint8_t buf[256];
  size_t n = 0;
  n += BuildRr(buf + n, sizeof(buf) - n, 0xC1, nullptr, 0);
  n += BuildPli(buf + n, sizeof(buf) - n, 0xC1, kSub);
  const uint16_t seqs[] = {1, 2};
  n += BuildNack(buf + n, sizeof(buf) - n, 0xC1, kSub, seqs, 2);
  n += BuildFir(buf + n, sizeof(buf) - n, 0xC1, kSub, 1);
  const uint32_t remb_ssrcs[] = {kSub, 0x123};
  n += BuildRemb(buf + n, sizeof(buf) - n, 0xC1, 300000, remb_ssrcs, 2);
  CHECK_EQ(n, 8u + 12u + 16u + 20u + 28u);
  CHECK(IsValidRtcpCompound(buf, n));

  CHECK_EQ(RewriteFeedbackMediaSsrc(buf, n, kSub, kPub), 4);
  CHECK_EQ(RewriteFeedbackMediaSsrc(buf, n, kSub, kPub), 0);
  CHECK_EQ(RewriteFeedbackSenderSsrc(buf, n, 0x5F0), 4);  // not the RR
  CHECK_EQ(RewriteFeedbackSenderSsrc(buf, n, 0x5F0), 0);

  RtcpCompoundReader r(buf, n);
  RtcpPacket pkt;
  CHECK(r.Next(&pkt));
  ReceiverReport rr;
  CHECK(ParseReceiverReport(pkt, &rr));
  CHECK_EQ(rr.sender_ssrc, 0xC1u);
  CHECK(r.Next(&pkt));
  Pli pli;
  CHECK(ParsePli(pkt, &pli));
  CHECK_EQ(pli.header.media_ssrc, kPub);
  CHECK_EQ(pli.header.sender_ssrc, 0x5F0u);
  CHECK(r.Next(&pkt));
  Nack nack;
  CHECK(ParseNack(pkt, &nack));
  CHECK_EQ(nack.header.media_ssrc, kPub);
  CHECK(r.Next(&pkt));
  Fir fir;
  CHECK(ParseFir(pkt, &fir));
  CHECK_EQ(fir.header.media_ssrc, 0u);
  CHECK_EQ(fir.entries[0].ssrc, kPub);
  CHECK(r.Next(&pkt));
  Remb remb;
  CHECK(ParseRemb(pkt, &remb));
  CHECK(remb.ssrcs == (std::vector<uint32_t>{kPub, 0x123}));
  CHECK(!r.Next(&pkt));
  CHECK(r.done());

  // A malformed compound is not touched at all.
  Bytes broken(buf, buf + n);
  broken.push_back(0x80);
  broken.push_back(201);
  const Bytes before = broken;
  CHECK_EQ(RewriteFeedbackMediaSsrc(broken.data(), broken.size(), kPub, 1), -1);
  CHECK_EQ(RewriteFeedbackSenderSsrc(broken.data(), broken.size(), 1), -1);
  CHECK(broken == before);
}

// ---------------------------------------------------------- key frames ----

void TestVp8Keyframe() {
  // S=1 PID=0, frame tag with P=0, start code 9d 01 2a, dimensions.
  const Bytes key = {0x10, 0x50, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01};
  CHECK(IsKeyframe(Codec::kVp8, key.data(), key.size()));
  // Extended: X, I with a 15-bit picture id, L, T.
  const Bytes ext_key = Cat({Bytes{0x90, 0xE0, 0x81, 0x23, 0x05, 0x40},
                             Bytes{0x50, 0x01, 0x00, 0x9d, 0x01, 0x2a}});
  CHECK(IsKeyframe(Codec::kVp8, ext_key.data(), ext_key.size()));
  Bytes delta = key;
  delta[1] = 0x51;  // P = 1: inter frame
  CHECK(!IsKeyframe(Codec::kVp8, delta.data(), delta.size()));
  Bytes not_start = key;
  not_start[0] = 0x00;  // S = 0
  CHECK(!IsKeyframe(Codec::kVp8, not_start.data(), not_start.size()));
  Bytes other_partition = key;
  other_partition[0] = 0x11;  // PID = 1
  CHECK(!IsKeyframe(Codec::kVp8, other_partition.data(), other_partition.size()));
  Bytes no_start_code = key;
  no_start_code[4] = 0x00;
  CHECK(!IsKeyframe(Codec::kVp8, no_start_code.data(), no_start_code.size()));
  // Truncated descriptors.
  const Bytes x_only = {0x90};
  CHECK(!IsKeyframe(Codec::kVp8, x_only.data(), x_only.size()));
  const Bytes half_picture_id = {0x90, 0x80, 0x81};
  CHECK(!IsKeyframe(Codec::kVp8, half_picture_id.data(), half_picture_id.size()));
  CHECK(!IsKeyframe(Codec::kVp8, key.data(), 5));
  CHECK(!IsKeyframe(Codec::kVp8, key.data(), 0));
}

void TestVp9Keyframe() {
  const Bytes key = {0x08, 0xAA};  // B=1, P=0
  CHECK(IsKeyframe(Codec::kVp9, key.data(), key.size()));
  const Bytes inter = {0x48, 0xAA};  // P=1
  CHECK(!IsKeyframe(Codec::kVp9, inter.data(), inter.size()));
  const Bytes not_begin = {0x00, 0xAA};
  CHECK(!IsKeyframe(Codec::kVp9, not_begin.data(), not_begin.size()));
  const Bytes descriptor_only = {0x08};
  CHECK(!IsKeyframe(Codec::kVp9, descriptor_only.data(), descriptor_only.size()));
  // I (15-bit id) + L (non-flexible: layer byte + TL0PICIDX).
  const Bytes layered0 = {0xA8, 0x80, 0x01, 0x00, 0x07, 0xAA};
  CHECK(IsKeyframe(Codec::kVp9, layered0.data(), layered0.size()));
  const Bytes layered1 = {0xA8, 0x80, 0x01, 0x02, 0x07, 0xAA};  // SID 1
  CHECK(!IsKeyframe(Codec::kVp9, layered1.data(), layered1.size()));
  // B|V with SS: N_S=1 (2 layers), Y, G with one group of R=1.
  const Bytes ss = {0x0A, 0x38, 0x01, 0x40, 0x00, 0xB4, 0x02, 0x80, 0x01, 0x68,
                    0x01, 0x04, 0x01, 0xAA};
  CHECK(IsKeyframe(Codec::kVp9, ss.data(), ss.size()));
  CHECK(!IsKeyframe(Codec::kVp9, ss.data(), 12));  // SS cut short
  CHECK(!IsKeyframe(Codec::kVp9, ss.data(), 13));  // nothing after SS
  // Flexible, P set, four P_DIFFs all with N: more than the 3 allowed.
  const Bytes pdiffs = {0x58, 0x03, 0x03, 0x03, 0x03, 0xAA};
  CHECK(!IsKeyframe(Codec::kVp9, pdiffs.data(), pdiffs.size()));
}

void TestH264Keyframe() {
  const Bytes idr = {0x65, 0x88, 0x80};
  const Bytes sps = {0x67, 0x42, 0x00, 0x1f};
  const Bytes slice = {0x41, 0x9a};
  CHECK(IsKeyframe(Codec::kH264, idr.data(), idr.size()));
  CHECK(IsKeyframe(Codec::kH264, sps.data(), sps.size()));
  CHECK(!IsKeyframe(Codec::kH264, slice.data(), slice.size()));
  // STAP-A: SPS + PPS.
  const Bytes stap = {0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce};
  CHECK(IsKeyframe(Codec::kH264, stap.data(), stap.size()));
  const Bytes stap_delta = {0x78, 0x00, 0x02, 0x41, 0x9a, 0x00, 0x01, 0x06};
  CHECK(!IsKeyframe(Codec::kH264, stap_delta.data(), stap_delta.size()));
  Bytes stap_lie = stap;
  stap_lie[6] = 0x09;  // second NAL claims 9 bytes, 2 remain
  CHECK(!IsKeyframe(Codec::kH264, stap_lie.data(), stap_lie.size()));
  const Bytes stap_zero = {0x78, 0x00, 0x00, 0x00, 0x02, 0x67, 0x42};
  CHECK(!IsKeyframe(Codec::kH264, stap_zero.data(), stap_zero.size()));
  const Bytes stap_odd = {0x78, 0x00, 0x02, 0x67, 0x42, 0x00};
  CHECK(!IsKeyframe(Codec::kH264, stap_odd.data(), stap_odd.size()));
  const Bytes stap_empty = {0x78};
  CHECK(!IsKeyframe(Codec::kH264, stap_empty.data(), stap_empty.size()));
  // FU-A: indicator (NRI=3, type 28), header S=1 type 5.
  const Bytes fu_start = {0x7c, 0x85, 0x88};
  CHECK(IsKeyframe(Codec::kH264, fu_start.data(), fu_start.size()));
  const Bytes fu_middle = {0x7c, 0x05, 0x88};
  CHECK(!IsKeyframe(Codec::kH264, fu_middle.data(), fu_middle.size()));
  const Bytes fu_slice = {0x7c, 0x81, 0x88};
  CHECK(!IsKeyframe(Codec::kH264, fu_slice.data(), fu_slice.size()));
  CHECK(!IsKeyframe(Codec::kH264, fu_start.data(), 2));
  const Bytes stap_b = {0x79, 0x00, 0x00, 0x00, 0x01, 0x65};
  CHECK(!IsKeyframe(Codec::kH264, stap_b.data(), stap_b.size()));
}

void TestAv1Keyframe() {
  const Bytes new_sequence = {0x18, 0x0A, 0x00};  // W=1, N=1
  CHECK(IsKeyframe(Codec::kAv1, new_sequence.data(), new_sequence.size()));
  // W=1, one OBU without a length: a sequence header (type 1).
  const Bytes seq_w1 = {0x10, 0x0A, 0x0B, 0x00};
  CHECK(IsKeyframe(Codec::kAv1, seq_w1.data(), seq_w1.size()));
  // W=0: LEB128 lengths; a temporal delimiter (type 2), then seq header.
  const Bytes seq_w0 = {0x00, 0x01, 0x12, 0x02, 0x0A, 0x0B};
  CHECK(IsKeyframe(Codec::kAv1, seq_w0.data(), seq_w0.size()));
  // W=2: first with a length, last without.
  const Bytes seq_w2 = {0x20, 0x01, 0x12, 0x0A, 0x0B};
  CHECK(IsKeyframe(Codec::kAv1, seq_w2.data(), seq_w2.size()));
  // A frame OBU (type 6) only.
  const Bytes frame = {0x10, 0x32, 0x00};
  CHECK(!IsKeyframe(Codec::kAv1, frame.data(), frame.size()));
  // Z=1: the first element continues a fragment; its first byte is not an
  // OBU header even if it looks like a sequence header.
  const Bytes tail = {0x90, 0x0A, 0x0B};
  CHECK(!IsKeyframe(Codec::kAv1, tail.data(), tail.size()));
  // A LEB128 length past the end, and an unterminated LEB128.
  const Bytes lying = {0x00, 0x05, 0x0A};
  CHECK(!IsKeyframe(Codec::kAv1, lying.data(), lying.size()));
  const Bytes endless = {0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  CHECK(!IsKeyframe(Codec::kAv1, endless.data(), endless.size()));
  const Bytes header_only = {0x08};
  CHECK(!IsKeyframe(Codec::kAv1, header_only.data(), header_only.size()));
}

void TestCodecHelpers() {
  CHECK(CodecFromName("VP8", 3) == Codec::kVp8);
  CHECK(CodecFromName("vp9", 3) == Codec::kVp9);
  CHECK(CodecFromName("h264", 4) == Codec::kH264);
  CHECK(CodecFromName("Av1", 3) == Codec::kAv1);
  CHECK(CodecFromName("OPUS", 4) == Codec::kOpus);
  CHECK(CodecFromName("H265", 4) == Codec::kUnknown);
  CHECK(CodecFromName("VP", 2) == Codec::kUnknown);
  CHECK(CodecFromName("VP80", 4) == Codec::kUnknown);
  CHECK(CodecFromName(nullptr, 0) == Codec::kUnknown);
  CHECK(IsVideoCodec(Codec::kAv1));
  CHECK(!IsVideoCodec(Codec::kOpus));
  CHECK_EQ(ClockRate(Codec::kVp8), 90000u);
  CHECK_EQ(ClockRate(Codec::kOpus), 48000u);
  CHECK_EQ(ClockRate(Codec::kUnknown), 0u);
  CHECK(std::strcmp(CodecName(Codec::kH264), "H264") == 0);
  const Bytes idr = {0x65, 0x88};
  CHECK(!IsKeyframe(Codec::kOpus, idr.data(), idr.size()));
  CHECK(!IsKeyframe(Codec::kUnknown, idr.data(), idr.size()));
  CHECK(!IsKeyframe(Codec::kH264, nullptr, 10));
}

}  // namespace

int main() {
  TestRtpBasicHeader();
  TestRtpCsrcs();
  TestRtpMalformedHeaders();
  TestRtpOneByteExtension();
  TestRtpOneByteStopAndTruncation();
  TestRtpTwoByteExtension();
  TestRtpExtensionMalformed();
  TestRtpPadding();
  TestRtpWriters();
  TestRtpRewriteExtensionId();
  TestDemux();
  TestRtcpReceiverReport();
  TestRtcpSenderReportAndSdes();
  TestRtcpBuildReports();
  TestRtcpCompoundErrors();
  TestRtcpBye();
  TestRtcpNack();
  TestRtcpPliFir();
  TestRtcpRembAndTcc();
  TestRtcpRewrite();
  TestVp8Keyframe();
  TestVp9Keyframe();
  TestH264Keyframe();
  TestAv1Keyframe();
  TestCodecHelpers();
  return webrtc_agent::native_test::ReportChecks("rtp_test");
}
