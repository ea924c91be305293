// RetransmissionResponder (addon/router/retransmission_responder) and the
// SendBuffer it answers from: a NACK answered once per RTT with the very
// bytes sent, as RTX when the subscriber has it, misses handed back.
#include <algorithm>
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
void Keep(Subscription* s, const std::vector<uint8_t>& p, uint64_t now_ms = 1000) {
  uint8_t* out = s->send_buffer->Stage(p.size());
  std::copy(p.begin(), p.end(), out);
  s->send_buffer->Commit(SeqOf(p), now_ms);
  s->retransmitter->OnSent(SeqOf(p), p.size());
}

void Put(SendBuffer* b, const std::vector<uint8_t>& p, uint64_t now_ms) {
  std::copy(p.begin(), p.end(), b->Stage(p.size()));
  b->Commit(SeqOf(p), now_ms);
}

void SendBufferTests() {
  SendBuffer b;
  std::vector<uint8_t> p = RtpPacket(10, 0, 1);
  uint8_t* out = b.Stage(p.size());
  std::copy(p.begin(), p.end(), out);
  b.Commit(10, 5000);
  const std::vector<uint8_t>* found = b.Find(10, 5000);
  CHECK(found != nullptr && *found == p);
  CHECK(found->data() == out);  // committed without a second copy
  CHECK(b.Find(11, 5000) == nullptr);
  // A slot reused by a newer number: the old one is a miss, never a wrong packet.
  std::vector<uint8_t> q = RtpPacket(static_cast<uint16_t>(10 + SendBuffer::kSlots), 0, 1, 96, 40);
  Put(&b, q, 5010);
  CHECK(b.Find(10, 5010) == nullptr);
  CHECK(b.Find(SeqOf(q), 5010) != nullptr && *b.Find(SeqOf(q), 5010) == q);

  // Bounded by age: a packet sent more than kMaxAgeMs ago is a miss, and
  // its bytes go (capacity and all) to the thread's spares, from which the
  // next packets are staged: no allocation in the steady state.
  SendBuffer::Spares spares;
  SendBuffer aged(&spares);
  const uint64_t t0 = (uint64_t{1} << 32) - 300;  // the clock's low 32 bits wrap on the way
  for (uint16_t i = 0; i < 20; i++) Put(&aged, RtpPacket(static_cast<uint16_t>(65530 + i), 0, 1), t0 + i * 10);
  CHECK(aged.held_bytes() >= 20 * RtpPacket(0, 0, 1).size());
  CHECK(aged.Find(65530, t0 + SendBuffer::kMaxAgeMs) != nullptr);      // wrapped numbering and clock
  CHECK(aged.Find(65530, t0 + SendBuffer::kMaxAgeMs + 1) == nullptr);  // too old to be of use
  CHECK(aged.Find(13, t0 + SendBuffer::kMaxAgeMs + 1) != nullptr);     // 65549 % 65536, younger
  aged.Expire(t0 + 190 + SendBuffer::kMaxAgeMs + 1);                   // all 20 aged out
  CHECK(aged.held_bytes() == 0 && spares.size() == 20);
  CHECK(aged.Find(13, t0 + 190) == nullptr);  // released, even when asked with an earlier clock
  // The next packet is staged in a spare: no new allocation.
  std::vector<uint8_t> r = RtpPacket(14, 0, 1);
  uint8_t* staged = aged.Stage(r.size());
  CHECK(spares.size() == 19);  // taken from the spares
  std::copy(r.begin(), r.end(), staged);
  aged.Commit(14, t0 + 2000);
  CHECK(aged.Find(14, t0 + 2000) != nullptr && aged.Find(14, t0 + 2000)->data() == staged);
  // Steady state at 30 packets a second for 5 s: about a second is held,
  // and the spares neither run dry nor grow.
  // Every vector is in a slot or a spare (all packets the same size), and
  // their number stops growing once a second is held: none allocated.
  const size_t size = RtpPacket(0, 0, 1).size();
  size_t most = 0;
  size_t vectors_at_60 = 0;
  for (uint16_t i = 1; i <= 150; i++) {
    Put(&aged, RtpPacket(static_cast<uint16_t>(14 + i), 0, 1), t0 + 2000 + i * 33);
    most = std::max(most, aged.held_bytes());
    if (i == 60) vectors_at_60 = aged.held_bytes() / size + spares.size();
  }
  CHECK(most <= 31 * size);  // 1000 / 33 ms: 31 packets at most
  CHECK(aged.held_bytes() / size + spares.size() == vectors_at_60);
  // The count bound stays: 600 packets within a second keep the last 512.
  SendBuffer full(&spares);
  for (uint16_t i = 0; i < 600; i++) Put(&full, RtpPacket(i, 0, 1), 9000 + i / 2);
  CHECK(full.Find(87, 9300) == nullptr && full.Find(88, 9300) != nullptr && full.Find(599, 9300) != nullptr);
  CHECK(full.held_bytes() == SendBuffer::kSlots * size);
  CHECK(spares.size() <= SendBuffer::Spares::kMax);
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

  // Older than the send buffer's age bound: a miss, handed back and counted
  // as one (getStats nackMissed), nothing re-sent, no budget spent.
  const uint64_t sent_before = s.retransmitter->counters().sent;
  const uint64_t missed_before = s.counters.nack_missed + s.retransmitter->counters().missed;
  r.OnNack(&s, {104, 106}, 1000 + SendBuffer::kMaxAgeMs + 1, 50, &missed);
  CHECK(t.rtp.size() == 3);
  CHECK(missed.size() == 2 && missed[0] == 104 && missed[1] == 106);
  CHECK(s.counters.nack_missed + s.retransmitter->counters().missed == missed_before + 2);
  CHECK(s.retransmitter->counters().sent == sent_before);

  // A subscription that keeps nothing: everything goes back as missed.
  Subscription audio("a", &t, &track, 6666, 111, 48000);
  r.OnNack(&audio, {1, 2, 3}, 1200, -1, &missed);
  CHECK(missed.size() == 3);
  CHECK(audio.counters.nack_packets == 3 && audio.counters.nack_missed == 3);
  CHECK(t.rtp.size() == 3);
}

}  // namespace webrtc_agent::native_test
