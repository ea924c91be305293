// SendBuffer: the last packets sent to one subscriber, by sequence number,
// so a NACK (RFC 4585 generic NACK) can be answered with the very bytes that
// were lost. Kept for video only: audio is not retransmitted by browsers.
//
// A power-of-two ring indexed by the low bits of the sequence number; a slot
// remembers its full sequence number and when it was sent, so a NACK for a
// packet older than the ring (overwritten) or older than kMaxAgeMs is a
// miss, never a wrong packet.
//
// Bounded by age as well as by count: a repair asked for more than a second
// after the packet was sent arrives too late to be played, yet 512 packets
// are 34 s of a 15 fps low layer. Slots older than kMaxAgeMs give their
// bytes back (the vector's capacity, not just a flag): so a subscription
// holds about a second of its stream, not 512 packets (bench.md "Room").
// The released byte vectors go to the thread's Spares, from which Stage
// takes the next staging buffer: in the steady state a packet kept costs
// no allocation, as before (one buffer in, one aged out).
#ifndef WEBRTC_AGENT_ADDON_ROUTER_SEND_BUFFER_H_
#define WEBRTC_AGENT_ADDON_ROUTER_SEND_BUFFER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace webrtc_agent {
namespace router {

class SendBuffer {
 public:
  // At most 512 packets: about one second of a 4 Mbit/s video stream.
  static constexpr size_t kSlots = 512;
  // At most this old: a few RTTs on any path a conference runs on.
  static constexpr uint32_t kMaxAgeMs = 1000;

  // Byte vectors given back by aged-out slots, for the next packets of any
  // subscription on the thread (one per Router). Bounded: beyond kMax,
  // a released vector is freed.
  class Spares {
   public:
    static constexpr size_t kMax = 256;
    Spares() { free_.reserve(kMax); }
    // Takes `v`'s bytes (leaving it with no capacity).
    void Give(std::vector<uint8_t>* v) {
      if (free_.size() < kMax) {
        free_.emplace_back();
        free_.back().swap(*v);
      } else {
        std::vector<uint8_t>().swap(*v);
      }
    }
    // Swaps a kept vector into `v` (which has no capacity), if there is one.
    void Take(std::vector<uint8_t>* v) {
      if (free_.empty()) return;
      v->swap(free_.back());
      free_.pop_back();
    }
    size_t size() const { return free_.size(); }

   private:
    std::vector<std::vector<uint8_t>> free_;
  };

  // `spares` (may be null: no reuse) must outlive the Stage/Commit/Expire calls.
  explicit SendBuffer(Spares* spares = nullptr) : spares_(spares) {}

  // The fan-out writes a packet kept here once: into the staging buffer,
  // where it is rewritten and sent from, then committed under its
  // (rewritten) sequence number. The slot's old bytes (or spare ones)
  // become the next staging buffer, so keeping a packet costs no second copy.
  uint8_t* Stage(size_t len) {
    if (staged_.capacity() == 0 && spares_ != nullptr) spares_->Take(&staged_);
    staged_.resize(len);
    return staged_.data();
  }
  // Keeps the staged packet as `seq`, sent at `now_ms`; its bytes stay
  // where Stage put them. Releases what aged out first.
  void Commit(uint16_t seq, uint64_t now_ms) {
    const uint32_t now = static_cast<uint32_t>(now_ms);
    Expire(now_ms);
    if (count_ == kSlots) Release(order_[head_]);  // the count bound
    Slot& s = slots_[seq % kSlots];
    if (s.used) held_ -= s.bytes.capacity();
    s.seq = seq;
    s.used = true;
    s.sent_ms = now;
    s.bytes.swap(staged_);
    held_ += s.bytes.capacity();
    order_[(head_ + count_) % kSlots] = seq;
    if (count_ == kSlots) {
      head_ = (head_ + 1) % kSlots;
    } else {
      count_++;
    }
  }

  // Releases the slots sent more than kMaxAgeMs before `now_ms`, oldest
  // first; stops at the first young one (O(1) when nothing is due).
  void Expire(uint64_t now_ms) {
    const uint32_t now = static_cast<uint32_t>(now_ms);
    while (count_ > 0) {
      const uint16_t seq = order_[head_];
      const Slot& s = slots_[seq % kSlots];
      // A slot taken over by a later number is that number's: skip.
      if (s.used && s.seq == seq && now - s.sent_ms <= kMaxAgeMs) break;
      Release(seq);
      head_ = (head_ + 1) % kSlots;
      count_--;
    }
  }

  // The packet sent with `seq`, or nullptr if it is no longer (or never
  // was) here: overwritten, or sent more than kMaxAgeMs before `now_ms`.
  const std::vector<uint8_t>* Find(uint16_t seq, uint64_t now_ms) const {
    const Slot& s = slots_[seq % kSlots];
    if (!s.used || s.seq != seq) return nullptr;
    // Differences of the clock's low 32 bits: right across its wrap.
    if (static_cast<uint32_t>(now_ms) - s.sent_ms > kMaxAgeMs) return nullptr;
    return &s.bytes;
  }

  // Bytes of capacity the kept packets hold (the staging buffer aside).
  size_t held_bytes() const { return held_; }

 private:
  struct Slot {
    uint16_t seq = 0;
    bool used = false;
    uint32_t sent_ms = 0;  // the clock's low 32 bits
    std::vector<uint8_t> bytes;
  };

  // Frees the slot holding `seq` (if it still does) to the spares.
  void Release(uint16_t seq) {
    Slot& s = slots_[seq % kSlots];
    if (!s.used || s.seq != seq) return;
    s.used = false;
    held_ -= s.bytes.capacity();
    if (spares_ != nullptr) {
      spares_->Give(&s.bytes);
    } else {
      std::vector<uint8_t>().swap(s.bytes);
    }
  }

  Spares* spares_;
  std::vector<Slot> slots_ = std::vector<Slot>(kSlots);
  std::vector<uint8_t> staged_;
  // The numbers committed, oldest first (a ring of count_ from head_):
  // the order in which slots age out, whatever the numbering did.
  std::array<uint16_t, kSlots> order_{};
  size_t head_ = 0;
  size_t count_ = 0;
  size_t held_ = 0;
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_SEND_BUFFER_H_
