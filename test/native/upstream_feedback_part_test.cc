// UpstreamFeedback (addon/router/upstream_feedback): key-frame requests
// merged per track and sent as RR+PLI (or relayed over the ring for an
// imported track), NACKs chunked into compounds.
#include <vector>

#include "check.h"
#include "router/upstream_feedback.h"
#include "router_fakes.h"
#include "rtp/rtcp.h"

namespace webrtc_agent::native_test {

using router::KeyframeRelay;
using router::MediaKind;
using router::Subscription;
using router::Track;
using router::UpstreamFeedback;

namespace {

class Relay : public KeyframeRelay {
 public:
  void RelayKeyframeRequest(const Track& t) override { relayed.push_back(t.id()); }
  std::vector<std::string> relayed;
};

}  // namespace

void UpstreamFeedbackTests() {
  Relay relay;
  UpstreamFeedback up(&relay);
  FakeTransport pub("pub", 0x1234);
  Track track("v", MediaKind::kVideo, 90000);
  track.source = &pub;
  track.ssrc = 0xcafe;

  up.AskKeyframe(&track, 1000);
  CHECK(pub.rtcp.size() == 1);
  const std::vector<uint8_t>& c = pub.rtcp[0];
  CHECK(RtcpTypeAt(c, 0) == 201);  // an (empty) RR first
  const size_t rr = RtcpLengthAt(c, 0);
  CHECK(c.size() == rr + 12);
  CHECK(RtcpTypeAt(c, rr) == 206 && (c[rr] & 0x1f) == 1);  // PSFB, FMT 1: PLI
  CHECK(rtp::LoadU32(c.data() + rr + 8) == 0xcafe);
  track.counters.keyframes++;    // the key frame came
  up.AskKeyframe(&track, 1500);  // merged: asked less than a second ago
  CHECK(pub.rtcp.size() == 1);
  CHECK(track.keyframes.merged() == 1);
  up.AskKeyframe(&track, 2000);
  CHECK(pub.rtcp.size() == 2);
  // No key frame came (the publisher ignored the request, as Chromium does
  // within 300 ms of its last one): asked again after 350 ms, not 1 s.
  up.AskKeyframe(&track, 2300);
  CHECK(pub.rtcp.size() == 2);
  up.AskKeyframe(&track, 2350);
  CHECK(pub.rtcp.size() == 3);
  pub.rtcp.pop_back();

  // An imported track asks over the ring.
  Track imported("i", MediaKind::kVideo, 90000);
  imported.import_peer = "node-b";
  up.AskKeyframe(&imported, 1000);
  CHECK(relay.relayed.size() == 1 && relay.relayed[0] == "i");

  // A track with no SSRC yet cannot be asked.
  Track unbound("u", MediaKind::kVideo, 90000);
  unbound.source = &pub;
  up.AskKeyframe(&unbound, 1000);
  CHECK(pub.rtcp.size() == 2);

  // NACKs: 300 numbers go out as 3 compounds of at most kNackChunk.
  std::vector<uint16_t> seqs;
  for (uint16_t i = 0; i < 300; i++) seqs.push_back(static_cast<uint16_t>(i * 20));  // no two in one FCI
  up.Nack(&track, seqs);
  CHECK(pub.rtcp.size() == 5);
  CHECK(track.counters.nacks_sent == 3);
  CHECK(RtcpTypeAt(pub.rtcp[2], RtcpLengthAt(pub.rtcp[2], 0)) == 205);  // RTPFB
  CHECK(pub.rtcp[2].size() == RtcpLengthAt(pub.rtcp[2], 0) + 12 + 4 * UpstreamFeedback::kNackChunk);

  // A subscriber's misses go further up only from a stand-in of a track on
  // another agent (an internal transport); a local publisher is not asked.
  Subscription s("s", &pub, &track, 1, -1, 90000);
  up.NackThrough(&track, &s, {1, 2});
  CHECK(pub.rtcp.size() == 5);
}

}  // namespace webrtc_agent::native_test
