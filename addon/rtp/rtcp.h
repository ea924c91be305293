// RTCP (RFC 3550 §6) compound packets and the feedback messages an SFU
// relays or answers: reports (SR/RR), SDES, BYE, generic NACK and
// transport-cc (RTPFB, RFC 4585 / draft-holmer-rmcat-transport-wide-cc),
// PLI, FIR and REMB (PSFB, RFC 4585 / RFC 5104 / draft-alvestrand-rmcat-remb).
//
// Reading: RtcpCompoundReader splits a compound packet and validates each
// packet's common header; the Parse* functions decode one packet's body.
// Writing: Build* functions write one packet into a caller buffer and return
// its size, or 0 (nothing usable written) if it does not fit or the
// arguments cannot be encoded. Rewrite* functions change SSRCs in place in a
// compound that is forwarded from a subscriber to a publisher.
//
// All input is untrusted: every length field is checked against the bytes
// present before it is used, and a malformed packet is reported, never
// "repaired".
#ifndef WEBRTC_AGENT_ADDON_RTP_RTCP_H_
#define WEBRTC_AGENT_ADDON_RTP_RTCP_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rtp/byte_io.h"

namespace webrtc_agent::rtp {

// Packet types (RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611).
constexpr uint8_t kRtcpSr = 200;
constexpr uint8_t kRtcpRr = 201;
constexpr uint8_t kRtcpSdes = 202;
constexpr uint8_t kRtcpBye = 203;
constexpr uint8_t kRtcpApp = 204;
constexpr uint8_t kRtcpRtpfb = 205;
constexpr uint8_t kRtcpPsfb = 206;
constexpr uint8_t kRtcpXr = 207;

// Feedback message types (the FMT field, in place of the count).
constexpr uint8_t kRtpfbNack = 1;         // RFC 4585 §6.2.1
constexpr uint8_t kRtpfbTransportCc = 15;  // transport-wide congestion control
constexpr uint8_t kPsfbPli = 1;           // RFC 4585 §6.3.1
constexpr uint8_t kPsfbFir = 4;           // RFC 5104 §4.3.1
constexpr uint8_t kPsfbAfb = 15;          // application layer FB (REMB)

constexpr size_t kRtcpHeaderSize = 4;
constexpr size_t kReportBlockSize = 24;
constexpr size_t kSenderInfoSize = 20;  // after the sender SSRC
// The 5-bit count field caps report blocks, SDES chunks and BYE sources.
constexpr size_t kMaxRtcpCount = 31;
// Default cap on the sequence numbers one NACK may expand to: a single
// 64 KiB packet could otherwise ask for ~280k retransmissions.
constexpr size_t kMaxNackSequences = 4096;

// One packet of a compound, with a validated common header.
struct RtcpPacket {
  uint8_t count = 0;  // RC, SC or FMT, by type
  uint8_t type = 0;
  bool padding = false;
  // The whole packet: header, body and padding; inside the compound buffer.
  const uint8_t* data = nullptr;
  size_t size = 0;
  // After the 4-byte header, padding excluded.
  ByteSpan body;
};

enum class RtcpError : uint8_t {
  kNone,
  kEmpty,             // no bytes at all
  kTruncatedHeader,   // fewer than 4 bytes left for a header
  kBadVersion,        // version is not 2
  kBadType,           // packet type outside 192..223 (RFC 5761 §4)
  kLengthPastEnd,     // the length field claims more than is left
  kBadPadding,        // padding count 0 or larger than the body
  kBodyTooShort,      // too short for its type and count (e.g. RC report
                      // blocks in an RR, SC sources in a BYE)
};

const char* RtcpErrorName(RtcpError error);

class RtcpCompoundReader {
 public:
  RtcpCompoundReader(const uint8_t* data, size_t size)
      : data_(data), size_(size) {}

  // The next packet. False at the end of the compound, or at the first
  // malformed packet; then error() says what was wrong and errorOffset()
  // where that packet starts, and every later call is false too (once a
  // length field lies, nothing after it can be located reliably).
  bool Next(RtcpPacket* out);

  RtcpError error() const { return error_; }
  size_t errorOffset() const { return error_offset_; }
  // Well-formed packets returned so far.
  size_t packetCount() const { return packets_; }
  // True once the whole buffer has been read without error.
  bool done() const { return error_ == RtcpError::kNone && pos_ == size_ && size_ > 0; }

