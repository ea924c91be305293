#include "router/router_binding.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>

#include <array>

#include "addon.h"
#include "router/options_reader.h"
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

// Every control function takes one options object, read by OptionsReader
// (router/options_reader.h): each field is named once below, with its type
// and range. Ranges are wide where the router checks the value itself (its
// 400 names the field); these only keep the casts defined.
constexpr int64_t kU32 = 0xffffffffLL;
constexpr int64_t kI32 = 0x7fffffffLL;
constexpr int64_t kBig = 1LL << 52;  // integral doubles

Napi::Value Fail(Napi::Env env, const Status& s) { return ThrowStatus(env, s); }

// Undefined, or the status thrown.
Napi::Value Done(Napi::Env env, const Status& s) { return s.ok() ? env.Undefined() : Fail(env, s); }

MediaKind Kind(OptionsReader& o) { return o.Word("kind", "audio", "video") ? MediaKind::kAudio : MediaKind::kVideo; }

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
  OptionsReader o(info, "mediaConfigure");
  MediaSettings s;
  s.listen_ip = o.Str("listenIp");
  s.port_min = static_cast<int>(o.Int("portMin", 0, 65535));
  s.port_max = static_cast<int>(o.Int("portMax", 0, 65535));
  if (!o.ok()) return o.Fail();
  RouterOf(info).Configure(s);
  return info.Env().Undefined();
}

Napi::Value CreatePlainTransport(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaCreatePlainTransport");
  const std::string id = o.Str("transportId");
  const bool comedia = o.Bool("comedia", false);
  if (!o.ok()) return o.Fail();
  int port = 0;
  Status s = RouterOf(info).CreatePlainTransport(id, comedia, &port);
  if (!s.ok()) return Fail(info.Env(), s);
  return Napi::Number::New(info.Env(), port);
}

Napi::Value Connect(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaConnect");
  const std::string id = o.Str("transportId"), ip = o.Str("ip");
  const int port = static_cast<int>(o.Int("port", 0, 65535));
  if (!o.ok()) return o.Fail();
  return Done(info.Env(), RouterOf(info).Connect(id, ip, port));
}

Napi::Value CloseTransport(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaCloseTransport");
  const std::string id = o.Str("transportId");
  if (!o.ok()) return o.Fail();
  Removed removed;
  Status s = RouterOf(info).CloseTransport(id, &removed);
  if (!s.ok()) return Fail(info.Env(), s);
  return RemovedToJs(info.Env(), removed);
}

Napi::Value Publish(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaPublish");
  const std::string transport_id = o.Str("transportId"), track_id = o.Str("trackId");
  const MediaKind kind = Kind(o);
  const auto ssrc = static_cast<uint32_t>(o.Int("ssrc", 0, kU32, 0));                // 0: the first seen
  const auto payload_type = static_cast<int>(o.Int("payloadType", -1, 127, -1));     // -1: any
  const auto clock_rate = static_cast<uint32_t>(o.Int("clockRate", 1, kU32));
  const bool nack = o.Bool("nack", false);
  if (!o.ok()) return o.Fail();
  return Done(info.Env(), RouterOf(info).Publish(transport_id, track_id, kind, ssrc, payload_type, clock_rate, nack));
}

Napi::Value SetTrackRtx(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaSetTrackRtx");
  const std::string id = o.Str("trackId");
  const auto rtx_ssrc = static_cast<uint32_t>(o.Int("rtxSsrc", 0, kU32));
  const auto rtx_pt = static_cast<int>(o.Int("rtxPayloadType", -1, 255));
  if (!o.ok()) return o.Fail();
  return Done(info.Env(), RouterOf(info).SetTrackRtx(id, rtx_ssrc, rtx_pt));
}

Napi::Value SetSubscriptionRtx(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaSetSubscriptionRtx");
  const std::string id = o.Str("subscriptionId");
  const auto rtx_ssrc = static_cast<uint32_t>(o.Int("rtxSsrc", 0, kU32));
  const auto rtx_pt = static_cast<int>(o.Int("rtxPayloadType", -1, 255));
  if (!o.ok()) return o.Fail();
  return Done(info.Env(), RouterOf(info).SetSubscriptionRtx(id, rtx_ssrc, rtx_pt));
}

