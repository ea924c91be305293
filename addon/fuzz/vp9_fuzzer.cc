// libFuzzer target: what one subscriber of a VP9 SVC stream is sent, from
// hostile VP9 payloads. The input is a list of packets (a flag byte: key
// frame, new picture; a length; a payload) and target changes. Each payload
// goes through the descriptor parser, the key frame detector, the
// Vp9Selector and the RtpRewriter as the router does it. Invariants: the
// parser never reads past the payload (ASan) and agrees with itself, a
// packet sent is of a layer at or below the one being sent, the marker is
// only asked for at the end of a layer frame, and the subscriber's sequence
// numbers go on by one across the layers left out.
// Built and run by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "layers/vp9_descriptor.h"
#include "layers/vp9_selector.h"
#include "router/rtp_rewriter.h"
#include "rtp/byte_io.h"
#include "rtp/keyframe.h"

using namespace webrtc_agent;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  layers::Vp9Selector sel;
  router::RtpRewriter rtp(77, -1, 90000);
  uint16_t in_seq = 500;
  uint32_t ts = 0xFFFFFF00u;  // wraps soon
  bool sent_any = false;
  uint16_t last_out = 0;
  std::vector<uint8_t> pkt;
  size_t pos = 0;
  uint64_t now = 0;
  while (pos + 2 <= size) {
    const uint8_t flags = data[pos];
    const size_t len = data[pos + 1] % 64;
    pos += 2;
    if (flags >= 0xF0) {
      sel.SetTarget((flags & 0x07) - 1, (flags >> 3) & 0x01 ? layers::Vp9Selector::kAllTemporal : len % 4);
      continue;
    }
    if (size - pos < len) break;
    if (flags & 0x01) ts += 3000;        // a new picture
    if (flags & 0x02) ts -= 6000;        // a late packet of an earlier one
    pkt.assign(12, 0);
    pkt[0] = 0x80;
    pkt[1] = 98;
    rtp::StoreU16(pkt.data() + 2, in_seq);
    rtp::StoreU32(pkt.data() + 4, ts);
    rtp::StoreU32(pkt.data() + 8, 1234);
    pkt.insert(pkt.end(), data + pos, data + pos + len);
    pos += len;
    now += flags >> 4;
    if (flags & 0x02) ts += 6000;
    const uint16_t seq = in_seq++;
    uint8_t* payload = pkt.data() + 12;

    layers::Vp9Packet p;
    p.timestamp = rtp::LoadU32(pkt.data() + 4);
    const bool parsed = layers::ParseVp9Descriptor(payload, len, &p.desc);
    FUZZ_CHECK(p.desc.size <= len);
    if (parsed) {
      FUZZ_CHECK(p.desc.ref_count <= layers::Vp9Descriptor::kMaxRefs);
      FUZZ_CHECK(!p.desc.has_ss || (p.desc.ss_spatial_layers >= 1 && p.desc.ss_spatial_layers <= 8));
      layers::Vp9Descriptor again;
      FUZZ_CHECK(layers::ParseVp9Descriptor(payload, len, &again));
      FUZZ_CHECK(again.size == p.desc.size && again.sid == p.desc.sid && again.tid == p.desc.tid);
    } else {
      FUZZ_CHECK(p.desc.size == 0 && p.desc.sid == 0);
    }
    p.keyframe = rtp::IsKeyframe(rtp::Codec::kVp9, payload, len) && (flags & 0x04) == 0;
    const layers::Vp9Decision d = sel.OnPacket(p);
    if (d.verdict == layers::Vp9Verdict::kWait) {
      FUZZ_CHECK(!d.started && !d.marker);
      continue;
    }
    FUZZ_CHECK(sel.current_spatial() >= 0);
    if (d.verdict != layers::Vp9Verdict::kForward) {
      FUZZ_CHECK(!d.started && !d.marker);
      rtp.Drop(seq);
      continue;
    }
    FUZZ_CHECK(p.desc.sid <= sel.current_spatial());
    FUZZ_CHECK(!d.marker || p.desc.end_frame);
    if (d.started) {
      FUZZ_CHECK(p.keyframe);
      rtp.Rebase();
    }
    rtp.Rewrite(pkt.data(), pkt.size(), now);
    const uint16_t out = rtp::LoadU16(pkt.data() + 2);
    // Sequence numbers here only grow (a late picture's packet is a
    // re-send with a new number, as RTX unwrapped is not): by one each.
    if (sent_any) FUZZ_CHECK(out == static_cast<uint16_t>(last_out + 1));
    sent_any = true;
    last_out = out;
  }
  return 0;
}
