#include "ring_binding.h"

#include <sched.h>
#include <time.h>

#include <cmath>
#include <utility>

#include "addon.h"

namespace webrtc_agent {
namespace ring {

namespace {

constexpr char kBatchResourceName[] = "webrtc_agent.RingReader";
// Ids are handed to JS as numbers: keep them exactly representable.
constexpr double kMaxSafeInteger = 9007199254740991.0;
// A burst is one synchronous native call: bound it so a typo cannot hold
// the thread's loop for minutes.
constexpr double kMaxBurst = 1u << 30;
// Default flush period of a burst, in records: one fence per 32 pushes is
// noise, and a sleeping consumer hears about new records within 32 pushes.
constexpr uint32_t kDefaultFlushEvery = 32;

void ThrowType(Napi::Env env, const std::string& msg) {
  Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
}
void ThrowRange(Napi::Env env, const std::string& msg) {
  Napi::RangeError::New(env, msg).ThrowAsJavaScriptException();
}
void ThrowError(Napi::Env env, const std::string& msg) {
  Napi::Error::New(env, msg).ThrowAsJavaScriptException();
}

// An integer in [lo, hi] (all ring sizes, counts and seeds are u32).
bool GetUint(const Napi::Value& v, double lo, double hi, uint32_t* out) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= lo && d <= hi) || std::floor(d) != d) return false;
  *out = static_cast<uint32_t>(d);
  return true;
}

bool IsAbsent(const Napi::Value& v) { return v.IsUndefined() || v.IsNull(); }

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u +
         static_cast<uint64_t>(ts.tv_nsec);
}

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

Napi::Object HeaderObject(Napi::Env env, uint8_t* base) {
  const RingHeaderStats h = ReadHeaderStats(base);
  Napi::Object o = Napi::Object::New(env);
  auto num = [&](const char* k, double v) {
    o.Set(k, Napi::Number::New(env, v));
  };
  num("capacity", h.capacity);
  num("maxRecord", h.max_record);
  num("head", h.head);
  num("tail", h.tail);
  num("used", h.used);
  num("drops", static_cast<double>(h.drops));
  num("oversize", static_cast<double>(h.oversize));
  num("sleeping", h.sleeping);
  num("wakeFd", h.wake_fd);
  num("wakers", h.wakers);
  num("wakes", h.wakes);
  num("sleeps", h.sleeps);
  return o;
}

}  // namespace

RingBinding::RingBinding(AgentAddon* addon) : addon_(addon) {}

RingBinding::~RingBinding() {
  // Consumers first: their readers detach from rings whose memory the
  // entries' views pin; producers hold no handles.
  retired_.clear();
  consumers_.clear();
  producers_.clear();
}

void RingBinding::Register(Napi::Env env, Napi::Object exports) {
  auto add = [&](const char* name, Napi::Function::Callback cb) {
    exports.Set(name, Napi::Function::New(env, cb, name));
  };
  add("ringRequiredSize", &RingBinding::RequiredSize);
  add("ringInit", &RingBinding::Init);
  add("ringValidate", &RingBinding::Validate);
  add("ringProducerOpen", &RingBinding::ProducerOpen);
  add("ringPush", &RingBinding::Push);
  add("ringFlush", &RingBinding::Flush);
  add("ringPushBurst", &RingBinding::PushBurst);
  add("ringConsumerOpen", &RingBinding::ConsumerOpen);
  add("ringStats", &RingBinding::Stats);
  add("ringClose", &RingBinding::Close);
}

RingBinding* RingBinding::From(Napi::Env env) {
  AgentAddon* addon = AgentAddon::From(env);
  if (addon == nullptr || addon->loop() == nullptr) {
    ThrowError(env, "webrtc_agent: addon instance is not initialised");
    return nullptr;
  }
  return &addon->State<RingBinding>();
}

bool RingBinding::GetView(Napi::Env env, const Napi::Value& v, const char* fn,
                          uint8_t** data, size_t* size) {
  const std::string want = std::string(fn) +
                           ": expected a Uint8Array over a SharedArrayBuffer";
  if (!v.IsTypedArray()) {
    ThrowType(env, want);
    return false;
  }
  napi_typedarray_type type;
  size_t length = 0;
  void* ptr = nullptr;
  napi_value buffer = nullptr;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, &buffer,
                               &offset) != napi_ok ||
      type != napi_uint8_array) {
    ThrowType(env, want);
    return false;
  }
  // napi_is_arraybuffer is false for a SharedArrayBuffer (and typed arrays
  // have no third kind of backing store): true means a detachable buffer.
  bool is_plain = true;
  if (napi_is_arraybuffer(env, buffer, &is_plain) != napi_ok || is_plain) {
    ThrowType(env, want + " (got a plain ArrayBuffer, which can be "
                          "detached while native code holds it)");
    return false;
  }
  *data = static_cast<uint8_t*>(ptr);
  *size = length;
  return true;
}

