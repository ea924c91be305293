#include "router/rtcp_scheduler.h"

#include <algorithm>

#include "router/sr_mapping.h"

namespace webrtc_agent {
namespace router {

bool RtcpScheduler::ReportDue(uint64_t now_ms) {
  if (now_ms - last_report_ms_ < kReportIntervalMs) return false;
  last_report_ms_ = now_ms;
  return true;
}

void RtcpScheduler::SendReports(const TrackTable& table, uint64_t now_ms, uint64_t wall_us) {
  // Receiver Reports: per publishing transport, a block per track that has
  // received anything.
  for (auto& [src, list] : blocks_) list.clear();
  for (const auto& [id, track] : table.tracks()) {
    Track* t = track.get();
    t->counters.bitrate.Sample(t->counters.bytes, now_ms);
    rtp::ReportBlock b;
    if (t->receive && t->source && t->ssrc != 0 && t->receive->FillReportBlock(t->ssrc, now_ms, &b)) {
      blocks_[t->source].push_back(b);
      t->counters.rrs_sent++;
    }
  }
  for (auto& [src, list] : blocks_) {
    if (list.empty() || !src->CanSend()) continue;
    // 31 blocks make a 752-byte RR: one RR per compound keeps every
    // compound within a path MTU.
    for (size_t i = 0; i < list.size(); i += rtp::kMaxRtcpCount) {
      const size_t count = std::min(rtp::kMaxRtcpCount, list.size() - i);
      const size_t n = rtp::BuildRr(buf_.data(), buf_.size(), src->rtcp_ssrc(), list.data() + i, count);
      if (n > 0) src->SendRtcp(buf_.data(), n);
    }
  }
  // Transports come and go: forget the ones that reported nothing now.
  for (auto it = blocks_.begin(); it != blocks_.end();) {
    if (it->second.empty()) it = blocks_.erase(it);
    else ++it;
  }
  // Sender Reports: one per subscription that has sent something.
  for (const auto& [id, sub] : table.subscriptions()) {
    Subscription* s = sub.get();
    s->counters.bitrate.Sample(s->counters.bytes, now_ms);
    if (s->counters.packets > 0 && s->rewriter().started() && s->transport()->CanSend()) {
      SendSenderReport(s, now_ms, wall_us);
    }
  }
}

void RtcpScheduler::SendSenderReport(Subscription* s, uint64_t now_ms, uint64_t wall_us) {
  rtp::SenderInfo info;
  info.ssrc = s->out_ssrc();
  info.ntp_timestamp = rtp::NtpFromUnixMicros(wall_us);
  info.rtp_timestamp = SrMapping::RtpTimestampAt(*s->track(), s->rewriter(), now_ms);
  // Both counts wrap at 2^32 (RFC 3550 §6.4.1).
  info.packet_count = static_cast<uint32_t>(s->counters.packets);
  info.octet_count = static_cast<uint32_t>(s->counters.payload_bytes);
  const size_t n = rtp::BuildSr(buf_.data(), buf_.size(), info, nullptr, 0);
  if (n > 0 && s->transport()->SendRtcp(buf_.data(), n)) s->counters.srs_sent++;
}

}  // namespace router
}  // namespace webrtc_agent
