// AgentAddon: the per-thread instance of the webrtc_agent native addon.
//
// Every node of the agent is a worker thread that loads this addon; Node
// creates one AgentAddon per environment (main thread or worker) via
// Napi::Addon / NODE_API_ADDON. All state lives in the instance: nothing
// here is a global or a mutable static, because statics are shared by every
// thread of the process while each node must be independent.
#ifndef WEBRTC_AGENT_ADDON_ADDON_H_
#define WEBRTC_AGENT_ADDON_ADDON_H_

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "loop/timer.h"

namespace webrtc_agent {

class AgentAddon : public Napi::Addon<AgentAddon> {
 public:
  AgentAddon(Napi::Env env, Napi::Object exports);
  ~AgentAddon();

  AgentAddon(const AgentAddon&) = delete;
  AgentAddon& operator=(const AgentAddon&) = delete;

 private:
  // One JS-visible timer. Heap-allocated (unique_ptr) so its address is
  // stable: the LoopTimer hands `this` to libuv as callback context.
  struct TimerEntry {
    AgentAddon* addon = nullptr;
    uint64_t id = 0;
    // True while the JS callback of this entry is running; stopTimer(id)
    // from inside that callback must not free the entry under our feet.
    bool dispatching = false;
    Napi::FunctionReference callback;
    std::unique_ptr<Napi::AsyncContext> async_context;
    // Declared last so it is destroyed first: the handle is closed before
    // the JS references go away.
    loop::LoopTimer timer;
  };

  Napi::Value Version(const Napi::CallbackInfo& info);
  Napi::Value ThreadInfo(const Napi::CallbackInfo& info);
  Napi::Value StartTimer(const Napi::CallbackInfo& info);
  Napi::Value StopTimer(const Napi::CallbackInfo& info);
  Napi::Value TickCount(const Napi::CallbackInfo& info);

  // Parses a timer id argument; returns false if it is not a valid id.
  static bool ParseId(const Napi::Value& v, uint64_t* id);
  static void OnTimerTick(void* context);
  static void DispatchTick(TimerEntry* entry);

  napi_env env_;
  uv_loop_t* loop_ = nullptr;
  uint64_t next_timer_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<TimerEntry>> timers_;
  // Entries stopped from inside their own callback; freed when that
  // callback returns.
  std::vector<std::unique_ptr<TimerEntry>> retired_;
};

}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ADDON_H_
