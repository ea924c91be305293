// RtcpScheduler: the periodic RTCP of one node thread. The router's timer
// ticks every kTickMs (NACK retries and transport-wide feedback need the
// short tick; the router does those); every kReportIntervalMs this sends
// the reports: a Receiver Report per publishing transport (a block per
// track that received anything) and a Sender Report per subscription that
// has sent something (its RTP time from SrMapping), and samples the
// bitrates. RFC 3550 §6.2 allows a fixed interval for a small set of peers;
// 1 s is what browsers use for media this size. Sans-I/O apart from the
// transports' SendRtcp: the clocks come in.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_RTCP_SCHEDULER_H_
#define WEBRTC_AGENT_ADDON_ROUTER_RTCP_SCHEDULER_H_

#include <array>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "router/subscription.h"
#include "router/track_table.h"
#include "rtp/rtcp.h"
#include "transport/transport.h"

namespace webrtc_agent {
namespace router {

class RtcpScheduler {
 public:
  static constexpr uint64_t kTickMs = 20;
  static constexpr uint64_t kReportIntervalMs = 1000;

  RtcpScheduler() = default;
  RtcpScheduler(const RtcpScheduler&) = delete;
  RtcpScheduler& operator=(const RtcpScheduler&) = delete;

  // The timer started: the first reports are due an interval from now.
  void Start(uint64_t now_ms) { last_report_ms_ = now_ms; }
  // True once per report interval (and then the interval starts again).
  bool ReportDue(uint64_t now_ms);
  // now_ms: the loop clock; wall_us: the wall clock (the NTP time of the
  // SRs, and what the RTT arithmetic on the RRs that echo them uses).
  void SendReports(const TrackTable& table, uint64_t now_ms, uint64_t wall_us);
  void SendSenderReport(Subscription* s, uint64_t now_ms, uint64_t wall_us);

 private:
  uint64_t last_report_ms_ = 0;
  std::array<uint8_t, transport::Transport::kMaxPacket> buf_{};
  std::unordered_map<transport::Transport*, std::vector<rtp::ReportBlock>> blocks_;  // reused
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_RTCP_SCHEDULER_H_
