// BitReader: reads a bitstream most significant bit first, as the video
// codecs' headers are written (H264 SPS, AV1 sequence header). Every read is
// bounds-checked: past the end a reader turns "failed" and returns 0 from
// then on, so a parser can read a whole structure and check once at the end
// instead of after every field.
#ifndef WEBRTC_AGENT_ADDON_RTP_BIT_READER_H_
#define WEBRTC_AGENT_ADDON_RTP_BIT_READER_H_

#include <cstddef>
#include <cstdint>

namespace webrtc_agent::rtp {

class BitReader {
 public:
  BitReader(const uint8_t* data, size_t size) : data_(data), bits_(size * 8) {}

  // n <= 32 bits as an unsigned number.
  uint32_t Bits(int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) {
      if (pos_ >= bits_) {
        failed_ = true;
        return 0;
      }
      v = (v << 1) | ((data_[pos_ / 8] >> (7 - pos_ % 8)) & 1u);
      ++pos_;
    }
    return v;
  }
  bool Flag() { return Bits(1) != 0; }

  // Exp-Golomb ue(v) (H264 §9.1). More than 31 leading zeros cannot be a
  // value any header field holds: it fails.
  uint32_t Ue() {
    int zeros = 0;
    while (!failed_ && Bits(1) == 0) {
      if (++zeros > 31) {
        failed_ = true;
        return 0;
      }
    }
    if (failed_) return 0;
    if (zeros == 0) return 0;
    return ((1u << zeros) - 1) + Bits(zeros);
  }
  // se(v): 0, 1, -1, 2, -2 ...
  int32_t Se() {
    const uint32_t k = Ue();
    return (k & 1) ? static_cast<int32_t>((k + 1) / 2) : -static_cast<int32_t>(k / 2);
  }

  // AV1 uvlc() (AV1 spec §4.10.3).
  uint32_t Uvlc() {
    int zeros = 0;
    while (!failed_ && Bits(1) == 0) {
      if (++zeros >= 32) {
        failed_ = true;
        return 0;
      }
    }
    if (failed_) return 0;
    return Bits(zeros) + ((1u << zeros) - 1);
  }

  // Marks the structure as bad (a field out of its range).
  void Fail() {
    failed_ = true;
    pos_ = bits_;
  }

  void Skip(size_t n) {
    if (bits_ - pos_ < n) {
      failed_ = true;
      pos_ = bits_;
      return;
    }
    pos_ += n;
  }

  bool failed() const { return failed_; }

 private:
  const uint8_t* data_;
  size_t bits_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace webrtc_agent::rtp

#endif  // WEBRTC_AGENT_ADDON_RTP_BIT_READER_H_
