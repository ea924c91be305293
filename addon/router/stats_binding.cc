#include "router/stats_binding.h"

#include <climits>

#include "addon.h"
#include "router/peer_links.h"
#include "router/router.h"
#include "transport/internal_transport.h"
#include "transport/plain_transport.h"
#include "transport/webrtc_transport.h"

namespace webrtc_agent {
namespace router {

namespace {

const Router& RouterOf(const Napi::CallbackInfo& info) {
  return AgentAddon::From(info.Env())->State<Router>();
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

// The send-side estimate of a WebRTC transport towards its subscriber;
// null where transport-cc was not negotiated on what the agent sends.
Napi::Value BweStats(Napi::Env env, const transport::WebRtcTransport& w) {
  const bwe::SendSideBwe* b = w.bwe();
  if (b == nullptr) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("estimateBps", static_cast<double>(b->estimate_bps()));
  o.Set("delayBasedBps", static_cast<double>(b->delay_based_bps()));
  o.Set("lossBasedBps", static_cast<double>(b->loss_based_bps()));
  o.Set("ackedBps", static_cast<double>(b->acked_bps()));
  o.Set("sentBps", static_cast<double>(b->sent_bps()));
  o.Set("rttMs", static_cast<double>(b->rtt_ms()));
  o.Set("loss", b->loss());
  o.Set("delayState", bwe::BandwidthUsageName(b->usage()));
  // The delay trend (scaled slope, ms) against the detector's adaptive
  // threshold: what "delayState" was decided from.
  o.Set("delayTrend", b->trend());
  o.Set("delayThreshold", b->threshold());
  o.Set("probing", bwe::ProbeStateName(b->probe_state()));
  const bwe::BweStats st = b->stats();
  const bwe::SendHistoryCounters& h = b->history();
  const transport::SendBweCounters& c = w.bwe_counters();
  o.Set("packetsNumbered", static_cast<double>(h.sent));
  Napi::Object fb = Napi::Object::New(env);
  fb.Set("received", static_cast<double>(c.feedback_in));
  fb.Set("malformed", static_cast<double>(c.feedback_malformed));
  fb.Set("statuses", static_cast<double>(st.feedback_packets));
  fb.Set("packetsReceived", static_cast<double>(h.received));
  fb.Set("packetsLost", static_cast<double>(h.lost));
  fb.Set("mediaLost", static_cast<double>(h.media_lost));
  // Statuses about numbers never sent or long forgotten, and repeats.
  fb.Set("unknown", static_cast<double>(h.unknown));
  fb.Set("repeated", static_cast<double>(h.repeated));
  o.Set("feedback", fb);
  Napi::Object pr = Napi::Object::New(env);
  pr.Set("clusters", static_cast<double>(st.probes_sent));
  pr.Set("results", static_cast<double>(st.probe_results));
  pr.Set("failures", static_cast<double>(st.probe_failures));
  // Results not believed: the path was congested within the last 10 s.
  pr.Set("distrusted", static_cast<double>(st.probes_distrusted));
  pr.Set("paddingPackets", static_cast<double>(c.padding_packets));
  pr.Set("paddingBytes", static_cast<double>(c.padding_bytes));
  // Whether a video subscription with RTX can carry probe padding now.
  pr.Set("carrier", w.ProbeCarrier() != nullptr);
  o.Set("probes", pr);
  o.Set("delayDecreases", static_cast<double>(st.delay_decreases));
  o.Set("lossDecreases", static_cast<double>(st.loss_decreases));
  return o;
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
    o.Set("bwe", BweStats(env, *w));
    drops.Set("unvalidatedSource", static_cast<double>(wc.unvalidated));
    drops.Set("beforeKeys", static_cast<double>(wc.before_keys));
    drops.Set("dtlsUnsent", static_cast<double>(wc.dtls_unsent));
    drops.Set("srtpFailed", static_cast<double>(wc.srtp_failures));
    drops.Set("protectFailed", static_cast<double>(wc.protect_failures));
  }
  o.Set("drops", drops);
  return o;
}


}  // namespace

Napi::Value MediaStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Router& r = RouterOf(info);
  Napi::Object out = Napi::Object::New(env);
  Napi::Array transports = Napi::Array::New(env);
  for (const auto& [id, t] : r.transports()) {
    Napi::Object o = TransportStats(env, *t);
    // The layer choice on this transport: the estimate its allocator last
    // used (null: none, taken as unlimited) and what its layered
    // subscriptions would take unconstrained.
    const uint64_t available = r.layer_control().last_available(t.get());
    o.Set("availableBitrate", available == 0 ? env.Null() : Napi::Value(Napi::Number::New(env, static_cast<double>(available))));
    o.Set("desiredBitrate", static_cast<double>(r.layer_control().desired(t.get())));
    transports.Set(transports.Length(), o);
  }
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
    o.Set("bitrate", static_cast<double>(t->counters.bitrate.bps()));
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
    // The repair budget's rate (bits/s): a share of the subscriber's
    // estimate; 0: none, a share of the media sent instead.
    o.Set("repairBudgetBps", static_cast<double>(s->retransmitter ? s->retransmitter->budget_rate_bps() : 0));
    o.Set("testDropped", static_cast<double>(s->counters.test_dropped));
    o.Set("waitingKeyframe", s->keyframe_gate.waiting());
    o.Set("keyframeWaitDrops", static_cast<double>(s->counters.keyframe_wait_drops));
    o.Set("keyframeWaitTimeouts", static_cast<double>(s->counters.keyframe_wait_timeouts));
    o.Set("bitrate", static_cast<double>(s->counters.bitrate.bps()));
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
    if (const SubscriptionLayers* L = s->layers.get()) {
      // A subscription to a layered publication: where it is, where the
      // allocator wants it and why (docs/api.md).
      auto temporal = [&](int t) {
        return t < 0 || t >= layers::LayerSelector::kAllTemporal ? env.Null() : Napi::Value(Napi::Number::New(env, t));
      };
      Napi::Object l = Napi::Object::New(env);
      Napi::Array ids = Napi::Array::New(env, L->tracks().size());
      for (size_t i = 0; i < L->tracks().size(); i++) ids.Set(i, L->tracks()[i]->id());
      l.Set("tracks", ids);
      l.Set("adaptive", L->adaptive);
      l.Set("ceiling", L->ceiling);
      l.Set("svc", L->svc());
      l.Set("currentSpatial", L->current_spatial());
      l.Set("currentTemporal", L->current_spatial() < 0 ? env.Null() : temporal(L->current_temporal()));
      l.Set("targetSpatial", L->target_spatial);
      l.Set("targetTemporal", L->target_spatial < 0 ? env.Null() : temporal(L->target_temporal));
      l.Set("reason", L->decided ? Napi::Value(Napi::String::New(env, layers::AllocReasonName(L->reason))) : env.Null());
      l.Set("pausedForBandwidth", L->decided && L->target_spatial < 0);
      l.Set("maxSpatial", L->max_spatial == INT_MAX ? env.Null() : Napi::Value(Napi::Number::New(env, L->max_spatial)));
      l.Set("maxTemporal", L->max_temporal == INT_MAX ? env.Null() : Napi::Value(Napi::Number::New(env, L->max_temporal)));
      l.Set("priority", L->priority);
      l.Set("maxBitrate", static_cast<double>(L->max_bps));
      l.Set("switches", static_cast<double>(L->counters.switches));
      l.Set("temporalDrops", static_cast<double>(L->counters.temporal_drops));
      l.Set("spatialDrops", static_cast<double>(L->counters.spatial_drops));
      l.Set("bandwidthPauses", static_cast<double>(L->counters.bandwidth_pauses));
      l.Set("keyframeAsks", static_cast<double>(L->counters.keyframe_asks));
      o.Set("layers", l);
    } else {
      o.Set("layers", env.Null());
    }
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
Napi::Value MediaObjects(const Napi::CallbackInfo& info) {
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


}  // namespace router
}  // namespace webrtc_agent
