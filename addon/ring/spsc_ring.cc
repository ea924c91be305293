#include "ring/spsc_ring.h"

#include <errno.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

namespace webrtc_agent {
namespace ring {

namespace {

using L = RingLayout;

uint32_t* U32(uint8_t* base, uint32_t off) {
  return L::Field<uint32_t>(base, off);
}
int32_t* I32(uint8_t* base, uint32_t off) {
  return L::Field<int32_t>(base, off);
}
uint64_t* U64(uint8_t* base, uint32_t off) {
  return L::Field<uint64_t>(base, off);
}

uint64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000u +
         static_cast<uint64_t>(ts.tv_nsec) / 1000000u;
}

// Every field is read through an atomic load: the header may be written by
// another thread at any time, and a plain read of racing memory is a data
// race the compiler may exploit.
const char* CheckConfig(const uint8_t* base, size_t size,
                        RingLayout::Config* out) {
  if (base == nullptr) return "ring memory is null";
  if ((reinterpret_cast<uintptr_t>(base) & 7u) != 0) {
    return "ring memory is not 8-byte aligned";
  }
  if (size < L::kHeaderBytes) return "ring memory is smaller than the header";
  uint8_t* b = const_cast<uint8_t*>(base);
  if (shm::LoadAcquire(U32(b, L::kOffMagic)) != L::kMagic) {
    return "not a ring (bad magic)";
  }
  if (shm::LoadRelaxed(U32(b, L::kOffVersion)) != L::kVersion) {
    return "unsupported ring version";
  }
  const uint32_t capacity = shm::LoadRelaxed(U32(b, L::kOffCapacity));
  if (!L::IsValidCapacity(capacity)) {
    return "bad ring capacity (power of two, 64 B .. 1 GiB)";
  }
  if (shm::LoadRelaxed(U32(b, L::kOffDataOffset)) != L::kHeaderBytes) {
    return "bad ring data offset";
  }
  if (size < L::RequiredSize(capacity)) {
    return "ring memory is smaller than header + capacity";
  }
  const uint32_t max_record = shm::LoadRelaxed(U32(b, L::kOffMaxRecord));
  if (max_record > L::LimitMaxRecord(capacity)) {
    return "bad ring max record size (must be <= capacity / 2 - 4)";
  }
  // The indices only ever move by multiples of 8; anything else was not
  // written by a ring side.
  if ((shm::LoadRelaxed(U32(b, L::kOffHead)) & 7u) != 0 ||
      (shm::LoadRelaxed(U32(b, L::kOffTail)) & 7u) != 0) {
    return "ring corrupt: index not 8-byte aligned";
  }
  if (out != nullptr) {
    out->capacity = capacity;
    out->max_record = max_record;
  }
  return nullptr;
}

}  // namespace

const char* RingLayout::Init(uint8_t* base, size_t size, uint32_t capacity,
                             uint32_t max_record, uint32_t start_index) {
  if (base == nullptr) return "ring memory is null";
  if ((reinterpret_cast<uintptr_t>(base) & 7u) != 0) {
    return "ring memory is not 8-byte aligned";
  }
  if (!IsValidCapacity(capacity)) {
    return "bad ring capacity (power of two, 64 B .. 1 GiB)";
  }
  if (size < RequiredSize(capacity)) {
    return "ring memory is smaller than header + capacity";
  }
  if (max_record == 0) max_record = DefaultMaxRecord(capacity);
  if (max_record > LimitMaxRecord(capacity)) {
    return "bad ring max record size (must be <= capacity / 2 - 4)";
  }
  if ((start_index & 7u) != 0) return "start index must be a multiple of 8";

  std::memset(base, 0, kHeaderBytes);
  shm::StoreRelaxed(U32(base, kOffVersion), kVersion);
  shm::StoreRelaxed(U32(base, kOffCapacity), capacity);
  shm::StoreRelaxed(U32(base, kOffMaxRecord), max_record);
  shm::StoreRelaxed(U32(base, kOffDataOffset), kHeaderBytes);
  shm::StoreRelaxed(U32(base, kOffHead), start_index);
  shm::StoreRelaxed(U32(base, kOffTail), start_index);
  __atomic_store_n(I32(base, kOffWakeFd), -1, __ATOMIC_RELAXED);
  // Magic last, with release: a reader that sees the magic sees the rest.
  shm::StoreRelease(U32(base, kOffMagic), kMagic);
  return nullptr;
}

const char* RingLayout::Validate(const uint8_t* base, size_t size,
                                 Config* out) {
  return CheckConfig(base, size, out);
}

RingHeaderStats ReadHeaderStats(uint8_t* base) {
  RingHeaderStats s;
  s.capacity = shm::LoadRelaxed(U32(base, L::kOffCapacity));
  s.max_record = shm::LoadRelaxed(U32(base, L::kOffMaxRecord));
  // Tail first, then head: both only grow, so head - tail can only be
  // overstated by what was pushed in between, never negative; clamp that.
  s.tail = shm::LoadAcquire(U32(base, L::kOffTail));
  s.head = shm::LoadAcquire(U32(base, L::kOffHead));
  s.used = s.head - s.tail;
  if (s.used > s.capacity) s.used = s.capacity;
  s.drops = __atomic_load_n(U64(base, L::kOffDrops), __ATOMIC_RELAXED);
  s.oversize = __atomic_load_n(U64(base, L::kOffOversize), __ATOMIC_RELAXED);
  s.sleeping = __atomic_load_n(I32(base, L::kOffSleeping), __ATOMIC_RELAXED);
  s.wake_fd = __atomic_load_n(I32(base, L::kOffWakeFd), __ATOMIC_RELAXED);
  s.wakers = __atomic_load_n(I32(base, L::kOffWakers), __ATOMIC_RELAXED);
  s.wakes = shm::LoadRelaxed(U32(base, L::kOffWakes));
  s.sleeps = shm::LoadRelaxed(U32(base, L::kOffSleeps));
  return s;
}

// ---------------------------------------------------------------- view

const char* RingView::Open(uint8_t* ring_base, size_t size) {
  RingLayout::Config config;
  const char* err = CheckConfig(ring_base, size, &config);
  if (err != nullptr) return err;
  base = ring_base;
  data = ring_base + L::kHeaderBytes;
  head_word = U32(ring_base, L::kOffHead);
  tail_word = U32(ring_base, L::kOffTail);
  capacity = config.capacity;
  mask = config.capacity - 1;
  max_record = config.max_record;
  return nullptr;
}

// ---------------------------------------------------------------- producer

const char* RingProducer::Open(uint8_t* base, size_t size) {
  if (v_.base != nullptr) return "ring producer is already open";
  if (const char* err = v_.Open(base, size)) return err;
  // We are the head's only writer from now on: our copy is the truth.
  head_ = shm::LoadAcquire(v_.head_word);
  cached_tail_ = shm::LoadAcquire(v_.tail_word);
  return nullptr;
}

RingProducer::PushResult RingProducer::TryPush(const uint8_t* a, size_t a_len,
                                               const uint8_t* b,
                                               size_t b_len) {
  if (v_.base == nullptr) return PushResult::kCorrupt;
  // Checked one by one first so the sum cannot overflow.
  if (a_len > v_.max_record || b_len > v_.max_record ||
      a_len + b_len > v_.max_record) {
    return PushResult::kTooBig;
  }
  const uint32_t len = static_cast<uint32_t>(a_len + b_len);
  const uint32_t need = RingLayout::RecordBytes(len);
  uint32_t pos = head_ & v_.mask;
  // A record never straddles the end: if it would, the rest of the lap is
  // padding (one wrap marker), so every record is contiguous for zero-copy
  // reads.
  const uint32_t pad = pos + need > v_.capacity ? v_.capacity - pos : 0;
  const uint32_t total = pad + need;
  uint32_t used = head_ - cached_tail_;
  if (used > v_.capacity || used + total > v_.capacity) {
    // Acquire pairs with the consumer's release of the tail: its reads of
    // the space we are about to reuse are done before we overwrite it.
    cached_tail_ = shm::LoadAcquire(v_.tail_word);
    used = head_ - cached_tail_;
    if (used > v_.capacity) return PushResult::kCorrupt;
    if (used + total > v_.capacity) return PushResult::kFull;
  }
  if (pad != 0) {
    shm::StoreRelaxed(reinterpret_cast<uint32_t*>(v_.data + pos),
                      RingLayout::kWrapMarker);
    head_ += pad;
    pos = 0;
  }
  uint8_t* rec = v_.data + pos;
  shm::StoreRelaxed(reinterpret_cast<uint32_t*>(rec), len);
  if (a_len != 0) std::memcpy(rec + RingLayout::kLengthBytes, a, a_len);
  if (b_len != 0) {
    std::memcpy(rec + RingLayout::kLengthBytes + a_len, b, b_len);
  }
  head_ += need;
  // Publish: release orders the record bytes (and a wrap marker) before
  // the new head for a consumer that acquires it.
  shm::StoreRelease(v_.head_word, head_);
  ++pushed_;
  pushed_bytes_ += len;
  return PushResult::kOk;
}

bool RingProducer::Push(const uint8_t* a, size_t a_len, const uint8_t* b,
                        size_t b_len) {
  PushResult r = TryPush(a, a_len, b, b_len);
  if (r == PushResult::kOk) return true;
  if (v_.base != nullptr) CountDrop(r == PushResult::kTooBig);
  return false;
}

void RingProducer::CountDrop(bool oversize) {
  ++dropped_;
  __atomic_fetch_add(U64(v_.base, L::kOffDrops), 1, __ATOMIC_RELAXED);
  if (oversize) {
    __atomic_fetch_add(U64(v_.base, L::kOffOversize), 1, __ATOMIC_RELAXED);
  }
}

bool RingProducer::Flush() {
  if (v_.base == nullptr) return false;
  int32_t* sleeping = I32(v_.base, L::kOffSleeping);
  // Store(head) ; fence ; load(sleeping) here against store(sleeping) ;
  // fence ; load(head) in PrepareSleep: with seq_cst fences on both sides
  // at least one of the two loads sees the other side's store, so either
  // we see the sleeper or it sees our records. A plain load without the
  // fence could read a stale 0 while our head store sits in the store
  // buffer: a lost wakeup.
  shm::FenceSeqCst();
  // Plain load first: while the consumer is awake (the common case under
  // load) we neither write the wake line nor make a syscall.
  if (__atomic_load_n(sleeping, __ATOMIC_RELAXED) == 0) return false;
  // Exactly one waker per sleep: whoever swaps 1 -> 0 writes the eventfd.
  if (__atomic_exchange_n(sleeping, 0, __ATOMIC_SEQ_CST) != 1) return false;

  int32_t* wakers = I32(v_.base, L::kOffWakers);
  // wakers++ before reading the fd, against the consumer's fd=-1 before
  // reading wakers (DetachWaker): either we see -1, or it sees us and
  // waits until we are done with the fd before closing it.
  __atomic_fetch_add(wakers, 1, __ATOMIC_SEQ_CST);
  const int32_t fd = __atomic_load_n(I32(v_.base, L::kOffWakeFd),
                                     __ATOMIC_SEQ_CST);
  bool woke = false;
  if (fd >= 0) {
    const uint64_t one = 1;
    ssize_t r;
    do {
      r = write(fd, &one, sizeof(one));
    } while (r < 0 && errno == EINTR);
    // EAGAIN (counter at its maximum) means a wake is pending anyway.
    woke = true;
    ++wakes_;
    __atomic_fetch_add(U32(v_.base, L::kOffWakes), 1, __ATOMIC_RELAXED);
  }
  __atomic_fetch_sub(wakers, 1, __ATOMIC_SEQ_CST);
  return woke;
}

// ---------------------------------------------------------------- consumer

const char* RingConsumer::Open(uint8_t* base, size_t size) {
  if (v_.base != nullptr) return "ring consumer is already open";
  if (const char* err = v_.Open(base, size)) return err;
  // We are the tail's only writer from now on (a previous consumer, if
  // any, has detached): our copy is the truth.
  tail_ = shm::LoadAcquire(v_.tail_word);
  cached_head_ = tail_;
  return nullptr;
}

bool RingConsumer::Empty() {
  if (v_.base == nullptr || error_ != nullptr) return true;
  cached_head_ = shm::LoadAcquire(v_.head_word);
  return cached_head_ == tail_;
}

bool RingConsumer::PrepareSleep() {
  if (v_.base == nullptr) return true;
  int32_t* sleeping = I32(v_.base, L::kOffSleeping);
  __atomic_store_n(sleeping, 1, __ATOMIC_RELAXED);
  shm::FenceSeqCst();  // see RingProducer::Flush
  if (!Empty() && error_ == nullptr) {
    // Records arrived between our last drain and the flag. Take the flag
    // back; if a producer already took it (returned 0) it is writing the
    // eventfd, which costs one spurious wake later, nothing more.
    __atomic_exchange_n(sleeping, 0, __ATOMIC_SEQ_CST);
    return false;
  }
  __atomic_fetch_add(U32(v_.base, L::kOffSleeps), 1, __ATOMIC_RELAXED);
  return true;
}

bool RingConsumer::AttachWaker(int fd) {
  if (v_.base == nullptr || fd < 0) return false;
  int32_t expected = -1;
  return __atomic_compare_exchange_n(I32(v_.base, L::kOffWakeFd), &expected,
                                     static_cast<int32_t>(fd), false,
                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

bool RingConsumer::DetachWaker(int fd, uint32_t timeout_ms) {
  if (v_.base == nullptr) return true;
  int32_t expected = fd;
  // Only retract our own fd. If it is not there any more (JS scribbled on
  // the header), producers may still hold it from before: wait all the
  // same.
  __atomic_compare_exchange_n(I32(v_.base, L::kOffWakeFd), &expected, -1,
                              false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  // Nobody is listening any more: producers skip the wake path entirely.
  __atomic_store_n(I32(v_.base, L::kOffSleeping), 0, __ATOMIC_SEQ_CST);
  int32_t* wakers = I32(v_.base, L::kOffWakers);
  if (__atomic_load_n(wakers, __ATOMIC_SEQ_CST) == 0) return true;
  // A producer is between loading the fd and finishing its write: one
  // syscall, so normally microseconds. Yield first, then sleep briefly.
  const uint64_t deadline = NowMs() + timeout_ms;
  for (uint32_t spins = 0;; ++spins) {
    if (__atomic_load_n(wakers, __ATOMIC_SEQ_CST) == 0) return true;
    if (NowMs() >= deadline) return false;
    if (spins < 1000) {
      sched_yield();
    } else {
      timespec ts{0, 100 * 1000};  // 100 us
      nanosleep(&ts, nullptr);
    }
  }
}

}  // namespace ring
}  // namespace webrtc_agent
