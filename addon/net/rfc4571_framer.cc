#include "net/rfc4571_framer.h"

#include <algorithm>
#include <cstring>

namespace webrtc_agent {
namespace net {

Rfc4571Framer::Rfc4571Framer(size_t max_frame)
    : max_frame_(std::min(std::max<size_t>(max_frame, 1), kMaxEncodable)),
      buf_(kHeaderSize + max_frame_) {}

bool Rfc4571Framer::WriteHeader(size_t len, uint8_t out[kHeaderSize]) {
  if (len > kMaxEncodable) return false;
  out[0] = static_cast<uint8_t>(len >> 8);
  out[1] = static_cast<uint8_t>(len);
  return true;
}

size_t Rfc4571Framer::TakePartial(const uint8_t* data, size_t len, bool* complete) {
  *complete = false;
  size_t at = 0;
  if (have_ < kHeaderSize) {
    const size_t take = std::min(kHeaderSize - have_, len);
    std::memcpy(buf_.data() + have_, data, take);
    have_ += take;
    at = take;
    if (have_ < kHeaderSize) return at;
    const size_t n = (static_cast<size_t>(buf_[0]) << 8) | buf_[1];
    if (n > max_frame_) {
      broken_ = true;
      have_ = 0;
      return at;
    }
    if (n == 0) {
      empty_frames_++;
      have_ = 0;
      return at;
    }
  }
  const size_t want = kHeaderSize + ((static_cast<size_t>(buf_[0]) << 8) | buf_[1]);
  const size_t take = std::min(want - have_, len - at);
  std::memcpy(buf_.data() + have_, data + at, take);
  have_ += take;
  at += take;
  *complete = have_ == want;
  return at;
}

}  // namespace net
}  // namespace webrtc_agent
