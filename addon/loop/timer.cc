#include "loop/timer.h"

namespace webrtc_agent {
namespace loop {

const char* LoopTimer::Start(napi_env env, uv_loop_t* loop,
                             uint64_t interval_ms, TickFn on_tick,
                             void* context) {
  if (handle_.is_open()) return "timer is already started";
  if (interval_ms == 0) return "timer interval must be at least 1 ms";

  const char* err = handle_.Open(
      env, loop, this,
      [](uv_loop_t* l, uv_timer_t* h) { return uv_timer_init(l, h); });
  if (err != nullptr) return err;

  on_tick_ = on_tick;
  context_ = context;
  interval_ms_ = interval_ms;
  ticks_ = 0;

  int rc = uv_timer_start(handle_.get(), &LoopTimer::OnTimer, interval_ms,
                          interval_ms);
  if (rc != 0) {
    handle_.Close();
    return uv_strerror(rc);
  }
  // WHY unref: a node thread's lifetime is decided by its JS side (message
  // port, pool), not by native timers. A ref'ed timer would keep a worker
  // alive forever after its JS work is done. The handle still gets closed
  // by the cleanup hook at teardown; unref only affects uv_loop_alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(handle_.get()));
  return nullptr;
}

void LoopTimer::OnTimer(uv_timer_t* handle) {
  LoopTimer* self = UvHandle<uv_timer_t>::OwnerOf<LoopTimer>(handle);
  // nullptr: the owner stopped/detached but this tick was already queued in
  // the current timer phase. Nothing to deliver to.
  if (self == nullptr) return;
  ++self->ticks_;
  TickFn fn = self->on_tick_;
  void* context = self->context_;
  // Last statement on purpose: fn may Stop() or destroy `self`.
  if (fn != nullptr) fn(context);
}

}  // namespace loop
}  // namespace webrtc_agent
