#include "ring/ring_reader.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace webrtc_agent {
namespace ring {

const char* RingReader::Attach(napi_env env, uv_loop_t* loop, uint8_t* base,
                               size_t size, const Options& options,
                               RecordFn on_record, WakeDoneFn on_wake_done,
                               void* context) {
  if (fd_ >= 0 || consumer_.is_open()) return "ring reader is already attached";
  if (loop == nullptr) return "no event loop";
  if (on_record == nullptr) return "no record callback";
  const char* err = consumer_.Open(base, size);
  if (err != nullptr) return err;

  // Nonblocking: the loop must never block on it; CLOEXEC: a child process
  // must not inherit a descriptor producers write to.
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    consumer_.Close();
    return "eventfd() failed";
  }
  if (!consumer_.AttachWaker(fd)) {
    close(fd);  // never published: nobody can be writing to it
    consumer_.Close();
    return "ring already has a consumer attached";
  }
  err = poll_.Open(env, loop, this, [fd](uv_loop_t* l, uv_poll_t* h) {
    return uv_poll_init(l, h, fd);
  });
  if (err == nullptr) {
    int rc = uv_poll_start(poll_.get(), UV_READABLE, &RingReader::OnPoll);
    if (rc != 0) {
      poll_.Close();
      err = uv_strerror(rc);
    }
  }
  if (err != nullptr) {
    if (consumer_.DetachWaker(fd, options.detach_timeout_ms)) close(fd);
    consumer_.Close();
    return err;
  }
  if (!options.ref) uv_unref(reinterpret_cast<uv_handle_t*>(poll_.get()));

  fd_ = fd;
  options_ = options;
  if (options_.batch_limit == 0) options_.batch_limit = 1;
  on_record_ = on_record;
  on_wake_done_ = on_wake_done;
  context_ = context;
  // sleeping is 0, so no producer will wake us: run once to drain what is
  // already there and enter the sleep protocol properly.
  Kick();
  return nullptr;
}

void RingReader::Detach() {
  // The poll first: uv_close deregisters the fd from epoll synchronously,
  // so the fd is no longer watched when we close it below.
  poll_.Close();
  if (fd_ < 0) return;
  // Called from a record callback: stop the drain after this record.
  if (draining_) consumer_.Interrupt();
  const int fd = fd_;
  fd_ = -1;
  if (consumer_.DetachWaker(fd, options_.detach_timeout_ms)) {
    close(fd);
  } else {
    // A producer took the fd number and has not finished its write (it
    // died mid-wake, or is descheduled). Closing would let the kernel reuse
    // the number for another file that the late write would then hit.
    // Leaking one descriptor is the safe choice.
    stats_.fd_leaked = true;
  }
}

void RingReader::OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  RingReader* self = loop::UvHandle<uv_poll_t>::OwnerOf<RingReader>(handle);
  // nullptr: detached while this callback was already queued.
  if (self == nullptr) return;
  // An error on an eventfd is not expected; draining is still correct, and
  // the alternative (stopping) would silently lose the ring.
  (void)status;
  self->OnReadable();
}

void RingReader::Kick() {
  const uint64_t one = 1;
  ssize_t r;
  do {
    r = write(fd_, &one, sizeof(one));
  } while (r < 0 && errno == EINTR);
  ++stats_.kicks;
}

void RingReader::ClearEventFd() {
  uint64_t value;
  ssize_t r;
  do {
    r = read(fd_, &value, sizeof(value));
  } while (r < 0 && errno == EINTR);
  // EAGAIN: already zero. Either way the fd is not readable now.
}

void RingReader::OnReadable() {
  ++stats_.wakeups;
  size_t budget = options_.batch_limit;
  size_t delivered = 0;
  // Whether the eventfd counter is still set (so the level-triggered poll
  // fires again next turn) or we have read it to zero.
  bool fd_readable = true;
  RecordFn on_record = on_record_;
  void* context = context_;
  for (;;) {
    draining_ = true;
    const size_t n = consumer_.Drain(
        [on_record, context](const uint8_t* data, size_t len) {
          on_record(context, data, len);
        },
        budget);
    draining_ = false;
    // Detached from a record callback: the owner is done with us; touch
    // neither the ring's wake state nor the (closed) eventfd.
    if (fd_ < 0) return;
    delivered += n;
    budget -= n;
    if (consumer_.error() != nullptr) {
      // Corrupt ring: stop for good. Sleeping stays 0, so producers do not
      // even try to wake us; the error is visible in stats.
      ClearEventFd();
      poll_.Close();
      break;
    }
    if (budget == 0) {
      // More may be pending: come back next loop turn, after the loop's
      // other handles. The eventfd must be readable for that.
      ++stats_.rearms;
      if (!fd_readable) Kick();
      break;
    }
    // Empty as far as we saw. Reset the eventfd BEFORE publishing
    // sleeping=1: a producer writes it only after seeing sleeping=1, so
    // that write lands after this read and wakes us. Reading after the
    // flag could swallow a wake meant for records pushed in between.
    if (fd_readable) {
      ClearEventFd();
      fd_readable = false;
    }
    if (consumer_.PrepareSleep()) {
      ++stats_.sleeps;
      break;
    }
    // Records arrived while going to sleep: keep draining (same budget).
  }
  // Last statement on purpose: the callback may Detach() or destroy us.
  if (on_wake_done_ != nullptr) on_wake_done_(context, delivered);
}

}  // namespace ring
}  // namespace webrtc_agent
