// BindInRange: the port search shared by the thread's sockets (UDP and
// TCP). `preferred` first when it is a port (a TCP server takes its UDP
// sibling's number when free), then every port of [port_min, port_max]
// from a pseudo-random start, so that sockets spread over the range.
// try_port(port) opens and binds a socket there and returns a libuv
// status: 0 ends the search; "in use" or "not allowed" moves on; any other
// failure ends it. Returns an empty string, or the last error's text.
#ifndef WEBRTC_AGENT_ADDON_NET_PORT_RANGE_H_
#define WEBRTC_AGENT_ADDON_NET_PORT_RANGE_H_

#include <uv.h>

#include <cstdint>
#include <string>

namespace webrtc_agent {
namespace net {

template <typename TryPort>
std::string BindInRange(int preferred, int port_min, int port_max, uint32_t seed, TryPort try_port) {
  if (port_min < 1 || port_max > 65535 || port_min > port_max) return "bad port range";
  const int span = port_max - port_min + 1;
  std::string last_error = "no free port in range";
  for (int i = -1; i < span; i++) {
    int port = preferred;
    if (i < 0) {
      if (preferred < 1 || preferred > 65535) continue;
    } else {
      port = port_min + static_cast<int>((seed + static_cast<uint32_t>(i)) % static_cast<uint32_t>(span));
    }
    const int rc = try_port(port);
    if (rc == 0) return "";
    last_error = uv_strerror(rc);
    if (rc != UV_EADDRINUSE && rc != UV_EACCES) break;
  }
  return last_error;
}

}  // namespace net
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_NET_PORT_RANGE_H_
