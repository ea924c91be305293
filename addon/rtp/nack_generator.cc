#include "rtp/nack_generator.h"

namespace webrtc_agent::rtp {

namespace {

// A packet this far behind the newest is not a late one we are waiting for
// but a restart of the numbering or garbage: start over from it.
constexpr int64_t kMaxBehind = 0x4000;

}  // namespace

uint64_t NackGenerator::IntervalMs(int64_t rtt_ms) const {
  if (rtt_ms < 0) return opts_.default_interval_ms;
  const uint64_t rtt = static_cast<uint64_t>(rtt_ms);
  if (rtt < opts_.min_interval_ms) return opts_.min_interval_ms;
  if (rtt > opts_.max_interval_ms) return opts_.max_interval_ms;
  return rtt;
}

bool NackGenerator::OnPacket(uint16_t seq, uint64_t now_ms, std::vector<uint16_t>* out) {
  if (!started_) {
    started_ = true;
    newest_ = seq;
    return false;
  }
  const int16_t delta = static_cast<int16_t>(seq - static_cast<uint16_t>(newest_));
  if (delta == 0) return false;
  if (delta < 0) {
    if (-delta > kMaxBehind) {
      missing_.clear();
      newest_ = seq;
      return false;
    }
    auto it = missing_.find(newest_ + delta);
    if (it != missing_.end()) {
      if (it->second.sent > 0) counters_.recovered++;
      missing_.erase(it);
    }
    return false;
  }
  const int64_t first_missing = newest_ + 1;
  newest_ += delta;
  const size_t gap = static_cast<size_t>(delta - 1);
  if (gap == 0) return false;
  counters_.missing += gap;
  if (gap + missing_.size() > opts_.max_missing) {
    // Too much at once for repair: every frame up to a key frame would wait
    // on retransmissions. Ask for the key frame and forget the list.
    counters_.expired += missing_.size();
    missing_.clear();
    counters_.overflows++;
    return true;
  }
  for (int64_t ext = first_missing; ext < newest_; ++ext) {
    Missing& m = missing_[ext];
    m.first_ms = now_ms;
    m.sent_ms = now_ms;
    m.sent = 1;
    out->push_back(static_cast<uint16_t>(ext));
    counters_.requests++;
  }
  return false;
}

void NackGenerator::OnTick(uint64_t now_ms, int64_t rtt_ms, std::vector<uint16_t>* out) {
  const uint64_t interval = IntervalMs(rtt_ms);
  for (auto it = missing_.begin(); it != missing_.end();) {
    Missing& m = it->second;
    const bool too_old = now_ms - m.first_ms > opts_.max_age_ms;
    const bool due = now_ms - m.sent_ms >= interval;
    if (too_old || (due && m.sent >= opts_.max_retries)) {
      counters_.expired++;
      it = missing_.erase(it);
      continue;
    }
    if (due) {
      m.sent++;
      m.sent_ms = now_ms;
      out->push_back(static_cast<uint16_t>(it->first));
      counters_.requests++;
    }
    ++it;
  }
}

}  // namespace webrtc_agent::rtp
