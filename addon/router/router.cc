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

// How long a new video subscriber waits for a key frame before it is sent
// whatever comes. Key-frame requests go out meanwhile (merged to one per
// second), so a live publisher answers well within this; the bound is for
// one that never does (a plain-RTP source that ignores PLI, or a stream the
// detector does not understand), which must not stay black for good.
constexpr uint64_t kKeyframeWaitMs = 3000;

std::string LinkKey(const std::string& peer, uint32_t link) {
  return peer + "#" + std::to_string(link);
}

// The RTP payload of a packet the transport has already parsed (so its
// header fields are known to fit): what an SR's octet count counts.
// Bits per second since the previous sample. The first sample of a track
// or subscription only starts the interval: its age is unknown.
void SampleBitrate(uint64_t bytes, uint64_t now_ms, uint64_t* last_bytes, uint64_t* last_ms,
                   uint64_t* bps) {
  if (*last_ms != 0 && now_ms > *last_ms) *bps = (bytes - *last_bytes) * 8000 / (now_ms - *last_ms);
  *last_bytes = bytes;
  *last_ms = now_ms;
}

static_assert(SendBuffer::kSlots == rtp::Retransmitter::kSlots,
              "the Retransmitter's slots mirror the send buffer's");

// Most sequence numbers one NACK message carries; a longer list goes out
// as several compounds, each well under a path MTU.
constexpr size_t kNackChunk = 128;

}  // namespace

Router::Router(AgentAddon* addon)
    : addon_(addon), loop_(addon->loop()), peers_(std::make_unique<PeerLinks>(addon, this)) {
  // Seeds SSRCs and port choice; distinct per thread and per start.
  rng_ = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
         reinterpret_cast<uintptr_t>(this);
  if (rng_ == 0) rng_ = 0x9e3779b97f4a7c15ull;
}

Router::~Router() {
  rtcp_timer_.Stop();
  // Subscriptions and tracks point at transports: drop them first.
  subscriptions_.clear();
  tracks_.clear();
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
  std::vector<Track*> tracks;
  for (auto& [tid, track] : tracks_) if (track->source == t) tracks.push_back(track.get());
  for (Track* track : tracks) DropTrack(track, removed);
  std::vector<Subscription*> subs;
  for (auto& [sid, s] : subscriptions_) if (s->transport() == t) subs.push_back(s.get());
  for (Subscription* s : subs) {
    removed->subscriptions.push_back(s->id());
    DropSubscription(s);
  }
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
  transports_.emplace(id, std::make_unique<transport::InternalTransport>(id, NextRandom() | 1, this,
                                                                         internal_.get(), addr));
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
  auto it = tracks_.find(track_id);
  if (it == tracks_.end()) return Status::NotFound("no such track: " + track_id);
  Track* track = it->second.get();
  transport::WebRtcTransport* t = track->source ? track->source->AsWebRtc() : nullptr;
  if (t == nullptr) return Status::Invalid("trackId: not published on a WebRTC transport: " + track_id);
  if (mid_ext < 0 || mid_ext > 255 || rid_ext < 0 || rid_ext > 255) return Status::Invalid("ext: bad extension id");
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
  if (tracks_.count(track_id)) return Status::Conflict("trackId: already exists: " + track_id);
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
  tracks_.emplace(track_id, std::move(track));
  EnsureRtcpTimer();
  return Status::Ok();
}

Status Router::SetTrackRtx(const std::string& track_id, uint32_t rtx_ssrc, int rtx_payload_type) {
  auto it = tracks_.find(track_id);
  if (it == tracks_.end()) return Status::NotFound("no such track: " + track_id);
  Track* track = it->second.get();
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
  auto it = tracks_.find(track_id);
  if (it == tracks_.end()) return Status::NotFound("no such track: " + track_id);
  DropTrack(it->second.get(), removed);
  return Status::Ok();
}