bool RingBinding::Pin(Napi::Env env, const Napi::Value& v, const char* fn,
                      View* out) {
  if (!GetView(env, v, fn, &out->data, &out->size)) return false;
  out->ref = Napi::Persistent(v.As<Napi::Uint8Array>());
  return !env.IsExceptionPending();
}

RingBinding::ProducerEntry* RingBinding::FindProducer(Napi::Env env,
                                                      const Napi::Value& v,
                                                      const char* fn) {
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 1 && d <= kMaxSafeInteger) || std::floor(d) != d) {
    ThrowType(env, std::string(fn) + ": expected a ring producer id");
    return nullptr;
  }
  auto it = producers_.find(static_cast<uint64_t>(d));
  if (it == producers_.end()) {
    ThrowError(env, std::string(fn) + ": unknown ring producer id");
    return nullptr;
  }
  return it->second.get();
}

// ringRequiredSize(capacity) -> bytes of SharedArrayBuffer needed.
Napi::Value RingBinding::RequiredSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t capacity = 0;
  if (info.Length() < 1 ||
      !GetUint(info[0], 0, RingLayout::kMaxCapacity, &capacity) ||
      !RingLayout::IsValidCapacity(capacity)) {
    ThrowRange(env, "ringRequiredSize: capacity must be a power of two "
                    "between 64 and 2^30");
    return env.Undefined();
  }
  return Napi::Number::New(
      env, static_cast<double>(RingLayout::RequiredSize(capacity)));
}

// ringInit(view, capacity, maxRecord?, startIndex?)
Napi::Value RingBinding::Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* data = nullptr;
  size_t size = 0;
  if (!GetView(env, info[0], "ringInit", &data, &size)) return env.Undefined();
  uint32_t capacity = 0;
  uint32_t max_record = 0;
  uint32_t start_index = 0;
  if (!GetUint(info[1], 0, 4294967295.0, &capacity)) {
    ThrowType(env, "ringInit: capacity must be an integer");
    return env.Undefined();
  }
  if (!IsAbsent(info[2]) && !GetUint(info[2], 0, 4294967295.0, &max_record)) {
    ThrowType(env, "ringInit: maxRecord must be an integer");
    return env.Undefined();
  }
  if (!IsAbsent(info[3]) &&
      !GetUint(info[3], 0, 4294967295.0, &start_index)) {
    ThrowType(env, "ringInit: startIndex must be a u32");
    return env.Undefined();
  }
  const char* err =
      RingLayout::Init(data, size, capacity, max_record, start_index);
  if (err != nullptr) ThrowRange(env, std::string("ringInit: ") + err);
  return env.Undefined();
}

// ringValidate(view) -> null | error string
Napi::Value RingBinding::Validate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* data = nullptr;
  size_t size = 0;
  if (!GetView(env, info[0], "ringValidate", &data, &size)) {
    return env.Undefined();
  }
  const char* err = RingLayout::Validate(data, size);
  if (err == nullptr) return env.Null();
  return Napi::String::New(env, err);
}

// ringProducerOpen(view) -> id
Napi::Value RingBinding::ProducerOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RingBinding* self = From(env);
  if (self == nullptr) return env.Undefined();
  auto entry = std::make_unique<ProducerEntry>();
  if (!Pin(env, info[0], "ringProducerOpen", &entry->view)) {
    return env.Undefined();
  }
  const char* err = entry->producer.Open(entry->view.data, entry->view.size);
  if (err != nullptr) {
    ThrowError(env, std::string("ringProducerOpen: ") + err);
    return env.Undefined();
  }
  const uint64_t id = self->next_id_++;
  self->producers_.emplace(id, std::move(entry));
  return Napi::Number::New(env, static_cast<double>(id));
}

