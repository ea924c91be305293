#include "bwe/inter_arrival.h"

#include <algorithm>

namespace webrtc_agent::bwe {

bool InterArrival::OnPacket(int64_t send_us, int64_t arrival_us, GroupDelta* out) {
  if (!current_.started) {
    current_ = Group{send_us, send_us, arrival_us, true};
    return false;
  }
  if (send_us < current_.first_send_us) return false;  // reordered: belongs to an older group
  if (send_us - current_.first_send_us <= kGroupUs) {
    current_.last_send_us = std::max(current_.last_send_us, send_us);
    current_.last_arrival_us = std::max(current_.last_arrival_us, arrival_us);
    return false;
  }
  // A new group starts: the current one is complete.
  bool produced = false;
  if (previous_.started) {
    const int64_t send_delta = current_.last_send_us - previous_.last_send_us;
    const int64_t arrival_delta = current_.last_arrival_us - previous_.last_arrival_us;
    if (arrival_delta < 0 || arrival_delta - send_delta > kMaxSkewUs || send_delta - arrival_delta > kMaxSkewUs) {
      // Arrivals going backwards or leaping: nothing here can be compared.
      resets_++;
      previous_ = Group{};
      current_ = Group{send_us, send_us, arrival_us, true};
      return false;
    }
    out->send_delta_us = send_delta;
    out->arrival_delta_us = arrival_delta;
    out->arrival_us = current_.last_arrival_us;
    produced = true;
  }
  previous_ = current_;
  current_ = Group{send_us, send_us, arrival_us, true};
  return produced;
}

}  // namespace webrtc_agent::bwe
