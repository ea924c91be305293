// Router: the media plane of one node thread. It owns the thread's
// transports and its TrackTable (tracks and subscriptions), and forwards
// every packet of a track to the rings that lead to other node threads and,
// through Fanout, to its subscribers (each with its own SSRC and
// numbering). Key-frame requests and NACKs travel the other way
// (UpstreamFeedback), subscribers' NACKs are answered by the
// RetransmissionResponder, periodic RTCP comes from the RtcpScheduler.
// The Router is the I/O shell around those parts: it owns the loop timer,
// the clocks and the rings, and wires the parts together.
//
// Where the downlink work plugs in (issue 9): a per-transport bandwidth
// estimator beside each WebRTC transport (fed by its sends and feedback),
// an allocator per transport that reads it and sets each subscription's
// target, and a layer selector per subscription consulted in Fanout's loop
// (HOOK(layers) in fanout.cc). Audio levels / speaker detection: OnRtp,
// before the fan-out of an audio track (HOOK(speakers) in router.cc).
//
// Close cascade: closing a transport unpublishes its tracks (which ends
// their subscriptions, here and, through the JS side, on other threads) and
// ends its own subscriptions. Unpublishing a track ends its subscriptions.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_ROUTER_H_
#define WEBRTC_AGENT_ADDON_ROUTER_ROUTER_H_

#include <uv.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "loop/timer.h"
#include "net/udp_socket.h"
#include "router/fanout.h"
#include "router/layer_control.h"
#include "router/repair_budget.h"
#include "router/retransmission_responder.h"
#include "router/rtcp_scheduler.h"
#include "router/rtx_unwrapper.h"
#include "router/status.h"
#include "router/subscription.h"
#include "router/track.h"
#include "router/track_table.h"
#include "router/upstream_feedback.h"
#include "rtp/rtp_packet.h"
#include "transport/internal_server.h"
#include "transport/plain_transport.h"
#include "transport/test_loss.h"
#include "transport/webrtc_server.h"

namespace webrtc_agent {
class AgentAddon;
namespace router {

class PeerLinks;

struct MediaSettings {
  std::string listen_ip = "0.0.0.0";
  int port_min = 40000;
  int port_max = 49999;
};

class Router : public transport::TransportListener, private KeyframeRelay {
 public:
  explicit Router(AgentAddon* addon);
  ~Router() override;

  void Configure(const MediaSettings& s) { settings_ = s; }

  Status CreatePlainTransport(const std::string& id, bool comedia, int* port);
  Status Connect(const std::string& id, const std::string& ip, int port);
  Status CloseTransport(const std::string& id, Removed* removed);

  // WebRTC: the thread's shared port and certificate (opened once), and
  // transports on it. Their tracks and subscriptions use the calls below
  // like any transport's.
  Status ListenWebRtc(const std::string& ip, int port_min, int port_max, int* port,
                      std::string* fingerprint);
  // The thread's ICE-TCP port beside its WebRTC UDP port (after ListenWebRtc).
  Status ListenWebRtcTcp(const std::string& ip, int port_min, int port_max, size_t max_connections,
                         uint64_t idle_timeout_ms, int* port);
  // consent_timeout_ms: RFC 7675 consent expiry (the transport then fails).
  Status CreateWebRtcTransport(const std::string& id, const std::string& ufrag,
                               const std::string& pwd, int64_t consent_timeout_ms);
  Status SetWebRtcRemote(const std::string& id, const std::string& ufrag,
                         const std::string& fp_algorithm, const std::string& fp_value,
                         bool dtls_client);
  // How a WebRTC transport recognises a published track: by SSRC when the
  // offer announced it, else by its MID (and RID) header extension.
  Status BindTrack(const std::string& track_id, const std::string& mid, const std::string& rid,
                   int mid_ext, int rid_ext, uint32_t ssrc);
  // The transport-wide sequence number extension's id (0: none) on a
  // WebRTC transport that publishes: its arrivals are reported back in
  // transport-cc feedback from the RTCP timer.
  Status SetTransportCc(const std::string& transport_id, int ext_id);
  transport::WebRtcServer* webrtc() const { return webrtc_.get(); }

  // The thread's internal port (media between agents), opened once, and the
  // transport towards one remote node's internal address (made on first
  // use, id "internal:<ip>:<port>"). Stand-ins for remote tracks are
  // published on it, exports to that node are subscriptions on it.
  Status ListenInternal(const std::string& ip, int port_min, int port_max, int* port);
  Status InternalPeer(const std::string& ip, int port, std::string* transport_id);
  transport::InternalServer* internal() const { return internal_.get(); }