// ringPush(id, payload, header?) -> pushed (false: dropped and counted)
Napi::Value RingBinding::Push(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RingBinding* self = From(env);
  if (self == nullptr) return env.Undefined();
  ProducerEntry* entry = self->FindProducer(env, info[0], "ringPush");
  if (entry == nullptr) return env.Undefined();
  auto bytes = [&](const Napi::Value& v, const uint8_t** p, size_t* n) {
    if (!v.IsTypedArray() ||
        v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      return false;
    }
    Napi::Uint8Array a = v.As<Napi::Uint8Array>();
    *p = a.Data();
    *n = a.ElementLength();
    return true;
  };
  const uint8_t* payload = nullptr;
  size_t payload_len = 0;
  const uint8_t* header = nullptr;
  size_t header_len = 0;
  if (!bytes(info[1], &payload, &payload_len) ||
      (!IsAbsent(info[2]) && !bytes(info[2], &header, &header_len))) {
    ThrowType(env, "ringPush(id, payload, header?): payload and header "
                   "must be Uint8Arrays");
    return env.Undefined();
  }
  return Napi::Boolean::New(
      env, entry->producer.Push(header, header_len, payload, payload_len));
}

// ringFlush(id) -> true if it woke the consumer
Napi::Value RingBinding::Flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RingBinding* self = From(env);
  if (self == nullptr) return env.Undefined();
  ProducerEntry* entry = self->FindProducer(env, info[0], "ringFlush");
  if (entry == nullptr) return env.Undefined();
  return Napi::Boolean::New(env, entry->producer.Flush());
}

// ringPushBurst(id, count, minSize, maxSize, seed, {flushEvery, waitMs}?)
//   -> {pushed, dropped, nextSeq, wakes}
// Pushes `count` pattern records (ring_pattern.h) continuing this producer's
// sequence; payload sizes uniform in [minSize, maxSize] (plus the 8-byte
// pattern header). waitMs > 0: when full, spin (flushing, so the consumer
// is awake) up to waitMs per record before dropping: lossless mode for
// benchmarks. waitMs 0: drop at once, as the data plane does.
Napi::Value RingBinding::PushBurst(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RingBinding* self = From(env);
  if (self == nullptr) return env.Undefined();
  ProducerEntry* entry = self->FindProducer(env, info[0], "ringPushBurst");
  if (entry == nullptr) return env.Undefined();
  uint32_t count = 0, min_size = 0, max_size = 0, seed = 0;
  if (!GetUint(info[1], 0, kMaxBurst, &count) ||
      !GetUint(info[2], 0, RingLayout::kMaxCapacity, &min_size) ||
      !GetUint(info[3], 0, RingLayout::kMaxCapacity, &max_size) ||
      !GetUint(info[4], 0, 4294967295.0, &seed) || min_size > max_size) {
    ThrowType(env, "ringPushBurst(id, count, minSize, maxSize, seed, opts?): "
                   "integers, count <= 2^30, minSize <= maxSize <= 2^30, "
                   "seed a u32");
    return env.Undefined();
  }
  uint32_t flush_every = kDefaultFlushEvery;
  uint32_t wait_ms = 0;
  if (!IsAbsent(info[5])) {
    if (!info[5].IsObject()) {
      ThrowType(env, "ringPushBurst: options must be an object");
      return env.Undefined();
    }
    Napi::Object o = info[5].As<Napi::Object>();
    Napi::Value fe = o.Get("flushEvery");
    Napi::Value wm = o.Get("waitMs");
    if ((!IsAbsent(fe) && !GetUint(fe, 0, 4294967295.0, &flush_every)) ||
        (!IsAbsent(wm) && !GetUint(wm, 0, 600000, &wait_ms))) {
      ThrowType(env, "ringPushBurst: flushEvery must be a u32, waitMs an "
                     "integer in [0, 600000]");
      return env.Undefined();
    }
  }

  RingProducer& producer = entry->producer;
  if (!entry->pattern) {
    // Payloads can never exceed max_record (bigger ones are dropped as too
    // big before any byte is read), so this table always covers them.
    entry->pattern = std::make_unique<RingPattern>(producer.max_record());
  }
  const RingPattern& pattern = *entry->pattern;
  const uint64_t wakes_before = producer.wakes();
  uint32_t pushed = 0;
  uint32_t dropped = 0;
  uint32_t since_flush = 0;
  uint8_t header[RingPattern::kHeaderBytes];
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t seq = entry->next_seq++;
    const uint32_t len =
        RingPattern::PayloadLength(seed, seq, min_size, max_size);
    RingPattern::Header(seq, len, header);
    const uint8_t* payload = pattern.Payload(seq);
    RingProducer::PushResult r =
        producer.TryPush(header, sizeof(header), payload, len);
    if (r == RingProducer::PushResult::kFull && wait_ms > 0) {
      producer.Flush();
      const uint64_t deadline = NowNs() + uint64_t{wait_ms} * 1000000u;
      for (uint32_t spin = 1; r == RingProducer::PushResult::kFull; ++spin) {
        if ((spin & 63) == 0) {
          if (NowNs() > deadline) break;
          // Two cores, three busy threads at times: let the consumer run.
          sched_yield();
        } else {
          CpuRelax();
        }
        r = producer.TryPush(header, sizeof(header), payload, len);
      }
    }
    if (r == RingProducer::PushResult::kOk) {
      ++pushed;
    } else {
      producer.CountDrop(r == RingProducer::PushResult::kTooBig);
      ++dropped;
    }
    if (flush_every != 0 && ++since_flush >= flush_every) {
      producer.Flush();
      since_flush = 0;
    }
  }
  producer.Flush();

  Napi::Object out = Napi::Object::New(env);
  out.Set("pushed", Napi::Number::New(env, pushed));
  out.Set("dropped", Napi::Number::New(env, dropped));
  out.Set("nextSeq", Napi::Number::New(env, entry->next_seq));
  out.Set("wakes", Napi::Number::New(
                       env, static_cast<double>(producer.wakes() -
                                                wakes_before)));
  return out;
}

