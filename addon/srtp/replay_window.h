// Sliding replay window over a packet index (RFC 3711 §3.3.2): the SRTP
// index (48 bits: ROC << 16 | SEQ) or the 31-bit SRTCP index.
//
// 1024 packets wide, like browsers use for SRTP: at a few thousand packets
// per second of video, a 64-packet window (the RFC minimum) rejects
// legitimately reordered or late-retransmitted packets. The bitmap is a ring
// indexed by index % kSize, so moving forward clears only the slots being
// reused instead of shifting 1024 bits.
//
// Test() never changes state; Accept() is called only after the packet has
// been authenticated, so forged packets cannot move the window.
#ifndef WEBRTC_AGENT_ADDON_SRTP_REPLAY_WINDOW_H_
#define WEBRTC_AGENT_ADDON_SRTP_REPLAY_WINDOW_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace webrtc_agent::srtp {

class ReplayWindow {
 public:
  static constexpr uint64_t kSize = 1024;  // packets; a multiple of 64

  enum class Verdict : uint8_t { kNew, kDuplicate, kTooOld };

  Verdict Test(uint64_t index) const {
    if (!started_ || index > top_) return Verdict::kNew;
    if (top_ - index >= kSize) return Verdict::kTooOld;
    return Has(index) ? Verdict::kDuplicate : Verdict::kNew;
  }

  void Accept(uint64_t index) {
    if (!started_) {
      std::memset(bits_, 0, sizeof(bits_));
      started_ = true;
      top_ = index;
    } else if (index > top_) {
      const uint64_t delta = index - top_;
      if (delta >= kSize) {
        std::memset(bits_, 0, sizeof(bits_));
      } else {
        // Clear the slots of top_+1 .. index: they held indices kSize
        // older, which have now left the window. Whole words when aligned.
        uint64_t i = top_ + 1;
        while (i <= index) {
          if (i % 64 == 0 && index - i >= 63) {
            bits_[(i % kSize) / 64] = 0;
            i += 64;
          } else {
            Clear(i);
            ++i;
          }
        }
      }
      top_ = index;
    } else if (top_ - index >= kSize) {
      return;  // callers Test() first; never mark outside the window
    }
    Set(index);
  }

  bool started() const { return started_; }
  uint64_t top() const { return top_; }

 private:
  bool Has(uint64_t i) const {
    return (bits_[(i % kSize) / 64] >> (i % 64)) & 1u;
  }
  void Set(uint64_t i) { bits_[(i % kSize) / 64] |= uint64_t{1} << (i % 64); }
  void Clear(uint64_t i) {
    bits_[(i % kSize) / 64] &= ~(uint64_t{1} << (i % 64));
  }

  bool started_ = false;
  uint64_t top_ = 0;  // highest accepted index
  uint64_t bits_[kSize / 64] = {};
};

}  // namespace webrtc_agent::srtp

#endif  // WEBRTC_AGENT_ADDON_SRTP_REPLAY_WINDOW_H_