  // ssrc 0: the first SSRC seen on the transport; payload_type -1: any.
  // nack: lost packets of this (video) track are asked for again (RFC 4585
  // generic NACK), for publishers that negotiated it.
  Status Publish(const std::string& transport_id, const std::string& track_id,
                 MediaKind kind, uint32_t ssrc, int payload_type, uint32_t clock_rate,
                 bool nack = false);
  // The publisher sends retransmissions as RTX (RFC 4588) on rtx_ssrc with
  // rtx_payload_type; they are unwrapped into the track.
  Status SetTrackRtx(const std::string& track_id, uint32_t rtx_ssrc, int rtx_payload_type);
  Status Unpublish(const std::string& track_id, Removed* removed);
  // out_ssrc 0: pick one. An existing subscription id on the same transport
  // switches that subscription to the new track, keeping its SSRC and a
  // continuous numbering.
  Status Subscribe(const std::string& transport_id, const std::string& track_id,
                   const std::string& subscription_id, uint32_t out_ssrc, int out_payload_type,
                   uint32_t* chosen_ssrc);
  // Repairs towards this (video) subscriber go as RTX (RFC 4588) on
  // rtx_ssrc with rtx_payload_type, as its SDP answer announced.
  Status SetSubscriptionRtx(const std::string& subscription_id, uint32_t rtx_ssrc, int rtx_payload_type);
  // A subscription to a layered publication (router_layers.cc):
  // `track_ids` are its layers, lowest first (a simulcast publication's
  // layer tracks), `ceiling` the highest index it may get. adaptive: the
  // transport's allocator picks the layer (enableBWE); else it is pinned at
  // the ceiling. An existing subscription id on the same transport is moved
  // onto the layers, as one continuous stream.
  Status SubscribeLayers(const std::string& transport_id, const std::vector<std::string>& track_ids,
                         const std::string& subscription_id, int ceiling, bool adaptive, uint32_t out_ssrc,
                         int out_payload_type, uint32_t* chosen_ssrc);
  // The controller's say over a layered subscription: its highest spatial
  // and temporal layer (-1: no limit), its priority against the transport's
  // other video, and a bitrate cap (0: none).
  Status SetLayerPreferences(const std::string& subscription_id, int max_spatial, int max_temporal, int priority,
                             uint64_t max_bps);
  const LayerControl& layer_control() const { return layer_control_; }
  Status Unsubscribe(const std::string& subscription_id);
  Status RequestKeyframe(const std::string& track_id);
  // The track's payload format (an SDP encoding name: "VP8", "H264" ...),
  // for key-frame recognition: subscribers then start at a key frame, and
  // the publisher's picture size is followed (a WebRTC publisher's
  // transport then emits "media-update" when it changes).
  Status SetTrackCodec(const std::string& track_id, const std::string& codec);
  // Stops (or resumes) forwarding a track to everyone, or one subscription.
  // Resuming video asks the publisher for a key frame: the receivers cannot
  // decode from the middle of a group of pictures.
  Status SetTrackPaused(const std::string& track_id, bool paused);
  Status SetSubscriptionPaused(const std::string& subscription_id, bool paused);

  // A track whose packets arrive from another node thread (see PeerLinks).
  Status Import(const std::string& track_id, MediaKind kind, uint32_t clock_rate,
                const std::string& peer, uint32_t link);
  Status Export(const std::string& track_id, const std::string& peer, uint32_t link);
  Status Unexport(const std::string& track_id, const std::string& peer, uint32_t link);

  // Packets from a ring: an imported track's RTP, or a key-frame request
  // for one of our exported tracks. `peer_index`: PeerLinks' number for the
  // ring's peer (resolved when the link was made; no name on this path).
  // silent: the home thread read the packet's level as digital silence.
  void OnLinkedRtp(uint32_t peer_index, uint32_t link, const uint8_t* pkt, size_t len, bool silent);
  void OnLinkedKeyframeRequest(uint32_t peer_index, uint32_t link);
  // Whether the importing thread reads an exported track (TrackExport::read).
  void OnLinkedReaders(uint32_t peer_index, uint32_t link, bool read);
  // The publisher's SR timing of an imported track, relayed by its thread.
  void OnLinkedSenderClock(uint32_t peer_index, uint32_t link, uint64_t ntp, uint32_t rtp_timestamp);

  PeerLinks& peers() { return *peers_; }
  const PeerLinks& peers() const { return *peers_; }

  // TransportListener
  void OnRtp(transport::Transport* t, Track* track, const rtp::RtpPacketView& packet) override;
  void OnKeyframeRequest(transport::Transport* t, Subscription* sub) override;
  void OnNack(transport::Transport* t, Subscription* sub, const std::vector<uint16_t>& seqs) override;
  void OnSenderReport(transport::Transport* t, Track* track, const rtp::SenderInfo& info) override;
  void OnReportBlock(transport::Transport* t, Subscription* sub, const rtp::ReportBlock& block) override;
  void OnSendable(transport::Transport* t) override;

