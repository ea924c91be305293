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
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_SEND_BUFFER_H_
