// RepairBudget: how much of each subscriber's link re-sends may use. Every
// kTickMs it gives each subscription that keeps packets for NACKs
// (Retransmitter) a rate of kSharePerMille of its transport's send-side
// estimate, split over the transport's such subscriptions by what each
// sends (evenly while none has a measured rate). Where a transport has no
// estimate (no transport-cc), the rate is 0 and the Retransmitter credits
// a share of the media it sends instead. Sans-I/O: the subscriptions and a
// clock in, each Retransmitter's rate out.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_REPAIR_BUDGET_H_
#define WEBRTC_AGENT_ADDON_ROUTER_REPAIR_BUDGET_H_

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

namespace webrtc_agent {
namespace transport {
class Transport;
}
namespace router {

class Subscription;

class RepairBudget {
 public:
  static constexpr uint64_t kTickMs = 200;
  // A fifth of the estimate: repairs on a link that loses a few per cent
  // need far less, and a storm of NACKs cannot take more than this from
  // the media.
  static constexpr uint64_t kSharePerMille = 200;

  void Tick(uint64_t now_ms, const std::unordered_map<std::string, std::unique_ptr<Subscription>>& subscriptions);

 private:
  struct Sum {
    uint64_t bps = 0;
    uint32_t count = 0;
  };
  uint64_t last_ms_ = 0;
  bool ticked_ = false;
  std::unordered_map<const transport::Transport*, Sum> sums_;  // reused every tick
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_REPAIR_BUDGET_H_
