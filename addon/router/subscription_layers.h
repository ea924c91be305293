// SubscriptionLayers: what a subscription to a layered publication (all of a
// simulcast publication's layer tracks, lowest first) holds beyond a plain
// subscription: the LayerSelector that picks, packet by packet, what it is
// sent, the VP8 numbering rewriter, the controller's preferences and the
// allocator's last decision. The subscription is a subscriber of every
// layer track; packets of layers it is not on are skipped (not counted as
// dropped).
// A layered subscription of ONE track is an SVC subscription (VP9 L3T3 and
// the like): the spatial layers are inside that track's stream (the VP9
// payload descriptor's SID), the Vp9Selector picks its packets, and what it
// leaves out is closed up in the subscriber's sequence numbers.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_SUBSCRIPTION_LAYERS_H_
#define WEBRTC_AGENT_ADDON_ROUTER_SUBSCRIPTION_LAYERS_H_

#include <climits>
#include <cstdint>
#include <vector>

#include "layers/allocator.h"
#include "layers/layer_selector.h"
#include "layers/vp8_descriptor.h"
#include "layers/vp8_rewriter.h"
#include "layers/vp9_descriptor.h"
#include "layers/vp9_selector.h"
#include "rtp/rtp_packet.h"

namespace webrtc_agent {
namespace router {

class Subscription;
class Track;

// One packet of a layer track, read once for all its subscribers.
struct LayerInfo {
  bool vp8 = false;  // desc holds its VP8 payload descriptor
  layers::Vp8Descriptor desc;
  int temporal = -1;
  bool picture_start = true;
  // A VP9 track: its VP9 payload descriptor (zeroed if it did not parse),
  // in the caller's scratch: the packet path of other tracks stays as small.
  const layers::Vp9Descriptor* vp9 = nullptr;
};

// Reads the packet's layer information (VP8: the payload descriptor; VP9:
// into *vp9_scratch) and counts its bytes to its temporal (VP9: spatial and
// temporal) layer. Called only for tracks that a layered subscription reads.
LayerInfo InspectLayer(Track* track, const rtp::RtpPacketView& packet, layers::Vp9Descriptor* vp9_scratch);

// Whether this packet of `track` (one of the layered subscription `s`'s
// layers) goes to `s`: the selector's verdict. A packet above the temporal
// ceiling is dropped from the numbering (no gap at the receiver); the key
// frame of a switch (or of a restart) rebases the rewriters, makes `track`
// the subscription's track, and ends NACK answers for the old layer. A key
// frame the transport cannot deliver yet (handshake not done) switches
// nothing.
bool AdmitLayer(Subscription* s, Track* track, const LayerInfo& info, bool key, const rtp::RtpPacketView& packet,
                bool can_send);

// After the packet was copied to `out` and its RTP header rewritten: its
// VP8 picture id and TL0PICIDX too; for SVC, the marker bit when the
// packet ends the highest layer frame sent of its picture.
void RewriteLayer(Subscription* s, const LayerInfo& info, uint8_t* out, const rtp::RtpPacketView& packet);

struct LayerCounters {
  uint64_t temporal_drops = 0;   // packets above the temporal ceiling, not sent
  uint64_t spatial_drops = 0;    // SVC: packets of spatial layers above the one sent
  uint64_t switches = 0;         // spatial switches done (at key frames)
  uint64_t bandwidth_pauses = 0; // times paused because nothing fitted
  uint64_t keyframe_asks = 0;    // key frames asked for on a switch's target
};

class SubscriptionLayers {
  // First: the public fields below are initialised after them.
  std::vector<Track*> tracks_;
  bool svc_;

 public:
  // tracks: the publication's layers, lowest first; ceiling: the highest
  // index the subscription may get (the layer it named), adaptive: chosen
  // by the allocator (enableBWE), else pinned at the ceiling.
  // One track: SVC, and ceiling is the highest spatial layer inside it.
  SubscriptionLayers(std::vector<Track*> tracks, int ceiling, bool adaptive)
      : tracks_(std::move(tracks)), svc_(tracks_.size() == 1), ceiling(ceiling), adaptive(adaptive) {}

  bool svc() const { return svc_; }
  // The selector that is in charge (svc: Vp9Selector, else LayerSelector).
  void SetTarget(int spatial, int temporal) {
    if (svc_) svc_selector.SetTarget(spatial, temporal);
    else selector.SetTarget(spatial, temporal);
  }
  void Restart() {
    if (svc_) svc_selector.Restart();
    else selector.Restart();
  }
  bool NeedsKeyframe() const { return svc_ ? svc_selector.NeedsKeyframe() : selector.NeedsKeyframe(); }
  int current_spatial() const { return svc_ ? svc_selector.current_spatial() : selector.current_spatial(); }
  int current_temporal() const { return svc_ ? svc_selector.current_temporal() : selector.current_temporal(); }
  // The track a key frame for spatial layer `spatial` is asked on (null: none).
  Track* KeyframeTrack(int spatial) const {
    if (svc_) return tracks_.front();
    return spatial >= 0 && spatial < static_cast<int>(tracks_.size()) ? tracks_[static_cast<size_t>(spatial)] : nullptr;
  }
  // The highest spatial layer index there may be (before any is measured).
  int top_spatial() const { return svc_ ? layers::Vp9Selector::kAllSpatial : static_cast<int>(tracks_.size()) - 1; }

  const std::vector<Track*>& tracks() const { return tracks_; }
  int IndexOf(const Track* t) const {
    for (size_t i = 0; i < tracks_.size(); ++i) {
      if (tracks_[i] == t) return static_cast<int>(i);
    }
    return -1;
  }

  layers::LayerSelector selector;
  layers::Vp8Rewriter vp8;
  layers::Vp9Selector svc_selector;
  // Set by AdmitLayer for the packet it admitted, read by RewriteLayer.
  bool set_marker = false;
  LayerCounters counters;

  // The controller's say (setVideoBitrate, setLayerPreference).
  int ceiling;
  bool adaptive;
  int max_spatial = INT_MAX;
  int max_temporal = INT_MAX;
  int priority = 0;
  uint64_t max_bps = 0;

  // The allocator's last decision, as the controller was told it.
  bool decided = false;
  int target_spatial = -1;
  int target_temporal = -1;
  layers::AllocReason reason = layers::AllocReason::kOptimal;
  uint64_t keyframe_ask_ms = 0;
  int keyframe_ask_spatial = -1;  // the target last asked for
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_SUBSCRIPTION_LAYERS_H_
