#include "router/options_reader.h"

#include <cmath>
#include <cstdio>

namespace webrtc_agent {
namespace router {

OptionsReader::OptionsReader(const Napi::CallbackInfo& info, const char* fn) : env_(info.Env()), fn_(fn) {
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray()) {
    error_ = std::string(fn_) + ": expected one options object";
    options_ = Napi::Object::New(env_);
    return;
  }
  options_ = info[0].As<Napi::Object>();
}

Napi::Value OptionsReader::Get(const char* key) {
  // After the first error nothing more is read (its message stays the first).
  if (!ok()) return env_.Undefined();
  return options_.Get(key);
}

void OptionsReader::Bad(const char* key, const char* what) {
  if (ok()) error_ = std::string(fn_) + ": " + key + ": " + what;
}

std::string OptionsReader::Str(const char* key) {
  Napi::Value v = Get(key);
  if (!ok()) return {};
  if (!v.IsString()) {
    Bad(key, "expected a string");
    return {};
  }
  return v.As<Napi::String>().Utf8Value();
}

bool OptionsReader::Word(const char* key, const char* yes, const char* no) {
  const std::string s = Str(key);
  if (!ok()) return false;
  if (s != yes && s != no) {
    Bad(key, (std::string("expected '") + yes + "' or '" + no + "'").c_str());
    return false;
  }
  return s == yes;
}

int64_t OptionsReader::Int(const char* key, int64_t min, int64_t max) {
  Napi::Value v = Get(key);
  if (!ok()) return min;
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  // NaN fails both comparisons, so a non-number is refused here too.
  if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)) || std::trunc(d) != d) {
    const std::string what = "expected an integer in " + std::to_string(min) + ".." + std::to_string(max);
    Bad(key, what.c_str());
    return min;
  }
  return static_cast<int64_t>(d);
}

int64_t OptionsReader::Int(const char* key, int64_t min, int64_t max, int64_t fallback) {
  Napi::Value v = Get(key);
  if (!ok()) return fallback;
  if (v.IsUndefined()) return fallback;
  return Int(key, min, max);
}

double OptionsReader::Num(const char* key, double min, double max) {
  Napi::Value v = Get(key);
  if (!ok()) return min;
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= min && d <= max)) {
    char what[80];
    std::snprintf(what, sizeof what, "expected a number in %g..%g", min, max);
    Bad(key, what);
    return min;
  }
  return d;
}

bool OptionsReader::Bool(const char* key) {
  Napi::Value v = Get(key);
  if (!ok()) return false;
  if (!v.IsBoolean()) {
    Bad(key, "expected a boolean");
    return false;
  }
  return v.As<Napi::Boolean>().Value();
}

bool OptionsReader::Bool(const char* key, bool fallback) {
  Napi::Value v = Get(key);
  if (!ok()) return fallback;
  if (v.IsUndefined()) return fallback;
  return Bool(key);
}

std::vector<std::string> OptionsReader::Strs(const char* key, size_t max) {
  Napi::Value v = Get(key);
  std::vector<std::string> out;
  if (!ok()) return out;
  if (!v.IsArray() || v.As<Napi::Array>().Length() == 0 || v.As<Napi::Array>().Length() > max) {
    const std::string what = "expected an array of 1.." + std::to_string(max) + " strings";
    Bad(key, what.c_str());
    return out;
  }
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsString()) {
      Bad(key, "expected strings only");
      return {};
    }
    out.push_back(e.As<Napi::String>().Utf8Value());
  }
  return out;
}

Napi::Uint8Array OptionsReader::Bytes(const char* key) {
  Napi::Value v = Get(key);
  if (!ok()) return Napi::Uint8Array();
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    Bad(key, "expected a Uint8Array");
    return Napi::Uint8Array();
  }
  return v.As<Napi::Uint8Array>();
}

Napi::Value OptionsReader::Fail() const { return ThrowStatus(env_, Status::Internal(error_)); }

Napi::Value ThrowStatus(Napi::Env env, const Status& s) {
  Napi::Error e = Napi::Error::New(env, s.message);
  e.Set("status", Napi::Number::New(env, s.code));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace router
}  // namespace webrtc_agent
