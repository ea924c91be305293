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
#include <typeindex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "loop/timer.h"

namespace webrtc_agent {

class AgentAddon : public Napi::Addon<AgentAddon> {
 public:
  AgentAddon(Napi::Env env, Napi::Object exports);
  ~AgentAddon();

  AgentAddon(const AgentAddon&) = delete;
  AgentAddon& operator=(const AgentAddon&) = delete;

  // This thread's addon instance, from any binding callback.
  static AgentAddon* From(Napi::Env env) {
    return env.GetInstanceData<AgentAddon>();
  }

  napi_env env() const { return env_; }
  uv_loop_t* loop() const { return loop_; }

  // Per-thread state of one module (rings, router, transports ...), created
  // on first use with `T(AgentAddon*)` and destroyed with the instance, in
  // reverse order of creation (a module created later may hold references
  // into one created earlier, never the other way round). This keeps module
  // state out of globals without every module editing this class.
  template <typename T>
  T& State() {
    auto key = std::type_index(typeid(T));
    auto it = state_index_.find(key);
    if (it != state_index_.end()) {
      return static_cast<StateHolder<T>*>(states_[it->second].get())->value;
    }
    states_.push_back(std::make_unique<StateHolder<T>>(this));
    state_index_.emplace(key, states_.size() - 1);
    return static_cast<StateHolder<T>*>(states_.back().get())->value;
  }

 private:
  struct StateBase {
    virtual ~StateBase() = default;
  };
  template <typename T>
  struct StateHolder : StateBase {
    explicit StateHolder(AgentAddon* addon) : value(addon) {}
    T value;
  };

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
  Napi::Value ReduceMemory(const Napi::CallbackInfo& info);
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
  std::vector<std::unique_ptr<StateBase>> states_;
  std::unordered_map<std::type_index, size_t> state_index_;
};

// Each module adds its JS functions to the addon's exports through one of
// these, called from the AgentAddon constructor (addon.cc). Binding functions
// find their thread's instance with AgentAddon::From(info.Env()).
void RegisterModules(Napi::Env env, Napi::Object exports);

}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ADDON_H_
