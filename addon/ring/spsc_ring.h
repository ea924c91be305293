// SPSC packet ring over shared memory (a SharedArrayBuffer seen from C++).
//
// THE layout and protocol are written down in docs/ring.md; src/pool/ring/
// implements the same thing in TypeScript, and the two must stay byte for
// byte compatible (the tests run C++ <-> TS across threads). In short:
//
//   [0,   64)  config line, written once by the creator before sharing
//   [64, 128)  producer line: head index, drop counters (producer writes)
//   [128,192)  consumer line: tail index (consumer writes)
//   [192,256)  wake line: sleeping flag, eventfd number, wakers, counters
//   [256, 256 + capacity)  data: length-prefixed, 8-byte aligned records
//
// WHY pure C++ (no Napi, no uv): this is the part that must be right under
// concurrency, and it is easiest to reason about (and to fuzz) with nothing
// around it. The loop integration lives in ring_reader.h; the JS face, for
// tests and benchmarks only, in test/addon/ring_binding.h.
//
// Trust: the memory is a SharedArrayBuffer, so any JS on any thread can
// scribble over it. Nothing read from it is trusted: configuration is
// copied and validated once at Open(); indices and record lengths are read
// once into locals, checked, then used. A corrupt ring stops the consumer
// (error()) and makes the producer drop; it never makes C++ touch memory
// outside [base, base + size).
#ifndef WEBRTC_AGENT_ADDON_RING_SPSC_RING_H_
#define WEBRTC_AGENT_ADDON_RING_SPSC_RING_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace webrtc_agent {
namespace ring {

// Shared-memory atomics. The GCC/Clang __atomic builtins work on plain
// memory (C++17 has no atomic_ref, and reinterpret_cast to std::atomic<T>*
// is formally undefined); they compile to the same instructions.
namespace shm {
inline uint32_t LoadAcquire(const uint32_t* p) {
  return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
inline uint32_t LoadRelaxed(const uint32_t* p) {
  return __atomic_load_n(p, __ATOMIC_RELAXED);
}
inline void StoreRelease(uint32_t* p, uint32_t v) {
  __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
inline void StoreRelaxed(uint32_t* p, uint32_t v) {
  __atomic_store_n(p, v, __ATOMIC_RELAXED);
}
inline void FenceSeqCst() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
}  // namespace shm

// Offsets, constants and the creator-side helpers.
class RingLayout {
 public:
  static constexpr uint32_t kMagic = 0x474E4952;  // "RING" little-endian
  static constexpr uint32_t kVersion = 1;
  static constexpr uint32_t kCacheLine = 64;
  static constexpr uint32_t kHeaderBytes = 256;

  // Config line (read-only after Init).
  static constexpr uint32_t kOffMagic = 0;
  static constexpr uint32_t kOffVersion = 4;
  static constexpr uint32_t kOffCapacity = 8;
  static constexpr uint32_t kOffMaxRecord = 12;
  static constexpr uint32_t kOffDataOffset = 16;
  // Producer line.
  static constexpr uint32_t kOffHead = 64;
  static constexpr uint32_t kOffDrops = 72;     // u64: every dropped record
  static constexpr uint32_t kOffOversize = 80;  // u64: the too-big subset
  // Consumer line.
  static constexpr uint32_t kOffTail = 128;
  // Wake line (both sides write it, but only around a sleep).
  static constexpr uint32_t kOffSleeping = 192;  // i32: 1 = consumer asleep
  static constexpr uint32_t kOffWakeFd = 196;    // i32: eventfd, -1 = none
  static constexpr uint32_t kOffWakers = 200;    // i32: producers mid-wake
  static constexpr uint32_t kOffWakes = 204;     // u32: eventfd writes
  static constexpr uint32_t kOffSleeps = 208;    // u32: consumer sleeps

  // Record framing.
  static constexpr uint32_t kLengthBytes = 4;
  static constexpr uint32_t kAlign = 8;
  static constexpr uint32_t kWrapMarker = 0xFFFFFFFFu;

  // Capacity bounds: 64 bytes is the smallest ring that can hold a record
  // besides its wrap padding; 1 GiB keeps RequiredSize() an exact JS number
  // and far below what anyone should put in one ring.
  static constexpr uint32_t kMinCapacity = 64;
  static constexpr uint32_t kMaxCapacity = 1u << 30;
  // Records are network packets plus a small header; 64 KiB covers a
  // maximal UDP datagram.
  static constexpr uint32_t kDefaultMaxRecordCap = 65536;

  // Bytes a record of `len` payload bytes takes in the data area.
  static constexpr uint32_t RecordBytes(uint32_t len) {
    return (kLengthBytes + len + (kAlign - 1)) & ~(kAlign - 1);
  }
  static bool IsValidCapacity(uint64_t capacity) {
    return capacity >= kMinCapacity && capacity <= kMaxCapacity &&
           (capacity & (capacity - 1)) == 0;
  }
  // Largest max_record a ring of `capacity` accepts: a record must fit in
  // an empty ring even behind its worst-case wrap padding (less than one
  // record), so RecordBytes(max) <= capacity / 2.
  static uint32_t LimitMaxRecord(uint32_t capacity) {
    return capacity / 2 - kLengthBytes;
  }
  static uint32_t DefaultMaxRecord(uint32_t capacity) {
    uint32_t limit = LimitMaxRecord(capacity);
    return limit < kDefaultMaxRecordCap ? limit : kDefaultMaxRecordCap;
  }
  // Bytes of shared memory for a ring of `capacity`, 0 if invalid.
  static size_t RequiredSize(uint64_t capacity) {
    return IsValidCapacity(capacity)
               ? static_cast<size_t>(kHeaderBytes + capacity)
               : 0;
  }

  // Writes a fresh header (and nothing else) into [base, base + size).
  // max_record 0 = DefaultMaxRecord(capacity). start_index is the initial
  // value of both indices: tests start near 2^32 to cross the index wrap
  // quickly. Only for the creator, before the memory is shared.
  // Returns nullptr or a static error description.
  static const char* Init(uint8_t* base, size_t size, uint32_t capacity,
                          uint32_t max_record = 0, uint32_t start_index = 0);

  // Checks a header written by Init (by C++ or TS). On success returns
  // nullptr and fills the validated configuration.
  struct Config {
    uint32_t capacity = 0;
    uint32_t max_record = 0;
  };
  static const char* Validate(const uint8_t* base, size_t size,
                              Config* out = nullptr);

  template <typename T>
  static T* Field(uint8_t* base, uint32_t offset) {
    return reinterpret_cast<T*>(base + offset);
  }
};

// Snapshot of the shared header, for stats (any thread may take one).
struct RingHeaderStats {
  uint32_t capacity = 0;
  uint32_t max_record = 0;
  uint32_t head = 0;
  uint32_t tail = 0;
  uint32_t used = 0;  // bytes between tail and head
  uint64_t drops = 0;
  uint64_t oversize = 0;
  int32_t sleeping = 0;
  int32_t wake_fd = -1;
  int32_t wakers = 0;
  uint32_t wakes = 0;
  uint32_t sleeps = 0;
};
RingHeaderStats ReadHeaderStats(uint8_t* base);

// The writing side. Exactly one RingProducer (C++ or TS) per ring: the
// caller's contract, not checked (SPSC needs no locks precisely because
// each index has a single writer).
// Where a ring's pieces are, once its header has been checked: what a
// producer and a consumer both need, opened the same way.
struct RingView {
  uint8_t* base = nullptr;
  uint8_t* data = nullptr;
  uint32_t* head_word = nullptr;
  uint32_t* tail_word = nullptr;
  uint32_t capacity = 0;
  uint32_t mask = 0;
  uint32_t max_record = 0;

  // Validates the header; nullptr on success, else why not.
  const char* Open(uint8_t* ring_base, size_t size);
};

class RingProducer {
 public:
  enum class PushResult { kOk, kFull, kTooBig, kCorrupt };

  RingProducer() = default;
  RingProducer(const RingProducer&) = delete;
  RingProducer& operator=(const RingProducer&) = delete;

  // Attaches to an initialised ring. nullptr or a static error.
  const char* Open(uint8_t* base, size_t size);
  bool is_open() const { return v_.base != nullptr; }

  // Gather-writes `a` then `b` as ONE record (a small header + a packet,
  // without assembling them first) and publishes it (release store of the
  // head). On full / too big / corrupt: returns false and counts a drop in
  // the shared header. Never blocks, never overwrites unread records.
  bool Push(const uint8_t* a, size_t a_len, const uint8_t* b, size_t b_len);
  // Same, but does not count a drop: for callers that wait for room
  // (benchmarks). Push() is TryPush() + drop accounting.
  PushResult TryPush(const uint8_t* a, size_t a_len, const uint8_t* b,
                     size_t b_len);

  // Wakes the consumer if it is asleep: one eventfd write per consumer
  // sleep, nothing (a fence and a load) while it is awake. Call after a
  // push or once per batch of pushes. Returns true if it wrote the eventfd.
  bool Flush();

  // Counts a drop made by the caller's policy (e.g. gave up waiting).
  void CountDrop(bool oversize);

  uint32_t capacity() const { return v_.capacity; }
  uint32_t max_record() const { return v_.max_record; }
  uint64_t pushed() const { return pushed_; }
  uint64_t pushed_bytes() const { return pushed_bytes_; }
  uint64_t dropped() const { return dropped_; }
  uint64_t wakes() const { return wakes_; }
  uint8_t* base() const { return v_.base; }

 private:
  RingView v_;
  // Our own copy of the head (we are its only writer) and the last tail we
  // saw: the tail is re-read only when the cached one says "full", so the
  // consumer's cache line is not pulled over on every push.
  uint32_t head_ = 0;
  uint32_t cached_tail_ = 0;
  uint64_t pushed_ = 0;
  uint64_t pushed_bytes_ = 0;
  uint64_t dropped_ = 0;
  uint64_t wakes_ = 0;
};

// The reading side, plus the consumer half of the sleep/wake protocol.
class RingConsumer {
 public:
  RingConsumer() = default;
  RingConsumer(const RingConsumer&) = delete;
  RingConsumer& operator=(const RingConsumer&) = delete;

  const char* Open(uint8_t* base, size_t size);
  bool is_open() const { return v_.base != nullptr; }
  // Forgets the ring (the shared memory is left as it is).
  void Close() {
    v_.base = nullptr;
    error_ = nullptr;
  }
  // From inside a Drain callback: end that Drain after the current record
  // (its space is still released). Lets an owner stop reading from inside a
  // record callback without the drain delivering the rest of the batch.
  void Interrupt() { interrupted_ = true; }

  // Calls fn(const uint8_t* data, size_t len) for up to `max` records, in
  // order, and returns how many. `data` points into the ring (zero copy):
  // valid only during the call. Space is released (release store of the
  // tail) at the end of the call and every capacity/4 bytes within it, so
  // a long drain does not hold the producer off. fn must not call Drain
  // (it may call Interrupt()). Stops at the first malformed record and sets
  // error().
  template <typename Fn>
  size_t Drain(Fn fn, size_t max);

  // True if there is nothing to read (re-reads the head).
  bool Empty();

  // Sleep protocol, consumer half (docs/ring.md, "Wake"):
  // PrepareSleep() publishes sleeping=1, then re-checks the ring. true: the
  // ring is empty and any later push will see sleeping=1 and wake us (no
  // lost wakeup). false: records arrived in between; the sleep is
  // cancelled (sleeping=0 again) and the caller must drain.
  bool PrepareSleep();

  // eventfd ownership. AttachWaker publishes `fd` as the ring's wake fd;
  // false if another consumer's fd is already there (one consumer per
  // ring). DetachWaker retracts it, stops producers from starting new
  // wakes, and waits (up to `timeout_ms`) for wakes already in flight.
  // Returns true when `fd` may be closed; false means a producer may still
  // write to it (only if one died mid-wake), so the caller must leak it
  // rather than close a number the kernel could hand to another file.
  bool AttachWaker(int fd);
  bool DetachWaker(int fd, uint32_t timeout_ms);

  // nullptr, or a static description of the corruption that stopped us.
  const char* error() const { return error_; }
  uint32_t capacity() const { return v_.capacity; }
  uint32_t max_record() const { return v_.max_record; }
  uint64_t records() const { return records_; }
  uint64_t bytes() const { return bytes_; }
  uint8_t* base() const { return v_.base; }

 private:
  void Release() { shm::StoreRelease(v_.tail_word, tail_); }

  RingView v_;
  uint32_t tail_ = 0;
  uint32_t cached_head_ = 0;
  uint64_t records_ = 0;
  uint64_t bytes_ = 0;
  const char* error_ = nullptr;
  bool interrupted_ = false;
};

template <typename Fn>
size_t RingConsumer::Drain(Fn fn, size_t max) {
  if (v_.base == nullptr || error_ != nullptr) return 0;
  interrupted_ = false;
  size_t n = 0;
  uint32_t unreleased = 0;
  const uint32_t release_every = v_.capacity / 4;
  while (n < max) {
    if (tail_ == cached_head_) {
      // Acquire pairs with the producer's release store: every byte of the
      // records up to this head is visible once we see the head.
      cached_head_ = shm::LoadAcquire(v_.head_word);
      if (tail_ == cached_head_) break;
    }
    const uint32_t available = cached_head_ - tail_;  // mod 2^32
    if (available > v_.capacity) {
      error_ = "ring corrupt: head is more than capacity ahead of tail";
      break;
    }
    const uint32_t pos = tail_ & v_.mask;
    // Read once: the producer will not touch it (it is unreleased), but a
    // stray JS writer could, and we must check the value we use.
    const uint32_t len = shm::LoadRelaxed(
        reinterpret_cast<const uint32_t*>(v_.data + pos));
    if (len == RingLayout::kWrapMarker) {
      const uint32_t skip = v_.capacity - pos;
      if (skip > available) {
        error_ = "ring corrupt: wrap marker beyond head";
        break;
      }
      tail_ += skip;
      unreleased += skip;
      continue;
    }
    const uint32_t need = RingLayout::RecordBytes(len);
    if (len > v_.max_record || need > available || pos + need > v_.capacity) {
      error_ = "ring corrupt: bad record length";
      break;
    }
    fn(static_cast<const uint8_t*>(v_.data + pos + RingLayout::kLengthBytes),
       static_cast<size_t>(len));
    tail_ += need;
    unreleased += need;
    ++n;
    ++records_;
    bytes_ += len;
    if (unreleased >= release_every) {
      Release();
      unreleased = 0;
    }
    if (interrupted_) break;
  }
  interrupted_ = false;
  if (unreleased != 0) Release();
  return n;
}

}  // namespace ring
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_RING_SPSC_RING_H_