// ringConsumerOpen(view, {verify, deliver, onBatch, batch, ref, startSeq,
//                         stopAfter}?) -> id
Napi::Value RingBinding::ConsumerOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RingBinding* self = From(env);
  if (self == nullptr) return env.Undefined();
  auto entry = std::make_unique<ConsumerEntry>();
  entry->binding = self;
  if (!Pin(env, info[0], "ringConsumerOpen", &entry->view)) {
    return env.Undefined();
  }
  RingReader::Options options;
  if (!IsAbsent(info[1])) {
    if (!info[1].IsObject()) {
      ThrowType(env, "ringConsumerOpen: options must be an object");
      return env.Undefined();
    }
    Napi::Object o = info[1].As<Napi::Object>();
    Napi::Value verify = o.Get("verify");
    if (!IsAbsent(verify)) {
      std::string v = verify.IsString() ? verify.As<Napi::String>().Utf8Value()
                                        : std::string();
      if (v == "none") {
        entry->level = RingPattern::Level::kNone;
      } else if (v == "header") {
        entry->level = RingPattern::Level::kHeader;
      } else if (v == "full") {
        entry->level = RingPattern::Level::kFull;
      } else {
        ThrowType(env, "ringConsumerOpen: verify must be 'none', 'header' "
                       "or 'full'");
        return env.Undefined();
      }
    }
    Napi::Value deliver = o.Get("deliver");
    entry->deliver = deliver.IsBoolean() && deliver.As<Napi::Boolean>();
    Napi::Value ref = o.Get("ref");
    options.ref = ref.IsBoolean() && ref.As<Napi::Boolean>();
    Napi::Value batch = o.Get("batch");
    uint32_t b = 0;
    if (!IsAbsent(batch)) {
      if (!GetUint(batch, 1, 1u << 20, &b)) {
        ThrowType(env, "ringConsumerOpen: batch must be an integer in "
                       "[1, 2^20]");
        return env.Undefined();
      }
      options.batch_limit = b;
    }
    Napi::Value stop_after = o.Get("stopAfter");
    uint32_t sa = 0;
    if (!IsAbsent(stop_after)) {
      if (!GetUint(stop_after, 1, 4294967295.0, &sa)) {
        ThrowType(env, "ringConsumerOpen: stopAfter must be a positive "
                       "integer");
        return env.Undefined();
      }
      entry->stop_after = sa;
    }
    Napi::Value start = o.Get("startSeq");
    if (!IsAbsent(start)) {
      if (!GetUint(start, 0, 4294967295.0, &entry->expected)) {
        ThrowType(env, "ringConsumerOpen: startSeq must be a u32");
        return env.Undefined();
      }
      entry->have_expected = true;
    }
    Napi::Value on_batch = o.Get("onBatch");
    if (!IsAbsent(on_batch)) {
      if (!on_batch.IsFunction()) {
        ThrowType(env, "ringConsumerOpen: onBatch must be a function");
        return env.Undefined();
      }
      entry->on_batch = Napi::Persistent(on_batch.As<Napi::Function>());
      // Batches then look like any other Node async callback (async_hooks,
      // microtasks drained after the call), as the addon's timers do.
      entry->async_context =
          std::make_unique<Napi::AsyncContext>(env, kBatchResourceName);
      if (env.IsExceptionPending()) return env.Undefined();
    }
  }
  if (env.IsExceptionPending()) return env.Undefined();

  if (entry->level != RingPattern::Level::kNone) {
    RingLayout::Config config;
    if (RingLayout::Validate(entry->view.data, entry->view.size, &config) ==
        nullptr) {
      entry->pattern = std::make_unique<RingPattern>(config.max_record);
    }
  }
  const uint64_t id = self->next_id_++;
  entry->id = id;
  const char* err = entry->reader.Attach(
      env, self->addon_->loop(), entry->view.data, entry->view.size, options,
      &RingBinding::OnRecord, &RingBinding::OnWakeDone, entry.get());
  if (err != nullptr) {
    ThrowError(env, std::string("ringConsumerOpen: ") + err);
    return env.Undefined();
  }
  self->consumers_.emplace(id, std::move(entry));
  return Napi::Number::New(env, static_cast<double>(id));
}

