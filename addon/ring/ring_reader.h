// RingReader: the consumer of one SPSC ring, driven by the calling thread's
// own libuv loop.
//
// WHY an eventfd + uv_poll (docs/ring.md, "Wake"): a node thread's loop
// also serves its sockets and timers, so the reader must sleep in the loop
// (epoll), not in a futex or a spin. The reader owns a nonblocking eventfd,
// publishes its number in the ring header, and watches it with a
// UvHandle<uv_poll_t>. When woken it drains up to `batch_limit` records,
// then either goes back to sleep (publish sleeping=1, re-check, return to
// the loop) or, with records still pending, leaves the eventfd readable so
// the (level-triggered) poll fires again on the next loop turn, after the
// loop's other handles had their turn.
//
// Lifetime: Detach() (explicit, or from the destructor) closes the poll
// handle first, then retracts the fd from the header and waits out
// producers that are mid-wake, and only then closes the fd (RingConsumer::
// DetachWaker). Under worker.terminate() the UvHandle's cleanup hook closes
// the poll handle on its own; the fd is retracted and closed when the
// owner is destroyed with the addon instance. In between a producer may
// still write to the fd, which is harmless: it stays open until then.
//
// Threading: everything runs on the loop's thread. Producers run anywhere.
#ifndef WEBRTC_AGENT_ADDON_RING_RING_READER_H_
#define WEBRTC_AGENT_ADDON_RING_RING_READER_H_

#include <node_api.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>

#include "loop/uv_handle.h"
#include "ring/spsc_ring.h"

namespace webrtc_agent {
namespace ring {

class RingReader {
 public:
  // Each record, in order, on the loop thread. `data` points into the ring
  // and is valid only during the call. It may Detach() the reader (no
  // further record is delivered, WakeDoneFn is not called), but must NOT
  // destroy it: the drain is still running on the reader's members.
  // Destroy it later (e.g. from WakeDoneFn, or a deferred task).
  using RecordFn = void (*)(void* context, const uint8_t* data, size_t len);
  // After each wake, once the reader is done with its own state, with the
  // number of records delivered in that wake. It is the reader's last
  // action, so it may Detach() or destroy the reader.
  using WakeDoneFn = void (*)(void* context, size_t records);

  struct Options {
    // Records per loop turn: bounds how long the loop's other handles wait.
    size_t batch_limit = 256;
    // A ref'ed poll keeps the thread's loop alive. Default off, like the
    // addon's timers: a node thread's lifetime is decided by its JS side.
    bool ref = false;
    // How long Detach() waits for a producer that is mid-wake.
    uint32_t detach_timeout_ms = 100;
  };

  struct Stats {
    uint64_t wakeups = 0;   // poll callbacks
    uint64_t sleeps = 0;    // times we went back to sleep
    uint64_t rearms = 0;    // turns that ended with records still pending
    uint64_t kicks = 0;     // eventfd writes by ourselves
    bool fd_leaked = false; // Detach() gave up waiting (see DetachWaker)
  };

  RingReader() = default;
  ~RingReader() { Detach(); }

  RingReader(const RingReader&) = delete;
  RingReader& operator=(const RingReader&) = delete;

  // Opens the ring at [base, base + size) as its consumer, creates the
  // eventfd and starts watching it on `loop`. The first loop turn drains
  // whatever is already in the ring. nullptr or a static error; on error
  // nothing is left open or published.
  const char* Attach(napi_env env, uv_loop_t* loop, uint8_t* base,
                     size_t size, const Options& options, RecordFn on_record,
                     WakeDoneFn on_wake_done, void* context);

  // Stops reading and releases the eventfd (see the lifetime note above).
  // Idempotent. The ring's tail stays where it is: another consumer may
  // attach later and continue from there.
  void Detach();

  bool attached() const { return fd_ >= 0; }
  const RingConsumer& consumer() const { return consumer_; }
  const Stats& stats() const { return stats_; }

 private:
  static void OnPoll(uv_poll_t* handle, int status, int events);
  void OnReadable();
  void Kick();
  void ClearEventFd();

  loop::UvHandle<uv_poll_t> poll_;
  RingConsumer consumer_;
  int fd_ = -1;
  Options options_;
  // True while OnReadable drains: Detach() from a record callback then
  // interrupts the drain.
  bool draining_ = false;
  RecordFn on_record_ = nullptr;
  WakeDoneFn on_wake_done_ = nullptr;
  void* context_ = nullptr;
  Stats stats_;
};

}  // namespace ring
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_RING_RING_READER_H_