void Router::DropTrack(Track* t, Removed* removed) {
  for (Subscription* s : std::vector<Subscription*>(t->subscribers)) {
    if (s->slot) {
      // A slot outlives its source: parked until it is switched again.
      Track* idle = t->kind() == MediaKind::kAudio ? &idle_audio_ : &idle_video_;
      s->set_track(idle);
      idle->subscribers.push_back(s);
      s->rewriter().Rebase();
      if (s->retransmitter) s->retransmitter->OnSwitch();
      continue;
    }
    if (removed) removed->subscriptions.push_back(s->id());
    DropSubscription(s);
  }
  if (t->source != nullptr) t->source->UnbindTrack(t);
  if (!t->import_peer.empty()) imports_.erase(LinkKey(t->import_peer, t->import_link));
  if (removed) removed->tracks.push_back(t->id());
  const std::string id = t->id();  // a copy: erase destroys the track
  tracks_.erase(id);
}

Status Router::Subscribe(const std::string& transport_id, const std::string& track_id,
                         const std::string& subscription_id, uint32_t out_ssrc,
                         int out_payload_type, uint32_t* chosen_ssrc) {
  auto tit = transports_.find(transport_id);
  if (tit == transports_.end()) return Status::NotFound("no such transport: " + transport_id);
  auto kit = tracks_.find(track_id);
  if (kit == tracks_.end()) return Status::NotFound("no such track: " + track_id);
  transport::Transport* t = tit->second.get();
  Track* track = kit->second.get();

  auto sit = subscriptions_.find(subscription_id);
  if (sit != subscriptions_.end()) {
    // A switch: same subscriber, another source, one continuous stream.
    Subscription* s = sit->second.get();
    if (s->transport() != t) return Status::Conflict("subscriptionId: exists on another transport");
    if (s->track() != track) {
      auto& old = s->track()->subscribers;
      old.erase(std::remove(old.begin(), old.end(), s), old.end());
      s->set_track(track);
      track->subscribers.push_back(s);
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
    s->send_buffer = std::make_unique<SendBuffer>();
    s->retransmitter = std::make_unique<rtp::Retransmitter>();
  }
  AwaitKeyframe(s.get());
  EnsureRtcpTimer();
  t->AddSubscription(out_ssrc, s.get());
  track->subscribers.push_back(s.get());
  *chosen_ssrc = out_ssrc;
  subscriptions_.emplace(subscription_id, std::move(s));
  // A new video subscriber can decode nothing until the next key frame. A
  // WebRTC subscriber still in its handshake asks when it can send
  // (OnSendable): a key frame asked for now would arrive before its keys,
  // and the one-a-second throttle would hold back the next request.
  if (track->kind() == MediaKind::kVideo && (t->AsWebRtc() == nullptr || t->CanSend())) AskUpstream(track);
  return Status::Ok();
}

Status Router::SetSubscriptionRtx(const std::string& subscription_id, uint32_t rtx_ssrc, int rtx_payload_type) {
  auto it = subscriptions_.find(subscription_id);
  if (it == subscriptions_.end()) return Status::NotFound("no such subscription: " + subscription_id);
  Subscription* s = it->second.get();
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
  auto it = subscriptions_.find(subscription_id);
  if (it == subscriptions_.end()) return Status::NotFound("no such subscription: " + subscription_id);
  DropSubscription(it->second.get());
  return Status::Ok();
}

void Router::DropSubscription(Subscription* s) {
  auto& subs = s->track()->subscribers;
  subs.erase(std::remove(subs.begin(), subs.end(), s), subs.end());
  s->transport()->RemoveSubscription(s->out_ssrc());
  const std::string id = s->id();  // a copy: erase destroys the subscription
  subscriptions_.erase(id);
}

Status Router::SetSubscriptionSlot(const std::string& subscription_id, bool slot) {
  auto it = subscriptions_.find(subscription_id);
  if (it == subscriptions_.end()) return Status::NotFound("no such subscription: " + subscription_id);
  it->second->slot = slot;
  return Status::Ok();
}

Status Router::RequestKeyframe(const std::string& track_id) {
  auto it = tracks_.find(track_id);
  if (it == tracks_.end()) return Status::NotFound("no such track: " + track_id);
  AskUpstream(it->second.get());
  return Status::Ok();
}

Status Router::SetTrackPaused(const std::string& track_id, bool paused) {
  auto it = tracks_.find(track_id);
  if (it == tracks_.end()) return Status::NotFound("no such track: " + track_id);
  Track* t = it->second.get();
  const bool resumed = t->paused && !paused;
  t->paused = paused;
  if (resumed && t->kind() == MediaKind::kVideo) AskUpstream(t);
  return Status::Ok();
}

Status Router::SetSubscriptionPaused(const std::string& subscription_id, bool paused) {
  auto it = subscriptions_.find(subscription_id);
  if (it == subscriptions_.end()) return Status::NotFound("no such subscription: " + subscription_id);
  Subscription* s = it->second.get();
  const bool resumed = s->paused && !paused;
  s->paused = paused;
  if (resumed && s->track()->kind() == MediaKind::kVideo) {
    AwaitKeyframe(s);
    AskUpstream(s->track());
  }
  return Status::Ok();
}

Status Router::SetTrackCodec(const std::string& track_id, const std::string& codec) {
  auto it = tracks_.find(track_id);
  if (it == tracks_.end()) return Status::NotFound("no such track: " + track_id);
  it->second->codec = rtp::CodecFromName(codec.data(), codec.size());
  return Status::Ok();
}

void Router::AwaitKeyframe(Subscription* s) {
  Track* t = s->track();
  if (t->kind() != MediaKind::kVideo || !rtp::IsVideoCodec(t->codec)) return;
  s->waiting_keyframe = true;
  s->waiting_since_ms = NowMs();
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
  if (tracks_.count(track_id)) return Status::Conflict("trackId: already exists: " + track_id);
  const std::string key = LinkKey(peer, link);
  if (imports_.count(key)) return Status::Invalid("link: already imported");
  auto track = std::make_unique<Track>(track_id, kind, clock_rate);
  track->import_peer = peer;
  track->import_link = link;
  imports_[key] = track.get();
  tracks_.emplace(track_id, std::move(track));
  return Status::Ok();
}

Status Router::Export(const std::string& track_id, const std::string& peer, uint32_t link) {
  auto it = tracks_.find(track_id);
  if (it == tracks_.end()) return Status::NotFound("no such track: " + track_id);
  if (!peers_->HasOutbound(peer)) return Status::Invalid("peer: no ring to " + peer);
  it->second->exports.push_back({peer, link});
  return Status::Ok();
}

Status Router::Unexport(const std::string& track_id, const std::string& peer, uint32_t link) {
  auto it = tracks_.find(track_id);
  if (it == tracks_.end()) return Status::NotFound("no such track: " + track_id);
  auto& ex = it->second->exports;
  ex.erase(std::remove_if(ex.begin(), ex.end(),
                          [&](const TrackExport& e) { return e.peer == peer && e.link == link; }),
           ex.end());
  return Status::Ok();
}

void Router::OnRtp(transport::Transport* /*t*/, Track* track, const rtp::RtpPacketView& packet) {
  const bool rtx = track->rtx_ssrc != 0 && packet.ssrc() == track->rtx_ssrc;
  rtp::RtpPacketView unwrapped(rtx_scratch_.data(), 0);
  if (rtx) {
    if (packet.payloadType() != track->rtx_payload_type) {
      track->counters.wrong_payload_type++;
      return;
    }
    const size_t len = UnwrapRtx(track, packet);
    if (len == 0) return;
    unwrapped = rtp::RtpPacketView(rtx_scratch_.data(), len);
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
      if (!nack_seqs_.empty()) SendNack(track, nack_seqs_);
      if (keyframe) AskUpstream(track);
    }
  }
  // A retransmission (same SSRC, or unwrapped RTX) is forwarded like any
  // packet: it fills the subscribers' gaps too, and each rewriter keeps it
  // in its place in the numbering.
  Fanout(track, media);
}

