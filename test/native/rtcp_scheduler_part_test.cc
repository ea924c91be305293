// RtcpScheduler (addon/router/rtcp_scheduler) with SrMapping and
// BitrateMeter: the report interval, an RR per publishing transport, an SR
// per subscription that has sent something, its RTP time mapped from the
// publisher's SR (or the relayed one, or the newest packet sent).
#include <memory>

#include "check.h"
#include "router/bitrate_meter.h"
#include "router/rtcp_scheduler.h"
#include "router/sr_mapping.h"
#include "router/track_table.h"
#include "router_fakes.h"

namespace webrtc_agent::native_test {

using router::BitrateMeter;
using router::MediaKind;
using router::RtcpScheduler;
using router::RtpRewriter;
using router::SrMapping;
using router::Subscription;
using router::Track;
using router::TrackTable;

namespace {

void SrMappingTests() {
  Track track("a", MediaKind::kAudio, 48000);
  track.ssrc = 0x5050;
  RtpRewriter rw(0x7070, -1, 48000);
  // Newest packet sent, moved on by the time since: 48 ticks per ms.
  std::vector<uint8_t> p = RtpPacket(1, 100000, 0x5050, 111);
  rw.Rewrite(p.data(), p.size(), 1000);
  CHECK(SrMapping::RtpTimestampAt(track, rw, 1000) == rw.last_timestamp());
  CHECK(SrMapping::RtpTimestampAt(track, rw, 1500) == rw.last_timestamp() + 24000);
  // The publisher's SR wins: its RTP time, moved on, plus the offset.
  track.receive = std::make_unique<rtp::ReceiveStats>(48000);
  track.receive->OnSenderReport(0x1122334455667788ull, 90000, 1200);
  CHECK(SrMapping::RtpTimestampAt(track, rw, 1300) == 90000u + 4800u + rw.ts_delta());
  // An imported track: the SR timing relayed by the publisher's thread.
  Track imported("i", MediaKind::kAudio, 48000);
  imported.has_relayed_sr = true;
  imported.relayed_sr_rtp = 50000;
  imported.relayed_sr_ms = 2000;
  CHECK(SrMapping::RtpTimestampAt(imported, rw, 2010) == 50000u + 480u + rw.ts_delta());
}

void BitrateMeterTests() {
  BitrateMeter m;
  m.Sample(1000, 500);  // the first sample only starts the interval
  CHECK(m.bps() == 0);
  m.Sample(1000 + 125000, 1500);  // 125 kB in 1 s
  CHECK(m.bps() == 1000000);
  m.Sample(1000 + 125000, 1500);  // no time passed: the rate stands
  CHECK(m.bps() == 1000000);
}

}  // namespace

void RtcpSchedulerTests() {
  SrMappingTests();
  BitrateMeterTests();

  RtcpScheduler sched;
  sched.Start(10000);
  CHECK(!sched.ReportDue(10000 + RtcpScheduler::kReportIntervalMs - 1));
  CHECK(sched.ReportDue(10000 + RtcpScheduler::kReportIntervalMs));
  CHECK(!sched.ReportDue(10000 + RtcpScheduler::kReportIntervalMs + 1));

  FakeTransport pub("pub", 0x0b0b);
  FakeTransport sub("sub", 0x0c0c);
  TrackTable table;
  auto owned = std::make_unique<Track>("v", MediaKind::kVideo, 90000);
  owned->source = &pub;
  owned->ssrc = 0x4444;
  owned->receive = std::make_unique<rtp::ReceiveStats>(90000);
  Track* track = table.AddTrack(std::move(owned));
  for (uint16_t seq = 1; seq <= 10; seq++) track->receive->OnPacket(seq, seq * 3000u, seq * 33000ull);
  track->counters.bytes = 12500;
  Subscription* s = table.AddSubscription(std::make_unique<Subscription>("s", &sub, track, 0x9999, -1, 90000));
  // Nothing sent yet: no SR for it.
  sched.SendReports(table, 20000, 1'700'000'000'000'000ull);
  CHECK(pub.rtcp.size() == 1);
  CHECK(sub.rtcp.empty());
  CHECK(RtcpTypeAt(pub.rtcp[0], 0) == 201);
  CHECK((pub.rtcp[0][0] & 0x1f) == 1);                       // one report block
  CHECK(rtp::LoadU32(pub.rtcp[0].data() + 4) == 0x0b0b);     // from the transport's RTCP SSRC
  CHECK(rtp::LoadU32(pub.rtcp[0].data() + 8) == 0x4444);     // about the track
  CHECK(track->counters.rrs_sent == 1);

  std::vector<uint8_t> p = RtpPacket(5, 27000, 0x4444);
  s->rewriter().Rewrite(p.data(), p.size(), 20500);
  s->counters.packets = 1;
  s->counters.payload_bytes = 20;
  s->counters.bytes = 32;
  track->counters.bytes = 25000;
  sched.SendReports(table, 21000, 1'700'000'001'000'000ull);
  CHECK(sub.rtcp.size() == 1);
  CHECK(RtcpTypeAt(sub.rtcp[0], 0) == 200);
  CHECK(rtp::LoadU32(sub.rtcp[0].data() + 4) == 0x9999);
  CHECK(rtp::LoadU32(sub.rtcp[0].data() + 16) == SrMapping::RtpTimestampAt(*track, s->rewriter(), 21000));
  CHECK(rtp::LoadU32(sub.rtcp[0].data() + 20) == 1);   // packet count
  CHECK(rtp::LoadU32(sub.rtcp[0].data() + 24) == 20);  // octet count: payload only
  CHECK(s->counters.srs_sent == 1);
  CHECK(pub.rtcp.size() == 2);  // the next RR
  CHECK(track->counters.bitrate.bps() == 12500u * 8);  // 12.5 kB over the 1 s between reports

  // A transport that cannot send gets no reports.
  pub.can_send = false;
  sub.can_send = false;
  sched.SendReports(table, 22000, 1'700'000'002'000'000ull);
  CHECK(pub.rtcp.size() == 2);
  CHECK(sub.rtcp.size() == 1);
}

}  // namespace webrtc_agent::native_test
