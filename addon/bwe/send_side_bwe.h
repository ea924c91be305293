// SendSideBwe: the bandwidth estimate of one WebRTC transport towards its
// subscriber, from the transport-cc feedback the subscriber sends back.
//
// Sans-I/O. In: every packet sent (its size and kind, at a clock time;
// the transport-wide number it must carry comes from next_sequence()),
// every parsed feedback, the RTT when a report measures it, and a tick.
// Out: the estimate (bits/s) and probe requests.
//
// The estimate is the smaller of two:
// - delay-based: InterArrival groups -> TrendlineEstimator ->
//   OveruseDetector -> AimdRateControl (with the acked rate from
//   AckedBitrateEstimator), raised at once by probe results;
// - loss-based: LossBasedEstimator over the reported losses.
// ProbeController says when to probe; ProbeBitrateEstimator reads the
// result.
#ifndef WEBRTC_AGENT_ADDON_BWE_SEND_SIDE_BWE_H_
#define WEBRTC_AGENT_ADDON_BWE_SEND_SIDE_BWE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bwe/acked_bitrate_estimator.h"
#include "bwe/aimd_rate_control.h"
#include "bwe/bwe_types.h"
#include "bwe/inter_arrival.h"
#include "bwe/loss_based_estimator.h"
#include "bwe/overuse_detector.h"
#include "bwe/probe_bitrate_estimator.h"
#include "bwe/probe_controller.h"
#include "bwe/send_history.h"
#include "bwe/trendline_estimator.h"
#include "rtp/transport_cc.h"

namespace webrtc_agent::bwe {

struct BweConfig {
  uint64_t initial_bps = 1000000;
  uint64_t min_bps = 50000;
  uint64_t max_bps = 20000000;
  bool probing = true;
};

struct BweStats {
  uint64_t feedbacks = 0;         // transport-cc feedback packets used
  uint64_t feedback_packets = 0;  // statuses they carried
  uint64_t probes_sent = 0;       // clusters requested
  uint64_t probe_results = 0;
  uint64_t probe_failures = 0;
  uint64_t delay_decreases = 0;
  uint64_t loss_decreases = 0;
  uint64_t inter_arrival_resets = 0;
  uint64_t probes_distrusted = 0;  // results not believed (congestion seen lately)
};

class SendSideBwe {
 public:
  static constexpr int64_t kProbeDistrustMs = 10000;

  explicit SendSideBwe(const BweConfig& config);

  // The number the next packet sent must carry.
  uint16_t next_sequence() const { return history_.next_sequence(); }
  // A packet carrying next_sequence() went out (size: the RTP packet's bytes).
  void OnPacketSent(uint32_t size, PacketKind kind, int32_t cluster, int64_t now_us);
  // A parsed feedback from the subscriber. True if the estimate changed.
  bool OnFeedback(const rtp::TransportCc& feedback, int64_t now_us);
  // An RTT measured by an RTCP report (ms).
  void OnRtt(int64_t rtt_ms);
  // Called on the transport's timer: a probe cluster to send now, if any.
  bool NextProbe(int64_t now_us, ProbeRequest* out);
  // What the transport's subscriptions would use at most (the allocator's
  // sum of their top layers): probes go no more than a tenth above it. 0:
  // no limit but the configured maximum.
  void SetDesiredBitrate(uint64_t bps);

  uint64_t estimate_bps() const { return estimate_bps_; }
  uint64_t delay_based_bps() const { return aimd_.estimate_bps(); }
  uint64_t loss_based_bps() const { return loss_.estimate_bps(); }
  uint64_t acked_bps() const { return acked_.bitrate_bps(); }
  uint64_t sent_bps() const { return sent_bps_; }
  double loss() const { return loss_.loss(); }
  int64_t rtt_ms() const { return rtt_ms_; }
  BandwidthUsage usage() const { return detector_.state(); }
  ProbeState probe_state() const { return probes_.state(); }
  double threshold() const { return detector_.threshold(); }
  double trend() const { return trendline_.modified_trend(); }
  const SendHistoryCounters& history() const { return history_.counters(); }
  BweStats stats() const;

 private:
  void UpdateSentRate(uint32_t size, int64_t now_us);
  void Combine();

  BweConfig config_;
  SendHistory history_;
  InterArrival inter_arrival_;
  TrendlineEstimator trendline_;
  OveruseDetector detector_;
  AimdRateControl aimd_;
  LossBasedEstimator loss_;
  AckedBitrateEstimator acked_;
  ProbeBitrateEstimator probe_results_;
  ProbeController probes_;
  std::vector<PacketResult> results_;  // per feedback, reused
  uint64_t estimate_bps_;
  int64_t rtt_ms_ = 100;  // until measured
  bool rtt_from_reports_ = false;
  // Sent rate over 500 ms windows (what the transport really sends).
  int64_t sent_window_start_us_ = -1;
  uint64_t sent_window_bytes_ = 0;
  uint64_t sent_bps_ = 0;
  // The feedback's 24-bit reference time, unwrapped (it wraps every 12.4
  // days of the receiver's clock, which may start anywhere).
  int64_t reference_ = -1;
  uint64_t feedbacks_ = 0;
  uint64_t feedback_packets_ = 0;
  uint64_t probes_distrusted_ = 0;
};

}  // namespace webrtc_agent::bwe

#endif  // WEBRTC_AGENT_ADDON_BWE_SEND_SIDE_BWE_H_