bool Router::TestLoseArrival() {
  return test_receive_loss_per_mille_ != 0 && NextRandom() % 1000 < test_receive_loss_per_mille_;
}

size_t Router::UnwrapRtx(Track* track, const rtp::RtpPacketView& view) {
  const uint8_t* pkt = view.data();
  // RFC 4588 §4: the payload starts with the original sequence number. An
  // RTX packet with nothing after it is padding the sender uses to probe
  // the bandwidth: it carries no media.
  if (view.payloadSize() < 2) {
    track->counters.rtx_padding++;
    return 0;
  }
  const size_t header = view.headerSize();
  const size_t payload = view.payloadSize() - 2;
  uint8_t* out = rtx_scratch_.data();
  std::memcpy(out, pkt, header);
  std::memcpy(out + header, view.payload() + 2, payload);
  out[0] &= static_cast<uint8_t>(~0x20);  // the RTX packet's padding is not the original's
  out[1] = static_cast<uint8_t>((out[1] & 0x80) | (track->payload_type & 0x7f));
  rtp::StoreU16(out + 2, rtp::LoadU16(view.payload()));
  rtp::StoreU32(out + 8, track->ssrc);
  track->counters.rtx_packets++;
  return header + payload;
}

void Router::Fanout(Track* track, const rtp::RtpPacketView& view) {
  const uint8_t* pkt = view.data();
  const size_t len = view.size();
  track->counters.packets++;
  track->counters.bytes += len;
  if (track->paused) {
    track->counters.paused_drops++;
    return;
  }
  // Other threads first: the ring push is a copy, the local sends are
  // syscalls, and the far thread can start its own sends meanwhile.
  for (const TrackExport& e : track->exports) peers_->SendRtp(e.peer, e.link, pkt, len);
  // One parse (by the transport, or of the ring record) for every
  // subscriber: rewriting changes no sizes.
  const bool key = InspectVideo(track, view);
  // RFC 6464: one extension element read when the track's level is metered.
  const bool silent = track->audio_level && track->audio_level->OnPacket(view);
  if (track->subscribers.empty()) return;
  const uint64_t now = NowMs();
  bool waiting = false;
  for (Subscription* s : track->subscribers) {
    if (s->paused) continue;
    if (silent && s->drop_silence) {
      s->counters.silence_dropped++;
      // What follows continues the numbering, later in time.
      if (s->rewriter().started()) s->rewriter().Rebase();
      continue;
    }
    if (s->waiting_keyframe) {
      if (key && !s->transport()->CanSend()) {
        // A key frame the subscriber would not get (no keys or no remote
        // yet) does not end the wait: the one it can decode comes later.
        s->counters.dropped++;
        continue;
      }
      if (key) {
        s->waiting_keyframe = false;
      } else if (now - s->waiting_since_ms >= kKeyframeWaitMs) {
        s->waiting_keyframe = false;
        s->counters.keyframe_wait_timeouts++;
      } else {
        s->counters.keyframe_wait_drops++;
        // A subscriber still in its handshake asks when it can send
        // (OnSendable); asking for it now would spend the track's
        // one-a-second request on a key frame it cannot get.
        if (s->transport()->CanSend()) waiting = true;
        continue;
      }
    }
    std::memcpy(scratch_.data(), pkt, len);
    s->rewriter().Rewrite(scratch_.data(), len, now);
    if (s->send_buffer) {
      const uint16_t seq = rtp::LoadU16(scratch_.data() + 2);
      s->send_buffer->Store(seq, scratch_.data(), len);
      s->retransmitter->OnSent(seq, len);
    }
    if (test_loss_per_mille_ != 0 && NextRandom() % 1000 < test_loss_per_mille_) {
      s->counters.test_dropped++;
      continue;
    }
    if (s->transport()->SendRtp(scratch_.data(), len)) {
      s->counters.packets++;
      s->counters.bytes += len;
      s->counters.payload_bytes += view.payloadSize();
    } else {
      s->counters.dropped++;
    }
  }
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
  for (auto& [id, s] : subscriptions_) {
    if (s->transport() != t || !s->waiting_keyframe || s->paused) continue;
    s->waiting_since_ms = now;  // the wait for a decodable start begins now
    AskUpstream(s->track());
  }
}

