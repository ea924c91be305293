#include "bwe/send_side_bwe.h"

#include <algorithm>

namespace webrtc_agent::bwe {

namespace {

constexpr int64_t kSentWindowUs = 500000;
constexpr int64_t kTickUs = 250;      // transport-cc's delta unit
constexpr int64_t kReferenceUs = 64000;

}  // namespace

SendSideBwe::SendSideBwe(const BweConfig& config)
    : config_(config),
      aimd_(config.initial_bps, config.min_bps, config.max_bps),
      loss_(config.initial_bps, config.min_bps, config.max_bps),
      probes_(config.initial_bps, config.max_bps, config.probing),
      estimate_bps_(config.initial_bps) {}

void SendSideBwe::UpdateSentRate(uint32_t size, int64_t now_us) {
  if (sent_window_start_us_ < 0) sent_window_start_us_ = now_us;
  if (now_us - sent_window_start_us_ >= kSentWindowUs) {
    sent_bps_ = sent_window_bytes_ * 8 * 1000000 / static_cast<uint64_t>(now_us - sent_window_start_us_);
    sent_window_start_us_ = now_us;
    sent_window_bytes_ = 0;
  }
  sent_window_bytes_ += size;
}

void SendSideBwe::OnPacketSent(uint32_t size, PacketKind kind, int32_t cluster, int64_t now_us) {
  history_.OnSent(size, kind, cluster, now_us);
  if (cluster != kNoCluster) probe_results_.OnClusterPacketSent(cluster);
  UpdateSentRate(size, now_us);
}

void SendSideBwe::OnRtt(int64_t rtt_ms) {
  if (rtt_ms < 0) return;
  rtt_ms_ = std::min<int64_t>(rtt_ms, 10000);
  rtt_from_reports_ = true;
}

void SendSideBwe::SetDesiredBitrate(uint64_t bps) {
  // Probes go a tenth past the desired rate: a probe's result is capped at
  // the rate it probed for, so one capped at exactly the desired rate left
  // the estimate level with it, and the allocator's next look (with layer
  // rates that moved by a few per cent since) found it just short, for
  // good (seen with Chromium behind tc tbf: a subscriber never went back
  // to its top layer after the link recovered).
  const uint64_t probe_to = bps + bps / 10;
  probes_.set_desired_bps(bps == 0 ? config_.max_bps : std::min(probe_to, config_.max_bps));
}

bool SendSideBwe::OnFeedback(const rtp::TransportCc& feedback, int64_t now_us) {
  // Match every status against the history: what the receiver reports
  // about numbers we never sent (or long forgot) is ignored.
  results_.clear();
  // Unwrapped against the previous feedback's: the closest value.
  const int64_t ref24 = static_cast<int64_t>(feedback.reference_time & 0xFFFFFF);
  if (reference_ < 0) {
    reference_ = (int64_t{1} << 24) + ref24;
  } else {
    int64_t delta = (ref24 - reference_) & 0xFFFFFF;
    if (delta >= (1 << 23)) delta -= (1 << 24);
    reference_ += delta;
    // Far from the start (a hostile receiver stepping it on and on): start
    // over rather than let the arithmetic below overflow.
    if (reference_ < 0 || reference_ > (int64_t{1} << 40)) reference_ = (int64_t{1} << 24) + ref24;
  }
  const int64_t reference_us = reference_ * kReferenceUs;
  uint32_t received = 0, lost = 0;
  for (const rtp::TransportCcEntry& e : feedback.entries) {
    PacketResult r;
    if (!history_.OnReport(e.sequence, e.received, &r)) continue;
    if (e.received) r.arrival_us = reference_us + e.arrival_ticks * kTickUs;
    // Loss counts media and repairs: a probe burst is meant to overfill the
    // path, and its losses say only that the probe found the limit.
    if (r.kind != PacketKind::kPadding) (e.received ? received : lost)++;
    results_.push_back(r);
  }
  feedbacks_++;
  feedback_packets_ += feedback.entries.size();
  if (results_.empty()) return false;
  const int64_t now_ms = now_us / 1000;
  const uint64_t before = estimate_bps_;

  // RTT from the feedback until a report measures it: the newest acked
  // packet's age (includes the receiver's feedback interval).
  if (!rtt_from_reports_) {
    int64_t newest_send = -1;
    for (const PacketResult& r : results_) if (r.received) newest_send = std::max(newest_send, r.send_us);
    if (newest_send >= 0 && now_us > newest_send) {
      rtt_ms_ = std::clamp<int64_t>((now_us - newest_send) / 1000, 1, 10000);
    }
  }

  // Arrival order for the delay trend and the acked rate (received first;
  // ties in sequence order). A feedback is nearly always in that order
  // already (numbers in order, arrivals rising): sorted only when not.
  const auto arrival_order = [](const PacketResult& a, const PacketResult& b) {
    if (a.received != b.received) return a.received;
    if (!a.received) return a.sequence < b.sequence;
    return a.arrival_us != b.arrival_us ? a.arrival_us < b.arrival_us : a.sequence < b.sequence;
  };
  // (The lost ones may stay where they are: only received ones are timed.)
  bool in_order = true;
  int64_t last_arrival = INT64_MIN;
  for (const PacketResult& r : results_) {
    if (!r.received) continue;
    if (r.arrival_us < last_arrival) {
      in_order = false;
      break;
    }
    last_arrival = r.arrival_us;
  }
  if (!in_order) std::sort(results_.begin(), results_.end(), arrival_order);

  bool overused = false;
  uint64_t probe_bps = 0;
  for (const PacketResult& r : results_) {
    const uint64_t measured = probe_results_.OnPacket(r);
    if (measured > 0) probe_bps = std::max(probe_bps, measured);
    if (!r.received) continue;
    acked_.OnPacket(r.arrival_us, r.size);
    GroupDelta d;
    if (inter_arrival_.OnPacket(r.send_us, r.arrival_us, &d)) {
      trendline_.Update(static_cast<double>(d.send_delta_us) / 1000, static_cast<double>(d.arrival_delta_us) / 1000,
                        static_cast<double>(d.arrival_us) / 1000);
      const BandwidthUsage u = detector_.Detect(trendline_.modified_trend(), trendline_.trend(),
                                                static_cast<double>(d.send_delta_us) / 1000, trendline_.samples(), now_ms);
      overused = overused || u == BandwidthUsage::kOverusing;
    }
  }

  if (probe_bps > 0) {
    // For kProbeDistrustMs after the delay trend saw the path congested, a
    // probe is not believed: a burst says nothing about a link behind a
    // token bucket with room (tc tbf, policers), which passes it at any
    // rate, and a subscriber moved down there would be moved right back
    // up into the congestion. The estimate grows the slow way meanwhile.
    const int64_t congested = aimd_.last_decrease_ms();
    if (congested >= 0 && now_ms - congested < kProbeDistrustMs) {
      probes_distrusted_++;
      probes_.OnResult(0, now_ms);
    } else {
      // A measured capacity above the estimate is taken as it is; below
      // it it says nothing the delay trend will not say better.
      if (probe_bps > aimd_.estimate_bps()) aimd_.SetEstimate(probe_bps, now_ms);
      loss_.Raise(probe_bps);
      probes_.OnResult(probe_bps, now_ms);
    }
  }
  const BandwidthUsage usage = overused ? BandwidthUsage::kOverusing : detector_.state();
  aimd_.Update(usage, acked_.bitrate_bps(), rtt_ms_, now_ms);
  loss_.OnReport(received, lost, acked_.bitrate_bps(), rtt_ms_, now_ms);
  Combine();
  return estimate_bps_ != before;
}

void SendSideBwe::Combine() {
  estimate_bps_ = std::clamp(std::min(aimd_.estimate_bps(), loss_.estimate_bps()), config_.min_bps, config_.max_bps);
  loss_.Follow(estimate_bps_);
}

bool SendSideBwe::NextProbe(int64_t now_us, ProbeRequest* out) {
  if (!probes_.Next(estimate_bps_, sent_bps_, now_us / 1000, out)) return false;
  probe_results_.OnClusterStarted(out->cluster, out->bitrate_bps);
  return true;
}

BweStats SendSideBwe::stats() const {
  BweStats s;
  s.feedbacks = feedbacks_;
  s.feedback_packets = feedback_packets_;
  s.probes_sent = probes_.clusters_sent();
  s.probe_results = probe_results_.results();
  s.probe_failures = probe_results_.failures();
  s.delay_decreases = aimd_.decreases();
  s.loss_decreases = loss_.decreases();
  s.inter_arrival_resets = inter_arrival_.resets();
  s.probes_distrusted = probes_distrusted_;
  return s;
}

}  // namespace webrtc_agent::bwe
