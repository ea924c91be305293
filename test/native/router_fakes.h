// Test doubles and packet builders shared by the router parts' unit tests
// (router_test.cc and the *_part_test.cc files it runs). FakeTransport is a
// transport::Transport that keeps what it is asked to send instead of
// sending it: the parts under test are sans-I/O apart from SendRtp/SendRtcp.
#ifndef WEBRTC_AGENT_TEST_NATIVE_ROUTER_FAKES_H_
#define WEBRTC_AGENT_TEST_NATIVE_ROUTER_FAKES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "router/track.h"
#include "router/track_table.h"
#include "rtp/byte_io.h"
#include "transport/transport.h"

namespace webrtc_agent::native_test {

class FakeTransport : public transport::Transport {
 public:
  explicit FakeTransport(std::string id, uint32_t rtcp_ssrc = 0xabc)
      : transport::Transport(std::move(id), rtcp_ssrc, nullptr) {}
  bool SendRtp(const uint8_t* data, size_t len) override {
    if (!accept) return false;
    rtp.emplace_back(data, data + len);
    return true;
  }
  bool SendRtcp(const uint8_t* data, size_t len) override {
    rtcp.emplace_back(data, data + len);
    return true;
  }
  bool CanSend() const override { return can_send; }
  uint64_t AvailableBitrateBps() const override { return estimate_bps; }
  void Close() override {}

  bool can_send = true;
  bool accept = true;  // SendRtp succeeds
  uint64_t estimate_bps = 0;  // the send-side estimate it reports (0: none)
  std::vector<std::vector<uint8_t>> rtp;
  std::vector<std::vector<uint8_t>> rtcp;
};

// A VP8 video track published on `source`, added to `table`.
inline router::Track* AddVp8Track(router::TrackTable& table, transport::Transport* source, const char* id) {
  auto owned = std::make_unique<router::Track>(id, router::MediaKind::kVideo, 90000);
  owned->source = source;
  owned->codec = rtp::Codec::kVp8;
  return table.AddTrack(std::move(owned));
}

// A minimal RTP packet (12-byte header) with `payload` bytes of 0xee.
inline std::vector<uint8_t> RtpPacket(uint16_t seq, uint32_t ts, uint32_t ssrc, uint8_t pt = 96,
                                      size_t payload = 20, bool marker = false) {
  std::vector<uint8_t> p(12 + payload, 0xee);
  p[0] = 0x80;
  p[1] = static_cast<uint8_t>((marker ? 0x80 : 0) | (pt & 0x7f));
  rtp::StoreU16(p.data() + 2, seq);
  rtp::StoreU32(p.data() + 4, ts);
  rtp::StoreU32(p.data() + 8, ssrc);
  return p;
}

inline uint16_t SeqOf(const std::vector<uint8_t>& p) { return rtp::LoadU16(p.data() + 2); }
inline uint32_t SsrcOf(const std::vector<uint8_t>& p) { return rtp::LoadU32(p.data() + 8); }
inline uint8_t PtOf(const std::vector<uint8_t>& p) { return p[1] & 0x7f; }
// The RTCP packet type of the first (or the n-th, by offset) packet of a compound.
inline uint8_t RtcpTypeAt(const std::vector<uint8_t>& c, size_t offset) { return c[offset + 1]; }
inline size_t RtcpLengthAt(const std::vector<uint8_t>& c, size_t offset) {
  return (static_cast<size_t>(rtp::LoadU16(c.data() + offset + 2)) + 1) * 4;
}

// Part tests, one per router part (each in its own file).
void KeyframeGateTests();
void TrackTableTests();
void FanoutTests();
void RetransmissionResponderTests();
void UpstreamFeedbackTests();
void RtxUnwrapperTests();
void RtcpSchedulerTests();
void LayeredFanoutTests();
void SvcFanoutTests();
void RepairBudgetTests();
void LayerControlTests();
void LayerControlSwitchTests();

}  // namespace webrtc_agent::native_test

#endif  // WEBRTC_AGENT_TEST_NATIVE_ROUTER_FAKES_H_
