#include "audio/audio_binding.h"

#include <memory>
#include <string>

#include "addon.h"
#include "audio/audio_level.h"
#include "router/options_reader.h"
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

// ({trackId, extId 0..255 (0: stop metering), noiseFloor 0..127})
Napi::Value SetAudioLevel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  router::OptionsReader o(info, "mediaSetAudioLevel");
  const std::string id = o.Str("trackId");
  const double ext = o.Num("extId", -1e9, 1e9);
  const double floor = o.Num("noiseFloor", -1e9, 1e9);
  if (!o.ok()) return o.Fail();
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

// ({subscriptionId, on})
Napi::Value SetDropSilence(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  router::OptionsReader o(info, "mediaSetDropSilence");
  const std::string id = o.Str("subscriptionId");
  const bool on = o.Bool("on");
  if (!o.ok()) return o.Fail();
  const auto& subs = RouterOf(info).subscriptions();
  auto it = subs.find(id);
  if (it == subs.end()) return Throw(env, "no such subscription: " + id, 404);
  router::Subscription* s = it->second.get();
  // Kept on video too, where it never applies (no level is read there).
  s->drop_silence = on;
  return env.Undefined();
}

// ({subscriptionId, on}): a speaker slot survives its source (parked until switched).
Napi::Value SetSlot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  router::OptionsReader o(info, "mediaSetSlot");
  const std::string id = o.Str("subscriptionId");
  const bool on = o.Bool("on");
  if (!o.ok()) return o.Fail();
  const router::Status s = RouterOf(info).SetSubscriptionSlot(id, on);
  if (!s.ok()) return Throw(env, s.message, s.code);
  return env.Undefined();
}

}  // namespace

void RegisterAudioBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("mediaSetAudioLevel", Napi::Function::New(env, SetAudioLevel, "mediaSetAudioLevel"));
  exports.Set("mediaTakeAudioLevels", Napi::Function::New(env, TakeLevels, "mediaTakeAudioLevels"));
  exports.Set("mediaSetDropSilence", Napi::Function::New(env, SetDropSilence, "mediaSetDropSilence"));
  exports.Set("mediaSetSlot", Napi::Function::New(env, SetSlot, "mediaSetSlot"));
}

}  // namespace audio
}  // namespace webrtc_agent
