#include "router/router_binding.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>

#include <array>

#include "addon.h"
#include "router/peer_links.h"
#include "router/router.h"
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

const char* IceStateName(ice::IceState s) {
  switch (s) {
    case ice::IceState::kNew: return "new";
    case ice::IceState::kConnected: return "connected";
    case ice::IceState::kDisconnected: return "disconnected";
    case ice::IceState::kFailed: return "failed";
  }
  return "unknown";
}

Napi::Object TransportStats(Napi::Env env, transport::Transport& base) {
  Napi::Object o = Napi::Object::New(env);
  const auto& c = base.counters();
  o.Set("id", base.id());
  if (transport::PlainTransport* t = base.AsPlain()) {
    o.Set("type", "plain");
    o.Set("port", t->port());
    o.Set("comedia", t->comedia());
    if (t->has_remote()) {
      char ip[INET_ADDRSTRLEN] = {0};
      inet_ntop(AF_INET, &t->remote().sin_addr, ip, sizeof(ip));
      Napi::Object r = Napi::Object::New(env);
      r.Set("ip", ip);
      r.Set("port", ntohs(t->remote().sin_port));
      o.Set("remote", r);
    } else {
      o.Set("remote", env.Null());
    }
    o.Set("datagramsIn", static_cast<double>(t->socket_counters().rx_packets));
    o.Set("datagramsOut", static_cast<double>(t->socket_counters().tx_packets));
  }
  o.Set("rtpIn", static_cast<double>(c.rtp_in));
  o.Set("rtcpIn", static_cast<double>(c.rtcp_in));
  o.Set("rtpOut", static_cast<double>(c.rtp_out));
  o.Set("rtcpOut", static_cast<double>(c.rtcp_out));
  o.Set("bytesIn", static_cast<double>(c.bytes_in));
  o.Set("bytesOut", static_cast<double>(c.bytes_out));
  o.Set("rtt", base.rtt_ms() >= 0 ? Napi::Value(Napi::Number::New(env, static_cast<double>(base.rtt_ms()))) : env.Null());
  Napi::Object drops = Napi::Object::New(env);
  for (size_t i = 0; i < c.drops.size(); i++) {
    drops.Set(transport::DropReasonName(static_cast<transport::DropReason>(i)),
              static_cast<double>(c.drops[i]));
  }
  if (transport::PlainTransport* t = base.AsPlain()) {
    drops.Set("truncatedByKernel", static_cast<double>(t->socket_counters().rx_truncated));
  }
  if (transport::InternalTransport* t = base.AsInternal()) {
    o.Set("type", "internal");
    char ip[INET_ADDRSTRLEN] = {0};
    inet_ntop(AF_INET, &t->remote().sin_addr, ip, sizeof(ip));
    Napi::Object r = Napi::Object::New(env);
    r.Set("ip", ip);
    r.Set("port", ntohs(t->remote().sin_port));
    o.Set("remote", r);
    o.Set("srtp", t->secure());
    const auto& sc = t->srtp_counters();
    drops.Set("beforeKeys", static_cast<double>(sc.before_keys));
    drops.Set("srtpFailed", static_cast<double>(sc.srtp_failed));
    drops.Set("protectFailed", static_cast<double>(sc.protect_failed));
  }
  if (transport::WebRtcTransport* w = base.AsWebRtc()) {
    o.Set("type", "webrtc");
    o.Set("iceState", IceStateName(w->ice_state()));
    o.Set("dtlsState", dtls::DtlsStateName(w->dtls_state()));
    o.Set("srtpProfile", w->srtp_profile_name());
    sockaddr_in sel;
    if (w->selected(&sel)) {
      char ip[INET_ADDRSTRLEN] = {0};
      inet_ntop(AF_INET, &sel.sin_addr, ip, sizeof(ip));
      Napi::Object r = Napi::Object::New(env);
      r.Set("ip", ip);
      r.Set("port", ntohs(sel.sin_port));
      r.Set("protocol", net::IsTcp(sel) ? "tcp" : "udp");
      o.Set("remote", r);
    } else {
      o.Set("remote", env.Null());
    }
    const auto& wc = w->webrtc_counters();
    o.Set("stunIn", static_cast<double>(wc.stun_in));
    o.Set("stunOk", static_cast<double>(wc.stun_ok));
    o.Set("stunRejected", static_cast<double>(wc.stun_rejected));
    o.Set("stunDropped", static_cast<double>(wc.stun_dropped));
    o.Set("dtlsIn", static_cast<double>(wc.dtls_in));
    // Flights sent again on OpenSSL's timer: 0 on a clean handshake.
    o.Set("dtlsRetransmissions", static_cast<double>(w->dtls_retransmissions()));
    o.Set("twccFeedbackSent", static_cast<double>(wc.twcc_feedback_sent));
    // Packets that carried a transport-wide number (null: not negotiated).
    const rtp::TwccFeedback* tw = w->twcc();
    o.Set("twccPackets", tw ? Napi::Value(Napi::Number::New(env, static_cast<double>(tw->counters().packets)))
                            : env.Null());
    if (tw != nullptr) {
      // Numbers not reported: repeats, ones behind the kept history, and
      // jumps past the history that started it over (a sender's restart, or
      // a hostile one).
      o.Set("twccDuplicates", static_cast<double>(tw->counters().duplicates));
      o.Set("twccTooOld", static_cast<double>(tw->counters().too_old));
      o.Set("twccResets", static_cast<double>(tw->counters().resets));
    }
    drops.Set("unvalidatedSource", static_cast<double>(wc.unvalidated));
    drops.Set("beforeKeys", static_cast<double>(wc.before_keys));
    drops.Set("dtlsUnsent", static_cast<double>(wc.dtls_unsent));
    drops.Set("srtpFailed", static_cast<double>(wc.srtp_failures));
    drops.Set("protectFailed", static_cast<double>(wc.protect_failures));
  }
  o.Set("drops", drops);
  return o;
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

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Router& r = RouterOf(info);
  Napi::Object out = Napi::Object::New(env);
  Napi::Array transports = Napi::Array::New(env);
  for (const auto& [id, t] : r.transports()) transports.Set(transports.Length(), TransportStats(env, *t));
  Napi::Array tracks = Napi::Array::New(env);
  for (const auto& [id, t] : r.tracks()) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", id);
    o.Set("kind", t->kind() == MediaKind::kAudio ? "audio" : "video");
    o.Set("ssrc", static_cast<double>(t->ssrc));
    o.Set("transportId", t->source ? Napi::Value(Napi::String::New(env, t->source->id())) : env.Null());
    o.Set("importedFrom", t->import_peer.empty() ? env.Null() : Napi::Value(Napi::String::New(env, t->import_peer)));
    o.Set("packets", static_cast<double>(t->counters.packets));
    o.Set("bytes", static_cast<double>(t->counters.bytes));
    o.Set("wrongPayloadType", static_cast<double>(t->counters.wrong_payload_type));
    o.Set("paused", t->paused);
    o.Set("pausedDrops", static_cast<double>(t->counters.paused_drops));
    o.Set("subscribers", static_cast<double>(t->subscribers.size()));
    o.Set("exports", static_cast<double>(t->exports.size()));
    o.Set("keyframeRequestsSent", static_cast<double>(t->keyframes.sent()));
    o.Set("keyframeRequestsMerged", static_cast<double>(t->keyframes.merged()));
    o.Set("codec", t->codec == rtp::Codec::kUnknown ? env.Null() : Napi::Value(Napi::String::New(env, rtp::CodecName(t->codec))));
    o.Set("keyframes", static_cast<double>(t->counters.keyframes));
    if (t->picture.known()) {
      Napi::Object res = Napi::Object::New(env);
      res.Set("width", static_cast<double>(t->picture.width));
      res.Set("height", static_cast<double>(t->picture.height));
      o.Set("resolution", res);
    } else {
      o.Set("resolution", env.Null());
    }
    o.Set("bitrate", static_cast<double>(t->counters.bitrate_bps));
    if (const rtp::ReceiveStats* rs = t->receive.get()) {
      o.Set("packetsExpected", static_cast<double>(rs->expected()));
      o.Set("packetsLost", rs->cumulative_lost());
      o.Set("fractionLost", rs->last_fraction_lost() / 256.0);
      o.Set("jitter", static_cast<double>(rs->jitter()));
      o.Set("jitterMs", rs->jitter_ms());
      o.Set("duplicates", static_cast<double>(rs->duplicates()));
      o.Set("reordered", static_cast<double>(rs->reordered()));
      o.Set("srReceived", static_cast<double>(rs->sender_reports()));
      o.Set("rrSent", static_cast<double>(t->counters.rrs_sent));
    } else if (!t->import_peer.empty()) {
      o.Set("srReceived", static_cast<double>(t->relayed_srs));  // relayed by the publisher's thread
    }
    o.Set("nack", t->nack != nullptr);
    const rtp::NackCounters nc = t->nack ? t->nack->counters() : rtp::NackCounters{};
    o.Set("nacksSent", static_cast<double>(t->counters.nacks_sent));
    o.Set("nackedPackets", static_cast<double>(nc.requests));
    o.Set("nackMissing", static_cast<double>(nc.missing));
    o.Set("retransmissionsReceived", static_cast<double>(nc.recovered));
    o.Set("nackExpired", static_cast<double>(nc.expired));
    o.Set("nackKeyframes", static_cast<double>(nc.overflows));
    o.Set("rtxPackets", static_cast<double>(t->counters.rtx_packets));
    o.Set("rtxPadding", static_cast<double>(t->counters.rtx_padding));
    o.Set("rtxDuplicates", static_cast<double>(t->counters.rtx_duplicates));
    o.Set("testDropped", static_cast<double>(t->counters.test_dropped));
    if (const audio::LevelMeter* m = t->audio_level.get()) {
      // RFC 6464 levels in -dBov (0 loudest, 127 silence).
      Napi::Object a = Napi::Object::New(env);
      a.Set("level", static_cast<double>(m->smoothed_level()));
      a.Set("lastLevel", static_cast<double>(m->last_level()));
      a.Set("packets", static_cast<double>(m->counters().packets));
      a.Set("silent", static_cast<double>(m->counters().silent));
      a.Set("voice", static_cast<double>(m->counters().voice));
      a.Set("missing", static_cast<double>(m->counters().missing));
      o.Set("audioLevel", a);
    } else {
      o.Set("audioLevel", env.Null());
    }
    tracks.Set(tracks.Length(), o);
  }
  Napi::Array subs = Napi::Array::New(env);
  for (const auto& [id, s] : r.subscriptions()) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", id);
    o.Set("trackId", s->track()->id());
    o.Set("transportId", s->transport()->id());
    o.Set("ssrc", static_cast<double>(s->out_ssrc()));
    o.Set("packets", static_cast<double>(s->counters.packets));
    o.Set("bytes", static_cast<double>(s->counters.bytes));
    o.Set("dropped", static_cast<double>(s->counters.dropped));
    o.Set("keyframeRequests", static_cast<double>(s->counters.keyframe_requests));
    // NACK handling by reason (docs/api.md): what was asked, what was
    // re-sent, and why the rest was not.
    const rtp::RetransmitCounters rc = s->retransmitter ? s->retransmitter->counters() : rtp::RetransmitCounters{};
    o.Set("nackPackets", static_cast<double>(s->counters.nack_packets + rc.requested));
    o.Set("retransmitted", static_cast<double>(s->counters.retransmitted));
    o.Set("retransmittedBytes", static_cast<double>(rc.bytes));
    o.Set("rtxSsrc", s->rtx_ssrc != 0 ? Napi::Value(Napi::Number::New(env, s->rtx_ssrc)) : env.Null());
    o.Set("rtxSent", static_cast<double>(s->counters.rtx_sent));
    o.Set("nackMissed", static_cast<double>(s->counters.nack_missed + rc.missed));
    o.Set("nackDuplicates", static_cast<double>(rc.duplicates));
    o.Set("nackBeforeSwitch", static_cast<double>(rc.before_switch));
    o.Set("nackTooSoon", static_cast<double>(rc.too_soon));
    o.Set("nackTooMany", static_cast<double>(rc.too_many));
    o.Set("nackOverBudget", static_cast<double>(rc.over_budget));
    o.Set("testDropped", static_cast<double>(s->counters.test_dropped));
    o.Set("waitingKeyframe", s->waiting_keyframe);
    o.Set("keyframeWaitDrops", static_cast<double>(s->counters.keyframe_wait_drops));
    o.Set("keyframeWaitTimeouts", static_cast<double>(s->counters.keyframe_wait_timeouts));
    o.Set("bitrate", static_cast<double>(s->counters.bitrate_bps));
    o.Set("srSent", static_cast<double>(s->counters.srs_sent));
    o.Set("rrReceived", static_cast<double>(s->remote.reports));
    o.Set("rtt", s->remote.rtt_ms >= 0 ? Napi::Value(Napi::Number::New(env, static_cast<double>(s->remote.rtt_ms)))
                                        : env.Null());
    o.Set("fractionLost", s->remote.fraction_lost / 256.0);
    o.Set("packetsLost", s->remote.packets_lost);
    o.Set("jitter", static_cast<double>(s->remote.jitter));
    const uint32_t clock = s->rewriter().clock_rate();
    o.Set("jitterMs", clock ? 1000.0 * s->remote.jitter / clock : 0.0);
    o.Set("paused", s->paused);
    o.Set("dropSilence", s->drop_silence);
    o.Set("silenceDropped", static_cast<double>(s->counters.silence_dropped));
    subs.Set(subs.Length(), o);
  }
  Napi::Array peers = Napi::Array::New(env);
  for (const auto& p : r.peers().Info()) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("peer", p.peer);
    o.Set("outbound", p.outbound);
    o.Set("inbound", p.inbound);
    o.Set("outRecords", static_cast<double>(p.counters.out_records));
    o.Set("outDropped", static_cast<double>(p.counters.out_dropped));
    o.Set("inRecords", static_cast<double>(p.counters.in_records));
    o.Set("inBad", static_cast<double>(p.counters.in_bad));
    o.Set("outFill", p.out_fill);
    peers.Set(peers.Length(), o);
  }
  out.Set("transports", transports);
  out.Set("tracks", tracks);
  out.Set("subscriptions", subs);
  out.Set("peers", peers);
  // The thread's WebRTC port: what reached no transport at all.
  if (const transport::WebRtcServer* w = r.webrtc()) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("port", static_cast<double>(w->port()));
    o.Set("datagramsIn", static_cast<double>(w->socket_counters().rx_packets));
    o.Set("datagramsOut", static_cast<double>(w->socket_counters().tx_packets));
    o.Set("unknownUfrag", static_cast<double>(w->counters().unknown_ufrag));
    o.Set("unknownTuple", static_cast<double>(w->counters().unknown_tuple));
    o.Set("notWebrtc", static_cast<double>(w->counters().not_webrtc));
    o.Set("tuplesPruned", static_cast<double>(w->counters().tuples_pruned));
    if (const net::TcpServer* tcp = w->tcp()) {
      const net::TcpCounters& c = tcp->counters();
      Napi::Object t = Napi::Object::New(env);
      t.Set("port", static_cast<double>(tcp->port()));
      t.Set("connections", static_cast<double>(tcp->connections()));
      t.Set("accepted", static_cast<double>(c.accepted));
      t.Set("framesIn", static_cast<double>(c.frames_in));
      t.Set("framesOut", static_cast<double>(c.frames_out));
      t.Set("bytesIn", static_cast<double>(c.bytes_in));
      t.Set("bytesOut", static_cast<double>(c.bytes_out));
      Napi::Object closed = Napi::Object::New(env);
      closed.Set("rejectedFull", static_cast<double>(c.rejected_full));
      closed.Set("byPeer", static_cast<double>(c.closed_by_peer));
      closed.Set("idle", static_cast<double>(c.closed_idle));
      closed.Set("slow", static_cast<double>(c.closed_slow));
      closed.Set("badFrame", static_cast<double>(c.closed_bad_frame));
      closed.Set("errors", static_cast<double>(c.closed_errors));
      t.Set("closed", closed);
      o.Set("tcp", t);
    } else {
      o.Set("tcp", env.Null());
    }
    out.Set("webrtcPort", o);
  } else {
    out.Set("webrtcPort", env.Null());
  }
  // The thread's internal port (media between agents).
  if (transport::InternalServer* is = r.internal()) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("port", is->port());
    o.Set("datagramsIn", static_cast<double>(is->socket_counters().rx_packets));
    o.Set("datagramsOut", static_cast<double>(is->socket_counters().tx_packets));
    Napi::Object drops = Napi::Object::New(env);
    drops.Set("unknownPeer", static_cast<double>(is->counters().unknown_peer));
    drops.Set("notRtp", static_cast<double>(is->counters().not_rtp));
    drops.Set("oversized", static_cast<double>(is->counters().oversized));
    drops.Set("truncatedByKernel", static_cast<double>(is->socket_counters().rx_truncated));
    o.Set("drops", drops);
    out.Set("internal", o);
  } else {
    out.Set("internal", env.Null());
  }
  return out;
}

