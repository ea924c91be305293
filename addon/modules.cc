// The list of modules whose JS functions the addon exports. Each module keeps
// its binding code in its own folder (e.g. router/router_binding.cc) and its
// per-thread state in AgentAddon::State<T>(); adding a module is one line here
// and its sources in binding.gyp.
#include "addon.h"
#include "router/router_binding.h"

namespace webrtc_agent {

void RegisterModules(Napi::Env env, Napi::Object exports) {
  router::RegisterRouterBindings(env, exports);
}

}  // namespace webrtc_agent
