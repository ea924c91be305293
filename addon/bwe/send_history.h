// SendHistory: what was sent on one transport, by transport-wide sequence
// number (send time, size, kind, probe cluster), so that transport-cc
// feedback can be matched to it.
//
// The numbers are allocated here, consecutively: the transport writes
// next_sequence() into a packet and calls OnSent once the packet went out.
// A fixed ring (allocated on first use) keyed by the unwrapped number: a
// report for a number older than the ring, not sent yet, or already
// acknowledged is counted and ignored, so a hostile feedback cannot make
// anything grow.
#ifndef WEBRTC_AGENT_ADDON_BWE_SEND_HISTORY_H_
#define WEBRTC_AGENT_ADDON_BWE_SEND_HISTORY_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bwe/bwe_types.h"

namespace webrtc_agent::bwe {

struct SendHistoryCounters {
  uint64_t sent = 0;       // packets numbered and sent
  uint64_t sent_bytes = 0;
  uint64_t received = 0;   // reported received (first report)
  uint64_t lost = 0;       // reported not received (first report; a later "received" moves it back)
  uint64_t media_lost = 0; // of those, media packets (not repairs, not padding): what NACKs repair
  uint64_t unknown = 0;    // reports of numbers not in the history (too old, never sent)
  uint64_t repeated = 0;   // reports of numbers already acknowledged
  uint64_t unreported = 0; // slots overwritten before any report named them
};

class SendHistory {
 public:
  // 4096 packets: two seconds at 2,000 packets/s, far longer than any
  // feedback takes to come back.
  static constexpr size_t kSlots = 4096;

  uint16_t next_sequence() const { return static_cast<uint16_t>(next_); }
  void OnSent(uint32_t size, PacketKind kind, int32_t cluster, int64_t now_us);

  // A report about `sequence` (16 bits, unwrapped against the newest sent).
  // True and `out` filled (send side) the first time a number is reported
  // received, or reported missing; a number first reported missing and
  // later received is returned once more, received. False otherwise.
  bool OnReport(uint16_t sequence, bool received, PacketResult* out);

  const SendHistoryCounters& counters() const { return counters_; }
  int64_t newest_send_us() const { return newest_send_us_; }

 private:
  enum class State : uint8_t { kEmpty, kSent, kLost, kReceived };
  struct Slot {
    int64_t sequence = -1;
    int64_t send_us = 0;
    uint32_t size = 0;
    int32_t cluster = kNoCluster;
    PacketKind kind = PacketKind::kMedia;
    State state = State::kEmpty;
  };

  std::vector<Slot> slots_;
  // The unwrapped number the next packet gets. Starts at 2^16 so that
  // unwrapping a report "before" the first number stays positive.
  int64_t next_ = int64_t{1} << 16;
  int64_t newest_send_us_ = 0;
  SendHistoryCounters counters_;
};

}  // namespace webrtc_agent::bwe

#endif  // WEBRTC_AGENT_ADDON_BWE_SEND_HISTORY_H_