Napi::Value Unpublish(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaUnpublish");
  const std::string id = o.Str("trackId");
  if (!o.ok()) return o.Fail();
  Removed removed;
  Status s = RouterOf(info).Unpublish(id, &removed);
  if (!s.ok()) return Fail(info.Env(), s);
  return RemovedToJs(info.Env(), removed);
}

Napi::Value Subscribe(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaSubscribe");
  const std::string transport_id = o.Str("transportId"), track_id = o.Str("trackId"),
                    subscription_id = o.Str("subscriptionId");
  const auto ssrc = static_cast<uint32_t>(o.Int("ssrc", 0, kU32, 0));             // 0: pick one
  const auto payload_type = static_cast<int>(o.Int("payloadType", -1, 127, -1));  // -1: keep
  if (!o.ok()) return o.Fail();
  uint32_t chosen = 0;
  Status s = RouterOf(info).Subscribe(transport_id, track_id, subscription_id, ssrc, payload_type, &chosen);
  if (!s.ok()) return Fail(info.Env(), s);
  return Napi::Number::New(info.Env(), chosen);
}

Napi::Value SubscribeLayers(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaSubscribeLayers");
  const std::string transport_id = o.Str("transportId");
  const std::vector<std::string> tracks = o.Strs("trackIds", 8);  // lowest first; the router takes 1..4
  const std::string subscription_id = o.Str("subscriptionId");
  const auto ceiling = static_cast<int>(o.Int("ceiling", -kI32, kI32));
  const bool adaptive = o.Bool("adaptive");
  const auto ssrc = static_cast<uint32_t>(o.Int("ssrc", 0, kU32, 0));
  const auto payload_type = static_cast<int>(o.Int("payloadType", -1, 127, -1));
  if (!o.ok()) return o.Fail();
  uint32_t chosen = 0;
  Status s = RouterOf(info).SubscribeLayers(transport_id, tracks, subscription_id, ceiling, adaptive, ssrc,
                                            payload_type, &chosen);
  if (!s.ok()) return Fail(info.Env(), s);
  return Napi::Number::New(info.Env(), chosen);
}

Napi::Value SetLayerPreferences(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaSetLayerPreferences");
  const std::string id = o.Str("subscriptionId");
  const auto max_spatial = static_cast<int>(o.Int("maxSpatial", -1, kI32));    // -1: none
  const auto max_temporal = static_cast<int>(o.Int("maxTemporal", -1, kI32));  // -1: none
  const auto priority = static_cast<int>(o.Int("priority", -kI32, kI32));
  const auto max_bps = static_cast<uint64_t>(o.Int("maxBitrate", 0, kBig));   // 0: no cap
  if (!o.ok()) return o.Fail();
  return Done(info.Env(), RouterOf(info).SetLayerPreferences(id, max_spatial, max_temporal, priority, max_bps));
}

Napi::Value Unsubscribe(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaUnsubscribe");
  const std::string id = o.Str("subscriptionId");
  if (!o.ok()) return o.Fail();
  return Done(info.Env(), RouterOf(info).Unsubscribe(id));
}

Napi::Value RequestKeyframe(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaRequestKeyframe");
  const std::string id = o.Str("trackId");
  if (!o.ok()) return o.Fail();
  return Done(info.Env(), RouterOf(info).RequestKeyframe(id));
}

Napi::Value SetTrackCodec(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaSetTrackCodec");
  const std::string id = o.Str("trackId"), codec = o.Str("codec");  // an SDP encoding name
  if (!o.ok()) return o.Fail();
  return Done(info.Env(), RouterOf(info).SetTrackCodec(id, codec));
}

Napi::Value Import(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaImport");
  const std::string id = o.Str("trackId");
  const MediaKind kind = Kind(o);
  const auto clock_rate = static_cast<uint32_t>(o.Int("clockRate", 1, kU32));
  const std::string peer = o.Str("peer");
  const auto link = static_cast<uint32_t>(o.Int("link", 0, kU32));
  if (!o.ok()) return o.Fail();
  return Done(info.Env(), RouterOf(info).Import(id, kind, clock_rate, peer, link));
}

