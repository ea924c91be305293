// TestLoss: the test-only loss-injection switch (mediaTestSetSendLoss /
// mediaTestSetReceiveLoss). One per node thread, owned by the router and
// shared by its transports and its fan-out. Off (both shares 0) it costs one
// load and a predictable branch per packet: the transport checks it before
// it looks the packet's SSRC up, so a product run never pays for the switch.
#ifndef WEBRTC_AGENT_ADDON_TRANSPORT_TEST_LOSS_H_
#define WEBRTC_AGENT_ADDON_TRANSPORT_TEST_LOSS_H_

#include <cstdint>

namespace webrtc_agent {
namespace transport {

class TestLoss {
 public:
  explicit TestLoss(uint64_t seed) : rng_(seed != 0 ? seed : 0x9e3779b97f4a7c15ull) {}

  // Shares in per mille (0..1000).
  void set_send_per_mille(uint32_t p) { send_ = p; }
  void set_receive_per_mille(uint32_t p) { receive_ = p; }
  bool receive_on() const { return receive_ != 0; }

  // Whether this packet on its way to a subscriber is lost.
  bool LoseSend() { return send_ != 0 && Roll() < send_; }
  // Whether this packet arriving from a publisher is lost.
  bool LoseReceive() { return receive_ != 0 && Roll() < receive_; }

 private:
  uint32_t Roll() {
    // xorshift64*: a test's dice, not a secret.
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return static_cast<uint32_t>((rng_ * 0x2545F4914F6CDD1Dull) >> 32) % 1000;
  }

  uint64_t rng_;
  uint32_t send_ = 0;
  uint32_t receive_ = 0;
};

}  // namespace transport
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_TRANSPORT_TEST_LOSS_H_
