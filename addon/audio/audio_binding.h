// JS functions of the audio module: metering a track's audio level, reading
// the levels the speaker detection needs, and silence dropping per
// subscription. They work on the thread's Router (State<router::Router>).
#ifndef WEBRTC_AGENT_ADDON_AUDIO_AUDIO_BINDING_H_
#define WEBRTC_AGENT_ADDON_AUDIO_AUDIO_BINDING_H_

#include <napi.h>

namespace webrtc_agent {
namespace audio {

void RegisterAudioBindings(Napi::Env env, Napi::Object exports);

}  // namespace audio
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_AUDIO_AUDIO_BINDING_H_
