// libFuzzer target: what one subscriber of a layered publication is sent,
// from hostile VP8 payloads on hostile layers. The input is a list of
// packets (a layer, a flag byte, a payload) and target changes. Each payload
// goes through the descriptor parser, the LayerSelector, the Vp8Rewriter and
// the RtpRewriter as the router does it. Invariants: the parser never reads
// or writes past the payload (ASan), a rewritten descriptor parses to the
// same shape, only the current layer is sent, and the subscriber's sequence
// numbers go on by one across drops and switches. Then the Allocator is fed
// the layers' rates: no decision above a ceiling, and with a budget, the
// adaptive subscriptions' rates never exceed it minus the pinned ones'.
// Built and run by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "layers/allocator.h"
#include "layers/layer_selector.h"
#include "layers/vp8_descriptor.h"
#include "layers/vp8_rewriter.h"
#include "router/rtp_rewriter.h"
#include "rtp/byte_io.h"
#include "rtp/keyframe.h"

using namespace webrtc_agent;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  layers::LayerSelector sel;
  layers::Vp8Rewriter vp8;
  router::RtpRewriter rtp(77, -1, 90000);
  uint16_t seqs[4] = {0, 1000, 2000, 3000};
  bool sent_any = false;
  uint16_t last_out = 0;
  std::vector<uint8_t> pkt;
  size_t pos = 0;
  uint64_t now = 0;
  while (pos + 3 <= size) {
    const uint8_t op = data[pos];
    const uint8_t flags = data[pos + 1];
    const size_t len = data[pos + 2] % 64;
    pos += 3;
    if (op >= 0xF0) {
      sel.SetTarget((op & 0x07) - 1, flags & 0x07);
      continue;
    }
    if (size - pos < len) break;
    const int layer = op & 0x03;
    pkt.assign(12, 0);
    pkt[0] = 0x80;
    pkt[1] = 96;
    const uint16_t in_seq = seqs[layer]++;
    rtp::StoreU16(pkt.data() + 2, in_seq);
    rtp::StoreU32(pkt.data() + 4, static_cast<uint32_t>(now * 90));
    rtp::StoreU32(pkt.data() + 8, 100u + static_cast<uint32_t>(layer));
    pkt.insert(pkt.end(), data + pos, data + pos + len);
    pos += len;
    now += flags & 0x0F;
    uint8_t* payload = pkt.data() + 12;
    // A payload whose descriptor does not parse is the router's too: it
    // goes to the current layer's subscribers as it is (nothing to rewrite).
    layers::Vp8Descriptor d;
    const bool parsed = layers::ParseVp8Descriptor(payload, len, &d);
    FUZZ_CHECK(d.size <= len);
    layers::LayerPacket lp;
    lp.spatial = layer;
    lp.temporal = d.has_tid ? d.tid : -1;
    lp.keyframe = rtp::IsKeyframe(rtp::Codec::kVp8, payload, len) || (flags & 0x80);
    lp.picture_start = d.picture_start();
    bool switched = false;
    const layers::Verdict v = sel.OnPacket(lp, &switched);
    if (v == layers::Verdict::kOther) continue;
    FUZZ_CHECK(sel.current_spatial() == layer);
    if (v == layers::Verdict::kTemporal) {
      FUZZ_CHECK(!switched);
      vp8.Drop(d);
      rtp.Drop(in_seq);
      continue;
    }
    if (switched) {
      // A new start (another layer, or the same one after a pause): both
      // numberings go on from the last packet sent.
      vp8.Rebase();
      rtp.Rebase();
    }
    vp8.Forward(payload, d);
    layers::Vp8Descriptor again;
    FUZZ_CHECK(layers::ParseVp8Descriptor(payload, len, &again) == parsed);
    FUZZ_CHECK(again.size == d.size && again.has_tid == d.has_tid && again.tid == d.tid);
    FUZZ_CHECK(again.has_picture_id == d.has_picture_id && again.long_picture_id == d.long_picture_id);
    rtp.Rewrite(pkt.data(), pkt.size(), now);
    const uint16_t out = rtp::LoadU16(pkt.data() + 2);
    if (sent_any) FUZZ_CHECK(out == static_cast<uint16_t>(last_out + 1));
    sent_any = true;
    last_out = out;
  }

  // The allocator on rates and ceilings from the input.
  std::vector<layers::AllocRequest> reqs;
  pos = 0;
  while (pos + 6 <= size && reqs.size() < 16) {
    layers::AllocRequest r;
    r.key = data[pos] % 8;  // repeated keys too
    r.priority = static_cast<int8_t>(data[pos + 1]);
    r.adaptive = (data[pos + 2] & 0x80) == 0;
    r.pinned_bps = data[pos + 2] * 1000u;
    r.max_bps = (data[pos + 3] & 1) ? data[pos + 3] * 5000u : 0;
    r.max_spatial = data[pos + 4] % 4;
    r.max_temporal = (data[pos + 4] >> 2) % 4;
    const int n = data[pos + 5] % 7;
    for (int i = 0; i < n && pos + 6 + static_cast<size_t>(i) < size; ++i) {
      const uint8_t b = data[pos + 6 + static_cast<size_t>(i)];
      r.layers.push_back({b % 3, (b >> 2) % 3, static_cast<uint64_t>(b) * 7000u});
    }
    pos += 6 + static_cast<size_t>(n);
    reqs.push_back(r);
  }
  layers::Allocator alloc;
  std::vector<layers::AllocDecision> out;
  for (int round = 0; round < 4; ++round) {
    const uint64_t avail = round == 3 ? layers::Allocator::kUnlimited : static_cast<uint64_t>(size) * 3000u * round;
    alloc.Allocate(static_cast<uint64_t>(round) * 1000, avail, 0, reqs, &out);
    FUZZ_CHECK(out.size() == reqs.size());
    uint64_t adaptive = 0, pinned = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      const layers::AllocDecision& dd = out[i];
      FUZZ_CHECK(dd.key == reqs[i].key);
      if (!reqs[i].adaptive) {
        pinned += reqs[i].pinned_bps;
        continue;
      }
      if (dd.spatial < 0) continue;
      FUZZ_CHECK(dd.spatial <= reqs[i].max_spatial && dd.temporal <= reqs[i].max_temporal);
      adaptive += dd.bps;
    }
    // Every step is checked against what is left: the adaptive ones never
    // get more than the estimate minus the pinned ones.
    if (avail != layers::Allocator::kUnlimited) FUZZ_CHECK(adaptive <= (avail > pinned ? avail - pinned : 0));
    FUZZ_CHECK(alloc.tracked() <= 8);
  }
  return 0;
}