 private:
  bool Fail(RtcpError error);

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  size_t packets_ = 0;
  RtcpError error_ = RtcpError::kNone;
  size_t error_offset_ = 0;
};

// True if the buffer is a non-empty compound of well-formed packets.
bool IsValidRtcpCompound(const uint8_t* data, size_t size);

struct ReportBlock {
  uint32_t ssrc = 0;
  uint8_t fraction_lost = 0;
  int32_t cumulative_lost = 0;  // signed 24-bit on the wire
  uint32_t extended_highest_sequence = 0;
  uint32_t jitter = 0;
  uint32_t last_sr = 0;
  uint32_t delay_since_last_sr = 0;
};

struct SenderInfo {
  uint32_t ssrc = 0;
  uint64_t ntp_timestamp = 0;  // 32.32 fixed point, seconds since 1900
  uint32_t rtp_timestamp = 0;
  uint32_t packet_count = 0;
  uint32_t octet_count = 0;
};

struct SenderReport {
  SenderInfo sender;
  size_t report_count = 0;
  ReportBlock reports[kMaxRtcpCount];
};

struct ReceiverReport {
  uint32_t sender_ssrc = 0;
  size_t report_count = 0;
  ReportBlock reports[kMaxRtcpCount];
};

struct SdesChunk {
  uint32_t ssrc = 0;
  ByteSpan cname;  // absent if the chunk has no CNAME item
};

struct Sdes {
  size_t chunk_count = 0;
  SdesChunk chunks[kMaxRtcpCount];
};

struct Bye {
  size_t ssrc_count = 0;
  uint32_t ssrcs[kMaxRtcpCount] = {};
  ByteSpan reason;  // absent if none
};

// The two SSRCs every RTPFB/PSFB message starts with (RFC 4585 §6.1).
struct FeedbackHeader {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;
};

struct Nack {
  FeedbackHeader header;
  size_t pair_count = 0;
  // Every lost packet, in FCI order (PID, then the BLP bits low to high);
  // at most the cap given to ParseNack.
  std::vector<uint16_t> sequences;
  bool truncated = false;  // the cap cut the list short
};

struct Pli {
  FeedbackHeader header;
};

struct FirEntry {
  uint32_t ssrc = 0;
  uint8_t sequence_number = 0;
};

struct Fir {
  FeedbackHeader header;  // media_ssrc is unused (0) for FIR
  std::vector<FirEntry> entries;
};

struct Remb {
  FeedbackHeader header;
  uint64_t bitrate_bps = 0;  // mantissa << exponent, saturated
  std::vector<uint32_t> ssrcs;
};

// Each parser returns false if `packet` is not of its type/format or its
// body does not hold what its header and fields announce.
bool ParseSenderReport(const RtcpPacket& packet, SenderReport* out);
bool ParseReceiverReport(const RtcpPacket& packet, ReceiverReport* out);
// Walks every chunk and item (the whole structure is checked, so a caller
// that only wants to skip SDES can ignore the result).
bool ParseSdes(const RtcpPacket& packet, Sdes* out);
bool ParseBye(const RtcpPacket& packet, Bye* out);
// Any RTPFB or PSFB packet.
bool ParseFeedbackHeader(const RtcpPacket& packet, FeedbackHeader* out);
bool ParseNack(const RtcpPacket& packet, Nack* out,
               size_t max_sequences = kMaxNackSequences);
bool ParsePli(const RtcpPacket& packet, Pli* out);
bool ParseFir(const RtcpPacket& packet, Fir* out);
bool ParseRemb(const RtcpPacket& packet, Remb* out);
// RTPFB FMT 15 with room for its fixed FCI fields; not decoded further.
bool IsTransportCc(const RtcpPacket& packet);

// Builders. Report counts above 31, an empty NACK list, more than 255 REMB
// SSRCs: 0.
size_t BuildPli(uint8_t* out, size_t capacity, uint32_t sender_ssrc,
                uint32_t media_ssrc);
size_t BuildFir(uint8_t* out, size_t capacity, uint32_t sender_ssrc,
                uint32_t media_ssrc, uint8_t sequence_number);
// Packs the sequence numbers into (PID, BLP) pairs: each pair covers its PID
// and the 16 numbers after it (mod 2^16). Ascending input (in RTP sequence
// order) gives the fewest pairs; any order is encoded correctly.
size_t BuildNack(uint8_t* out, size_t capacity, uint32_t sender_ssrc,
                 uint32_t media_ssrc, const uint16_t* sequences, size_t count);
size_t BuildRr(uint8_t* out, size_t capacity, uint32_t sender_ssrc,
               const ReportBlock* reports, size_t count);
size_t BuildSr(uint8_t* out, size_t capacity, const SenderInfo& sender,
               const ReportBlock* reports, size_t count);
size_t BuildRemb(uint8_t* out, size_t capacity, uint32_t sender_ssrc,
                 uint64_t bitrate_bps, const uint32_t* ssrcs, size_t count);

// In-place rewriting of a compound forwarded from a subscriber towards a
// publisher. The whole compound is validated first: if any packet is
// malformed nothing is written and the result is -1. Otherwise the result is
// the number of SSRC fields changed.
//
// Sender SSRC of every RTPFB/PSFB packet (feedback relayed by the SFU is
// sent as the SFU's own source).
int RewriteFeedbackSenderSsrc(uint8_t* data, size_t size, uint32_t sender_ssrc);
// Every media-source SSRC equal to `from` in RTPFB/PSFB packets: the media
// SSRC field (NACK, PLI, transport-cc, ...), each FIR entry's SSRC, each
// SSRC of a REMB.
int RewriteFeedbackMediaSsrc(uint8_t* data, size_t size, uint32_t from,
                             uint32_t to);

}  // namespace webrtc_agent::rtp

#endif  // WEBRTC_AGENT_ADDON_RTP_RTCP_H_
