#include "bwe/send_history.h"

namespace webrtc_agent::bwe {

void SendHistory::OnSent(uint32_t size, PacketKind kind, int32_t cluster, int64_t now_us) {
  if (slots_.empty()) slots_.resize(kSlots);
  Slot& s = slots_[static_cast<size_t>(next_) % kSlots];
  if (s.state == State::kSent) counters_.unreported++;
  s = Slot{next_, now_us, size, cluster, kind, State::kSent};
  next_++;
  newest_send_us_ = now_us;
  counters_.sent++;
  counters_.sent_bytes += size;
}

bool SendHistory::OnReport(uint16_t sequence, bool received, PacketResult* out) {
  if (slots_.empty()) {
    counters_.unknown++;
    return false;
  }
  // Closest to the newest number sent.
  const int64_t newest = next_ - 1;
  const int64_t seq = newest + static_cast<int16_t>(static_cast<uint16_t>(sequence - static_cast<uint16_t>(newest)));
  Slot& s = slots_[static_cast<size_t>(seq) % kSlots];
  if (seq > newest || s.sequence != seq || s.state == State::kEmpty) {
    counters_.unknown++;
    return false;
  }
  if (s.state == State::kReceived || (s.state == State::kLost && !received)) {
    counters_.repeated++;
    return false;
  }
  const bool media = s.kind == PacketKind::kMedia;
  if (received) {
    if (s.state == State::kLost) {
      counters_.lost--;
      if (media) counters_.media_lost--;
    }
    counters_.received++;
    s.state = State::kReceived;
  } else {
    counters_.lost++;
    if (media) counters_.media_lost++;
    s.state = State::kLost;
  }
  out->sequence = seq;
  out->send_us = s.send_us;
  out->size = s.size;
  out->kind = s.kind;
  out->cluster = s.cluster;
  out->received = received;
  return true;
}

}  // namespace webrtc_agent::bwe