// mediaExport and mediaUnexport: ({trackId, peer, link}).
template <Status (Router::*Op)(const std::string&, const std::string&, uint32_t)>
Napi::Value ExportOp(const Napi::CallbackInfo& info) {
  OptionsReader o(info, Op == &Router::Export ? "mediaExport" : "mediaUnexport");
  const std::string id = o.Str("trackId"), peer = o.Str("peer");
  const auto link = static_cast<uint32_t>(o.Int("link", 0, kU32));
  if (!o.ok()) return o.Fail();
  return Done(info.Env(), (RouterOf(info).*Op)(id, peer, link));
}

Napi::Value AttachPeer(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaAttachPeer");
  const std::string peer = o.Str("peer");
  Napi::Uint8Array outbound = o.Bytes("outbound"), inbound = o.Bytes("inbound");
  if (!o.ok()) return o.Fail();
  PeerLinks& links = RouterOf(info).peers();
  Status s = links.AttachOutbound(peer, outbound);
  if (s.ok()) s = links.AttachInbound(peer, inbound);
  if (!s.ok()) {
    links.Detach(peer);
    return Fail(info.Env(), s);
  }
  return info.Env().Undefined();
}

Napi::Value DetachPeer(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaDetachPeer");
  const std::string peer = o.Str("peer");
  if (!o.ok()) return o.Fail();
  RouterOf(info).peers().Detach(peer);
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
  // -> {ip, port, fingerprint: {algorithm, value}}
  OptionsReader o(info, "webrtcListen");
  const std::string listen_ip = o.Str("listenIp"), announced_ip = o.Str("announcedIp");
  const auto port_min = static_cast<int>(o.Int("portMin", 0, 65535));
  const auto port_max = static_cast<int>(o.Int("portMax", 0, 65535));
  if (!o.ok()) return o.Fail();
  Router& r = RouterOf(info);
  int port = 0;
  std::string fp;
  Status s = r.ListenWebRtc(listen_ip, port_min, port_max, &port, &fp);
  if (!s.ok()) return Fail(info.Env(), s);
  InstallEventFn(info.Env(), r);
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("ip", announced_ip);
  out.Set("port", port);
  Napi::Object f = Napi::Object::New(env);
  const size_t space = fp.find(' ');
  f.Set("algorithm", fp.substr(0, space));
  f.Set("value", space == std::string::npos ? "" : fp.substr(space + 1));
  out.Set("fingerprint", f);
  return out;
}

Napi::Value WebRtcListenTcp(const Napi::CallbackInfo& info) {
  // -> port
  OptionsReader o(info, "webrtcListenTcp");
  const std::string listen_ip = o.Str("listenIp");
  const auto port_min = static_cast<int>(o.Int("portMin", 0, 65535));
  const auto port_max = static_cast<int>(o.Int("portMax", 0, 65535));
  const auto max_connections = static_cast<size_t>(o.Int("maxConnections", 0, kBig));
  const auto idle_timeout_ms = static_cast<uint64_t>(o.Int("idleTimeoutMs", 0, kBig));
  if (!o.ok()) return o.Fail();
  int port = 0;
  Status s = RouterOf(info).ListenWebRtcTcp(listen_ip, port_min, port_max, max_connections, idle_timeout_ms, &port);
  if (!s.ok()) return Fail(info.Env(), s);
  return Napi::Number::New(info.Env(), port);
}

Napi::Value InternalListen(const Napi::CallbackInfo& info) {
  // -> port
  OptionsReader o(info, "mediaInternalListen");
  const std::string listen_ip = o.Str("listenIp");
  const auto port_min = static_cast<int>(o.Int("portMin", 0, 65535));
  const auto port_max = static_cast<int>(o.Int("portMax", 0, 65535));
  if (!o.ok()) return o.Fail();
  int port = 0;
  Status s = RouterOf(info).ListenInternal(listen_ip, port_min, port_max, &port);
  if (!s.ok()) return Fail(info.Env(), s);
  return Napi::Number::New(info.Env(), port);
}

