// LoopTimer: a repeating uv_timer_t on a given node thread's loop.
//
// The handle itself is managed by UvHandle<uv_timer_t> (see uv_handle.h for
// the teardown discipline: async cleanup hook, uv_close exactly once, memory
// freed only in the close callback). LoopTimer adds the timer semantics: a
// repeat interval, a tick counter and a plain C callback.
//
// Threading: everything here runs on the thread that owns the loop. The tick
// callback runs from libuv's timer phase on that thread, i.e. on the JS
// thread of the owning environment, so it may call into JS (inside its own
// HandleScope) without a ThreadSafeFunction.
#ifndef WEBRTC_AGENT_ADDON_LOOP_TIMER_H_
#define WEBRTC_AGENT_ADDON_LOOP_TIMER_H_

#include <node_api.h>
#include <uv.h>

#include <cstdint>

#include "loop/uv_handle.h"

namespace webrtc_agent {
namespace loop {

class LoopTimer {
 public:
  // Called on every tick with the `context` given to Start(). The timer's
  // tick count has already been incremented. The callback may destroy or
  // Stop() this LoopTimer; LoopTimer touches nothing after calling it.
  using TickFn = void (*)(void* context);

  LoopTimer() = default;
  ~LoopTimer() = default;  // UvHandle's destructor closes the handle.

  LoopTimer(const LoopTimer&) = delete;
  LoopTimer& operator=(const LoopTimer&) = delete;

  // Opens the timer on `loop` (the environment's own loop, from
  // napi_get_uv_event_loop), starts it repeating every `interval_ms`
  // (first tick after `interval_ms`) and unrefs it.
  // Returns nullptr on success or a static error description.
  const char* Start(napi_env env, uv_loop_t* loop, uint64_t interval_ms,
                    TickFn on_tick, void* context);

  // Stops the timer and starts closing its handle. Idempotent; safe after
  // environment teardown has already closed the handle.
  void Stop() { handle_.Close(); }

  // True until Stop() or environment teardown.
  bool running() const { return handle_.is_open(); }
  uint64_t ticks() const { return ticks_; }
  uint64_t interval_ms() const { return interval_ms_; }

 private:
  static void OnTimer(uv_timer_t* handle);

  UvHandle<uv_timer_t> handle_;
  TickFn on_tick_ = nullptr;
  void* context_ = nullptr;
  uint64_t interval_ms_ = 0;
  uint64_t ticks_ = 0;
};

}  // namespace loop
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_LOOP_TIMER_H_