void RingBinding::OnRecord(void* context, const uint8_t* data, size_t len) {
  ConsumerEntry* entry = static_cast<ConsumerEntry*>(context);
  if (entry->pattern) {
    uint32_t seq = 0;
    const char* err = entry->pattern->Verify(data, len, entry->level, &seq);
    if (err == nullptr) {
      if (entry->have_expected) {
        const uint32_t ahead = seq - entry->expected;  // mod 2^32
        if (ahead >= 0x80000000u) {
          err = "record out of order (sequence went back)";
        } else {
          // Skipped sequence numbers: records the producer dropped.
          entry->gaps += ahead;
        }
      }
      entry->have_expected = true;
      entry->expected = seq + 1;
      entry->last_seq = seq;
    }
    if (err != nullptr) {
      if (entry->errors++ == 0) entry->first_error = err;
    }
  }
  if (entry->deliver) {
    entry->pending.insert(entry->pending.end(), data, data + len);
    entry->pending_lengths.push_back(static_cast<uint32_t>(len));
  }
  if (entry->stop_after != 0 && ++entry->seen == entry->stop_after) {
    entry->reader.Detach();
  }
}

void RingBinding::OnWakeDone(void* context, size_t records) {
  ConsumerEntry* entry = static_cast<ConsumerEntry*>(context);
  if (records == 0 || entry->on_batch.IsEmpty()) {
    entry->pending.clear();
    entry->pending_lengths.clear();
    return;
  }
  DispatchBatch(entry, records);
}

void RingBinding::DispatchBatch(ConsumerEntry* entry, size_t records) {
  // Loop phase of this thread with no JS on the stack: our own scope, and
  // a direct call (no ThreadSafeFunction needed on the owning thread).
  RingBinding* binding = entry->binding;
  napi_env env = entry->on_batch.Env();
  Napi::HandleScope scope(env);
  ++entry->batches;

  napi_value argv[2];
  napi_create_double(env, static_cast<double>(records), &argv[0]);
  if (entry->deliver) {
    Napi::Array list = Napi::Array::New(env, entry->pending_lengths.size());
    size_t off = 0;
    for (uint32_t i = 0; i < entry->pending_lengths.size(); ++i) {
      const uint32_t n = entry->pending_lengths[i];
      list.Set(i, Napi::Buffer<uint8_t>::Copy(
                      env, entry->pending.data() + off, n));
      off += n;
    }
    argv[1] = list;
  } else {
    napi_get_undefined(env, &argv[1]);
  }
  entry->pending.clear();
  entry->pending_lengths.clear();

  napi_value fn = entry->on_batch.Value();
  napi_value recv = Napi::Env(env).Global();
  napi_value result = nullptr;
  entry->dispatching = true;
  // The raw C call, as in AgentAddon::DispatchTick: while the thread is
  // being terminated napi_make_callback fails without an exception, which
  // here simply means "nothing to do".
  napi_status status = napi_make_callback(env, *entry->async_context, recv,
                                          fn, 2, argv, &result);
  entry->dispatching = false;
  // The callback may have closed this consumer (parked in retired_):
  // `entry` must not be used after this line.
  binding->retired_.clear();

  if (status == napi_pending_exception) {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_value error = nullptr;
      if (napi_get_and_clear_last_exception(env, &error) == napi_ok) {
        // A throwing onBatch is an uncaught exception of this thread, like
        // a throwing timer callback.
        napi_fatal_exception(env, error);
      }
    }
  }
}

