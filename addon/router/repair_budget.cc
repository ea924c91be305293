#include "router/repair_budget.h"

#include "router/subscription.h"
#include "transport/transport.h"

namespace webrtc_agent {
namespace router {

void RepairBudget::Tick(uint64_t now_ms,
                        const std::unordered_map<std::string, std::unique_ptr<Subscription>>& subscriptions) {
  if (ticked_ && now_ms - last_ms_ < kTickMs) return;
  ticked_ = true;
  last_ms_ = now_ms;
  sums_.clear();
  for (const auto& [id, s] : subscriptions) {
    if (!s->retransmitter) continue;
    Sum& sum = sums_[s->transport()];
    sum.bps += s->counters.bitrate.bps();
    sum.count++;
  }
  for (const auto& [id, s] : subscriptions) {
    if (!s->retransmitter) continue;
    const uint64_t estimate = s->transport()->AvailableBitrateBps();
    uint64_t rate = 0;
    if (estimate > 0) {
      const Sum& sum = sums_[s->transport()];
      const uint64_t pool = estimate * kSharePerMille / 1000;
      rate = sum.bps > 0 ? pool * s->counters.bitrate.bps() / sum.bps : pool / sum.count;
    }
    if (rate != s->retransmitter->budget_rate_bps()) s->retransmitter->SetBudgetRate(rate, now_ms);
  }
}

}  // namespace router
}  // namespace webrtc_agent
