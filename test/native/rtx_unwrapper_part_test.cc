// RtxUnwrapper (addon/router/rtx_unwrapper): a publisher's RTX packet back
// into the original: number from the payload, the track's SSRC and payload
// type, the RTX packet's padding dropped; padding-only RTX yields nothing.
#include "check.h"
#include "router/rtx_unwrapper.h"
#include "router_fakes.h"

namespace webrtc_agent::native_test {

using router::MediaKind;
using router::RtxUnwrapper;
using router::Track;

void RtxUnwrapperTests() {
  Track track("v", MediaKind::kVideo, 90000);
  track.ssrc = 0x1111;
  track.payload_type = 96;
  track.rtx_ssrc = 0x2222;
  track.rtx_payload_type = 97;
  RtxUnwrapper u;

  std::vector<uint8_t> rtx = RtpPacket(9, 3000, 0x2222, 97, 10, true);
  rtx[12] = 0x01;  // original sequence number 0x0102
  rtx[13] = 0x02;
  rtp::RtpPacketView v(rtx.data(), rtx.size());
  CHECK(v.Parse());
  const size_t n = u.Unwrap(&track, v);
  CHECK(n == rtx.size() - 2);
  std::vector<uint8_t> orig(u.data(), u.data() + n);
  CHECK(SeqOf(orig) == 0x0102);
  CHECK(SsrcOf(orig) == 0x1111);
  CHECK(PtOf(orig) == 96);
  CHECK((orig[1] & 0x80) != 0);  // the marker stays
  CHECK(rtp::LoadU32(orig.data() + 4) == 3000);
  CHECK(orig[12] == 0xee && orig[n - 1] == 0xee);
  CHECK(track.counters.rtx_packets == 1);

  // Padding only (a bandwidth probe): nothing, counted.
  std::vector<uint8_t> probe = RtpPacket(10, 3000, 0x2222, 97, 0);
  rtp::RtpPacketView pv(probe.data(), probe.size());
  CHECK(pv.Parse());
  CHECK(u.Unwrap(&track, pv) == 0);
  CHECK(track.counters.rtx_padding == 1);
}

}  // namespace webrtc_agent::native_test
