// RetransmissionResponder (addon/router/retransmission_responder) and the
// SendBuffer it answers from: a NACK answered once per RTT with the very
// bytes sent, as RTX when the subscriber has it, misses handed back.
#include <memory>

#include "check.h"
#include "router/retransmission_responder.h"
#include "router/send_buffer.h"
#include "router/track.h"
#include "router_fakes.h"

namespace webrtc_agent::native_test {

using router::MediaKind;
using router::RetransmissionResponder;
using router::SendBuffer;
using router::Subscription;
using router::Track;

namespace {

// Keeps a packet as the fan-out does: staged, then committed.
void Keep(Subscription* s, const std::vector<uint8_t>& p) {
  uint8_t* out = s->send_buffer->Stage(p.size());
  std::copy(p.begin(), p.end(), out);
  s->send_buffer->Commit(SeqOf(p));
  s->retransmitter->OnSent(SeqOf(p), p.size());
}

void SendBufferTests() {
  SendBuffer b;
  std::vector<uint8_t> p = RtpPacket(10, 0, 1);
  uint8_t* out = b.Stage(p.size());
  std::copy(p.begin(), p.end(), out);
  b.Commit(10);
  const std::vector<uint8_t>* found = b.Find(10);
  CHECK(found != nullptr && *found == p);
  CHECK(found->data() == out);  // committed without a second copy
  CHECK(b.Find(11) == nullptr);
  // A slot reused by a newer number: the old one is a miss, never a wrong packet.
  std::vector<uint8_t> q = RtpPacket(static_cast<uint16_t>(10 + SendBuffer::kSlots), 0, 1, 96, 40);
  std::copy(q.begin(), q.end(), b.Stage(q.size()));
  b.Commit(SeqOf(q));
  CHECK(b.Find(10) == nullptr);
  CHECK(b.Find(SeqOf(q)) != nullptr && *b.Find(SeqOf(q)) == q);
}

}  // namespace

void RetransmissionResponderTests() {
  SendBufferTests();
  FakeTransport t("sub");
  Track track("v", MediaKind::kVideo, 90000);
  Subscription s("s", &t, &track, 5555, 96, 90000);
  s.send_buffer = std::make_unique<SendBuffer>();
  s.retransmitter = std::make_unique<rtp::Retransmitter>();
  for (uint16_t seq = 100; seq < 110; seq++) Keep(&s, RtpPacket(seq, 0, 5555));

  RetransmissionResponder r;
  std::vector<uint16_t> missed;
  // 103 twice in one NACK counts once; 200 was never sent: a miss.
  r.OnNack(&s, {103, 103, 105, 200}, 1000, 50, &missed);
  CHECK(t.rtp.size() == 2);
  CHECK(SeqOf(t.rtp[0]) == 103 && SeqOf(t.rtp[1]) == 105);
  CHECK(SsrcOf(t.rtp[0]) == 5555);
  CHECK(missed.size() == 1 && missed[0] == 200);
  CHECK(s.counters.retransmitted == 2 && s.counters.rtx_sent == 0);

  // Again within the RTT: refused.
  r.OnNack(&s, {103}, 1010, 50, &missed);
  CHECK(t.rtp.size() == 2 && missed.empty());
  // After it, as RTX once the subscriber has an RTX SSRC: its own SSRC,
  // payload type and numbering, the original number first in the payload.
  s.rtx_ssrc = 7777;
  s.rtx_payload_type = 97;
  s.rtx_seq = 40;
  r.OnNack(&s, {103}, 1100, 50, &missed);
  CHECK(t.rtp.size() == 3);
  const std::vector<uint8_t>& rtx = t.rtp[2];
  CHECK(SsrcOf(rtx) == 7777 && PtOf(rtx) == 97 && SeqOf(rtx) == 40);
  CHECK(rtx.size() == RtpPacket(103, 0, 5555).size() + 2);
  CHECK(rtp::LoadU16(rtx.data() + 12) == 103);
  CHECK(s.rtx_seq == 41 && s.counters.rtx_sent == 1 && s.counters.retransmitted == 3);

  // A subscription that keeps nothing: everything goes back as missed.
  Subscription audio("a", &t, &track, 6666, 111, 48000);
  r.OnNack(&audio, {1, 2, 3}, 1200, -1, &missed);
  CHECK(missed.size() == 3);
  CHECK(audio.counters.nack_packets == 3 && audio.counters.nack_missed == 3);
  CHECK(t.rtp.size() == 3);
}

}  // namespace webrtc_agent::native_test
