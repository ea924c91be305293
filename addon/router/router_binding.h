// The JS functions of the media plane (`media*`), registered from
// addon/modules.cc. They are thin: argument unpacking, one Router call, the
// result or an Error whose `status` is the Status code.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_ROUTER_BINDING_H_
#define WEBRTC_AGENT_ADDON_ROUTER_ROUTER_BINDING_H_

#include <napi.h>

namespace webrtc_agent {
namespace router {

void RegisterRouterBindings(Napi::Env env, Napi::Object exports);

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_ROUTER_BINDING_H_
