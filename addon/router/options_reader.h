// OptionsReader: the one options object a control function of the addon is
// called with (`mediaPublish({transportId, trackId, kind, ssrc, ...})`),
// read field by field where the binding uses it: each field is named once,
// with its type and range. The first field that is missing or out of range
// is remembered and the call then throws "<function>: <field>: <what>" with
// status 500: the node thread's objects (src/node/router) pass values the
// main thread's schemas already checked, so a bad one is the agent's bug,
// never the caller's. Control calls only: nothing here runs per packet.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_OPTIONS_READER_H_
#define WEBRTC_AGENT_ADDON_ROUTER_OPTIONS_READER_H_

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "router/status.h"

namespace webrtc_agent {
namespace router {

class OptionsReader {
 public:
  // fn: the JS name of the function, for the error message.
  OptionsReader(const Napi::CallbackInfo& info, const char* fn);

  // A required string.
  std::string Str(const char* key);
  // One of two words: true for `yes`, false for `no`.
  bool Word(const char* key, const char* yes, const char* no);
  // A required integer in [min, max].
  int64_t Int(const char* key, int64_t min, int64_t max);
  // An optional integer in [min, max]; `fallback` when absent (undefined).
  int64_t Int(const char* key, int64_t min, int64_t max, int64_t fallback);
  // A required number in [min, max] (fractions allowed).
  double Num(const char* key, double min, double max);
  bool Bool(const char* key);
  bool Bool(const char* key, bool fallback);
  // An array of 1..max strings.
  std::vector<std::string> Strs(const char* key, size_t max);
  // A Uint8Array (a Buffer too); empty when bad.
  Napi::Uint8Array Bytes(const char* key);

  bool ok() const { return error_.empty(); }
  // Throws the first error (status 500) and returns undefined, for the
  // binding to return.
  Napi::Value Fail() const;

 private:
  Napi::Value Get(const char* key);
  void Bad(const char* key, const char* what);

  Napi::Env env_;
  Napi::Object options_;
  const char* fn_;
  std::string error_;
};

// Throws a status as a JS Error carrying `status`; returns undefined.
Napi::Value ThrowStatus(Napi::Env env, const Status& s);

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_OPTIONS_READER_H_
