// InterArrival: turns the packets acknowledged in transport-cc feedback into
// the delay variation between packet groups, the delay estimator's input.
//
// A group is what the sender sent within kGroupUs of the group's first
// packet (a video frame leaves as a burst, and its packets are paced through
// the network together); comparing groups rather than single packets keeps
// the measurement above the clocks' resolution. For two consecutive
// complete groups it gives how much later the second's last packet arrived
// than it was sent, relative to the first's: positive while a queue builds
// up on the path, negative while it drains.
//
// Packets must be given in arrival order; one sent before the current
// group started (reordered on the path) is skipped.
#ifndef WEBRTC_AGENT_ADDON_BWE_INTER_ARRIVAL_H_
#define WEBRTC_AGENT_ADDON_BWE_INTER_ARRIVAL_H_

#include <cstdint>

namespace webrtc_agent::bwe {

struct GroupDelta {
  int64_t send_delta_us = 0;
  int64_t arrival_delta_us = 0;
  int64_t arrival_us = 0;  // the newer group's last arrival
};

class InterArrival {
 public:
  static constexpr int64_t kGroupUs = 5000;
  // Arrival deltas further than this from the send deltas mean the
  // receiver's clock jumped (or the path changed): start over.
  static constexpr int64_t kMaxSkewUs = 3000000;

  // One received packet. True and `out` set when it closed a group that
  // has a predecessor.
  bool OnPacket(int64_t send_us, int64_t arrival_us, GroupDelta* out);

  uint64_t resets() const { return resets_; }

 private:
  struct Group {
    int64_t first_send_us = 0;
    int64_t last_send_us = 0;
    int64_t last_arrival_us = 0;
    bool started = false;
  };

  Group current_;
  Group previous_;
  uint64_t resets_ = 0;
};

}  // namespace webrtc_agent::bwe

#endif  // WEBRTC_AGENT_ADDON_BWE_INTER_ARRIVAL_H_
