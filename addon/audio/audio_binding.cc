#include "audio/audio_binding.h"

#include <memory>
#include <string>

#include "addon.h"
#include "audio/audio_level.h"
#include "router/router.h"

namespace webrtc_agent {
namespace audio {

namespace {

router::Router& RouterOf(const Napi::CallbackInfo& info) {
  return AgentAddon::From(info.Env())->State<router::Router>();
}

Napi::Value Throw(Napi::Env env, const std::string& message, int status) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("status", Napi::Number::New(env, status));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

// (trackId, extId 0..255 (0: stop metering), noiseFloor 0..127)
Napi::Value SetAudioLevel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber()) {
    return Throw(env, "bad arguments to mediaSetAudioLevel", 500);
  }
  const std::string id = info[0].As<Napi::String>().Utf8Value();
  const double ext = info[1].As<Napi::Number>().DoubleValue();
  const double floor = info[2].As<Napi::Number>().DoubleValue();
  if (!(ext >= 0 && ext <= 255)) return Throw(env, "ext: 0..255", 400);
  if (!(floor >= 0 && floor <= kSilentLevel)) return Throw(env, "noiseFloor: 0..127", 400);
  const auto& tracks = RouterOf(info).tracks();
  auto it = tracks.find(id);
  if (it == tracks.end()) return Throw(env, "no such track: " + id, 404);
  router::Track* t = it->second.get();
  if (t->kind() != router::MediaKind::kAudio) return Throw(env, "trackId: not an audio track: " + id, 400);
  if (ext == 0) {
    t->audio_level.reset();
  } else {
    t->audio_level = std::make_unique<LevelMeter>(static_cast<uint8_t>(ext), static_cast<uint8_t>(floor));
  }
  return env.Undefined();
}

// () -> {metered, levels: [trackId, packets, audibilitySum, ...]}: every
// metered track that received a level since the last call, flat (one array,
// no object per track: it is read several times a second).
Napi::Value TakeLevels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  Napi::Array levels = Napi::Array::New(env);
  uint32_t metered = 0;
  uint32_t n = 0;
  for (const auto& [id, t] : RouterOf(info).tracks()) {
    if (!t->audio_level) continue;
    metered++;
    const LevelInterval iv = t->audio_level->TakeInterval();
    if (iv.packets == 0) continue;
    levels.Set(n++, Napi::String::New(env, id));
    levels.Set(n++, Napi::Number::New(env, iv.packets));
    levels.Set(n++, Napi::Number::New(env, static_cast<double>(iv.audibility_sum)));
  }
  out.Set("metered", Napi::Number::New(env, metered));
  out.Set("levels", levels);
  return out;
}

// (subscriptionId, on)
Napi::Value SetDropSilence(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsBoolean()) return Throw(env, "bad arguments to mediaSetDropSilence", 500);
  const std::string id = info[0].As<Napi::String>().Utf8Value();
  const auto& subs = RouterOf(info).subscriptions();
  auto it = subs.find(id);
  if (it == subs.end()) return Throw(env, "no such subscription: " + id, 404);
  router::Subscription* s = it->second.get();
  // Kept on video too, where it never applies (no level is read there).
  s->drop_silence = info[1].As<Napi::Boolean>();
  return env.Undefined();
}

// (subscriptionId, on): a speaker slot survives its source (parked until switched).
Napi::Value SetSlot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsBoolean()) return Throw(env, "bad arguments to mediaSetSlot", 500);
  const router::Status s = RouterOf(info).SetSubscriptionSlot(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Boolean>());
  if (!s.ok()) return Throw(env, s.message, s.code);
  return env.Undefined();
}

// (subscriptionId) -> the id of the transport it is sent on, or null when
// there is no such subscription (a slot switch must never make one).
Napi::Value SubscriptionTransport(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) return Throw(env, "bad arguments to mediaSubscriptionTransport", 500);
  const auto& subs = RouterOf(info).subscriptions();
  auto it = subs.find(info[0].As<Napi::String>().Utf8Value());
  if (it == subs.end()) return env.Null();
  return Napi::String::New(env, it->second->transport()->id());
}

}  // namespace

void RegisterAudioBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("mediaSetAudioLevel", Napi::Function::New(env, SetAudioLevel, "mediaSetAudioLevel"));
  exports.Set("mediaTakeAudioLevels", Napi::Function::New(env, TakeLevels, "mediaTakeAudioLevels"));
  exports.Set("mediaSetDropSilence", Napi::Function::New(env, SetDropSilence, "mediaSetDropSilence"));
  exports.Set("mediaSetSlot", Napi::Function::New(env, SetSlot, "mediaSetSlot"));
  exports.Set("mediaSubscriptionTransport", Napi::Function::New(env, SubscriptionTransport, "mediaSubscriptionTransport"));
}

}  // namespace audio
}  // namespace webrtc_agent
