// SendBuffer: the last packets sent to one subscriber, by sequence number,
// so a NACK (RFC 4585 generic NACK) can be answered with the very bytes that
// were lost. Kept for video only: audio is not retransmitted by browsers.
//
// A power-of-two ring indexed by the low bits of the sequence number; a slot
// remembers its full sequence number, so a NACK for a packet older than the
// ring (overwritten) is a miss, never a wrong packet.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_SEND_BUFFER_H_
#define WEBRTC_AGENT_ADDON_ROUTER_SEND_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace webrtc_agent {
namespace router {

class SendBuffer {
 public:
  // 512 packets: about one second of a 4 Mbit/s video stream, enough for a
  // NACK round trip on any path a conference runs on.
  static constexpr size_t kSlots = 512;

  void Store(uint16_t seq, const uint8_t* data, size_t len) {
    Slot& s = slots_[seq % kSlots];
    s.seq = seq;
    s.used = true;
    s.bytes.assign(data, data + len);
  }

  // The fan-out writes a packet kept here once: into the staging buffer,
  // where it is rewritten and sent from, then committed under its
  // (rewritten) sequence number. The slot's old bytes become the next
  // staging buffer, so keeping a packet costs no second copy.
  uint8_t* Stage(size_t len) {
    staged_.resize(len);
    return staged_.data();
  }
  // Keeps the staged packet as `seq`; its bytes stay where Stage put them.
  void Commit(uint16_t seq) {
    Slot& s = slots_[seq % kSlots];
    s.seq = seq;
    s.used = true;
    s.bytes.swap(staged_);
  }

  // The packet sent with `seq`, or nullptr if it is no longer (or never was) here.
  const std::vector<uint8_t>* Find(uint16_t seq) const {
    const Slot& s = slots_[seq % kSlots];
    return s.used && s.seq == seq ? &s.bytes : nullptr;
  }

 private:
  struct Slot {
    uint16_t seq = 0;
    bool used = false;
    std::vector<uint8_t> bytes;
  };
  std::vector<Slot> slots_ = std::vector<Slot>(kSlots);
  std::vector<uint8_t> staged_;
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_SEND_BUFFER_H_
