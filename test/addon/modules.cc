// The ring test addon's module list (test/addon/binding.gyp): the addon's
// per-thread machinery (addon/addon.cc) with only the ring* functions, for
// tests and benchmarks of the rings. The product addon's list is
// addon/modules.cc.
#include "addon.h"
#include "ring_binding.h"

namespace webrtc_agent {

void RegisterModules(Napi::Env env, Napi::Object exports) { ring::RingBinding::Register(env, exports); }

}  // namespace webrtc_agent
