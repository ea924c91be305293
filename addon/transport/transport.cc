#include "transport/transport.h"

#include <algorithm>

#include "router/track.h"
#include "rtp/rtcp.h"
#include "rtp/byte_io.h"
#include "rtp/rtp_packet.h"

namespace webrtc_agent {
namespace transport {

const char* DropReasonName(DropReason r) {
  switch (r) {
    case DropReason::kNotRtp: return "notRtp";
    case DropReason::kTruncated: return "truncated";
    case DropReason::kOversized: return "oversized";
    case DropReason::kUnknownSsrc: return "unknownSsrc";
    case DropReason::kWrongSource: return "wrongSource";
    case DropReason::kNoRemote: return "noRemote";
    case DropReason::kSendFailed: return "sendFailed";
    case DropReason::kBadRtcp: return "badRtcp";
    case DropReason::kCount: break;
  }
  return "unknown";
}

void Transport::UnbindTrack(router::Track* t) {
  for (auto it = tracks_by_ssrc_.begin(); it != tracks_by_ssrc_.end();) {
    if (it->second == t) it = tracks_by_ssrc_.erase(it);
    else ++it;
  }
  pending_.erase(std::remove(pending_.begin(), pending_.end(), t), pending_.end());
}

bool Transport::LoseInTransit(const uint8_t* data, size_t len) {
  if (len < rtp::kRtpFixedHeaderSize) return false;
  auto it = tracks_by_ssrc_.find(rtp::LoadU32(data + 8));
  if (it == tracks_by_ssrc_.end() || it->second->ssrc != it->first) return false;
  if (!test_loss_->LoseReceive()) return false;
  it->second->counters.test_dropped++;
  return true;
}

void Transport::RouteRtp(const uint8_t* data, size_t len) {
  // A full parse, not just the fixed header: CSRCs, extension and padding
  // must all fit, or later stages (key-frame detection, extension rewrite)
  // would read past the packet.
  rtp::RtpPacketView view(data, len);
  if (!view.Parse()) return CountDrop(DropReason::kTruncated);
  counters_.rtp_in++;
  OnParsedRtp(view);
  const uint32_t ssrc = view.ssrc();
  auto it = tracks_by_ssrc_.find(ssrc);
  router::Track* track = nullptr;
  if (it != tracks_by_ssrc_.end()) {
    track = it->second;
  } else {
    track = ResolveUnknownSsrc(data, len);
    if (track == nullptr) return CountDrop(DropReason::kUnknownSsrc);
    track->ssrc = ssrc;
    tracks_by_ssrc_[ssrc] = track;
  }
  listener_->OnRtp(this, track, view);
}

void Transport::ReportBlocks(const rtp::ReportBlock* blocks, size_t count) {
  // Blocks about SSRCs we do not send (the peer's other sources, or a
  // subscription already gone) are ignored.
  for (size_t i = 0; i < count; ++i) {
    auto s = subs_by_ssrc_.find(blocks[i].ssrc);
    if (s != subs_by_ssrc_.end()) listener_->OnReportBlock(this, s->second, blocks[i]);
  }
}

router::Track* Transport::ResolveUnknownSsrc(const uint8_t* /*data*/, size_t /*len*/) {
  // A track published without an SSRC takes the first one it sees.
  if (pending_.empty()) return nullptr;
  router::Track* track = pending_.front();
  pending_.erase(pending_.begin());
  return track;
}

void Transport::RouteRtcp(const uint8_t* data, size_t len) {
  // PLI, FIR, NACK, transport-cc, SR and RR are acted on; SDES, BYE and the rest are
  // read past. A compound that does not hold together is dropped whole.
  if (!rtp::IsValidRtcpCompound(data, len)) return CountDrop(DropReason::kBadRtcp);
  counters_.rtcp_in++;
  rtp::RtcpCompoundReader reader(data, len);
  rtp::RtcpPacket packet;
  while (reader.Next(&packet)) {
    if (packet.type == rtp::kRtcpSr) {
      rtp::SenderReport sr;
      if (!rtp::ParseSenderReport(packet, &sr)) continue;
      auto t = tracks_by_ssrc_.find(sr.sender.ssrc);
      if (t != tracks_by_ssrc_.end()) listener_->OnSenderReport(this, t->second, sr.sender);
      ReportBlocks(sr.reports, sr.report_count);
      continue;
    }
    if (packet.type == rtp::kRtcpRr) {
      rtp::ReceiverReport rr;
      if (rtp::ParseReceiverReport(packet, &rr)) ReportBlocks(rr.reports, rr.report_count);
      continue;
    }
    if (packet.type == rtp::kRtcpRtpfb && packet.count == rtp::kRtpfbTransportCc) {
      OnTransportCcFeedback(packet);
      continue;
    }
    if (packet.type == rtp::kRtcpRtpfb && packet.count == rtp::kRtpfbNack) {
      rtp::Nack nack;
      if (!rtp::ParseNack(packet, &nack)) continue;
      auto s = subs_by_ssrc_.find(nack.header.media_ssrc);
      if (s != subs_by_ssrc_.end()) listener_->OnNack(this, s->second, nack.sequences);
      continue;
    }
    if (packet.type != rtp::kRtcpPsfb) continue;
    if (packet.count == rtp::kPsfbPli) {
      rtp::Pli pli;
      if (!rtp::ParsePli(packet, &pli)) continue;
      auto s = subs_by_ssrc_.find(pli.header.media_ssrc);
      if (s != subs_by_ssrc_.end()) listener_->OnKeyframeRequest(this, s->second);
    } else if (packet.count == rtp::kPsfbFir) {
      rtp::Fir fir;
      if (!rtp::ParseFir(packet, &fir)) continue;
      for (const rtp::FirEntry& e : fir.entries) {
        auto s = subs_by_ssrc_.find(e.ssrc);
        if (s != subs_by_ssrc_.end()) listener_->OnKeyframeRequest(this, s->second);
      }
    }
  }
}

}  // namespace transport
}  // namespace webrtc_agent
