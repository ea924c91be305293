// libFuzzer target: the RTCP compound reader, every packet parser, the SSRC
// rewriters, and build -> parse round trips of the builders fed with fuzz
// bytes. Built and run by scripts/fuzz.sh.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "rtp/byte_io.h"
#include "rtp/rtcp.h"

namespace {

using namespace webrtc_agent::rtp;

struct Layout {
  std::vector<size_t> sizes;
  std::vector<uint8_t> types;
  RtcpError error = RtcpError::kNone;
  bool done = false;
};

// Reads the whole compound, calling every parser on every packet and
// checking what they return against the packet's bounds.
Layout ReadAll(const uint8_t* data, size_t size) {
  Layout layout;
  RtcpCompoundReader reader(data, size);
  RtcpPacket pkt;
  size_t offset = 0;
  while (reader.Next(&pkt)) {
    FUZZ_CHECK(pkt.data == data + offset);
    FUZZ_CHECK(pkt.size >= kRtcpHeaderSize && pkt.size % 4 == 0);
    FUZZ_CHECK(pkt.size <= size - offset);
    FUZZ_CHECK(pkt.body.data == pkt.data + kRtcpHeaderSize);
    FUZZ_CHECK(pkt.body.size <= pkt.size - kRtcpHeaderSize);
    FUZZ_CHECK(pkt.type >= 192 && pkt.type <= 223);
    FUZZ_CHECK(pkt.count <= 31);
    offset += pkt.size;
    layout.sizes.push_back(pkt.size);
    layout.types.push_back(pkt.type);

    SenderReport sr;
    if (ParseSenderReport(pkt, &sr)) {
      FUZZ_CHECK(sr.report_count == pkt.count);
      FUZZ_CHECK(24 + sr.report_count * kReportBlockSize <= pkt.body.size);
    }
    ReceiverReport rr;
    if (ParseReceiverReport(pkt, &rr)) {
      FUZZ_CHECK(4 + rr.report_count * kReportBlockSize <= pkt.body.size);
      for (size_t i = 0; i < rr.report_count; ++i) {
        FUZZ_CHECK(rr.reports[i].cumulative_lost >= -0x800000 &&
                   rr.reports[i].cumulative_lost <= 0x7FFFFF);
      }
    }
    Sdes sdes;
    if (ParseSdes(pkt, &sdes)) {
      FUZZ_CHECK(sdes.chunk_count == pkt.count);
      for (size_t i = 0; i < sdes.chunk_count; ++i) {
        const ByteSpan& c = sdes.chunks[i].cname;
        if (c.present()) {
          FUZZ_CHECK(c.data >= pkt.body.data &&
                     c.data + c.size <= pkt.body.data + pkt.body.size);
        }
      }
    }
    Bye bye;
    if (ParseBye(pkt, &bye)) {
      FUZZ_CHECK(bye.ssrc_count == pkt.count);
      if (bye.reason.present()) {
        FUZZ_CHECK(bye.reason.data + bye.reason.size <=
                   pkt.body.data + pkt.body.size);
      }
    }
    FeedbackHeader fb;
    const bool is_fb = ParseFeedbackHeader(pkt, &fb);
    FUZZ_CHECK(is_fb == (pkt.type == kRtcpRtpfb || pkt.type == kRtcpPsfb));
    Nack nack;
    const size_t cap = 1 + (pkt.size % 64);
    if (ParseNack(pkt, &nack, cap)) {
      FUZZ_CHECK(is_fb);
      FUZZ_CHECK(nack.sequences.size() <= cap);
      FUZZ_CHECK(nack.pair_count * 4 + 8 == pkt.body.size);
      FUZZ_CHECK(nack.truncated || nack.sequences.size() >= nack.pair_count);
      FUZZ_CHECK(nack.truncated || nack.sequences.size() <= nack.pair_count * 17);
    }
    Pli pli;
    if (ParsePli(pkt, &pli)) FUZZ_CHECK(is_fb && pli.header.media_ssrc == fb.media_ssrc);
    Fir fir;
    if (ParseFir(pkt, &fir)) {
      FUZZ_CHECK(!fir.entries.empty());
      FUZZ_CHECK(fir.entries.size() * 8 + 8 == pkt.body.size);
    }
    Remb remb;
    if (ParseRemb(pkt, &remb)) {
      FUZZ_CHECK(16 + remb.ssrcs.size() * 4 <= pkt.body.size);
    }
    if (IsTransportCc(pkt)) FUZZ_CHECK(is_fb && pkt.body.size >= 16);
  }
  layout.error = reader.error();
  layout.done = reader.done();
  FUZZ_CHECK(reader.packetCount() == layout.sizes.size());
  if (layout.done) FUZZ_CHECK(offset == size);
  if (layout.error != RtcpError::kNone) {
    FUZZ_CHECK(reader.errorOffset() == offset);
    FUZZ_CHECK(!reader.Next(&pkt));  // stays stopped
  } else {
    FUZZ_CHECK(layout.done);
  }
  FUZZ_CHECK(IsValidRtcpCompound(data, size) == layout.done);
  return layout;
}

void CheckRewrites(const uint8_t* data, size_t size, const Layout& layout) {
  const uint32_t from = size >= 12 ? LoadU32(data + 8) : 0;
  const uint32_t to = size >= 4 ? LoadU32(data + size - 4) : 1;
  std::vector<uint8_t> copy(data, data + size);
  const int media = RewriteFeedbackMediaSsrc(copy.data(), copy.size(), from, to);
  const int sender = RewriteFeedbackSenderSsrc(copy.data(), copy.size(), to);
  if (!layout.done) {
    // A malformed compound is left byte for byte as it was.
    FUZZ_CHECK(media == -1 && sender == -1);
    FUZZ_CHECK(size == 0 || std::memcmp(copy.data(), data, size) == 0);
    return;
  }
  FUZZ_CHECK(media >= 0 && sender >= 0);
  // Only SSRC fields changed: the packet structure reads the same.
  Layout after = ReadAll(copy.data(), copy.size());
  FUZZ_CHECK(after.done);
  FUZZ_CHECK(after.sizes == layout.sizes && after.types == layout.types);
  // Rewriting again finds nothing left to change.
  FUZZ_CHECK(RewriteFeedbackSenderSsrc(copy.data(), copy.size(), to) == 0);
  if (from != to) {
    FUZZ_CHECK(RewriteFeedbackMediaSsrc(copy.data(), copy.size(), from, to) == 0);
  }
}

// Builders fed with fuzz bytes, parsed back.
void CheckBuilders(const uint8_t* data, size_t size) {
  uint8_t buf[2048];
  RtcpPacket pkt;

  std::vector<uint16_t> seqs;
  for (size_t i = 0; i + 1 < size && seqs.size() < 300; i += 2) {
    seqs.push_back(LoadU16(data + i));
  }
  const size_t capacity = size > 0 ? 16 + data[0] * 4u : sizeof(buf);
  const size_t n = BuildNack(buf, std::min(capacity, sizeof(buf)), 1, 2,
                             seqs.data(), seqs.size());
  if (seqs.empty()) FUZZ_CHECK(n == 0);
  if (n > 0) {
    RtcpCompoundReader reader(buf, n);
    FUZZ_CHECK(reader.Next(&pkt));
    FUZZ_CHECK(reader.done());
    Nack nack;
    FUZZ_CHECK(ParseNack(pkt, &nack, 1u << 20));
    std::vector<uint16_t> got = nack.sequences;
    std::sort(got.begin(), got.end());
    std::vector<uint16_t> want = seqs;
    std::sort(want.begin(), want.end());
    want.erase(std::unique(want.begin(), want.end()), want.end());
    got.erase(std::unique(got.begin(), got.end()), got.end());
    FUZZ_CHECK(got == want);  // every number, and nothing else
  }

  if (size >= 8) {
    const uint64_t bitrate =
        (static_cast<uint64_t>(LoadU32(data)) << 32) | LoadU32(data + 4);
    const uint32_t ssrcs[] = {LoadU32(data), LoadU32(data + 4)};
    const size_t count = data[0] % 3;
    const size_t m = BuildRemb(buf, sizeof(buf), 7, bitrate, ssrcs, count);
    FUZZ_CHECK(m == 20 + 4 * count);
    RtcpCompoundReader reader(buf, m);
    FUZZ_CHECK(reader.Next(&pkt));
    Remb remb;
    FUZZ_CHECK(ParseRemb(pkt, &remb));
    FUZZ_CHECK(remb.ssrcs.size() == count);
    // Rounded down, by less than one step of the chosen exponent.
    FUZZ_CHECK(remb.bitrate_bps <= bitrate);
    FUZZ_CHECK(bitrate - remb.bitrate_bps <= bitrate / (1u << 17));

    ReportBlock blocks[2];
    blocks[0].ssrc = LoadU32(data);
    blocks[0].cumulative_lost = static_cast<int32_t>(LoadU32(data + 4));
    blocks[1].jitter = LoadU32(data + 2);
    SenderInfo info;
    info.ssrc = LoadU32(data + 1);
    info.ntp_timestamp = bitrate;
    const size_t blocks_used = data[1] % 3;
    const size_t s = BuildSr(buf, sizeof(buf), info, blocks, blocks_used);
    FUZZ_CHECK(s == 28 + 24 * blocks_used);
    RtcpCompoundReader sr_reader(buf, s);
    FUZZ_CHECK(sr_reader.Next(&pkt));
    SenderReport sr;
    FUZZ_CHECK(ParseSenderReport(pkt, &sr));
    FUZZ_CHECK(sr.sender.ntp_timestamp == bitrate);
    FUZZ_CHECK(sr.report_count == blocks_used);
    if (blocks_used > 0) {
      const int32_t lost = blocks[0].cumulative_lost;
      const int32_t want = lost > 0x7FFFFF ? 0x7FFFFF
                           : lost < -0x800000 ? -0x800000 : lost;
      FUZZ_CHECK(sr.reports[0].cumulative_lost == want);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Layout layout = ReadAll(data, size);
  CheckRewrites(data, size, layout);
  CheckBuilders(data, size);
  return 0;
}