// ringStats(id) -> producer or consumer stats, undefined if unknown
Napi::Value RingBinding::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RingBinding* self = From(env);
  if (self == nullptr) return env.Undefined();
  double d = info.Length() > 0 && info[0].IsNumber()
                 ? info[0].As<Napi::Number>().DoubleValue()
                 : -1;
  if (!(d >= 1 && d <= kMaxSafeInteger) || std::floor(d) != d) {
    return env.Undefined();
  }
  const uint64_t id = static_cast<uint64_t>(d);
  Napi::Object o = Napi::Object::New(env);
  auto num = [&](const char* k, double v) {
    o.Set(k, Napi::Number::New(env, v));
  };
  auto p = self->producers_.find(id);
  if (p != self->producers_.end()) {
    const RingProducer& pr = p->second->producer;
    o.Set("kind", Napi::String::New(env, "producer"));
    num("pushed", static_cast<double>(pr.pushed()));
    num("bytes", static_cast<double>(pr.pushed_bytes()));
    num("dropped", static_cast<double>(pr.dropped()));
    num("wakes", static_cast<double>(pr.wakes()));
    num("nextSeq", p->second->next_seq);
    o.Set("header", HeaderObject(env, p->second->view.data));
    return o;
  }
  auto c = self->consumers_.find(id);
  if (c == self->consumers_.end()) return env.Undefined();
  const ConsumerEntry& e = *c->second;
  const RingConsumer& co = e.reader.consumer();
  const RingReader::Stats& rs = e.reader.stats();
  o.Set("kind", Napi::String::New(env, "consumer"));
  num("records", static_cast<double>(co.records()));
  num("bytes", static_cast<double>(co.bytes()));
  num("gaps", static_cast<double>(e.gaps));
  num("errors", static_cast<double>(e.errors));
  if (e.errors != 0) {
    o.Set("firstError", Napi::String::New(env, e.first_error));
  } else {
    o.Set("firstError", env.Null());
  }
  num("lastSeq", e.last_seq);
  num("batches", static_cast<double>(e.batches));
  num("wakeups", static_cast<double>(rs.wakeups));
  num("sleeps", static_cast<double>(rs.sleeps));
  num("rearms", static_cast<double>(rs.rearms));
  num("kicks", static_cast<double>(rs.kicks));
  o.Set("attached", Napi::Boolean::New(env, e.reader.attached()));
  o.Set("fdLeaked", Napi::Boolean::New(env, rs.fd_leaked));
  if (co.error() != nullptr) {
    o.Set("ringError", Napi::String::New(env, co.error()));
  } else {
    o.Set("ringError", env.Null());
  }
  o.Set("header", HeaderObject(env, e.view.data));
  return o;
}

// ringClose(id) -> false if unknown. A consumer stops reading at once and
// releases its eventfd; the ring itself is left for another side to open.
Napi::Value RingBinding::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RingBinding* self = From(env);
  if (self == nullptr) return env.Undefined();
  double d = info.Length() > 0 && info[0].IsNumber()
                 ? info[0].As<Napi::Number>().DoubleValue()
                 : -1;
  if (!(d >= 1 && d <= kMaxSafeInteger) || std::floor(d) != d) {
    return Napi::Boolean::New(env, false);
  }
  const uint64_t id = static_cast<uint64_t>(d);
  auto p = self->producers_.find(id);
  if (p != self->producers_.end()) {
    self->producers_.erase(p);
    return Napi::Boolean::New(env, true);
  }
  auto c = self->consumers_.find(id);
  if (c == self->consumers_.end()) return Napi::Boolean::New(env, false);
  std::unique_ptr<ConsumerEntry> entry = std::move(c->second);
  self->consumers_.erase(c);
  entry->reader.Detach();
  // Closed from inside its own onBatch: DispatchBatch frees it on return.
  if (entry->dispatching) self->retired_.push_back(std::move(entry));
  return Napi::Boolean::New(env, true);
}

}  // namespace ring
}  // namespace webrtc_agent
