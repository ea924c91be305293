// Status: the outcome of a router operation, with an HTTP-like code that the
// JS side turns into the agent's named errors (400, 404, 409, 500).
#ifndef WEBRTC_AGENT_ADDON_ROUTER_STATUS_H_
#define WEBRTC_AGENT_ADDON_ROUTER_STATUS_H_

#include <string>

namespace webrtc_agent {
namespace router {

struct Status {
  int code = 0;  // 0: ok
  std::string message;

  static Status Ok() { return {}; }
  static Status Invalid(std::string m) { return {400, std::move(m)}; }
  static Status NotFound(std::string m) { return {404, std::move(m)}; }
  // An id or SSRC that is already taken: the request is well formed, the state refuses it.
  static Status Conflict(std::string m) { return {409, std::move(m)}; }
  static Status Internal(std::string m) { return {500, std::move(m)}; }
  bool ok() const { return code == 0; }
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_STATUS_H_
