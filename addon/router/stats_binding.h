// The router's read-only JS face: mediaStats (every transport, track,
// subscription and ring of the thread, with their counters) and
// mediaObjects (how many of each the thread holds). The calls that change
// state are in router_binding.cc.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_STATS_BINDING_H_
#define WEBRTC_AGENT_ADDON_ROUTER_STATS_BINDING_H_

#include <napi.h>

namespace webrtc_agent {
namespace router {

Napi::Value MediaStats(const Napi::CallbackInfo& info);
// How many objects the thread's media plane holds, for operators and for
// tests that check a node returns to idle once its clients are gone.
Napi::Value MediaObjects(const Napi::CallbackInfo& info);

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_STATS_BINDING_H_
