#include "router/router_binding.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>

#include <array>

#include "addon.h"
#include "router/peer_links.h"
#include "router/router.h"
#include "router/stats_binding.h"
#include "transport/internal_transport.h"
#include "transport/plain_transport.h"
#include "transport/webrtc_transport.h"

namespace webrtc_agent {
namespace router {

namespace {

Router& RouterOf(const Napi::CallbackInfo& info) {
  return AgentAddon::From(info.Env())->State<Router>();
}

// Throws a JS Error carrying the status code; returns undefined for the
// caller to return.
Napi::Value Fail(Napi::Env env, const Status& s) {
  Napi::Error e = Napi::Error::New(env, s.message);
  e.Set("status", Napi::Number::New(env, s.code));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

bool Args(const Napi::CallbackInfo& info, const char* shape) {
  // shape: one letter per argument: s string, n number, b boolean, o object.
  for (size_t i = 0; shape[i] != 0; i++) {
    const Napi::Value v = info[i];
    const bool ok = (shape[i] == 's' && v.IsString()) || (shape[i] == 'n' && v.IsNumber()) ||
                    (shape[i] == 'b' && v.IsBoolean()) || (shape[i] == 'o' && v.IsObject());
    if (!ok) {
      Fail(info.Env(), Status::Internal("bad argument " + std::to_string(i) + " to a media function"));
      return false;
    }
  }
  return true;
}

std::string Str(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::String>().Utf8Value(); }
double Num(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }

MediaKind KindOf(const std::string& s) { return s == "audio" ? MediaKind::kAudio : MediaKind::kVideo; }

Napi::Value RemovedToJs(Napi::Env env, const Removed& r) {
  Napi::Object o = Napi::Object::New(env);
  Napi::Array tracks = Napi::Array::New(env, r.tracks.size());
  for (size_t i = 0; i < r.tracks.size(); i++) tracks.Set(i, r.tracks[i]);
  Napi::Array subs = Napi::Array::New(env, r.subscriptions.size());
  for (size_t i = 0; i < r.subscriptions.size(); i++) subs.Set(i, r.subscriptions[i]);
  o.Set("tracks", tracks);
  o.Set("subscriptions", subs);
  return o;
}

Napi::Value Configure(const Napi::CallbackInfo& info) {
  if (!Args(info, "snn")) return info.Env().Undefined();
  MediaSettings s;
  s.listen_ip = Str(info, 0);
  s.port_min = static_cast<int>(Num(info, 1));
  s.port_max = static_cast<int>(Num(info, 2));
  RouterOf(info).Configure(s);
  return info.Env().Undefined();
}

Napi::Value CreatePlainTransport(const Napi::CallbackInfo& info) {
  if (!Args(info, "sb")) return info.Env().Undefined();
  int port = 0;
  Status s = RouterOf(info).CreatePlainTransport(Str(info, 0), info[1].As<Napi::Boolean>(), &port);
  if (!s.ok()) return Fail(info.Env(), s);
  return Napi::Number::New(info.Env(), port);
}

Napi::Value Connect(const Napi::CallbackInfo& info) {
  if (!Args(info, "ssn")) return info.Env().Undefined();
  Status s = RouterOf(info).Connect(Str(info, 0), Str(info, 1), static_cast<int>(Num(info, 2)));
  if (!s.ok()) return Fail(info.Env(), s);
  return info.Env().Undefined();
}

Napi::Value CloseTransport(const Napi::CallbackInfo& info) {
  if (!Args(info, "s")) return info.Env().Undefined();
  Removed removed;
  Status s = RouterOf(info).CloseTransport(Str(info, 0), &removed);
  if (!s.ok()) return Fail(info.Env(), s);
  return RemovedToJs(info.Env(), removed);
}

Napi::Value Publish(const Napi::CallbackInfo& info) {
  // (transportId, trackId, kind, ssrc (0: first seen), payloadType (-1: any), clockRate, nack)
  if (!Args(info, "sssnnnb")) return info.Env().Undefined();
  Status s = RouterOf(info).Publish(Str(info, 0), Str(info, 1), KindOf(Str(info, 2)),
                                    static_cast<uint32_t>(Num(info, 3)),
                                    static_cast<int>(Num(info, 4)),
                                    static_cast<uint32_t>(Num(info, 5)),
                                    info[6].As<Napi::Boolean>());
  if (!s.ok()) return Fail(info.Env(), s);
  return info.Env().Undefined();
}

Napi::Value SetTrackRtx(const Napi::CallbackInfo& info) {
  // (trackId, rtxSsrc, rtxPayloadType)
  if (!Args(info, "snn")) return info.Env().Undefined();
  Status s = RouterOf(info).SetTrackRtx(Str(info, 0), static_cast<uint32_t>(Num(info, 1)),
                                        static_cast<int>(Num(info, 2)));
  if (!s.ok()) return Fail(info.Env(), s);
  return info.Env().Undefined();
}

Napi::Value SetSubscriptionRtx(const Napi::CallbackInfo& info) {
  // (subscriptionId, rtxSsrc, rtxPayloadType)
  if (!Args(info, "snn")) return info.Env().Undefined();
  Status s = RouterOf(info).SetSubscriptionRtx(Str(info, 0), static_cast<uint32_t>(Num(info, 1)),
                                               static_cast<int>(Num(info, 2)));
  if (!s.ok()) return Fail(info.Env(), s);
  return info.Env().Undefined();
}

Napi::Value Unpublish(const Napi::CallbackInfo& info) {
  if (!Args(info, "s")) return info.Env().Undefined();
  Removed removed;
  Status s = RouterOf(info).Unpublish(Str(info, 0), &removed);
  if (!s.ok()) return Fail(info.Env(), s);
  return RemovedToJs(info.Env(), removed);
}

Napi::Value Subscribe(const Napi::CallbackInfo& info) {
  // (transportId, trackId, subscriptionId, outSsrc (0: pick), outPayloadType (-1: keep))
  if (!Args(info, "sssnn")) return info.Env().Undefined();
  uint32_t ssrc = 0;
  Status s = RouterOf(info).Subscribe(Str(info, 0), Str(info, 1), Str(info, 2),
                                      static_cast<uint32_t>(Num(info, 3)),
                                      static_cast<int>(Num(info, 4)), &ssrc);
  if (!s.ok()) return Fail(info.Env(), s);
  return Napi::Number::New(info.Env(), ssrc);
}

Napi::Value SubscribeLayers(const Napi::CallbackInfo& info) {
  // (transportId, layerTrackIds[] (lowest first), subscriptionId, ceiling, adaptive,
  //  outSsrc (0: pick), outPayloadType (-1: keep))
  if (!Args(info, "sosnbnn") || !info[1].IsArray()) {
    if (!info.Env().IsExceptionPending()) Fail(info.Env(), Status::Internal("bad argument 1 to a media function"));
    return info.Env().Undefined();
  }
  Napi::Array ids = info[1].As<Napi::Array>();
  std::vector<std::string> tracks;
  for (uint32_t i = 0; i < ids.Length() && i < 8; i++) {
    Napi::Value v = ids.Get(i);
    if (!v.IsString()) return Fail(info.Env(), Status::Internal("bad argument 1 to a media function"));
    tracks.push_back(v.As<Napi::String>().Utf8Value());
  }
  if (ids.Length() > 8) return Fail(info.Env(), Status::Invalid("layers: 1 to 4 layer tracks"));
  uint32_t ssrc = 0;
  Status s = RouterOf(info).SubscribeLayers(Str(info, 0), tracks, Str(info, 2), static_cast<int>(Num(info, 3)),
                                            info[4].As<Napi::Boolean>().Value(), static_cast<uint32_t>(Num(info, 5)),
                                            static_cast<int>(Num(info, 6)), &ssrc);
  if (!s.ok()) return Fail(info.Env(), s);
  return Napi::Number::New(info.Env(), ssrc);
}

Napi::Value SetLayerPreferences(const Napi::CallbackInfo& info) {
  // (subscriptionId, maxSpatial (-1: none), maxTemporal (-1: none), priority, maxBitrate (0: none))
  if (!Args(info, "snnnn")) return info.Env().Undefined();
  const double max_bps = Num(info, 4);
  Status s = RouterOf(info).SetLayerPreferences(Str(info, 0), static_cast<int>(Num(info, 1)),
                                                static_cast<int>(Num(info, 2)), static_cast<int>(Num(info, 3)),
                                                max_bps > 0 ? static_cast<uint64_t>(max_bps) : 0);
  if (!s.ok()) return Fail(info.Env(), s);
  return info.Env().Undefined();
}

Napi::Value Unsubscribe(const Napi::CallbackInfo& info) {
  if (!Args(info, "s")) return info.Env().Undefined();
  Status s = RouterOf(info).Unsubscribe(Str(info, 0));
  if (!s.ok()) return Fail(info.Env(), s);
  return info.Env().Undefined();
}

Napi::Value RequestKeyframe(const Napi::CallbackInfo& info) {
  if (!Args(info, "s")) return info.Env().Undefined();
  Status s = RouterOf(info).RequestKeyframe(Str(info, 0));
  if (!s.ok()) return Fail(info.Env(), s);
  return info.Env().Undefined();
}

Napi::Value SetTrackCodec(const Napi::CallbackInfo& info) {
  // (trackId, codec: an SDP encoding name)
  if (!Args(info, "ss")) return info.Env().Undefined();
  Status s = RouterOf(info).SetTrackCodec(Str(info, 0), Str(info, 1));
  if (!s.ok()) return Fail(info.Env(), s);
  return info.Env().Undefined();
}

Napi::Value Import(const Napi::CallbackInfo& info) {
  // (trackId, kind, clockRate, peer, link)
  if (!Args(info, "ssnsn")) return info.Env().Undefined();
  Status s = RouterOf(info).Import(Str(info, 0), KindOf(Str(info, 1)),
                                   static_cast<uint32_t>(Num(info, 2)), Str(info, 3),
                                   static_cast<uint32_t>(Num(info, 4)));
  if (!s.ok()) return Fail(info.Env(), s);
  return info.Env().Undefined();
}

Napi::Value Export(const Napi::CallbackInfo& info) {
  if (!Args(info, "ssn")) return info.Env().Undefined();
  Status s = RouterOf(info).Export(Str(info, 0), Str(info, 1), static_cast<uint32_t>(Num(info, 2)));
  if (!s.ok()) return Fail(info.Env(), s);
  return info.Env().Undefined();
}

Napi::Value Unexport(const Napi::CallbackInfo& info) {
  if (!Args(info, "ssn")) return info.Env().Undefined();
  Status s = RouterOf(info).Unexport(Str(info, 0), Str(info, 1), static_cast<uint32_t>(Num(info, 2)));
  if (!s.ok()) return Fail(info.Env(), s);
  return info.Env().Undefined();
}

Napi::Value AttachPeer(const Napi::CallbackInfo& info) {
  // (peer, outboundView, inboundView)
  if (!Args(info, "soo")) return info.Env().Undefined();
  PeerLinks& links = RouterOf(info).peers();
  const std::string peer = Str(info, 0);
  Status s = links.AttachOutbound(peer, info[1]);
  if (s.ok()) s = links.AttachInbound(peer, info[2]);
  if (!s.ok()) {
    links.Detach(peer);
    return Fail(info.Env(), s);
  }
  return info.Env().Undefined();
}

Napi::Value DetachPeer(const Napi::CallbackInfo& info) {
  if (!Args(info, "s")) return info.Env().Undefined();
  RouterOf(info).peers().Detach(Str(info, 0));
  return info.Env().Undefined();
}

// The per-thread JS listener of WebRTC transport events.
struct WebRtcEventListener {
  explicit WebRtcEventListener(AgentAddon*) {}
  Napi::FunctionReference callback;
  std::unique_ptr<Napi::AsyncContext> context;
};

void InstallEventFn(Napi::Env env, Router& r) {
  if (r.webrtc() == nullptr) return;
  napi_env raw = env;
  r.webrtc()->set_event_fn([raw](const std::string& id, const char* type, const std::string& detail) {
    Napi::Env env(raw);
    WebRtcEventListener& l = AgentAddon::From(env)->State<WebRtcEventListener>();
    if (l.callback.IsEmpty()) return;
    // Called from the loop (a datagram or a tick), not from JS: open a scope
    // and enter JS through MakeCallback so promises and ticks run after it.
    Napi::HandleScope scope(env);
    l.callback.MakeCallback(env.Global(),
                            {Napi::String::New(env, id), Napi::String::New(env, type),
                             Napi::String::New(env, detail)},
                            *l.context);
    if (env.IsExceptionPending()) {
      // Like a throwing setInterval callback: an uncaught exception of the thread.
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env, e.Value());
    }
  });
}

Napi::Value WebRtcOnEvent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) return Fail(env, Status::Internal("webrtcOnEvent: expected a function"));
  WebRtcEventListener& l = AgentAddon::From(env)->State<WebRtcEventListener>();
  l.callback = Napi::Persistent(info[0].As<Napi::Function>());
  l.context = std::make_unique<Napi::AsyncContext>(env, "webrtc_agent.WebRtcEvent");
  InstallEventFn(env, RouterOf(info));
  return env.Undefined();
}

Napi::Value WebRtcListen(const Napi::CallbackInfo& info) {
  // (listenIp, announcedIp, portMin, portMax) -> {ip, port, fingerprint: {algorithm, value}}
  if (!Args(info, "ssnn")) return info.Env().Undefined();
  Router& r = RouterOf(info);
  int port = 0;
  std::string fp;
  Status s = r.ListenWebRtc(Str(info, 0), static_cast<int>(Num(info, 2)), static_cast<int>(Num(info, 3)), &port, &fp);
  if (!s.ok()) return Fail(info.Env(), s);
  InstallEventFn(info.Env(), r);
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("ip", Str(info, 1));
  out.Set("port", port);
  Napi::Object f = Napi::Object::New(env);
  const size_t space = fp.find(' ');
  f.Set("algorithm", fp.substr(0, space));
  f.Set("value", space == std::string::npos ? "" : fp.substr(space + 1));
  out.Set("fingerprint", f);
  return out;
}

Napi::Value WebRtcListenTcp(const Napi::CallbackInfo& info) {
  // (listenIp, portMin, portMax, maxConnections, idleTimeoutMs) -> port
  if (!Args(info, "snnnn")) return info.Env().Undefined();
  int port = 0;
  Status s = RouterOf(info).ListenWebRtcTcp(Str(info, 0), static_cast<int>(Num(info, 1)), static_cast<int>(Num(info, 2)),
                                            static_cast<size_t>(Num(info, 3)), static_cast<uint64_t>(Num(info, 4)), &port);
  if (!s.ok()) return Fail(info.Env(), s);
  return Napi::Number::New(info.Env(), port);
}

Napi::Value InternalListen(const Napi::CallbackInfo& info) {
  // (listenIp, portMin, portMax) -> port
  if (!Args(info, "snn")) return info.Env().Undefined();
  int port = 0;
  Status s = RouterOf(info).ListenInternal(Str(info, 0), static_cast<int>(Num(info, 1)),
                                           static_cast<int>(Num(info, 2)), &port);
  if (!s.ok()) return Fail(info.Env(), s);
  return Napi::Number::New(info.Env(), port);
}

Napi::Value InternalPeer(const Napi::CallbackInfo& info) {
  // (ip, port) -> transportId of the transport towards that internal address
  if (!Args(info, "sn")) return info.Env().Undefined();
  std::string id;
  Status s = RouterOf(info).InternalPeer(Str(info, 0), static_cast<int>(Num(info, 1)), &id);
  if (!s.ok()) return Fail(info.Env(), s);
  return Napi::String::New(info.Env(), id);
}

transport::InternalTransport* InternalOf(const Napi::CallbackInfo& info, const std::string& id) {
  auto& ts = RouterOf(info).transports();
  auto it = ts.find(id);
  return it == ts.end() ? nullptr : it->second->AsInternal();
}

Napi::Value InternalEnableSrtp(const Napi::CallbackInfo& info) {
  // (transportId) -> this side's sending key (master key || salt) as a Buffer
  if (!Args(info, "s")) return info.Env().Undefined();
  transport::InternalTransport* t = InternalOf(info, Str(info, 0));
  if (t == nullptr) return Fail(info.Env(), Status::NotFound("no such internal transport: " + Str(info, 0)));
  std::array<uint8_t, transport::InternalTransport::kKeyLen> key{};
  if (!t->EnableSrtp(&key)) return Fail(info.Env(), Status::Internal("cannot set up SRTP"));
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::Copy(info.Env(), key.data(), key.size());
  OPENSSL_cleanse(key.data(), key.size());
  return out;
}

Napi::Value InternalSetRemoteKey(const Napi::CallbackInfo& info) {
  // (transportId, key Buffer)
  if (!Args(info, "so") || !info[1].IsBuffer()) {
    if (!info.Env().IsExceptionPending()) Fail(info.Env(), Status::Internal("bad argument 1 to a media function"));
    return info.Env().Undefined();
  }
  transport::InternalTransport* t = InternalOf(info, Str(info, 0));
  if (t == nullptr) return Fail(info.Env(), Status::NotFound("no such internal transport: " + Str(info, 0)));
  Napi::Buffer<uint8_t> key = info[1].As<Napi::Buffer<uint8_t>>();
  if (!t->SetRemoteKey(key.Data(), key.Length())) return Fail(info.Env(), Status::Invalid("srtp: unusable key"));
  return info.Env().Undefined();
}

Napi::Value WebRtcCreateTransport(const Napi::CallbackInfo& info) {
  // (transportId, iceUfrag, icePwd, consentTimeoutMs)
  if (!Args(info, "sssn")) return info.Env().Undefined();
  Status s = RouterOf(info).CreateWebRtcTransport(Str(info, 0), Str(info, 1), Str(info, 2),
                                                  static_cast<int64_t>(Num(info, 3)));
  if (!s.ok()) return Fail(info.Env(), s);
  return info.Env().Undefined();
}

Napi::Value WebRtcSetRemote(const Napi::CallbackInfo& info) {
  // (transportId, iceUfrag, fingerprintAlgorithm, fingerprintValue, 'client' | 'server')
  if (!Args(info, "sssss")) return info.Env().Undefined();
  Status s = RouterOf(info).SetWebRtcRemote(Str(info, 0), Str(info, 1), Str(info, 2), Str(info, 3),
                                             Str(info, 4) == "client");
  if (!s.ok()) return Fail(info.Env(), s);
  return info.Env().Undefined();
}

Napi::Value WebRtcBindTrack(const Napi::CallbackInfo& info) {
  // (trackId, mid, rid, midExtId, ridExtId, ssrc)
  if (!Args(info, "sssnnn")) return info.Env().Undefined();
  Status s = RouterOf(info).BindTrack(Str(info, 0), Str(info, 1), Str(info, 2), static_cast<int>(Num(info, 3)),
                                      static_cast<int>(Num(info, 4)), static_cast<uint32_t>(Num(info, 5)));
  if (!s.ok()) return Fail(info.Env(), s);
  return info.Env().Undefined();
}

Napi::Value WebRtcSetTransportCc(const Napi::CallbackInfo& info) {
  // (transportId, extId): 0 turns transport-wide feedback off.
  if (!Args(info, "sn")) return info.Env().Undefined();
  Status s = RouterOf(info).SetTransportCc(Str(info, 0), static_cast<int>(Num(info, 1)));
  if (!s.ok()) return Fail(info.Env(), s);
  return info.Env().Undefined();
}

Napi::Value WebRtcSetSendTransportCc(const Napi::CallbackInfo& info) {
  // (transportId, extId, initialBps, minBps, maxBps, probing): send-side
  // bandwidth estimation towards the subscriber (once per transport).
  if (!Args(info, "snnnnb")) return info.Env().Undefined();
  const auto& transports = RouterOf(info).transports();
  auto it = transports.find(Str(info, 0));
  if (it == transports.end()) return Fail(info.Env(), Status::NotFound("no such transport: " + Str(info, 0)));
  transport::WebRtcTransport* w = it->second->AsWebRtc();
  if (w == nullptr) return Fail(info.Env(), Status::Invalid("transportId: not a WebRTC transport: " + Str(info, 0)));
  const double ext = Num(info, 1), initial = Num(info, 2), min = Num(info, 3), max = Num(info, 4);
  if (!(ext >= 1 && ext <= 255)) return Fail(info.Env(), Status::Invalid("ext: bad extension id"));
  if (!(min >= 10000 && min <= initial && initial <= max && max <= 1e10)) {
    return Fail(info.Env(), Status::Invalid("bwe: needs 10 kbit/s <= min <= initial <= max <= 10 Gbit/s"));
  }
  bwe::BweConfig config;
  config.initial_bps = static_cast<uint64_t>(initial);
  config.min_bps = static_cast<uint64_t>(min);
  config.max_bps = static_cast<uint64_t>(max);
  config.probing = info[5].As<Napi::Boolean>();
  w->EnableSendSideBwe(static_cast<uint8_t>(ext), config);
  return info.Env().Undefined();
}

Napi::Value SetPaused(const Napi::CallbackInfo& info) {
  // ('track' | 'subscription', id, paused)
  if (!Args(info, "ssb")) return info.Env().Undefined();
  const std::string kind = Str(info, 0);
  const bool paused = info[2].As<Napi::Boolean>();
  Status s = kind == "track" ? RouterOf(info).SetTrackPaused(Str(info, 1), paused)
                             : RouterOf(info).SetSubscriptionPaused(Str(info, 1), paused);
  if (!s.ok()) return Fail(info.Env(), s);
  return info.Env().Undefined();
}

// (percent 0..100) for one of the test-only loss switches, in per mille.
template <void (Router::*Set)(uint32_t)>
Napi::Value TestSetLoss(const Napi::CallbackInfo& info) {
  if (!Args(info, "n")) return info.Env().Undefined();
  const double pct = Num(info, 0);
  if (!(pct >= 0 && pct <= 100)) return Fail(info.Env(), Status::Invalid("percent: 0..100"));
  (RouterOf(info).*Set)(static_cast<uint32_t>(pct * 10));
  return info.Env().Undefined();
}

}  // namespace

