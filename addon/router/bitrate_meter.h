// BitrateMeter: bits per second of a byte counter over the interval between
// two samples (the RTCP timer samples once per report interval). Sans-I/O:
// the count and the time come in, the rate comes out.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_BITRATE_METER_H_
#define WEBRTC_AGENT_ADDON_ROUTER_BITRATE_METER_H_

#include <cstdint>

namespace webrtc_agent {
namespace router {

class BitrateMeter {
 public:
  // `bytes` is the running total. The first sample only starts the
  // interval: the age of what was counted before it is unknown.
  void Sample(uint64_t bytes, uint64_t now_ms) {
    if (last_ms_ != 0 && now_ms > last_ms_) bps_ = (bytes - last_bytes_) * 8000 / (now_ms - last_ms_);
    last_bytes_ = bytes;
    last_ms_ = now_ms;
  }
  uint64_t bps() const { return bps_; }

 private:
  uint64_t bps_ = 0;
  uint64_t last_bytes_ = 0;
  uint64_t last_ms_ = 0;
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_BITRATE_METER_H_
