#include "addon.h"

#include <cmath>
#include <string>
#include <utility>

// Only for ReduceMemory: Node-API has no call into V8's heap. The addon is
// built against the headers of the Node.js that runs it (node-gyp).
#include <v8.h>

namespace webrtc_agent {

namespace {

constexpr char kVersion[] = "0.1.0";
constexpr char kTimerResourceName[] = "webrtc_agent.LoopTimer";
// Largest interval libuv-side code here is willing to take (fits in int32,
// like Node's own setTimeout limit).
constexpr double kMaxIntervalMs = 2147483647.0;
// Ids are handed to JS as numbers: keep them exactly representable.
constexpr double kMaxSafeInteger = 9007199254740991.0;

}  // namespace

AgentAddon::AgentAddon(Napi::Env env, Napi::Object exports) : env_(env) {
  // The loop of THIS environment: the worker's own loop on a worker thread,
  // the main loop on the main thread. Never share it across instances.
  if (napi_get_uv_event_loop(env, &loop_) != napi_ok || loop_ == nullptr) {
    loop_ = nullptr;
    Napi::Error::New(env, "webrtc_agent: napi_get_uv_event_loop failed")
        .ThrowAsJavaScriptException();
    return;
  }
  DefineAddon(exports,
              {
                  InstanceMethod("version", &AgentAddon::Version,
                                 napi_enumerable),
                  InstanceMethod("threadInfo", &AgentAddon::ThreadInfo,
                                 napi_enumerable),
                  InstanceMethod("reduceMemory", &AgentAddon::ReduceMemory,
                                 napi_enumerable),
                  InstanceMethod("startTimer", &AgentAddon::StartTimer,
                                 napi_enumerable),
                  InstanceMethod("stopTimer", &AgentAddon::StopTimer,
                                 napi_enumerable),
                  InstanceMethod("tickCount", &AgentAddon::TickCount,
                                 napi_enumerable),
              });
  RegisterModules(env, exports);
}

AgentAddon::~AgentAddon() {
  // Modules first, newest first: they may own handles and refer to older
  // modules.
  while (!states_.empty()) states_.pop_back();
  state_index_.clear();
  // Runs from the instance-data finalizer at environment teardown. By then
  // the async cleanup hooks have normally closed every handle already and
  // the LoopTimers are detached, so this only frees memory; if a handle is
  // somehow still open, LoopTimer's destructor closes it the normal way.
  retired_.clear();
  timers_.clear();
}

Napi::Value AgentAddon::Version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), kVersion);
}

Napi::Value AgentAddon::ThreadInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  // Our timers are unref'ed, so they never make this true on their own.
  out.Set("loopAlive",
          Napi::Boolean::New(env, loop_ != nullptr && uv_loop_alive(loop_)));
  out.Set("timers",
          Napi::Number::New(env, static_cast<double>(timers_.size())));
  return out;
}

// A thread that has just started holds the garbage of its start-up (module
// loading, compilation) and a young generation grown while loading, and V8
// gives those pages back only when its memory reducer runs, ~8 s after the
// isolate's last full collection. LowMemoryNotification runs that
// collection now (full, compacting, young generation shrunk, freed pages
// unmapped): a few ms on an idle heap of a few MiB. Node-API has no way to
// ask for it and JavaScript's gc() (--expose-gc) does not shrink the heap,
// hence V8's own API. Synchronous, on the calling thread's isolate.
Napi::Value AgentAddon::ReduceMemory(const Napi::CallbackInfo& info) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  if (isolate != nullptr) isolate->LowMemoryNotification();
  return info.Env().Undefined();
}

bool AgentAddon::ParseId(const Napi::Value& v, uint64_t* id) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 1.0 && d <= kMaxSafeInteger) || std::floor(d) != d) return false;
  *id = static_cast<uint64_t>(d);
  return true;
}