void Router::OnKeyframeRequest(transport::Transport* /*t*/, Subscription* sub) {
  sub->counters.keyframe_requests++;
  AskUpstream(sub->track());
}

void Router::OnNack(transport::Transport* t, Subscription* sub, const std::vector<uint16_t>& seqs) {
  if (!sub->retransmitter) {
    sub->counters.nack_packets += seqs.size();
    sub->counters.nack_missed += seqs.size();
    NackUpstream(sub->track(), sub, seqs);
    return;
  }
  // The Retransmitter decides (once per RTT, a few times in all, within a
  // budget; repeats, misses and pre-switch numbers refused and counted).
  const int64_t rtt = sub->remote.rtt_ms >= 0 ? sub->remote.rtt_ms : t->rtt_ms();
  resend_seqs_.clear();
  missed_seqs_.clear();
  sub->retransmitter->OnNack(seqs.data(), seqs.size(), NowMs(), rtt, &resend_seqs_, &missed_seqs_);
  for (uint16_t seq : resend_seqs_) {
    const std::vector<uint8_t>* pkt = sub->send_buffer->Find(seq);
    if (pkt == nullptr) continue;  // cannot happen: both rings hold the same numbers
    if (sub->rtx_ssrc == 0) {
      // Same SSRC and sequence number: the receiver's jitter buffer takes
      // it as the lost packet.
      if (t->SendRtp(pkt->data(), pkt->size())) sub->counters.retransmitted++;
      continue;
    }
    const size_t n = rtp::Retransmitter::WrapRtx(pkt->data(), pkt->size(), sub->rtx_payload_type, sub->rtx_seq,
                                                 sub->rtx_ssrc, rtx_scratch_.data(), rtx_scratch_.size());
    if (n == 0) continue;
    sub->rtx_seq++;
    if (t->SendRtp(rtx_scratch_.data(), n)) {
      sub->counters.retransmitted++;
      sub->counters.rtx_sent++;
    }
  }
  if (!missed_seqs_.empty()) NackUpstream(sub->track(), sub, missed_seqs_);
}

