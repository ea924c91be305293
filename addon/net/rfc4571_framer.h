// Rfc4571Framer: the framing of ICE-TCP (RFC 6544 §3, which uses RFC 4571):
// on a TCP connection every STUN message, DTLS record flight datagram, RTP
// or RTCP packet travels as a 2-byte big-endian length followed by that many
// bytes. TCP delivers a byte stream cut anywhere, so the reader keeps what
// it has of an unfinished frame between reads.
//
// Sans-I/O: bytes in, whole frames out; the socket side (net/tcp_server.*)
// only feeds it what it read. It is bounded: a frame longer than
// `max_frame` cannot be anything the agent accepts (the transports take at
// most a datagram of that size), so the reader refuses the stream from
// there on and the owner closes the connection. That also bounds what one
// connection can make us hold to max_frame bytes. Zero-length frames carry
// nothing and are skipped (counted).
//
// A whole frame that lies inside one read is handed out in place (no copy);
// only a frame cut by a read boundary is assembled in the reader's buffer.
#ifndef WEBRTC_AGENT_ADDON_NET_RFC4571_FRAMER_H_
#define WEBRTC_AGENT_ADDON_NET_RFC4571_FRAMER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace webrtc_agent {
namespace net {

class Rfc4571Framer {
 public:
  static constexpr size_t kHeaderSize = 2;
  // The largest frame the 2-byte length can announce.
  static constexpr size_t kMaxEncodable = 0xffff;

  // 1 <= max_frame <= kMaxEncodable (clamped).
  explicit Rfc4571Framer(size_t max_frame);

  // Calls on_frame(const uint8_t* data, size_t len) for every whole frame
  // completed by these bytes, in order. Returns false if a frame announced
  // more than max_frame bytes (frames before it were delivered): the stream
  // is broken, every later Feed returns false and delivers nothing.
  // on_frame must not call Feed on the same reader.
  template <typename OnFrame>
  bool Feed(const uint8_t* data, size_t len, OnFrame&& on_frame);

  bool broken() const { return broken_; }
  // Bytes of an unfinished frame (header included) held between reads.
  size_t pending() const { return have_; }
  size_t max_frame() const { return max_frame_; }
  uint64_t frames() const { return frames_; }
  uint64_t empty_frames() const { return empty_frames_; }

  // Writes the 2-byte header for a frame of `len` bytes; false if len does
  // not fit (> kMaxEncodable) and nothing was written.
  static bool WriteHeader(size_t len, uint8_t out[kHeaderSize]);

 private:
  // Takes header bytes, then payload bytes, into buf_; returns how many it
  // took. *complete when buf_ holds a whole frame. Stops early only then, or
  // when the header completes as an empty frame (skipped, have_ back to 0)
  // or as a too-long one (broken_).
  size_t TakePartial(const uint8_t* data, size_t len, bool* complete);

  size_t max_frame_;
  std::vector<uint8_t> buf_;  // header + the frame being assembled
  size_t have_ = 0;           // bytes of buf_ in use
  bool broken_ = false;
  uint64_t frames_ = 0;
  uint64_t empty_frames_ = 0;
};

template <typename OnFrame>
bool Rfc4571Framer::Feed(const uint8_t* data, size_t len, OnFrame&& on_frame) {
  if (broken_) return false;
  size_t at = 0;
  // Finish a frame started by an earlier read.
  if (have_ > 0) {
    bool complete = false;
    at = TakePartial(data, len, &complete);
    if (broken_) return false;
    if (complete) {
      const size_t n = have_ - kHeaderSize;
      have_ = 0;
      frames_++;
      on_frame(static_cast<const uint8_t*>(buf_.data() + kHeaderSize), n);
    } else if (have_ > 0) {
      return true;  // every byte taken, the frame still unfinished
    }
    // else an empty frame was skipped: go on with the rest of the read.
  }
  // Whole frames inside this read: handed out in place.
  while (len - at >= kHeaderSize) {
    const size_t n = (static_cast<size_t>(data[at]) << 8) | data[at + 1];
    if (n > max_frame_) {
      broken_ = true;
      return false;
    }
    if (len - at - kHeaderSize < n) break;
    at += kHeaderSize;
    if (n == 0) {
      empty_frames_++;
      continue;
    }
    frames_++;
    on_frame(static_cast<const uint8_t*>(data + at), n);
    at += n;
  }
  // The start of a frame the next read finishes.
  if (at < len) {
    bool complete = false;
    TakePartial(data + at, len - at, &complete);
    // A header and less than its frame: cannot complete here.
    if (broken_) return false;
  }
  return true;
}

}  // namespace net
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_NET_RFC4571_FRAMER_H_