Napi::Value AgentAddon::StartTimer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (loop_ == nullptr) {
    Napi::Error::New(env, "startTimer: no event loop for this environment")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "startTimer(intervalMs, callback?): intervalMs "
                              "must be a number")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double ms = info[0].As<Napi::Number>().DoubleValue();
  if (!(ms >= 1.0 && ms <= kMaxIntervalMs)) {
    Napi::RangeError::New(env, "startTimer: intervalMs must be between 1 and "
                               "2147483647")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  bool has_callback = info.Length() >= 2 && !info[1].IsUndefined() &&
                      !info[1].IsNull();
  if (has_callback && !info[1].IsFunction()) {
    Napi::TypeError::New(env, "startTimer: callback must be a function")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }

  auto entry = std::make_unique<TimerEntry>();
  entry->addon = this;
  entry->id = next_timer_id_++;
  if (has_callback) {
    entry->callback = Napi::Persistent(info[1].As<Napi::Function>());
    // An async context makes ticks look like any other Node async callback
    // (async_hooks / AsyncLocalStorage, microtask + nextTick draining after
    // the callback via napi_make_callback).
    entry->async_context =
        std::make_unique<Napi::AsyncContext>(env, kTimerResourceName);
    if (env.IsExceptionPending()) return env.Undefined();
  }

  const char* err =
      entry->timer.Start(env_, loop_, static_cast<uint64_t>(ms),
                         &AgentAddon::OnTimerTick, entry.get());
  if (err != nullptr) {
    Napi::Error::New(env, std::string("startTimer: ") + err)
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }

  uint64_t id = entry->id;
  timers_.emplace(id, std::move(entry));
  return Napi::Number::New(env, static_cast<double>(id));
}

Napi::Value AgentAddon::StopTimer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t id = 0;
  if (info.Length() < 1 || !ParseId(info[0], &id)) {
    return Napi::Boolean::New(env, false);
  }
  auto it = timers_.find(id);
  if (it == timers_.end()) return Napi::Boolean::New(env, false);

  std::unique_ptr<TimerEntry> entry = std::move(it->second);
  timers_.erase(it);
  // Closes the uv handle (uv_close -> close callback removes the cleanup
  // hook -> frees the handle memory). Safe even if the loop is about to be
  // torn down: the hook then finds the close already in flight.
  entry->timer.Stop();
  if (entry->dispatching) {
    // stopTimer(id) from inside this timer's own callback: DispatchTick is
    // still using the entry; it frees it when the callback returns.
    retired_.push_back(std::move(entry));
  }
  return Napi::Boolean::New(env, true);
}

Napi::Value AgentAddon::TickCount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t id = 0;
  if (info.Length() < 1 || !ParseId(info[0], &id)) return env.Undefined();
  auto it = timers_.find(id);
  if (it == timers_.end()) return env.Undefined();
  return Napi::Number::New(env,
                           static_cast<double>(it->second->timer.ticks()));
}

void AgentAddon::OnTimerTick(void* context) {
  TimerEntry* entry = static_cast<TimerEntry*>(context);
  if (entry->callback.IsEmpty()) return;  // counting-only timer
  DispatchTick(entry);
}

void AgentAddon::DispatchTick(TimerEntry* entry) {
  // We are in libuv's timer phase on this environment's own JS thread, with
  // no JS on the stack: open our own HandleScope for the values below. No
  // ThreadSafeFunction is needed (and none would be cheaper).
  AgentAddon* addon = entry->addon;
  napi_env env = addon->env_;
  Napi::HandleScope scope(env);

  napi_value fn = entry->callback.Value();
  napi_value recv = Napi::Env(env).Global();
  napi_value argv[1];
  napi_create_double(env, static_cast<double>(entry->timer.ticks()), &argv[0]);

  entry->dispatching = true;
  napi_value result = nullptr;
  // The raw C call on purpose: during worker termination the isolate refuses
  // to run JS and napi_make_callback fails with napi_pending_exception but no
  // exception; node-addon-api would turn that into a (failing) throw. Here it
  // is simply "nothing to do".
  napi_status status =
      napi_make_callback(env, *entry->async_context, recv, fn, 1, argv,
                         &result);
  entry->dispatching = false;

  // The callback may have stopped its own timer (entry parked in retired_)
  // or others; `entry` must not be used after this line.
  addon->retired_.clear();

  if (status == napi_pending_exception) {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_value error = nullptr;
      if (napi_get_and_clear_last_exception(env, &error) == napi_ok) {
        // Same contract as a throwing setInterval callback: an uncaught
        // exception for the environment ('uncaughtException' / the
        // Worker's 'error' event). Fails harmlessly if JS is shutting down.
        napi_fatal_exception(env, error);
      }
    }
  }
}

}  // namespace webrtc_agent

// The macro pastes its argument into an identifier, so it needs the bare
// class name at global scope.
using webrtc_agent::AgentAddon;
NODE_API_ADDON(AgentAddon)
