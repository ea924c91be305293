#include "rtp/twcc_feedback.h"

#include <algorithm>

#include "rtp/byte_io.h"
#include "rtp/rtcp.h"

namespace webrtc_agent::rtp {

namespace {

// Status symbols (draft section 3.1.1).
constexpr uint8_t kNotReceived = 0;
constexpr uint8_t kSmallDelta = 1;  // 1-byte delta, 0..255 x 250 us
constexpr uint8_t kLargeDelta = 2;  // 2-byte signed delta

constexpr size_t kMaxStatusCount = 0xFFFF;
constexpr size_t kMaxRunLength = 0x1FFF;  // 13 bits
// Arrival times are kept below 2^62 us so that every difference and sum of
// them fits an int64 (a hostile or broken clock must not overflow here).
constexpr uint64_t kMaxTimeUs = (uint64_t{1} << 62) - 1;
// The first number is placed far from zero so that a packet numbered just
// "before" it (a wrap backwards) still unwraps to a positive value.
constexpr int64_t kUnwrapOrigin = int64_t{1} << 32;

int64_t RoundedTicks(int64_t diff_us) {
  // Nearest 250 us, halves away from zero, the same for both signs.
  return diff_us >= 0 ? (diff_us + kTwccDeltaUs / 2) / kTwccDeltaUs
                      : -((-diff_us + kTwccDeltaUs / 2) / kTwccDeltaUs);
}

size_t Padded4(size_t n) { return (n + 3) & ~size_t{3}; }

}  // namespace

TwccFeedback::TwccFeedback(const TwccOptions& options)
    : options_(options), ring_(std::max<size_t>(options.max_packets, 16)) {
  // One status per covered number; a feedback never covers more than the ring.
  symbols_.reserve(ring_.size());
}

int64_t TwccFeedback::Unwrap(uint16_t sequence) const {
  // Closest to the newest number received: at most 32767 either way.
  const int64_t last = end_ - 1;
  const int16_t delta = static_cast<int16_t>(static_cast<uint16_t>(sequence - static_cast<uint16_t>(last)));
  return last + delta;
}

void TwccFeedback::Restart(int64_t seq) {
  start_ = seq;
  next_ = seq;
  end_ = seq;
  reported_ = false;
}

void TwccFeedback::OnPacket(uint16_t sequence, uint64_t arrival_us) {
  arrival_us = std::min(arrival_us, kMaxTimeUs);
  int64_t seq;
  if (!started_) {
    started_ = true;
    seq = kUnwrapOrigin + sequence;
    Restart(seq);
  } else {
    seq = Unwrap(sequence);
  }
  const int64_t ring = static_cast<int64_t>(ring_.size());
  if (seq < start_) {
    // Before the first packet, and nothing reported yet: the first two
    // packets were swapped on the wire. Take it (the window grows back).
    // Otherwise it is behind what is kept: too late to matter.
    if (reported_ || end_ - seq > ring) {
      counters_.too_old++;
      return;
    }
    for (int64_t s = seq; s < start_; ++s) At(s) = Slot{arrival_us, false};
    start_ = seq;
    next_ = seq;
  }
  if (seq >= end_) {
    if (seq - next_ >= ring) {
      // Further ahead than the ring reaches from the oldest unreported
      // number: what is unreported cannot be kept (a sender restart, or a
      // gap no estimator could use anyway). Start over at this packet.
      counters_.resets++;
      Restart(seq);
    } else if (seq - start_ >= ring) {
      // The ring needs slots that hold reported numbers: forget those.
      start_ = seq - ring + 1;
    }
    // Numbers skipped over are missing until (unless) they turn up.
    for (int64_t s = end_; s < seq; ++s) At(s) = Slot{arrival_us, false};
    At(seq) = Slot{arrival_us, true};
    end_ = seq + 1;
  } else {
    Slot& slot = At(seq);
    if (slot.received) {
      counters_.duplicates++;
      return;
    }
    slot = Slot{arrival_us, true};
    // Reported missing already? Report again from here: the sender learns
    // it arrived after all (a late packet, or a repair).
    if (seq < next_) next_ = seq;
  }
  counters_.packets++;
  newest_us_ = std::max(newest_us_, arrival_us);
  Forget(newest_us_);
}

void TwccFeedback::Forget(uint64_t newest_us) {
  while (start_ < next_ && At(start_).time_us + options_.max_age_us < newest_us) ++start_;
}

size_t TwccFeedback::Build(uint8_t* out, size_t capacity, uint32_t sender_ssrc, uint32_t media_ssrc) {
  if (!HasPending()) return 0;
  // The header, one chunk and one small delta, padded.
  if (capacity < kTwccHeaderSize + 4) return 0;

  // The reference time is the first received packet's arrival, rounded
  // down to 64 ms; the first delta is measured from it (so it is 0..256).
  int64_t first_received = next_;
  while (!At(first_received).received) ++first_received;  // end_ - 1 is received
  const int64_t reference = static_cast<int64_t>(At(first_received).time_us) / kTwccReferenceUs;

  // Statuses and deltas, until a delta does not fit, the count limit, or
  // the room (counted for the worst case of one chunk per 7 statuses).
  symbols_.clear();
  int64_t previous_us = reference * kTwccReferenceUs;
  size_t delta_bytes = 0;
  size_t through_last_received = 0;
  for (int64_t seq = next_; seq < end_ && symbols_.size() < kMaxStatusCount; ++seq) {
    const Slot& slot = At(seq);
    uint8_t symbol = kNotReceived;
    int64_t ticks = 0;
    if (slot.received) {
      ticks = RoundedTicks(static_cast<int64_t>(slot.time_us) - previous_us);
      if (ticks >= 0 && ticks <= 0xFF) symbol = kSmallDelta;
      else if (ticks >= INT16_MIN && ticks <= INT16_MAX) symbol = kLargeDelta;
      else break;  // the next feedback starts here, with its own reference
    }
    const size_t count = symbols_.size() + 1;
    if (Padded4(kTwccHeaderSize + 2 * ((count + 6) / 7) + delta_bytes + symbol) > capacity) break;
    symbols_.push_back(symbol);
    delta_bytes += symbol;  // the symbol is the delta's size in bytes
    if (slot.received) {
      // Advance by what was written, not by the true time: rounding errors
      // then do not add up along the packet.
      previous_us += ticks * kTwccDeltaUs;
      through_last_received = count;
    }
  }
  // End on a received packet: trailing missing numbers are reported with
  // whatever follows them. (A packet with only missing ones is allowed too:
  // a long gap must not block the queue.)
  if (through_last_received > 0) symbols_.resize(through_last_received);
  if (symbols_.empty()) return 0;

  // Packet status chunks.
  size_t pos = kTwccHeaderSize;
  const size_t n = symbols_.size();
  size_t i = 0;
  while (i < n) {
    size_t run = 1;
    while (i + run < n && run < kMaxRunLength && symbols_[i + run] == symbols_[i]) ++run;
    const size_t k1 = std::min<size_t>(14, n - i);
    bool one_bit = true;
    for (size_t j = 0; j < k1; ++j) one_bit = one_bit && symbols_[i + j] <= kSmallDelta;
    uint16_t chunk;
    size_t covered;
    if (run >= 14 || (!one_bit && run >= 7)) {
      // Run length chunk: 0 | symbol (2) | length (13).
      chunk = static_cast<uint16_t>((symbols_[i] << 13) | run);
      covered = run;
    } else if (one_bit) {
      // Status vector chunk, 14 one-bit symbols: 1 | 0 | s0 .. s13.
      chunk = 0x8000;
      for (size_t j = 0; j < k1; ++j) chunk |= static_cast<uint16_t>(symbols_[i + j] << (13 - j));
      covered = k1;
    } else {
      // Status vector chunk, 7 two-bit symbols: 1 | 1 | s0 .. s6.
      const size_t k2 = std::min<size_t>(7, n - i);
      chunk = 0xC000;
      for (size_t j = 0; j < k2; ++j) chunk |= static_cast<uint16_t>(symbols_[i + j] << (12 - 2 * j));
      covered = k2;
    }
    StoreU16(out + pos, chunk);
    pos += 2;
    i += covered;
  }

  // Receive deltas, recomputed exactly as above.
  previous_us = reference * kTwccReferenceUs;
  for (size_t j = 0; j < n; ++j) {
    if (symbols_[j] == kNotReceived) continue;
    const int64_t ticks = RoundedTicks(static_cast<int64_t>(At(next_ + static_cast<int64_t>(j)).time_us) - previous_us);
    previous_us += ticks * kTwccDeltaUs;
    if (symbols_[j] == kSmallDelta) {
      out[pos++] = static_cast<uint8_t>(ticks);
    } else {
      StoreU16(out + pos, static_cast<uint16_t>(static_cast<int16_t>(ticks)));
      pos += 2;
    }
  }
  // Zero bytes up to a 32-bit boundary (inside the packet's length).
  while (pos % 4 != 0) out[pos++] = 0;

  out[0] = static_cast<uint8_t>(0x80 | kRtpfbTransportCc);
  out[1] = kRtcpRtpfb;
  StoreU16(out + 2, static_cast<uint16_t>(pos / 4 - 1));
  StoreU32(out + 4, sender_ssrc);
  StoreU32(out + 8, media_ssrc);
  StoreU16(out + 12, static_cast<uint16_t>(next_));
  StoreU16(out + 14, static_cast<uint16_t>(n));
  StoreU24(out + 16, static_cast<uint32_t>(reference) & 0xFFFFFF);
  out[19] = feedback_count_++;

  next_ += static_cast<int64_t>(n);
  reported_ = true;
  counters_.feedback_built++;
  return pos;
}

}  // namespace webrtc_agent::rtp