// How many objects the thread's media plane holds, for operators and for
// tests that check a node returns to idle once its clients are gone.
Napi::Value Objects(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Router& r = RouterOf(info);
  Napi::Object o = Napi::Object::New(env);
  o.Set("transports", Napi::Number::New(env, static_cast<double>(r.transports().size())));
  o.Set("tracks", Napi::Number::New(env, static_cast<double>(r.tracks().size())));
  o.Set("subscriptions", Napi::Number::New(env, static_cast<double>(r.subscriptions().size())));
  size_t send_buffers = 0;
  for (const auto& [id, s] : r.subscriptions()) send_buffers += s->send_buffer ? 1 : 0;
  o.Set("sendBuffers", Napi::Number::New(env, static_cast<double>(send_buffers)));
  const transport::WebRtcServer* w = r.webrtc();
  o.Set("webrtcRegistered", Napi::Number::New(env, static_cast<double>(w ? w->registered() : 0)));
  o.Set("webrtcUfrags", Napi::Number::New(env, static_cast<double>(w ? w->ufrags() : 0)));
  o.Set("webrtcTuples", Napi::Number::New(env, static_cast<double>(w ? w->tuples() : 0)));
  return o;
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
      {"mediaSetSubscriptionRtx", SetSubscriptionRtx},
      {"mediaUnsubscribe", Unsubscribe},
      {"mediaRequestKeyframe", RequestKeyframe},
      {"mediaSetTrackCodec", SetTrackCodec},
      {"mediaImport", Import},
      {"mediaExport", Export},
      {"mediaUnexport", Unexport},
      {"mediaAttachPeer", AttachPeer},
      {"mediaDetachPeer", DetachPeer},
      {"mediaStats", Stats},
      {"mediaObjects", Objects},
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
      {"webrtcOnEvent", WebRtcOnEvent},
  };
  for (const Fn& f : fns) exports.Set(f.name, Napi::Function::New(env, f.fn, f.name));
}

}  // namespace router
}  // namespace webrtc_agent
