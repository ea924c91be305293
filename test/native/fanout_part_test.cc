// Fanout (addon/router/fanout): one packet to every subscriber, rewritten
// per subscriber, through each one's key-frame gate, kept for those that
// may NACK it, and the test-only loss switch.
#include <memory>

#include "check.h"
#include "router/fanout.h"
#include "router/subscription.h"
#include "router/track_table.h"
#include "router_fakes.h"

namespace webrtc_agent::native_test {

using router::Fanout;
using router::MediaKind;
using router::SendBuffer;
using router::Subscription;
using router::Track;
using router::TrackTable;

namespace {

rtp::RtpPacketView Parsed(const std::vector<uint8_t>& p) {
  rtp::RtpPacketView v(p.data(), p.size());
  CHECK(v.Parse());
  return v;
}

}  // namespace

void FanoutTests() {
  FakeTransport pub("pub");
  FakeTransport t1("t1");
  FakeTransport t2("t2");
  FakeTransport t3("t3");
  TrackTable table;
  auto owned = std::make_unique<Track>("v", MediaKind::kVideo, 90000);
  owned->source = &pub;
  Track* track = table.AddTrack(std::move(owned));
  Subscription* plain = table.AddSubscription(std::make_unique<Subscription>("plain", &t1, track, 1111, -1, 90000));
  Subscription* kept = table.AddSubscription(std::make_unique<Subscription>("kept", &t2, track, 2222, 100, 90000));
  kept->send_buffer = std::make_unique<SendBuffer>();
  kept->retransmitter = std::make_unique<rtp::Retransmitter>();
  Subscription* gated = table.AddSubscription(std::make_unique<Subscription>("gated", &t3, track, 3333, -1, 90000));
  gated->keyframe_gate.Start(0);

  transport::TestLoss loss(42);
  Fanout fanout(&loss);

  // A delta frame: the two open subscribers get it, rewritten; the gated
  // one holds it back and, its transport able to send, is reported waiting.
  std::vector<uint8_t> p1 = RtpPacket(500, 9000, 0xdead);
  CHECK(fanout.Forward(track, Parsed(p1), false, false, 10));
  CHECK(t1.rtp.size() == 1 && t2.rtp.size() == 1 && t3.rtp.empty());
  CHECK(SsrcOf(t1.rtp[0]) == 1111);
  CHECK(SsrcOf(t2.rtp[0]) == 2222 && PtOf(t2.rtp[0]) == 100);
  CHECK(t1.rtp[0].size() == p1.size());
  CHECK(gated->counters.keyframe_wait_drops == 1);
  CHECK(plain->counters.packets == 1 && plain->counters.bytes == p1.size());
  CHECK(plain->counters.payload_bytes == p1.size() - 12);
  // The kept copy is the very bytes sent, under the subscriber's number.
  const std::vector<uint8_t>* k = kept->send_buffer->Find(SeqOf(t2.rtp[0]), 10);
  CHECK(k != nullptr && *k == t2.rtp[0]);
  CHECK(kept->retransmitter->counters().requested == 0);

  // The gated subscriber's transport cannot send: it is not reported as
  // waiting (it asks when its handshake ends), and a key frame it cannot
  // get does not end its wait.
  t3.can_send = false;
  std::vector<uint8_t> p2 = RtpPacket(501, 9000, 0xdead);
  CHECK(!fanout.Forward(track, Parsed(p2), false, false, 20));
  std::vector<uint8_t> p3 = RtpPacket(502, 12000, 0xdead);
  CHECK(!fanout.Forward(track, Parsed(p3), true, false, 30));
  CHECK(gated->counters.dropped == 1 && gated->keyframe_gate.waiting());
  t3.can_send = true;
  std::vector<uint8_t> p4 = RtpPacket(503, 15000, 0xdead);
  CHECK(!fanout.Forward(track, Parsed(p4), true, false, 40));  // its key frame: the wait ends
  CHECK(t3.rtp.size() == 1 && !gated->keyframe_gate.waiting());
  CHECK(SsrcOf(t3.rtp[0]) == 3333);

  // Each subscriber's numbering runs on by one per packet sent to it.
  CHECK(t1.rtp.size() == 4);
  CHECK(static_cast<uint16_t>(SeqOf(t1.rtp[3]) - SeqOf(t1.rtp[0])) == 3);

  // Paused: nothing. Refused by the transport: counted as dropped.
  plain->paused = true;
  t2.accept = false;
  std::vector<uint8_t> p5 = RtpPacket(504, 15000, 0xdead);
  fanout.Forward(track, Parsed(p5), false, false, 50);
  CHECK(t1.rtp.size() == 4);
  CHECK(kept->counters.dropped == 1);
  // A refused packet is still kept (the subscriber may NACK it).
  CHECK(kept->send_buffer->Find(static_cast<uint16_t>(SeqOf(t2.rtp[0]) + 4), 50) != nullptr);
  plain->paused = false;
  t2.accept = true;

  // The loss switch at 100 %: everything is lost and counted, yet kept.
  loss.set_send_per_mille(1000);
  std::vector<uint8_t> p6 = RtpPacket(505, 15000, 0xdead);
  fanout.Forward(track, Parsed(p6), false, false, 60);
  CHECK(t1.rtp.size() == 4 && t2.rtp.size() == 4 && t3.rtp.size() == 2);
  CHECK(plain->counters.test_dropped == 1 && kept->counters.test_dropped == 1);
  CHECK(kept->send_buffer->Find(static_cast<uint16_t>(SeqOf(t2.rtp[0]) + 5), 60) != nullptr);
  loss.set_send_per_mille(0);
  std::vector<uint8_t> p7 = RtpPacket(506, 15000, 0xdead);
  fanout.Forward(track, Parsed(p7), false, false, 70);
  CHECK(t1.rtp.size() == 5);

  // No switch at all (null) is the product's case.
  Fanout bare(nullptr);
  std::vector<uint8_t> p8 = RtpPacket(507, 15000, 0xdead);
  bare.Forward(track, Parsed(p8), false, false, 80);
  CHECK(t1.rtp.size() == 6);
}

}  // namespace webrtc_agent::native_test