  // The RTCP timer: NACK retries and transport-wide feedback every tick
  // (the transport keeps its own interval), reports every report interval
  // (RFC 3550 §6.2 allows a fixed interval for a small set of peers; 1 s is
  // what browsers use for media this size).
  static constexpr uint64_t kRtcpTickMs = RtcpScheduler::kTickMs;
  static constexpr uint64_t kReportIntervalMs = RtcpScheduler::kReportIntervalMs;
  // Idle send buffers give back their aged-out packets on this tick.
  static constexpr uint64_t kSendBufferSweepMs = 500;

  // Test-only: drop this share (0..1000 per mille) of packets on the way to
  // subscribers, to exercise loss recovery. Retransmissions are not dropped.
  void SetTestSendLoss(uint32_t per_mille) { test_loss_.set_send_per_mille(per_mille); }
  // Test-only: drop this share of packets arriving from publishers (RTX
  // excepted), as if the network had lost them, to exercise NACK generation.
  void SetTestReceiveLoss(uint32_t per_mille) { test_loss_.set_receive_per_mille(per_mille); }

  const std::unordered_map<std::string, std::unique_ptr<transport::Transport>>& transports() const {
    return transports_;
  }
  const std::unordered_map<std::string, std::unique_ptr<Track>>& tracks() const { return table_.tracks(); }
  const std::unordered_map<std::string, std::unique_ptr<Subscription>>& subscriptions() const {
    return table_.subscriptions();
  }

  uint64_t NowMs() const { return uv_now(loop_); }

  // A speaker slot whose source went waits here (see Subscription::slot).
  Status SetSubscriptionSlot(const std::string& subscription_id, bool slot);

 private:
  // KeyframeRelay: a key-frame request for an imported track goes back
  // over the ring it arrives on.
  void RelayKeyframeRequest(const Track& imported) override;

  void EnsureRtcpTimer();
  static void OnRtcpTimer(void* self);
  void RtcpTick();
  static uint64_t WallMicros();
  // `packet` is parsed (valid): to the exports, then to the subscribers.
  // linked_silent: for a stand-in fed by a ring, the home thread's reading
  // of the level (a track whose level this thread reads uses its own).
  void Forward(Track* track, const rtp::RtpPacketView& packet, bool linked_silent = false);
  // Key frame? (and a new picture size, reported). False for unknown codecs.
  bool InspectVideo(Track* track, const rtp::RtpPacketView& packet);
  // Starts a video subscriber's wait for a key frame (when one can be recognised).
  void AwaitKeyframe(Subscription* s);
  // The layer choice's turn of the RTCP timer: allocation, its events,
  // key-frame requests for pending switches (router_layers.cc).
  void LayerTick(uint64_t now_ms);
  void AskUpstream(Track* track) { upstream_.AskKeyframe(track, NowMs()); }
  void Adopt(transport::Transport* t) { t->set_test_loss(&test_loss_); }
  uint32_t NextRandom();

  AgentAddon* addon_;
  uv_loop_t* loop_;
  MediaSettings settings_;
  net::RecvBuffer recv_buffer_;
  uint64_t rng_;
  // Declared before the transports and the parts that point at it.
  transport::TestLoss test_loss_;
  std::unordered_map<std::string, std::unique_ptr<transport::Transport>> transports_;
  // Byte vectors of aged-out kept packets, for the next ones (SendBuffer);
  // declared before the subscriptions that use them.
  SendBuffer::Spares send_buffer_spares_;
  uint64_t send_buffers_expired_ms_ = 0;  // the last sweep of idle send buffers
  TrackTable table_;
  std::unique_ptr<PeerLinks> peers_;
  // The thread's WebRTC port. ~Router resets it last, after every WebRTC
  // transport has unregistered from it.
  std::unique_ptr<transport::WebRtcServer> webrtc_;
  // The thread's internal port; reset after every internal transport went.
  std::unique_ptr<transport::InternalServer> internal_;
  Fanout fanout_{&test_loss_};
  RtxUnwrapper rtx_;
  RetransmissionResponder responder_;
  UpstreamFeedback upstream_{this};
  RtcpScheduler rtcp_;
  std::vector<uint16_t> nack_seqs_;  // reused: the packet path allocates nothing
  std::vector<uint16_t> missed_seqs_;
  LayerControl layer_control_;
  RepairBudget repair_budget_;
  std::vector<LayerControl::Event> layer_events_;  // reused every tick
  std::vector<Track*> layer_keyframe_asks_;
  loop::LoopTimer rtcp_timer_;
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_ROUTER_H_
