// ContinuityMap: maps a source's wrapping counter (an RTP sequence number,
// a VP8 picture id, a TL0PICIDX) onto the one a receiver sees, so that the
// receiver's counter has no gap where the agent left something out on
// purpose (a dropped temporal layer) and goes on by one across a change of
// source (a simulcast layer switch). A receiver takes a gap for loss: it asks
// for the missing packets again, or waits for a picture that never comes.
//
// out = in + delta (mod 2^bits). Dropping the newest value moves delta back
// by one; a value that arrives late (a retransmission, a reordered packet)
// is mapped with the delta that held when it was new, found from a short
// history of drops. Pure logic, no clock.
#ifndef WEBRTC_AGENT_ADDON_RTP_CONTINUITY_MAP_H_
#define WEBRTC_AGENT_ADDON_RTP_CONTINUITY_MAP_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace webrtc_agent::rtp {

class ContinuityMap {
 public:
  // bits: 16 (sequence numbers), 15 (VP8 picture ids), 8 (TL0PICIDX) ...
  explicit ContinuityMap(unsigned bits)
      : mask_(bits >= 32 ? 0xFFFFFFFFu : (1u << bits) - 1), half_((mask_ >> 1) + 1) {}

  // The next Map() starts a new source: it continues right after the last
  // value sent, whatever the new source's numbers are.
  void Rebase() { rebase_ = true; }

  // The value the receiver sees for `in`, which is forwarded.
  uint32_t Map(uint32_t in) {
    in &= mask_;
    if (!started_) {
      // The first value starts the numbering: a rebase asked for before it
      // has nothing to continue from (and must not hit the next value).
      started_ = true;
      rebase_ = false;
      delta_ = 0;
      highest_ = in;
      last_out_ = in;
      return in;
    }
    if (rebase_) {
      rebase_ = false;
      delta_ = (last_out_ + 1 - in) & mask_;
      highest_ = in;
      drop_count_ = 0;
      drop_pos_ = 0;
    } else if (Newer(in, highest_)) {
      highest_ = in;
    }
    uint32_t out = (in + delta_) & mask_;
    if (in == highest_) {
      last_out_ = out;
    } else {
      // Late: drops after it moved delta back since; undo those.
      uint32_t later_drops = 0;
      for (size_t i = 0; i < drop_count_; ++i) {
        if (Newer(drops_[i], in)) later_drops++;
      }
      out = (out + later_drops) & mask_;
    }
    return out;
  }

  // `in` is left out on purpose: what follows closes the gap. Only the
  // newest value can be dropped that way (a late one's neighbours are out
  // already); a drop before the first Map() or while a rebase is pending
  // needs nothing.
  void Drop(uint32_t in) {
    in &= mask_;
    if (!started_ || rebase_ || !Newer(in, highest_)) return;
    highest_ = in;
    delta_ = (delta_ - 1) & mask_;
    drops_[drop_pos_] = in;
    drop_pos_ = (drop_pos_ + 1) % kHistory;
    if (drop_count_ < kHistory) drop_count_++;
  }

  bool started() const { return started_; }
  uint32_t last_out() const { return last_out_; }
  // out = in + delta for the newest values.
  uint32_t delta() const { return delta_; }

 private:
  // Drops remembered for late arrivals: a picture of a dropped layer is a
  // few packets, so this covers a few dozen pictures.
  static constexpr size_t kHistory = 64;

  bool Newer(uint32_t a, uint32_t b) const {
    const uint32_t d = (a - b) & mask_;
    return d != 0 && d < half_;
  }

  const uint32_t mask_;
  const uint32_t half_;
  bool started_ = false;
  bool rebase_ = false;
  uint32_t delta_ = 0;
  uint32_t highest_ = 0;
  uint32_t last_out_ = 0;
  std::array<uint32_t, kHistory> drops_{};
  size_t drop_count_ = 0;
  size_t drop_pos_ = 0;
};

}  // namespace webrtc_agent::rtp

#endif  // WEBRTC_AGENT_ADDON_RTP_CONTINUITY_MAP_H_