void Router::NackUpstream(Track* track, Subscription* sub, const std::vector<uint16_t>& missed) {
  // Only a stand-in for a track on another agent asks further up: what this
  // thread never received was lost on the internal link, and the owner's
  // export keeps a send buffer to answer exactly that. A local publisher is
  // not asked (plain RTP senders do not answer NACKs; WebRTC ones get RTX,
  // which subscribers are not offered).
  transport::Transport* src = track->source;
  if (src == nullptr || src->AsInternal() == nullptr || track->ssrc == 0) return;
  std::vector<uint16_t> up;
  up.reserve(missed.size());
  for (uint16_t seq : missed) up.push_back(sub->rewriter().SourceSeq(seq));
  uint8_t nack[1200];
  const size_t n = rtp::BuildNack(nack, sizeof(nack), src->rtcp_ssrc(), track->ssrc, up.data(), up.size());
  if (n > 0) src->SendRtcp(nack, n);
}

void Router::AskUpstream(Track* track) {
  if (!track->keyframes.Allow(NowMs())) return;
  if (!track->import_peer.empty()) {
    peers_->SendKeyframeRequest(track->import_peer, track->import_link);
    return;
  }
  transport::Transport* src = track->source;
  if (src == nullptr || track->ssrc == 0) return;
  // A compound starts with a report (RFC 3550 §6.1); an empty RR is the
  // smallest one, and a receiver-only endpoint has nothing else to say.
  uint8_t buf[24];
  size_t n = rtp::BuildRr(buf, sizeof(buf), src->rtcp_ssrc(), nullptr, 0);
  n += rtp::BuildPli(buf + n, sizeof(buf) - n, src->rtcp_ssrc(), track->ssrc);
  src->SendRtcp(buf, n);
}

