#include "router/router.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "addon.h"
#include "router/peer_links.h"
#include "transport/internal_transport.h"
#include "transport/webrtc_transport.h"
#include "rtp/byte_io.h"
#include "rtp/keyframe.h"
#include "rtp/rtp_packet.h"
#include "rtp/rtcp.h"

namespace webrtc_agent {
namespace router {


namespace {

// Seeds SSRCs, port choice and the test loss switch's dice; distinct per
// thread and per start.
uint64_t Seed(const void* self) {
  uint64_t seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                  reinterpret_cast<uintptr_t>(self);
  return seed != 0 ? seed : 0x9e3779b97f4a7c15ull;
}

}  // namespace

Router::Router(AgentAddon* addon)
    : addon_(addon),
      loop_(addon->loop()),
      rng_(Seed(this)),
      test_loss_(rng_ * 0x2545F4914F6CDD1Dull),
      peers_(std::make_unique<PeerLinks>(addon, this)),
      // The send-side estimate towards each transport's subscriber (0 on
      // transports without one: unlimited for the allocator).
      layer_control_([](transport::Transport* t) { return t->AvailableBitrateBps(); }) {}

Router::~Router() {
  rtcp_timer_.Stop();
  // Subscriptions and tracks point at transports: drop them first.
  table_.Clear();
  peers_.reset();
  transports_.clear();  // WebRTC and internal transports unregister here
  webrtc_.reset();
  internal_.reset();
}

uint32_t Router::NextRandom() {
  // xorshift64*: plenty for SSRCs and port spreading (not for secrets).
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  return static_cast<uint32_t>((rng_ * 0x2545F4914F6CDD1Dull) >> 32);
}

Status Router::CreatePlainTransport(const std::string& id, bool comedia, int* port) {
  if (transports_.count(id)) return Status::Conflict("transportId: already exists: " + id);
  uint32_t rtcp_ssrc = NextRandom() | 1;
  auto t = std::make_unique<transport::PlainTransport>(id, comedia, rtcp_ssrc, this);
  std::string err = t->Open(addon_->env(), loop_, &recv_buffer_, settings_.listen_ip,
                            settings_.port_min, settings_.port_max, NextRandom());
  if (!err.empty()) return Status::Internal("cannot open a UDP port: " + err);
  *port = t->port();
  Adopt(t.get());
  transports_.emplace(id, std::move(t));
  return Status::Ok();
}

Status Router::Connect(const std::string& id, const std::string& ip, int port) {
  auto it = transports_.find(id);
  if (it == transports_.end()) return Status::NotFound("no such transport: " + id);
  transport::PlainTransport* plain = it->second->AsPlain();
  if (plain == nullptr) return Status::Invalid("transportId: not a plain transport: " + id);
  if (!plain->Connect(ip, port)) return Status::Invalid("ip: not an IPv4 address/port: " + ip);
  return Status::Ok();
}

Status Router::CloseTransport(const std::string& id, Removed* removed) {
  auto it = transports_.find(id);
  if (it == transports_.end()) return Status::NotFound("no such transport: " + id);
  transport::Transport* t = it->second.get();
  for (Track* track : table_.TracksFrom(t)) table_.RemoveTrack(track, removed);
  for (Subscription* s : table_.SubscriptionsOn(t)) {
    removed->subscriptions.push_back(s->id());
    table_.RemoveSubscription(s);
  }
  layer_control_.Forget(t);
  t->Close();
  transports_.erase(it);
  return Status::Ok();
}

Status Router::ListenWebRtc(const std::string& ip, int port_min, int port_max, int* port,
                            std::string* fingerprint) {
  if (!webrtc_) webrtc_ = std::make_unique<transport::WebRtcServer>(addon_->env(), loop_, &recv_buffer_);
  std::string err = webrtc_->Listen(ip, port_min, port_max, NextRandom());
  if (!err.empty()) {
    webrtc_.reset();
    return Status::Internal("cannot open the WebRTC port: " + err);
  }
  *port = webrtc_->port();
  *fingerprint = webrtc_->dtls_context()->certificate().sdp_fingerprint();
  return Status::Ok();
}

Status Router::ListenWebRtcTcp(const std::string& ip, int port_min, int port_max, size_t max_connections,
                               uint64_t idle_timeout_ms, int* port) {
  if (!webrtc_ || !webrtc_->listening()) return Status::Internal("the WebRTC port is not open");
  net::TcpServerOptions opts;
  opts.max_connections = max_connections;
  opts.idle_timeout_ms = idle_timeout_ms;
  std::string err = webrtc_->ListenTcp(ip, port_min, port_max, NextRandom(), opts);
  if (!err.empty()) return Status::Internal("cannot open the ICE-TCP port: " + err);
  *port = webrtc_->tcp()->port();
  return Status::Ok();
}

Status Router::ListenInternal(const std::string& ip, int port_min, int port_max, int* port) {
  if (!internal_) internal_ = std::make_unique<transport::InternalServer>(addon_->env(), loop_, &recv_buffer_);
  std::string err = internal_->Listen(ip, port_min, port_max, NextRandom());
  if (!err.empty()) {
    internal_.reset();
    return Status::Internal("cannot open the internal port: " + err);
  }
  *port = internal_->port();
  return Status::Ok();
}

Status Router::InternalPeer(const std::string& ip, int port, std::string* transport_id) {
  if (!internal_ || !internal_->listening()) return Status::Internal("internal port not open");
  sockaddr_in addr{};
  if (port < 1 || port > 65535 || uv_ip4_addr(ip.c_str(), port, &addr) != 0) {
    return Status::Invalid("ip: not an IPv4 address/port: " + ip);
  }
  const std::string id = "internal:" + ip + ":" + std::to_string(port);
  *transport_id = id;
  if (transports_.count(id)) return Status::Ok();
  auto t = std::make_unique<transport::InternalTransport>(id, NextRandom() | 1, this, internal_.get(), addr);
  Adopt(t.get());
  transports_.emplace(id, std::move(t));
  return Status::Ok();
}

Status Router::CreateWebRtcTransport(const std::string& id, const std::string& ufrag,
                                     const std::string& pwd, int64_t consent_timeout_ms) {
  if (!webrtc_ || !webrtc_->listening()) return Status::Internal("WebRTC port not open");
  if (transports_.count(id)) return Status::Conflict("transportId: already exists: " + id);
  if (ufrag.size() < 4 || pwd.size() < 22) return Status::Invalid("ice: ufrag >= 4 and pwd >= 22 characters");
  if (consent_timeout_ms < 1000 || consent_timeout_ms > 30000) {
    return Status::Invalid("consentTimeoutMs: 1000..30000");
  }
  ice::IceLiteConfig ice;
  ice.failed_after_ms = static_cast<uint64_t>(consent_timeout_ms);
  // "Disconnected" is a warning between checks; it must come before failure.
  ice.disconnected_after_ms = std::min<uint64_t>(ice.disconnected_after_ms, ice.failed_after_ms / 2);
  auto t = std::make_unique<transport::WebRtcTransport>(id, NextRandom() | 1, this, webrtc_.get(), ufrag,
                                                        pwd, NowMs(), ice);
  Adopt(t.get());
  transports_.emplace(id, std::move(t));
  return Status::Ok();
}

Status Router::SetWebRtcRemote(const std::string& id, const std::string& ufrag,
                               const std::string& fp_algorithm, const std::string& fp_value,
                               bool dtls_client) {
  auto it = transports_.find(id);
  if (it == transports_.end()) return Status::NotFound("no such transport: " + id);
  transport::WebRtcTransport* t = it->second->AsWebRtc();
  if (t == nullptr) return Status::Invalid("transportId: not a WebRTC transport: " + id);
  std::string error;
  if (!t->SetRemote(ufrag, fp_algorithm, fp_value,
                    dtls_client ? dtls::DtlsRole::kClient : dtls::DtlsRole::kServer, &error)) {
    return Status::Invalid("sdp: " + error);
  }
  return Status::Ok();
}

Status Router::BindTrack(const std::string& track_id, const std::string& mid, const std::string& rid,
                         int mid_ext, int rid_ext, uint32_t ssrc) {
  Track* track = table_.FindTrack(track_id);
  if (track == nullptr) return Status::NotFound("no such track: " + track_id);
  transport::WebRtcTransport* t = track->source ? track->source->AsWebRtc() : nullptr;
  if (t == nullptr) return Status::Invalid("trackId: not published on a WebRTC transport: " + track_id);
  if (mid_ext < 0 || mid_ext > 255 || rid_ext < 0 || rid_ext > 255) return Status::Invalid("ext: bad extension id");
  track->layer_meter.rid = rid;  // a simulcast layer: told when no one reads it
  if (ssrc != 0) {
    t->UnbindTrack(track);
    track->ssrc = ssrc;
    t->BindTrack(ssrc, track);
    if (track->rtx_ssrc != 0) t->BindTrack(track->rtx_ssrc, track);
    return Status::Ok();
  }
  transport::MidBinding b;
  b.track = track;
  b.mid = mid;
  b.rid = rid;
  b.mid_ext = static_cast<uint8_t>(mid_ext);
  b.rid_ext = static_cast<uint8_t>(rid_ext);
  t->UnbindTrack(track);
  t->BindMid(b);
  return Status::Ok();
}

Status Router::SetTransportCc(const std::string& transport_id, int ext_id) {
  auto it = transports_.find(transport_id);
  if (it == transports_.end()) return Status::NotFound("no such transport: " + transport_id);
  transport::WebRtcTransport* t = it->second->AsWebRtc();
  if (t == nullptr) return Status::Invalid("transportId: not a WebRTC transport: " + transport_id);
  if (ext_id < 0 || ext_id > 255) return Status::Invalid("ext: bad extension id");
  t->SetTransportCc(static_cast<uint8_t>(ext_id));
  return Status::Ok();
}

Status Router::Publish(const std::string& transport_id, const std::string& track_id,
                       MediaKind kind, uint32_t ssrc, int payload_type, uint32_t clock_rate,
                       bool nack) {
  auto it = transports_.find(transport_id);
  if (it == transports_.end()) return Status::NotFound("no such transport: " + transport_id);
  if (table_.HasTrack(track_id)) return Status::Conflict("trackId: already exists: " + track_id);
  transport::Transport* t = it->second.get();
  if (ssrc != 0 && t->HasSsrc(ssrc)) return Status::Conflict("ssrc: already published on this transport");
  auto track = std::make_unique<Track>(track_id, kind, clock_rate);
  track->source = t;
  track->ssrc = ssrc;
  track->payload_type = payload_type;
  track->receive = std::make_unique<rtp::ReceiveStats>(clock_rate);
  if (nack && kind == MediaKind::kVideo) track->nack = std::make_unique<rtp::NackGenerator>();
  if (ssrc != 0) t->BindTrack(ssrc, track.get());
  else t->AddPendingTrack(track.get());
  table_.AddTrack(std::move(track));
  EnsureRtcpTimer();
  return Status::Ok();
}

Status Router::SetTrackRtx(const std::string& track_id, uint32_t rtx_ssrc, int rtx_payload_type) {
  Track* track = table_.FindTrack(track_id);
  if (track == nullptr) return Status::NotFound("no such track: " + track_id);
  if (track->source == nullptr) return Status::Invalid("trackId: not published on a local transport: " + track_id);
  if (rtx_ssrc == 0 || rtx_payload_type < 0 || rtx_payload_type > 127 || track->payload_type < 0) {
    return Status::Invalid("rtx: needs an SSRC, a payload type 0..127 and a track with a fixed payload type");
  }
  if (rtx_ssrc == track->ssrc || track->source->HasSsrc(rtx_ssrc)) return Status::Invalid("rtx: SSRC already in use");
  track->rtx_ssrc = rtx_ssrc;
  track->rtx_payload_type = rtx_payload_type;
  track->source->BindTrack(rtx_ssrc, track);
  return Status::Ok();
}

Status Router::Unpublish(const std::string& track_id, Removed* removed) {
  Track* track = table_.FindTrack(track_id);
  if (track == nullptr) return Status::NotFound("no such track: " + track_id);
  table_.RemoveTrack(track, removed);
  return Status::Ok();
}

Status Router::Subscribe(const std::string& transport_id, const std::string& track_id,
                         const std::string& subscription_id, uint32_t out_ssrc,
                         int out_payload_type, uint32_t* chosen_ssrc) {
  auto tit = transports_.find(transport_id);
  if (tit == transports_.end()) return Status::NotFound("no such transport: " + transport_id);
  Track* track = table_.FindTrack(track_id);
  if (track == nullptr) return Status::NotFound("no such track: " + track_id);
  transport::Transport* t = tit->second.get();

  if (Subscription* s = table_.FindSubscription(subscription_id)) {
    // A switch: same subscriber, another source, one continuous stream.
    if (s->transport() != t) return Status::Conflict("subscriptionId: exists on another transport");
    if (s->track() != track || s->layers) {
      table_.MoveSubscription(s, track);
      s->rewriter().Rebase();
      // NACKs for the old source's packets are not answered: the
      // subscriber starts the new one at its key frame.
      if (s->retransmitter) s->retransmitter->OnSwitch();
      AwaitKeyframe(s);
    }
    *chosen_ssrc = s->out_ssrc();
    if (track->kind() == MediaKind::kVideo) AskUpstream(track);
    return Status::Ok();
  }

  if (out_ssrc == 0) {
    do out_ssrc = NextRandom(); while (out_ssrc == 0);
  }
  auto s = std::make_unique<Subscription>(subscription_id, t, track, out_ssrc, out_payload_type,
                                          track->clock_rate());
  if (track->kind() == MediaKind::kVideo && t->KeepsSentPackets()) {
    s->send_buffer = std::make_unique<SendBuffer>(&send_buffer_spares_);
    s->retransmitter = std::make_unique<rtp::Retransmitter>();
  }
  AwaitKeyframe(s.get());
  EnsureRtcpTimer();
  table_.AddSubscription(std::move(s));
  *chosen_ssrc = out_ssrc;
  // A new video subscriber can decode nothing until the next key frame. A
  // WebRTC subscriber still in its handshake asks when it can send
  // (OnSendable): a key frame asked for now would arrive before its keys,
  // and the one-a-second throttle would hold back the next request.
  if (track->kind() == MediaKind::kVideo && (t->AsWebRtc() == nullptr || t->CanSend())) AskUpstream(track);
  return Status::Ok();
}

Status Router::SetSubscriptionRtx(const std::string& subscription_id, uint32_t rtx_ssrc, int rtx_payload_type) {
  Subscription* s = table_.FindSubscription(subscription_id);
  if (s == nullptr) return Status::NotFound("no such subscription: " + subscription_id);
  if (rtx_ssrc == 0 || rtx_ssrc == s->out_ssrc() || rtx_payload_type < 0 || rtx_payload_type > 127) {
    return Status::Invalid("rtx: needs an SSRC other than the media SSRC and a payload type 0..127");
  }
  if (!s->retransmitter) return Status::Invalid("subscriptionId: keeps no sent packets (not video on WebRTC)");
  s->rtx_ssrc = rtx_ssrc;
  s->rtx_payload_type = static_cast<uint8_t>(rtx_payload_type);
  s->rtx_seq = static_cast<uint16_t>(NextRandom());
  return Status::Ok();
}

Status Router::Unsubscribe(const std::string& subscription_id) {
  Subscription* s = table_.FindSubscription(subscription_id);
  if (s == nullptr) return Status::NotFound("no such subscription: " + subscription_id);
  table_.RemoveSubscription(s);
  return Status::Ok();
}

Status Router::SetSubscriptionSlot(const std::string& subscription_id, bool slot) {
  Subscription* s = table_.FindSubscription(subscription_id);
  if (s == nullptr) return Status::NotFound("no such subscription: " + subscription_id);
  s->slot = slot;
  return Status::Ok();
}

Status Router::RequestKeyframe(const std::string& track_id) {
  Track* t = table_.FindTrack(track_id);
  if (t == nullptr) return Status::NotFound("no such track: " + track_id);
  AskUpstream(t);
  return Status::Ok();
}

Status Router::SetTrackPaused(const std::string& track_id, bool paused) {
  Track* t = table_.FindTrack(track_id);
  if (t == nullptr) return Status::NotFound("no such track: " + track_id);
  const bool resumed = t->paused && !paused;
  t->paused = paused;
  if (resumed && t->kind() == MediaKind::kVideo) AskUpstream(t);
  return Status::Ok();
}

Status Router::SetSubscriptionPaused(const std::string& subscription_id, bool paused) {
  Subscription* s = table_.FindSubscription(subscription_id);
  if (s == nullptr) return Status::NotFound("no such subscription: " + subscription_id);
  const bool resumed = s->paused && !paused;
  s->paused = paused;
  if (resumed && s->track()->kind() == MediaKind::kVideo) {
    AwaitKeyframe(s);
    AskUpstream(s->track());
  }
  return Status::Ok();
}

Status Router::SetTrackCodec(const std::string& track_id, const std::string& codec) {
  Track* t = table_.FindTrack(track_id);
  if (t == nullptr) return Status::NotFound("no such track: " + track_id);
  t->codec = rtp::CodecFromName(codec.data(), codec.size());
  return Status::Ok();
}

void Router::AwaitKeyframe(Subscription* s) {
  if (s->layers) {
    // Its selector waits for the key frame (on a layer on the way to its
    // target), and LayerControl asks for it.
    s->layers->Restart();
    return;
  }
  Track* t = s->track();
  if (t->kind() != MediaKind::kVideo || !rtp::IsVideoCodec(t->codec)) return;
  s->keyframe_gate.Start(NowMs());
}

bool Router::InspectVideo(Track* track, const rtp::RtpPacketView& v) {
  if (track->kind() != MediaKind::kVideo || !rtp::IsVideoCodec(track->codec)) return false;
  rtp::PictureSize picture;
  if (!rtp::InspectKeyframe(track->codec, v.payload(), v.payloadSize(), &picture)) return false;
  track->counters.keyframes++;
  if (picture.known() && picture != track->picture) {
    track->picture = picture;
    // The controller is told (OWT's onMediaUpdate) by the node thread,
    // through the WebRTC port's event queue (delivered once this datagram is
    // done). Tracks of other transports keep the size for getStats only.
    transport::WebRtcTransport* w = track->source ? track->source->AsWebRtc() : nullptr;
    if (w != nullptr && webrtc_) {
      webrtc_->Emit(w->id(), "media-update",
                    track->id() + " " + std::to_string(picture.width) + " " + std::to_string(picture.height));
    }
  }
  return true;
}

Status Router::Import(const std::string& track_id, MediaKind kind, uint32_t clock_rate,
                      const std::string& peer, uint32_t link) {
  if (table_.HasTrack(track_id)) return Status::Conflict("trackId: already exists: " + track_id);
  // The peer's number, resolved here once: every record of the ring finds
  // its track by (number, link) without building a key.
  const uint32_t peer_index = peers_->IndexOf(peer);
  if (table_.HasImport(peer_index, link)) return Status::Invalid("link: already imported");
  auto track = std::make_unique<Track>(track_id, kind, clock_rate);
  track->import_peer = peer;
  track->import_peer_index = peer_index;
  track->import_link = link;
  table_.AddImport(std::move(track));
  // Its readers are told to the home thread from the timer (LayerTick).
  EnsureRtcpTimer();
  return Status::Ok();
}

Status Router::Export(const std::string& track_id, const std::string& peer, uint32_t link) {
  Track* t = table_.FindTrack(track_id);
  if (t == nullptr) return Status::NotFound("no such track: " + track_id);
  if (!peers_->HasOutbound(peer)) return Status::Invalid("peer: no ring to " + peer);
  t->exports.push_back({peer, peers_->IndexOf(peer), link});
  return Status::Ok();
}

Status Router::Unexport(const std::string& track_id, const std::string& peer, uint32_t link) {
  Track* t = table_.FindTrack(track_id);
  if (t == nullptr) return Status::NotFound("no such track: " + track_id);
  auto& ex = t->exports;
  ex.erase(std::remove_if(ex.begin(), ex.end(),
                          [&](const TrackExport& e) { return e.peer == peer && e.link == link; }),
           ex.end());
  return Status::Ok();
}

void Router::OnRtp(transport::Transport* /*t*/, Track* track, const rtp::RtpPacketView& packet) {
  const bool rtx = track->rtx_ssrc != 0 && packet.ssrc() == track->rtx_ssrc;
  rtp::RtpPacketView unwrapped(rtx_.data(), 0);
  if (rtx) {
    if (packet.payloadType() != track->rtx_payload_type) {
      track->counters.wrong_payload_type++;
      return;
    }
    const size_t len = rtx_.Unwrap(track, packet);
    if (len == 0) return;
    unwrapped = rtp::RtpPacketView(rtx_.data(), len);
    if (!unwrapped.Parse()) return;
  } else if (track->payload_type >= 0 && packet.payloadType() != track->payload_type) {
    track->counters.wrong_payload_type++;
    return;
  }
  const rtp::RtpPacketView& media = rtx ? unwrapped : packet;
  const uint8_t* pkt = media.data();
  if (track->receive) {
    const uint16_t seq = rtp::LoadU16(pkt + 2);
    // uv_hrtime, not the loop's millisecond clock: at 90 kHz a millisecond
    // is 90 ticks, coarser than the jitter being measured.
    const rtp::ReceiveStats::Arrival arrival =
        track->receive->OnPacket(seq, rtp::LoadU32(pkt + 4), uv_hrtime() / 1000);
    // An RTX copy of a packet we already have (Chromium probes the
    // bandwidth with them, or a repair raced the late original) is of no
    // use downstream. A copy on the media SSRC is forwarded: it may be the
    // repair a subscriber asked for through the source (a stand-in of a
    // track on another agent receives exactly those).
    if (arrival == rtp::ReceiveStats::Arrival::kDuplicate && rtx) {
      track->counters.rtx_duplicates++;
      return;
    }
    if (track->nack) {
      nack_seqs_.clear();
      const bool keyframe = track->nack->OnPacket(seq, NowMs(), &nack_seqs_);
      if (!nack_seqs_.empty()) upstream_.Nack(track, nack_seqs_);
      if (keyframe) AskUpstream(track);
    }
  }
  // HOOK(speakers): an audio track's level (RFC 6464 extension) is read
  // here, once per packet received, before the fan-out.
  // A retransmission (same SSRC, or unwrapped RTX) is forwarded like any
  // packet: it fills the subscribers' gaps too, and each rewriter keeps it
  // in its place in the numbering.
  Forward(track, media);
}

void Router::Forward(Track* track, const rtp::RtpPacketView& view, bool linked_silent) {
  track->counters.packets++;
  track->counters.bytes += view.size();
  if (track->paused) {
    track->counters.paused_drops++;
    return;
  }
  // RFC 6464: one extension element read when the track's level is metered
  // (on its home thread; the silence travels with the ring record, so a
  // room spilled over threads drops silence on every one of them).
  const bool silent = track->audio_level ? track->audio_level->OnPacket(view) : linked_silent;
  // Other threads first: the ring push is a copy, the local sends are
  // syscalls, and the far thread can start its own sends meanwhile.
  for (const TrackExport& e : track->exports) peers_->SendRtp(e.peer_index, e.link, view.data(), view.size(), silent);
  // One parse (by the transport, or of the ring record) for every
  // subscriber: rewriting changes no sizes.
  const bool key = InspectVideo(track, view);
  if (track->subscribers.empty()) return;
  const uint64_t now = NowMs();
  const bool waiting = fanout_.Forward(track, view, key, silent, now);
  // Keep asking, once a second, while anyone waits: the first request (or
  // the key frame it brought) may have been lost.
  if (waiting && now - track->wait_ask_ms >= 1000) {
    track->wait_ask_ms = now;
    AskUpstream(track);
  }
}

void Router::OnSendable(transport::Transport* t) {
  // Once per transport, when its handshake ends: a walk over the thread's
  // subscriptions is fine.
  const uint64_t now = NowMs();
  for (Subscription* s : table_.SubscriptionsOn(t)) {
    if (!s->keyframe_gate.waiting() || s->paused) continue;
    s->keyframe_gate.Rearm(now);  // the wait for a decodable start begins now
    AskUpstream(s->track());
  }
}

void Router::OnKeyframeRequest(transport::Transport* /*t*/, Subscription* sub) {
  sub->counters.keyframe_requests++;
  AskUpstream(sub->track());
}

void Router::OnNack(transport::Transport* t, Subscription* sub, const std::vector<uint16_t>& seqs) {
  const int64_t rtt = sub->remote.rtt_ms >= 0 ? sub->remote.rtt_ms : t->rtt_ms();
  responder_.OnNack(sub, seqs, NowMs(), rtt, &missed_seqs_);
  if (!missed_seqs_.empty()) upstream_.NackThrough(sub->track(), sub, missed_seqs_);
}

void Router::RelayKeyframeRequest(const Track& imported) {
  peers_->SendKeyframeRequest(imported.import_peer_index, imported.import_link);
}

void Router::OnSenderReport(transport::Transport* /*t*/, Track* track, const rtp::SenderInfo& info) {
  // An SR on the RTX SSRC says nothing about the media stream's timing.
  if (track->receive && info.ssrc == track->ssrc) {
    track->receive->OnSenderReport(info.ntp_timestamp, info.rtp_timestamp, NowMs());
    for (const TrackExport& e : track->exports) {
      peers_->SendSenderClock(e.peer_index, e.link, info.ntp_timestamp, info.rtp_timestamp);
    }
  }
}

void Router::OnReportBlock(transport::Transport* t, Subscription* sub, const rtp::ReportBlock& block) {
  RemoteReport& r = sub->remote;
  r.reports++;
  r.fraction_lost = block.fraction_lost;
  r.packets_lost = block.cumulative_lost;
  r.jitter = block.jitter;
  const int64_t rtt = rtp::RoundTripMs(rtp::NtpFromUnixMicros(WallMicros()), block.last_sr,
                                       block.delay_since_last_sr);
  if (rtt >= 0) {
    r.rtt_ms = rtt;
    t->set_rtt_ms(rtt);
  }
}

uint64_t Router::WallMicros() {
  // The NTP times in our SRs and the RTT arithmetic on the RRs that echo
  // them must come from the same clock: the wall clock, as RFC 3550 wants.
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

void Router::EnsureRtcpTimer() {
  if (rtcp_timer_.running()) return;
  // Started with the first track or subscription, never on an idle thread.
  // A failure to start only costs the reports; media still flows.
  rtcp_timer_.Start(addon_->env(), loop_, kRtcpTickMs, &Router::OnRtcpTimer, this);
  rtcp_.Start(NowMs());
}

void Router::OnRtcpTimer(void* self) { static_cast<Router*>(self)->RtcpTick(); }

void Router::RtcpTick() {
  const uint64_t now = NowMs();
  for (const auto& [id, track] : table_.tracks()) {
    if (!track->nack || track->source == nullptr) continue;
    nack_seqs_.clear();
    track->nack->OnTick(now, track->source->rtt_ms(), &nack_seqs_);
    if (!nack_seqs_.empty()) upstream_.Nack(track.get(), nack_seqs_);
  }
  // Transport-wide feedback, each transport at its own interval, and the
  // padding of the probes its send-side estimator asks for.
  for (auto& [id, t] : transports_) {
    if (transport::WebRtcTransport* w = t->AsWebRtc()) {
      w->SendTransportFeedback(now);
      w->SendProbes(now);
    }
  }
  if (rtcp_.ReportDue(now)) rtcp_.SendReports(table_, now, WallMicros());
  LayerTick(now);
  // Sending packets ages a send buffer out (SendBuffer::Commit); this frees
  // what a paused or idle subscription still holds, a few times a second.
  if (now - send_buffers_expired_ms_ >= kSendBufferSweepMs) {
    send_buffers_expired_ms_ = now;
    for (const auto& [id, s] : table_.subscriptions()) {
      if (s->send_buffer) s->send_buffer->Expire(now);
    }
  }
}

void Router::OnLinkedRtp(uint32_t peer_index, uint32_t link, const uint8_t* pkt, size_t len, bool silent) {
  Track* track = table_.FindImport(peer_index, link);
  if (track == nullptr || len > transport::Transport::kMaxPacket) return;
  rtp::RtpPacketView view(pkt, len);
  if (!view.Parse()) return;
  Forward(track, view, silent);
}

void Router::OnLinkedSenderClock(uint32_t peer_index, uint32_t link, uint64_t /*ntp*/,
                                  uint32_t rtp_timestamp) {
  Track* t = table_.FindImport(peer_index, link);
  if (t == nullptr) return;
  // The ring delivers it within microseconds of the SR's arrival on the
  // publisher's thread, so "now" here stands for that arrival.
  t->has_relayed_sr = true;
  t->relayed_sr_rtp = rtp_timestamp;
  t->relayed_sr_ms = NowMs();
  t->relayed_srs++;
}

void Router::OnLinkedReaders(uint32_t peer_index, uint32_t link, bool read) {
  // Rare (a change of a stand-in's readers): a walk is fine.
  for (const auto& [id, track] : table_.tracks()) {
    for (TrackExport& e : track->exports) {
      if (e.peer_index == peer_index && e.link == link) {
        e.read = read;
        return;
      }
    }
  }
}

void Router::OnLinkedKeyframeRequest(uint32_t peer_index, uint32_t link) {
  // Rare (merged per track on the far side): a walk is fine.
  for (const auto& [id, track] : table_.tracks()) {
    for (const TrackExport& e : track->exports) {
      if (e.peer_index == peer_index && e.link == link) {
        AskUpstream(track.get());
        return;
      }
    }
  }
}

}  // namespace router
}  // namespace webrtc_agent
