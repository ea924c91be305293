// libFuzzer target: the transport-cc feedback parser (rtp/transport_cc.*)
// and the send-side bandwidth estimator it feeds (addon/bwe), with what a
// hostile or broken subscriber can send back. The input is:
//   byte 0:      how many packets the estimator has sent first (x 64), and
//                whether the feedback is parsed with a small status cap;
//   bytes 1..:   an RTCP compound of feedback packets, read with
//                RtcpCompoundReader; every packet goes through
//                ParseTransportCc and, when it parses, into SendSideBwe.
// Invariants: a parsed feedback has exactly status_count entries, numbered
// consecutively from the base, with arrival ticks only on received ones and
// each the previous plus one delta the packet carried; the estimate stays
// within the configured bounds; the history counts add up; probe requests
// are within their byte bounds. The same bytes are also taken as an RTP
// packet the agent sends: CopyWithTransportSequence must give a packet
// that parses whenever the input does, with the number under its id and
// the payload unchanged. Built and run by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "bwe/send_side_bwe.h"
#include "fuzz/fuzz_check.h"
#include "rtp/rtcp.h"
#include "rtp/rtp_packet.h"
#include "rtp/transport_cc.h"
#include "rtp/transport_sequence.h"

namespace {

using namespace webrtc_agent;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  {
    // The input after byte 0 as an RTP packet the agent sends; byte 0's
    // low bits pick the extension id (1..14 one-byte form, 15+ two-byte).
    const uint8_t id = static_cast<uint8_t>(1 + (data[0] & 0x1F));
    std::vector<uint8_t> out(size + 16);
    const size_t n = rtp::CopyWithTransportSequence(data + 1, size - 1, id, 0xBEEF, out.data(), out.size());
    rtp::RtpPacketView in(data + 1, size - 1);
    if (in.Parse()) {
      FUZZ_CHECK(n > 0);
      rtp::RtpPacketView v(out.data(), n);
      FUZZ_CHECK(v.Parse());
      const rtp::ByteSpan e = v.FindExtension(id);
      FUZZ_CHECK(e.present() && e.size == 2 && rtp::LoadU16(e.data) == 0xBEEF);
      FUZZ_CHECK(v.payloadSize() == in.payloadSize() && v.paddingSize() == in.paddingSize());
      FUZZ_CHECK(v.ssrc() == in.ssrc() && v.sequence() == in.sequence() && v.csrcCount() == in.csrcCount());
      FUZZ_CHECK(std::memcmp(v.payload(), in.payload(), in.payloadSize()) == 0);
    }
    if (n > 0) FUZZ_CHECK(n <= out.size());
  }
  bwe::BweConfig config;
  config.initial_bps = 300000;
  config.min_bps = 50000;
  config.max_bps = 5000000;
  bwe::SendSideBwe est(config);
  int64_t now_us = 1000000;
  const size_t presend = static_cast<size_t>(data[0] & 0x7F) * 64;
  for (size_t i = 0; i < presend; ++i) {
    est.OnPacketSent(1200, i % 5 == 0 ? bwe::PacketKind::kRtx : bwe::PacketKind::kMedia, bwe::kNoCluster, now_us);
    now_us += 1000;
  }
  bwe::ProbeRequest probe;
  while (est.NextProbe(now_us, &probe)) {
    FUZZ_CHECK(probe.bytes >= bwe::ProbeController::kMinClusterBytes &&
               probe.bytes <= bwe::ProbeController::kMaxClusterBytes);
    for (uint32_t sent = 0; sent < probe.bytes; sent += 275) {
      est.OnPacketSent(275, bwe::PacketKind::kPadding, probe.cluster, now_us);
    }
  }
  const size_t cap = (data[0] & 0x80) ? 64 : rtp::kMaxTransportCcStatuses;

  rtp::RtcpCompoundReader reader(data + 1, size - 1);
  rtp::RtcpPacket packet;
  rtp::TransportCc fb;
  while (reader.Next(&packet)) {
    now_us += 20000;
    const rtp::TransportCcError err = rtp::ParseTransportCc(packet, &fb, cap);
    if (err != rtp::TransportCcError::kNone) continue;
    FUZZ_CHECK(fb.status_count > 0 && fb.status_count <= cap);
    FUZZ_CHECK(fb.entries.size() == fb.status_count);
    // Each delta is 1 or 2 bytes of the packet: the ticks cannot move more
    // than 32768 per received entry, and only received entries carry any.
    int64_t previous = 0;
    for (size_t i = 0; i < fb.entries.size(); ++i) {
      const rtp::TransportCcEntry& e = fb.entries[i];
      FUZZ_CHECK(e.sequence == static_cast<uint16_t>(fb.base_sequence + i));
      if (!e.received) {
        FUZZ_CHECK(e.arrival_ticks == 0);
        continue;
      }
      FUZZ_CHECK(e.arrival_ticks - previous >= -32768 && e.arrival_ticks - previous <= 32767);
      previous = e.arrival_ticks;
    }
    est.OnFeedback(fb, now_us);
    FUZZ_CHECK(est.estimate_bps() >= config.min_bps && est.estimate_bps() <= config.max_bps);
    while (est.NextProbe(now_us, &probe)) {
      FUZZ_CHECK(probe.bytes >= bwe::ProbeController::kMinClusterBytes &&
                 probe.bytes <= bwe::ProbeController::kMaxClusterBytes);
      FUZZ_CHECK(probe.bitrate_bps <= config.max_bps);
      est.OnPacketSent(275, bwe::PacketKind::kPadding, probe.cluster, now_us);
    }
  }
  const bwe::SendHistoryCounters& h = est.history();
  FUZZ_CHECK(h.received + h.lost <= h.sent);
  FUZZ_CHECK(est.rtt_ms() >= 0 && est.rtt_ms() <= 10000);
  return 0;
}