void Router::SendNack(Track* track, const std::vector<uint16_t>& seqs) {
  transport::Transport* src = track->source;
  if (src == nullptr || track->ssrc == 0) return;
  for (size_t i = 0; i < seqs.size(); i += kNackChunk) {
    const size_t count = std::min(kNackChunk, seqs.size() - i);
    size_t n = rtp::BuildRr(rtcp_buf_.data(), rtcp_buf_.size(), src->rtcp_ssrc(), nullptr, 0);
    const size_t m = rtp::BuildNack(rtcp_buf_.data() + n, rtcp_buf_.size() - n, src->rtcp_ssrc(), track->ssrc,
                                    seqs.data() + i, count);
    if (m == 0) return;
    if (src->SendRtcp(rtcp_buf_.data(), n + m)) track->counters.nacks_sent++;
  }
}

void Router::OnSenderReport(transport::Transport* /*t*/, Track* track, const rtp::SenderInfo& info) {
  // An SR on the RTX SSRC says nothing about the media stream's timing.
  if (track->receive && info.ssrc == track->ssrc) {
    track->receive->OnSenderReport(info.ntp_timestamp, info.rtp_timestamp, NowMs());
    for (const TrackExport& e : track->exports) {
      peers_->SendSenderClock(e.peer, e.link, info.ntp_timestamp, info.rtp_timestamp);
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
  last_report_ms_ = NowMs();
}

void Router::OnRtcpTimer(void* self) { static_cast<Router*>(self)->RtcpTick(); }

void Router::RtcpTick() {
  const uint64_t now = NowMs();
  for (auto& [id, track] : tracks_) {
    if (!track->nack || track->source == nullptr) continue;
    nack_seqs_.clear();
    track->nack->OnTick(now, track->source->rtt_ms(), &nack_seqs_);
    if (!nack_seqs_.empty()) SendNack(track.get(), nack_seqs_);
  }
  // Transport-wide feedback, each transport at its own interval.
  for (auto& [id, t] : transports_) {
    if (transport::WebRtcTransport* w = t->AsWebRtc()) w->SendTransportFeedback(now);
  }
  if (now - last_report_ms_ < kReportIntervalMs) return;
  last_report_ms_ = now;
  SendReports(now);
}

void Router::SendReports(uint64_t now_ms) {
  // Receiver Reports: per publishing transport, a block per track that has
  // received anything.
  std::unordered_map<transport::Transport*, std::vector<rtp::ReportBlock>> blocks;
  for (auto& [id, track] : tracks_) {
    Track* t = track.get();
    SampleBitrate(t->counters.bytes, now_ms, &t->counters.bitrate_bytes, &t->counters.bitrate_ms,
                  &t->counters.bitrate_bps);
    rtp::ReportBlock b;
    if (t->receive && t->source && t->ssrc != 0 && t->receive->FillReportBlock(t->ssrc, now_ms, &b)) {
      blocks[t->source].push_back(b);
      t->counters.rrs_sent++;
    }
  }
  for (auto& [src, list] : blocks) {
    if (!src->CanSend()) continue;
    // 31 blocks make a 752-byte RR: one RR per compound keeps every
    // compound within a path MTU.
    for (size_t i = 0; i < list.size(); i += rtp::kMaxRtcpCount) {
      const size_t count = std::min(rtp::kMaxRtcpCount, list.size() - i);
      const size_t n = rtp::BuildRr(rtcp_buf_.data(), rtcp_buf_.size(), src->rtcp_ssrc(), list.data() + i, count);
      if (n > 0) src->SendRtcp(rtcp_buf_.data(), n);
    }
  }
  // Sender Reports: one per subscription that has sent something.
  const uint64_t wall_us = WallMicros();
  for (auto& [id, sub] : subscriptions_) {
    Subscription* s = sub.get();
    SampleBitrate(s->counters.bytes, now_ms, &s->counters.bitrate_bytes, &s->counters.bitrate_ms,
                  &s->counters.bitrate_bps);
    if (s->counters.packets > 0 && s->rewriter().started() && s->transport()->CanSend()) {
      SendSenderReport(s, now_ms, wall_us);
    }
  }
}

void Router::SendSenderReport(Subscription* s, uint64_t now_ms, uint64_t wall_us) {
  RtpRewriter& rw = s->rewriter();
  const Track* track = s->track();
  const uint64_t clock = track->clock_rate() != 0 ? track->clock_rate() : rw.clock_rate();
  // The RTP time that goes with "now", in the subscriber's timestamp space.
  // Best: from the publisher's own SR (its capture clock, so audio and video
  // of one publisher stay in sync at the receiver), moved on by the time
  // since it arrived and shifted by this subscription's timestamp offset.
  // Otherwise: the newest packet sent, moved on by the time since.
  uint32_t rtp_ts;
  const rtp::ReceiveStats* rs = track->receive.get();
  if (rs != nullptr && rs->has_sender_report() && rw.source_ssrc() == track->ssrc) {
    const uint64_t since = now_ms - rs->sr_arrival_ms();
    rtp_ts = rs->sr_rtp_timestamp() + static_cast<uint32_t>(since * clock / 1000) + rw.ts_delta();
  } else if (track->has_relayed_sr && rw.started()) {
    // An imported track: one source behind the link, whose packets keep
    // their timestamps through the ring.
    const uint64_t since = now_ms - track->relayed_sr_ms;
    rtp_ts = track->relayed_sr_rtp + static_cast<uint32_t>(since * clock / 1000) + rw.ts_delta();
  } else {
    const uint64_t since = now_ms > rw.last_ms() ? now_ms - rw.last_ms() : 0;
    rtp_ts = rw.last_timestamp() + static_cast<uint32_t>(since * clock / 1000);
  }
  rtp::SenderInfo info;
  info.ssrc = s->out_ssrc();
  info.ntp_timestamp = rtp::NtpFromUnixMicros(wall_us);
  info.rtp_timestamp = rtp_ts;
  // Both counts wrap at 2^32 (RFC 3550 §6.4.1).
  info.packet_count = static_cast<uint32_t>(s->counters.packets);
  info.octet_count = static_cast<uint32_t>(s->counters.payload_bytes);
  const size_t n = rtp::BuildSr(rtcp_buf_.data(), rtcp_buf_.size(), info, nullptr, 0);
  if (n > 0 && s->transport()->SendRtcp(rtcp_buf_.data(), n)) s->counters.srs_sent++;
}

void Router::OnLinkedRtp(const std::string& peer, uint32_t link, const uint8_t* pkt, size_t len) {
  auto it = imports_.find(LinkKey(peer, link));
  if (it == imports_.end() || len > scratch_.size()) return;
  rtp::RtpPacketView view(pkt, len);
  if (!view.Parse()) return;
  Fanout(it->second, view);
}

void Router::OnLinkedSenderClock(const std::string& peer, uint32_t link, uint64_t /*ntp*/,
                                  uint32_t rtp_timestamp) {
  auto it = imports_.find(LinkKey(peer, link));
  if (it == imports_.end()) return;
  // The ring delivers it within microseconds of the SR's arrival on the
  // publisher's thread, so "now" here stands for that arrival.
  Track* t = it->second;
  t->has_relayed_sr = true;
  t->relayed_sr_rtp = rtp_timestamp;
  t->relayed_sr_ms = NowMs();
  t->relayed_srs++;
}

void Router::OnLinkedKeyframeRequest(const std::string& peer, uint32_t link) {
  for (auto& [id, track] : tracks_) {
    for (const TrackExport& e : track->exports) {
      if (e.peer == peer && e.link == link) {
        AskUpstream(track.get());
        return;
      }
    }
  }
}

}  // namespace router
}  // namespace webrtc_agent