Napi::Value InternalPeer(const Napi::CallbackInfo& info) {
  // -> the id of the transport towards that internal address
  OptionsReader o(info, "mediaInternalPeer");
  const std::string ip = o.Str("ip");
  const auto port = static_cast<int>(o.Int("port", 0, 65535));
  if (!o.ok()) return o.Fail();
  std::string id;
  Status s = RouterOf(info).InternalPeer(ip, port, &id);
  if (!s.ok()) return Fail(info.Env(), s);
  return Napi::String::New(info.Env(), id);
}

transport::InternalTransport* InternalOf(const Napi::CallbackInfo& info, const std::string& id) {
  auto& ts = RouterOf(info).transports();
  auto it = ts.find(id);
  return it == ts.end() ? nullptr : it->second->AsInternal();
}

Napi::Value InternalEnableSrtp(const Napi::CallbackInfo& info) {
  // -> this side's sending key (master key || salt) as a Buffer
  OptionsReader o(info, "mediaInternalEnableSrtp");
  const std::string id = o.Str("transportId");
  if (!o.ok()) return o.Fail();
  transport::InternalTransport* t = InternalOf(info, id);
  if (t == nullptr) return Fail(info.Env(), Status::NotFound("no such internal transport: " + id));
  std::array<uint8_t, transport::InternalTransport::kKeyLen> key{};
  if (!t->EnableSrtp(&key)) return Fail(info.Env(), Status::Internal("cannot set up SRTP"));
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::Copy(info.Env(), key.data(), key.size());
  OPENSSL_cleanse(key.data(), key.size());
  return out;
}

Napi::Value InternalSetRemoteKey(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaInternalSetRemoteKey");
  const std::string id = o.Str("transportId");
  Napi::Uint8Array key = o.Bytes("key");
  if (!o.ok()) return o.Fail();
  transport::InternalTransport* t = InternalOf(info, id);
  if (t == nullptr) return Fail(info.Env(), Status::NotFound("no such internal transport: " + id));
  if (!t->SetRemoteKey(key.Data(), key.ByteLength())) return Fail(info.Env(), Status::Invalid("srtp: unusable key"));
  return info.Env().Undefined();
}

Napi::Value WebRtcCreateTransport(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "webrtcCreateTransport");
  const std::string id = o.Str("transportId"), ufrag = o.Str("iceUfrag"), pwd = o.Str("icePwd");
  const int64_t consent_timeout_ms = o.Int("consentTimeoutMs", 0, kBig);
  if (!o.ok()) return o.Fail();
  return Done(info.Env(), RouterOf(info).CreateWebRtcTransport(id, ufrag, pwd, consent_timeout_ms));
}

Napi::Value WebRtcSetRemote(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "webrtcSetRemote");
  const std::string id = o.Str("transportId"), ufrag = o.Str("iceUfrag");
  const std::string algorithm = o.Str("fingerprintAlgorithm"), value = o.Str("fingerprintValue");
  const bool client = o.Word("dtlsRole", "client", "server");
  if (!o.ok()) return o.Fail();
  return Done(info.Env(), RouterOf(info).SetWebRtcRemote(id, ufrag, algorithm, value, client));
}

Napi::Value WebRtcBindTrack(const Napi::CallbackInfo& info) {
  // By SSRC when non-zero, else by the MID (and RID) header extensions.
  OptionsReader o(info, "webrtcBindTrack");
  const std::string id = o.Str("trackId"), mid = o.Str("mid"), rid = o.Str("rid");
  const auto mid_ext = static_cast<int>(o.Int("midExtId", 0, 255));
  const auto rid_ext = static_cast<int>(o.Int("ridExtId", 0, 255));
  const auto ssrc = static_cast<uint32_t>(o.Int("ssrc", 0, kU32));
  if (!o.ok()) return o.Fail();
  return Done(info.Env(), RouterOf(info).BindTrack(id, mid, rid, mid_ext, rid_ext, ssrc));
}

