// UvHandle<T>: the one way this addon opens a libuv handle on a node
// thread's event loop.
//
// WHY this exists (docs/architecture.md, "The addon and the loop"): a worker
// thread's loop is torn down by Node when the
// worker exits or is terminated. A uv handle that is still open on that loop
// at teardown is a use-after-free waiting to happen (the loop memory goes
// away while the handle is still linked into it); worker.terminate() with a
// live handle segfaulted the whole process 4 times out of 4. The fix is an
// async cleanup hook (napi_add_async_cleanup_hook): Node calls it during
// environment teardown, keeps spinning the loop until the hook is removed,
// and only then frees the loop. So every handle gets:
//
//   open:     init the handle, then register the async cleanup hook;
//   close:    uv_close() exactly once, from whichever path comes first
//             (explicit Close() by the owner, or the cleanup hook at
//             teardown);
//   closed:   in the uv close callback (the only point where libuv no
//             longer references the memory) remove the cleanup hook exactly
//             once and free the memory.
//
// Removing the hook from the close callback serves both paths: if the hook
// has not run yet, removal cancels it; if it has started (teardown), removal
// is the "done" signal Node is waiting for. Either way it must happen exactly
// once, which is why it lives in the close callback, and uv_close is guarded
// by a `closing` flag so the close callback runs exactly once.
//
// Memory layout: the uv handle lives inside a heap Block, not inside the
// owning C++ object. The owner (e.g. LoopTimer) can be destroyed at any time
// (stopTimer, instance-data finalizer) while libuv still needs the handle
// until its close callback; the Block outlives the owner for exactly that
// window. Conversely, at teardown the Block may be freed before the owner is
// destroyed; the Block then clears the owner's pointer so the owner's
// destructor is a no-op. Both sides only ever run on the loop's own thread,
// so plain pointers are enough (no atomics, no locks).
//
// Usage (the pattern UDP sockets will follow):
//
//   class Thing {
//     UvHandle<uv_udp_t> udp_;
//     ...
//     const char* err = udp_.Open(env, loop, this,
//         [](uv_loop_t* l, uv_udp_t* h) { return uv_udp_init(l, h); });
//     // in uv callbacks: Thing* self = UvHandle<uv_udp_t>::OwnerOf<Thing>(h);
//     //                  if (self == nullptr) return;   // owner detached
//   };
//
// UvHandle is neither copyable nor movable: the Block keeps a back-pointer to
// it.
#ifndef WEBRTC_AGENT_ADDON_LOOP_UV_HANDLE_H_
#define WEBRTC_AGENT_ADDON_LOOP_UV_HANDLE_H_

#include <node_api.h>
#include <uv.h>

namespace webrtc_agent {
namespace loop {

template <typename T>
class UvHandle {
 public:
  UvHandle() = default;
  ~UvHandle() { Close(); }

  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;
  UvHandle(UvHandle&&) = delete;
  UvHandle& operator=(UvHandle&&) = delete;

  // Allocates the handle, runs `init(loop, handle)` (e.g. uv_timer_init) and
  // registers the async cleanup hook on `env`. `owner` is what OwnerOf()
  // returns from uv callbacks until the handle is closed.
  // Returns nullptr on success, otherwise a static error description; on
  // failure nothing is left open (an initialised handle is closed through
  // the normal uv_close path).
  template <typename Init>
  const char* Open(napi_env env, uv_loop_t* loop, void* owner, Init init) {
    if (block_ != nullptr) return "uv handle is already open";
    Block* block = new Block();
    block->owner = owner;
    block->self = this;
    int rc = init(loop, &block->handle);
    if (rc != 0) {
      // init failed: libuv never saw this memory as a handle, so it must not
      // be uv_close()d; plain delete is right.
      delete block;
      return uv_strerror(rc);
    }
    // Set after init: handle init functions own the other fields.
    block->handle.data = block;
    napi_status st = napi_add_async_cleanup_hook(env, &Block::OnCleanupHook,
                                                 block, &block->hook);
    if (st != napi_ok) {
      // Without a hook the handle would be unsafe at teardown: close it now.
      // The close callback sees hook == nullptr and only frees the memory.
      block->hook = nullptr;
      block->owner = nullptr;
      block->self = nullptr;
      block->BeginClose();
      return "napi_add_async_cleanup_hook failed";
    }
    block_ = block;
    return nullptr;
  }

  // The raw handle for uv_* calls, or nullptr if not open (never opened,
  // closed explicitly, or closed by environment teardown).
  T* get() const { return block_ != nullptr ? &block_->handle : nullptr; }
  bool is_open() const { return block_ != nullptr; }

  // Explicit close: detach from the Block first (so no uv callback that is
  // still queued can reach a dying owner, and so the teardown path cannot
  // touch this object), then start uv_close. Idempotent; safe after the
  // teardown path already closed the handle (block_ is then nullptr).
  void Close() {
    Block* block = block_;
    if (block == nullptr) return;
    block_ = nullptr;
    block->owner = nullptr;
    block->self = nullptr;
    block->BeginClose();
  }

  // From inside a uv callback on this handle: the owner passed to Open(), or
  // nullptr if the owner has closed / detached. Callbacks must check for
  // nullptr; libuv may still deliver a callback that was already queued in
  // the current loop phase.
  template <typename Owner>
  static Owner* OwnerOf(const T* handle) {
    const Block* block = static_cast<const Block*>(handle->data);
    return block != nullptr ? static_cast<Owner*>(block->owner) : nullptr;
  }

 private:
  struct Block {
    T handle{};
    // Removal handle of our async cleanup hook; nullptr once removed (or if
    // registration failed). Removed exactly once, in OnClosed.
    napi_async_cleanup_hook_handle hook = nullptr;
    // uv_close has been called; guards against a second uv_close (libuv
    // asserts on that) from the other path.
    bool closing = false;
    void* owner = nullptr;
    // Back-pointer so the teardown path can tell the owning UvHandle that
    // its Block is gone. nullptr once the owner detached.
    UvHandle* self = nullptr;

    void BeginClose() {
      if (closing) return;
      closing = true;
      uv_close(reinterpret_cast<uv_handle_t*>(&handle), &Block::OnClosed);
    }

    // Environment teardown (worker exit / terminate, or main-thread env
    // cleanup). Runs on the loop thread. Detach the owner (its memory may be
    // freed later by the instance-data finalizer, or earlier; either way it
    // must not see a dangling Block) and close. If an explicit Close() is
    // already in flight, do nothing: its OnClosed will remove the hook, and
    // that removal is what tells Node this hook is done.
    static void OnCleanupHook(napi_async_cleanup_hook_handle /*handle*/,
                              void* arg) {
      Block* block = static_cast<Block*>(arg);
      if (block->self != nullptr) {
        block->self->block_ = nullptr;
        block->self = nullptr;
      }
      block->owner = nullptr;
      block->BeginClose();
    }

    // The only place the Block is freed: libuv is done with the handle.
    static void OnClosed(uv_handle_t* h) {
      Block* block = static_cast<Block*>(h->data);
      if (block->hook != nullptr) {
        napi_async_cleanup_hook_handle hook = block->hook;
        block->hook = nullptr;
        // Cancels the hook if teardown has not reached it, or completes it
        // if it is running. Nothing useful to do on failure at this point.
        napi_remove_async_cleanup_hook(hook);
      }
      delete block;
    }
  };

  Block* block_ = nullptr;
};

}  // namespace loop
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_LOOP_UV_HANDLE_H_
