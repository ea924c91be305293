// RepairBudget (addon/router/repair_budget): each subscription that keeps
// packets for NACKs gets a fifth of its transport's estimate, split by what
// each sends; none where there is no estimate; every 200 ms.
#include <memory>
#include <string>
#include <unordered_map>

#include "check.h"
#include "router/repair_budget.h"
#include "router/subscription.h"
#include "router/track.h"
#include "router_fakes.h"

namespace webrtc_agent::native_test {

using router::MediaKind;
using router::RepairBudget;
using router::Subscription;
using router::Track;

void RepairBudgetTests() {
  FakeTransport with("with");
  with.estimate_bps = 1'000'000;
  FakeTransport without("without");
  Track video("v", MediaKind::kVideo, 90000);
  Track audio("a", MediaKind::kAudio, 48000);
  std::unordered_map<std::string, std::unique_ptr<Subscription>> subs;
  auto add = [&](const std::string& id, FakeTransport* t, Track* track, bool keeps) {
    auto s = std::make_unique<Subscription>(id, t, track, 1000 + static_cast<uint32_t>(subs.size()), 96, 90000);
    if (keeps) s->retransmitter = std::make_unique<rtp::Retransmitter>();
    Subscription* raw = s.get();
    subs.emplace(id, std::move(s));
    return raw;
  };
  Subscription* v1 = add("v1", &with, &video, true);
  Subscription* v2 = add("v2", &with, &video, true);
  Subscription* a1 = add("a1", &with, &audio, false);  // keeps nothing: no budget
  Subscription* v3 = add("v3", &without, &video, true);

  RepairBudget b;
  // No rates measured yet: the 200k pool split evenly.
  b.Tick(1000, subs);
  CHECK_EQ(v1->retransmitter->budget_rate_bps(), 100'000u);
  CHECK_EQ(v2->retransmitter->budget_rate_bps(), 100'000u);
  CHECK(a1->retransmitter == nullptr);
  CHECK_EQ(v3->retransmitter->budget_rate_bps(), 0u);  // no estimate there
  // Measured rates: 300k and 100k, the pool split 3:1.
  v1->counters.bitrate.Sample(0, 1000);
  v1->counters.bitrate.Sample(37'500, 2000);
  v2->counters.bitrate.Sample(0, 1000);
  v2->counters.bitrate.Sample(12'500, 2000);
  with.estimate_bps = 800'000;
  b.Tick(1100, subs);  // within 200 ms: nothing changes
  CHECK_EQ(v1->retransmitter->budget_rate_bps(), 100'000u);
  b.Tick(1200, subs);
  CHECK_EQ(v1->retransmitter->budget_rate_bps(), 120'000u);
  CHECK_EQ(v2->retransmitter->budget_rate_bps(), 40'000u);
  // The estimate goes away: back to the media share.
  with.estimate_bps = 0;
  b.Tick(1400, subs);
  CHECK_EQ(v1->retransmitter->budget_rate_bps(), 0u);
}

}  // namespace webrtc_agent::native_test