Napi::Value WebRtcSetTransportCc(const Napi::CallbackInfo& info) {
  // extId 0 turns transport-wide feedback off.
  OptionsReader o(info, "webrtcSetTransportCc");
  const std::string id = o.Str("transportId");
  const auto ext = static_cast<int>(o.Int("extId", 0, 255));
  if (!o.ok()) return o.Fail();
  return Done(info.Env(), RouterOf(info).SetTransportCc(id, ext));
}

Napi::Value WebRtcSetSendTransportCc(const Napi::CallbackInfo& info) {
  // Send-side bandwidth estimation towards the subscriber (once per transport).
  OptionsReader o(info, "webrtcSetSendTransportCc");
  const std::string id = o.Str("transportId");
  const int64_t ext = o.Int("extId", 0, 255);
  const int64_t initial = o.Int("initialBps", 0, kBig), min = o.Int("minBps", 0, kBig), max = o.Int("maxBps", 0, kBig);
  const bool probing = o.Bool("probing");
  if (!o.ok()) return o.Fail();
  const auto& transports = RouterOf(info).transports();
  auto it = transports.find(id);
  if (it == transports.end()) return Fail(info.Env(), Status::NotFound("no such transport: " + id));
  transport::WebRtcTransport* w = it->second->AsWebRtc();
  if (w == nullptr) return Fail(info.Env(), Status::Invalid("transportId: not a WebRTC transport: " + id));
  if (ext < 1) return Fail(info.Env(), Status::Invalid("ext: bad extension id"));
  if (!(min >= 10000 && min <= initial && initial <= max && max <= 10000000000LL)) {
    return Fail(info.Env(), Status::Invalid("bwe: needs 10 kbit/s <= min <= initial <= max <= 10 Gbit/s"));
  }
  bwe::BweConfig config;
  config.initial_bps = static_cast<uint64_t>(initial);
  config.min_bps = static_cast<uint64_t>(min);
  config.max_bps = static_cast<uint64_t>(max);
  config.probing = probing;
  w->EnableSendSideBwe(static_cast<uint8_t>(ext), config);
  return info.Env().Undefined();
}

Napi::Value SetTrackPaused(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaSetTrackPaused");
  const std::string id = o.Str("trackId");
  const bool paused = o.Bool("paused");
  if (!o.ok()) return o.Fail();
  return Done(info.Env(), RouterOf(info).SetTrackPaused(id, paused));
}

Napi::Value SetSubscriptionPaused(const Napi::CallbackInfo& info) {
  OptionsReader o(info, "mediaSetSubscriptionPaused");
  const std::string id = o.Str("subscriptionId");
  const bool paused = o.Bool("paused");
  if (!o.ok()) return o.Fail();
  return Done(info.Env(), RouterOf(info).SetSubscriptionPaused(id, paused));
}

// ({percent 0..100}) for one of the test-only loss switches, in per mille.
template <void (Router::*Set)(uint32_t)>
Napi::Value TestSetLoss(const Napi::CallbackInfo& info) {
  OptionsReader o(info, Set == &Router::SetTestSendLoss ? "mediaTestSetSendLoss" : "mediaTestSetReceiveLoss");
  const double pct = o.Num("percent", 0, 100);
  if (!o.ok()) return o.Fail();
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
      {"mediaExport", ExportOp<&Router::Export>},
      {"mediaUnexport", ExportOp<&Router::Unexport>},
      {"mediaAttachPeer", AttachPeer},
      {"mediaDetachPeer", DetachPeer},
      {"mediaStats", MediaStats},
      {"mediaObjects", MediaObjects},
      // Loss on the way to subscribers, and of packets arriving from publishers.
      {"mediaTestSetSendLoss", TestSetLoss<&Router::SetTestSendLoss>},
      {"mediaTestSetReceiveLoss", TestSetLoss<&Router::SetTestReceiveLoss>},
      {"mediaSetTrackPaused", SetTrackPaused},
      {"mediaSetSubscriptionPaused", SetSubscriptionPaused},
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
