// JS functions of the audio module: metering a track's audio level, reading
// the levels the speaker detection needs, silence dropping per
// subscription, and marking a subscription as a speaker slot. They work on the thread's Router (State<router::Router>).
#ifndef WEBRTC_AGENT_ADDON_AUDIO_AUDIO_BINDING_H_
#define WEBRTC_AGENT_ADDON_AUDIO_AUDIO_BINDING_H_

#include <napi.h>

namespace webrtc_agent {
namespace audio {

void RegisterAudioBindings(Napi::Env env, Napi::Object exports);

}  // namespace audio
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_AUDIO_AUDIO_BINDING_H_
