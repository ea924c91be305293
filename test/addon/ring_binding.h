// RingBinding: the JS face of the SPSC rings (functions prefixed `ring`),
// for tests and benchmarks; the data plane uses RingProducer / RingReader
// directly from C++. Typed in test/kit/ring/native.ts. Built into the ring test addon
// (test/addon/binding.gyp), never into the product addon.
//
// One RingBinding per thread (AgentAddon::State<RingBinding>): producers and
// consumers opened from JS live here under per-thread numeric ids.
//
// Memory: rings are passed as a Uint8Array over a SharedArrayBuffer (on
// Node 20 napi_get_arraybuffer_info refuses a SharedArrayBuffer, the typed
// array path does not), and each entry keeps a reference to that view: it
// keeps the SharedArrayBuffer, and so the memory behind our raw pointer,
// alive for as long as the entry exists. A view over a plain ArrayBuffer is
// refused, because such a buffer can be detached (transferred) under us.
#ifndef WEBRTC_AGENT_TEST_ADDON_RING_BINDING_H_
#define WEBRTC_AGENT_TEST_ADDON_RING_BINDING_H_

#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ring_pattern.h"
#include "ring/ring_reader.h"
#include "ring/spsc_ring.h"

namespace webrtc_agent {

class AgentAddon;

namespace ring {

class RingBinding {
 public:
  explicit RingBinding(AgentAddon* addon);
  ~RingBinding();

  RingBinding(const RingBinding&) = delete;
  RingBinding& operator=(const RingBinding&) = delete;

  // Adds the ring* functions to the addon's exports (from RegisterModules).
  static void Register(Napi::Env env, Napi::Object exports);

 private:
  // A Uint8Array over a SharedArrayBuffer, pinned.
  struct View {
    Napi::Reference<Napi::Uint8Array> ref;
    uint8_t* data = nullptr;
    size_t size = 0;
  };

  struct ProducerEntry {
    View view;
    RingProducer producer;
    std::unique_ptr<RingPattern> pattern;  // made on the first burst
    uint32_t next_seq = 0;
  };

  struct ConsumerEntry {
    RingBinding* binding = nullptr;
    uint64_t id = 0;
    View view;
    RingPattern::Level level = RingPattern::Level::kNone;
    std::unique_ptr<RingPattern> pattern;
    // Sequence tracking of verified records.
    bool have_expected = false;
    uint32_t expected = 0;
    uint32_t last_seq = 0;
    uint64_t gaps = 0;
    uint64_t errors = 0;
    std::string first_error;
    uint64_t batches = 0;  // onBatch calls
    // Detach from inside the record callback after this many records (0:
    // never): exercises the path a data-plane owner takes to stop reading.
    uint64_t stop_after = 0;
    uint64_t seen = 0;
    // Copies for onBatch when `deliver` is set.
    bool deliver = false;
    std::vector<uint8_t> pending;
    std::vector<uint32_t> pending_lengths;
    Napi::FunctionReference on_batch;
    std::unique_ptr<Napi::AsyncContext> async_context;
    // True while on_batch runs: ringClose(id) from inside it must not free
    // the entry under our feet.
    bool dispatching = false;
    // Declared last so it is destroyed first: the reader detaches (and
    // stops touching the ring) while the view still pins the memory.
    RingReader reader;
  };

  static Napi::Value RequiredSize(const Napi::CallbackInfo& info);
  static Napi::Value Init(const Napi::CallbackInfo& info);
  static Napi::Value Validate(const Napi::CallbackInfo& info);
  static Napi::Value ProducerOpen(const Napi::CallbackInfo& info);
  static Napi::Value Push(const Napi::CallbackInfo& info);
  static Napi::Value Flush(const Napi::CallbackInfo& info);
  static Napi::Value PushBurst(const Napi::CallbackInfo& info);
  static Napi::Value ConsumerOpen(const Napi::CallbackInfo& info);
  static Napi::Value Stats(const Napi::CallbackInfo& info);
  static Napi::Value Close(const Napi::CallbackInfo& info);

  // This thread's instance; nullptr (with a pending exception) if the
  // addon instance failed to initialise.
  static RingBinding* From(Napi::Env env);
  // Reads a Uint8Array-over-SharedArrayBuffer argument; on failure throws
  // a TypeError (named after `fn`) and returns false.
  static bool GetView(Napi::Env env, const Napi::Value& v, const char* fn,
                      uint8_t** data, size_t* size);
  static bool Pin(Napi::Env env, const Napi::Value& v, const char* fn,
                  View* out);
  ProducerEntry* FindProducer(Napi::Env env, const Napi::Value& v,
                              const char* fn);

  static void OnRecord(void* context, const uint8_t* data, size_t len);
  static void OnWakeDone(void* context, size_t records);
  static void DispatchBatch(ConsumerEntry* entry, size_t records);

  AgentAddon* addon_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<ProducerEntry>> producers_;
  std::unordered_map<uint64_t, std::unique_ptr<ConsumerEntry>> consumers_;
  // Consumers closed from inside their own onBatch; freed when it returns.
  std::vector<std::unique_ptr<ConsumerEntry>> retired_;
};

}  // namespace ring
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_TEST_ADDON_RING_BINDING_H_
