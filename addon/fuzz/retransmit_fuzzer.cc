// libFuzzer target: the Retransmitter fed hostile NACK lists. The input is a
// list of events: packets sent (a run of sequence numbers with a size),
// NACKs (up to 4,096 numbers taken from the input: repeats, numbers never
// sent, numbers long gone), source switches and clock steps with an RTT.
// The invariants are the ones the router relies on to keep a subscriber's
// link from flooding: every re-send was NACKed, sent and is in the buffer,
// no number twice in one answer, no packet more than max_resends times,
// bytes re-sent never above the budget (initial credit plus the share of
// the media bytes), and the counters account for every number requested.
// Built and run by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "rtp/byte_io.h"
#include "rtp/retransmitter.h"

using namespace webrtc_agent::rtp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  RetransmitOptions opts;
  if (data[0] & 1) {
    opts.max_resends = 1;
    opts.budget_per_mille = 1000;
    opts.max_credit_bytes = 4000;
    opts.initial_credit_bytes = 0;
  }
  Retransmitter r(opts);
  uint64_t now = 1000;
  int64_t rtt = -1;
  uint64_t media_bytes = 0;
  uint16_t next_seq = static_cast<uint16_t>(data[0] << 8);
  // Per sequence number: re-sends since it was last sent (the fuzzer's own
  // bookkeeping, independent of the class's slots).
  std::unordered_map<uint16_t, uint32_t> resends;
  std::vector<uint16_t> list, out, missed;
  size_t at = 1;
  while (at + 3 <= size) {
    const uint8_t op = data[at];
    const uint16_t arg = LoadU16(data + at + 1);
    at += 3;
    switch (op % 4) {
      case 0: {  // send a run of packets
        const int n = 1 + (arg & 0x3ff);
        const size_t bytes = 20 + (arg >> 10) * 40;
        for (int i = 0; i < n; ++i) {
          r.OnSent(next_seq, bytes);
          resends[next_seq] = 0;
          media_bytes += bytes;
          next_seq++;
        }
        break;
      }
      case 1: {  // a NACK: `arg` numbers, from the input, near the newest
        list.clear();
        const size_t n = arg % 4097;
        for (size_t i = 0; i < n; ++i) {
          const uint8_t b = at < size ? data[at++] : static_cast<uint8_t>(i);
          list.push_back(static_cast<uint16_t>(next_seq - 1 - b * ((op >> 2) + 1)));
        }
        out.clear();
        missed.clear();
        r.OnNack(list.data(), list.size(), now, rtt, &out, &missed);
        std::unordered_set<uint16_t> asked(list.begin(), list.end()), answered;
        for (uint16_t s : out) {
          FUZZ_CHECK(asked.count(s));
          FUZZ_CHECK(answered.insert(s).second);
          auto it = resends.find(s);
          FUZZ_CHECK(it != resends.end());
          FUZZ_CHECK(++it->second <= opts.max_resends);
        }
        for (uint16_t s : missed) FUZZ_CHECK(answered.insert(s).second);
        FUZZ_CHECK(out.size() + missed.size() <= asked.size());
        break;
      }
      case 2:
        r.OnSwitch();
        break;
      case 3:
        now += arg & 0xfff;
        rtt = (arg & 0x8000) ? -1 : static_cast<int64_t>((arg >> 12) & 7) * 50;
        break;
    }
  }
  const RetransmitCounters& c = r.counters();
  FUZZ_CHECK(c.bytes <= opts.initial_credit_bytes + media_bytes * opts.budget_per_mille / 1000);
  FUZZ_CHECK(c.requested == c.duplicates + c.sent + c.missed + c.before_switch + c.too_soon + c.too_many +
                                c.over_budget);
  FUZZ_CHECK(r.credit_bytes() <= opts.max_credit_bytes);
  return 0;
}