void RegisterRouterBindings(Napi::Env env, Napi::Object exports) {
  struct Fn {
    const char* name;
    Napi::Value (*fn)(const Napi::CallbackInfo&);
  };
  const Fn fns[] = {
      {"mediaConfigure", Configure},
      {"mediaCreatePlainTransport", CreatePlainTransport},
      {"mediaConnect", Connect},
      {"mediaCloseTransport", CloseTransport},
      {"mediaPublish", Publish},
      {"mediaUnpublish", Unpublish},
      {"mediaSetTrackRtx", SetTrackRtx},
      {"mediaSubscribe", Subscribe},
      {"mediaSubscribeLayers", SubscribeLayers},
      {"mediaSetLayerPreferences", SetLayerPreferences},
      {"mediaSetSubscriptionRtx", SetSubscriptionRtx},
      {"mediaUnsubscribe", Unsubscribe},
      {"mediaRequestKeyframe", RequestKeyframe},
      {"mediaSetTrackCodec", SetTrackCodec},
      {"mediaImport", Import},
      {"mediaExport", Export},
      {"mediaUnexport", Unexport},
      {"mediaAttachPeer", AttachPeer},
      {"mediaDetachPeer", DetachPeer},
      {"mediaStats", MediaStats},
      {"mediaObjects", MediaObjects},
      // Loss on the way to subscribers, and of packets arriving from publishers.
      {"mediaTestSetSendLoss", TestSetLoss<&Router::SetTestSendLoss>},
      {"mediaTestSetReceiveLoss", TestSetLoss<&Router::SetTestReceiveLoss>},
      {"mediaSetPaused", SetPaused},
      {"mediaInternalListen", InternalListen},
      {"mediaInternalPeer", InternalPeer},
      {"mediaInternalEnableSrtp", InternalEnableSrtp},
      {"mediaInternalSetRemoteKey", InternalSetRemoteKey},
      {"webrtcListen", WebRtcListen},
      {"webrtcListenTcp", WebRtcListenTcp},
      {"webrtcCreateTransport", WebRtcCreateTransport},
      {"webrtcSetRemote", WebRtcSetRemote},
      {"webrtcBindTrack", WebRtcBindTrack},
      {"webrtcSetTransportCc", WebRtcSetTransportCc},
      {"webrtcSetSendTransportCc", WebRtcSetSendTransportCc},
      {"webrtcOnEvent", WebRtcOnEvent},
  };
  for (const Fn& f : fns) exports.Set(f.name, Napi::Function::New(env, f.fn, f.name));
}

}  // namespace router
}  // namespace webrtc_agent
