// Reading RTCP transport-cc feedback (RTPFB FMT 15,
// draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1): what a
// subscriber's receiver says about every packet the agent sent it on one
// transport: received (with its arrival time) or not.
//
// A pure function over untrusted bytes: every chunk and delta is checked
// against the bytes present, reserved symbols fail the packet, and the
// number of statuses it may expand to is capped (a 1.5 KB packet of
// run-length chunks can claim 65,535 of them).
//
// The writing side is TwccFeedback (rtp/twcc_feedback.h).
#ifndef WEBRTC_AGENT_ADDON_RTP_TRANSPORT_CC_H_
#define WEBRTC_AGENT_ADDON_RTP_TRANSPORT_CC_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rtp/rtcp.h"

namespace webrtc_agent::rtp {

// Statuses one feedback may expand to. A receiver reports every 50-250 ms;
// 8192 is seconds of packets at any rate a subscriber receives, and bounds
// what one hostile packet costs (64 KB of entries).
constexpr size_t kMaxTransportCcStatuses = 8192;

// One reported sequence number.
struct TransportCcEntry {
  uint16_t sequence = 0;
  bool received = false;
  // Arrival time, in 250 us ticks after the reference time; only when received.
  int64_t arrival_ticks = 0;
};

struct TransportCc {
  FeedbackHeader header;
  uint16_t base_sequence = 0;
  uint16_t status_count = 0;
  uint32_t reference_time = 0;  // 24 bits, in 64 ms units, the receiver's clock
  uint8_t feedback_count = 0;   // the receiver's counter of feedback packets
  // status_count entries, in sequence order (reused between calls: the
  // vector keeps its capacity).
  std::vector<TransportCcEntry> entries;
};

enum class TransportCcError : uint8_t {
  kNone,
  kNotTransportCc,  // another type/FMT, or shorter than the fixed fields
  kNoStatus,        // status count 0
  kTooMany,         // status count above the cap
  kTruncated,       // chunks or deltas run past the packet
  kReserved,        // a reserved status symbol (3)
};

const char* TransportCcErrorName(TransportCcError e);

// Decodes one RTPFB FMT 15 packet of a validated compound (RtcpCompoundReader).
// On failure `out` is unspecified and the error says why.
TransportCcError ParseTransportCc(const RtcpPacket& packet, TransportCc* out,
                                  size_t max_statuses = kMaxTransportCcStatuses);

}  // namespace webrtc_agent::rtp

#endif  // WEBRTC_AGENT_ADDON_RTP_TRANSPORT_CC_H_
