#include "rtp/rtcp.h"

#include <limits>

namespace webrtc_agent::rtp {

namespace {

constexpr uint8_t kVersion = 2;
constexpr uint8_t kPaddingBit = 0x20;
constexpr uint8_t kCountMask = 0x1F;
constexpr size_t kFeedbackHeaderSize = 8;  // sender SSRC + media SSRC
constexpr size_t kNackPairSize = 4;        // PID + BLP
constexpr size_t kFirEntrySize = 8;        // SSRC + seq nr + 3 reserved
constexpr size_t kRembFixedSize = 8;       // 'REMB' + num SSRC/exp/mantissa
constexpr uint8_t kRembId[4] = {'R', 'E', 'M', 'B'};
constexpr uint8_t kSdesCname = 1;
constexpr size_t kMaxRembSsrcs = 255;
constexpr uint32_t kRembMaxMantissa = (1u << 18) - 1;
// Largest packet the 16-bit length field can describe, in bytes.
constexpr size_t kMaxRtcpPacketSize = (size_t{0xFFFF} + 1) * 4;

// The smallest body each type can have, given its count field. Types this
// layer does not know only need their header (RFC 3550 §6.1: unknown types
// are skipped, not rejected).
size_t MinBodySize(uint8_t type, uint8_t count) {
  switch (type) {
    case kRtcpSr:
      return 4 + kSenderInfoSize + count * kReportBlockSize;
    case kRtcpRr:
      return 4 + count * kReportBlockSize;
    case kRtcpBye:
      return 4u * count;
    case kRtcpApp:
      return 8;  // SSRC + 4-character name
    case kRtcpRtpfb:
    case kRtcpPsfb:
      return kFeedbackHeaderSize;
    default:
      return 0;
  }
}

void ReadReportBlock(const uint8_t* p, ReportBlock* out) {
  out->ssrc = LoadU32(p);
  out->fraction_lost = p[4];
  // 24-bit two's complement: sign-extend through the top byte.
  uint32_t lost = LoadU24(p + 5);
  if (lost & 0x800000u) lost |= 0xFF000000u;
  out->cumulative_lost = static_cast<int32_t>(lost);
  out->extended_highest_sequence = LoadU32(p + 8);
  out->jitter = LoadU32(p + 12);
  out->last_sr = LoadU32(p + 16);
  out->delay_since_last_sr = LoadU32(p + 20);
}

void WriteReportBlock(uint8_t* p, const ReportBlock& block) {
  StoreU32(p, block.ssrc);
  p[4] = block.fraction_lost;
  // Clamp to what 24 signed bits hold (RFC 3550 §6.4.1 says to clamp, not
  // wrap, a count that does not fit).
  int32_t lost = block.cumulative_lost;
  if (lost > 0x7FFFFF) lost = 0x7FFFFF;
  if (lost < -0x800000) lost = -0x800000;
  StoreU24(p + 5, static_cast<uint32_t>(lost) & 0xFFFFFFu);
  StoreU32(p + 8, block.extended_highest_sequence);
  StoreU32(p + 12, block.jitter);
  StoreU32(p + 16, block.last_sr);
  StoreU32(p + 20, block.delay_since_last_sr);
}

// Writes the common header; `size` is the whole packet, a multiple of 4.
void WriteHeader(uint8_t* out, uint8_t count, uint8_t type, size_t size) {
  out[0] = static_cast<uint8_t>((kVersion << 6) | (count & kCountMask));
  out[1] = type;
  StoreU16(out + 2, static_cast<uint16_t>(size / 4 - 1));
}

bool IsFeedback(const RtcpPacket& packet) {
  return packet.type == kRtcpRtpfb || packet.type == kRtcpPsfb;
}

bool IsRemb(const RtcpPacket& packet) {
  if (packet.type != kRtcpPsfb || packet.count != kPsfbAfb) return false;
  if (packet.body.size < kFeedbackHeaderSize + kRembFixedSize) return false;
  const uint8_t* id = packet.body.data + kFeedbackHeaderSize;
  return id[0] == kRembId[0] && id[1] == kRembId[1] && id[2] == kRembId[2] &&
         id[3] == kRembId[3];
}

// Rewrites the big-endian SSRC at `p` if it equals `from`.
int ReplaceSsrc(uint8_t* p, uint32_t from, uint32_t to) {
  if (LoadU32(p) != from) return 0;
  StoreU32(p, to);
  return 1;
}

}  // namespace

const char* RtcpErrorName(RtcpError error) {
  switch (error) {
    case RtcpError::kNone: return "none";
    case RtcpError::kEmpty: return "empty";
    case RtcpError::kTruncatedHeader: return "truncated header";
    case RtcpError::kBadVersion: return "bad version";
    case RtcpError::kBadType: return "bad packet type";
    case RtcpError::kLengthPastEnd: return "length past end";
    case RtcpError::kBadPadding: return "bad padding";
    case RtcpError::kBodyTooShort: return "body too short";
  }
  return "unknown";
}

bool RtcpCompoundReader::Fail(RtcpError error) {
  error_ = error;
  error_offset_ = pos_;
  return false;
}

bool RtcpCompoundReader::Next(RtcpPacket* out) {
  if (error_ != RtcpError::kNone) return false;
  if (data_ == nullptr || size_ == 0) return Fail(RtcpError::kEmpty);
  if (pos_ == size_) return false;

  const size_t left = size_ - pos_;
  const uint8_t* p = data_ + pos_;
  if (left < kRtcpHeaderSize) return Fail(RtcpError::kTruncatedHeader);
  if ((p[0] >> 6) != kVersion) return Fail(RtcpError::kBadVersion);
  // With rtcp-mux, RTP and RTCP are told apart by exactly this range; a
  // type outside it means we are not looking at an RTCP header at all.
  if (p[1] < 192 || p[1] > 223) return Fail(RtcpError::kBadType);
  // Length is in 32-bit words minus one, so a packet is at least 4 bytes
  // and always a multiple of 4: the compound cannot loop on a zero length.
  const size_t packet_size = (static_cast<size_t>(LoadU16(p + 2)) + 1) * 4;
  if (packet_size > left) return Fail(RtcpError::kLengthPastEnd);

  const bool padding = (p[0] & kPaddingBit) != 0;
  size_t padding_size = 0;
  if (padding) {
    // The last byte counts the padding including itself; it may not eat
    // into the header (RFC 3550 §6.4.1).
    padding_size = p[packet_size - 1];
    if (padding_size == 0 || padding_size > packet_size - kRtcpHeaderSize) {
      return Fail(RtcpError::kBadPadding);
    }
  }
  const uint8_t count = p[0] & kCountMask;
  const size_t body_size = packet_size - kRtcpHeaderSize - padding_size;
  if (body_size < MinBodySize(p[1], count)) {
    return Fail(RtcpError::kBodyTooShort);
  }

  out->count = count;
  out->type = p[1];
  out->padding = padding;
  out->data = p;
  out->size = packet_size;
  out->body = ByteSpan{p + kRtcpHeaderSize, body_size};
  pos_ += packet_size;
  ++packets_;
  return true;
}

bool IsValidRtcpCompound(const uint8_t* data, size_t size) {
  RtcpCompoundReader reader(data, size);
  RtcpPacket packet;
  while (reader.Next(&packet)) {
  }
  return reader.done();
}

bool ParseSenderReport(const RtcpPacket& packet, SenderReport* out) {
  if (packet.type != kRtcpSr) return false;
  const size_t need = 4 + kSenderInfoSize + packet.count * kReportBlockSize;
  if (packet.body.data == nullptr || packet.body.size < need) return false;
  const uint8_t* p = packet.body.data;
  out->sender.ssrc = LoadU32(p);
  out->sender.ntp_timestamp =
      (static_cast<uint64_t>(LoadU32(p + 4)) << 32) | LoadU32(p + 8);
  out->sender.rtp_timestamp = LoadU32(p + 12);
  out->sender.packet_count = LoadU32(p + 16);
  out->sender.octet_count = LoadU32(p + 20);
  out->report_count = packet.count;
  for (size_t i = 0; i < packet.count; ++i) {
    ReadReportBlock(p + 24 + i * kReportBlockSize, &out->reports[i]);
  }
  // Anything after the report blocks is a profile-specific extension
  // (RFC 3550 §6.4.1); it is allowed and ignored.
  return true;
}

bool ParseReceiverReport(const RtcpPacket& packet, ReceiverReport* out) {
  if (packet.type != kRtcpRr) return false;
  const size_t need = 4 + packet.count * kReportBlockSize;
  if (packet.body.data == nullptr || packet.body.size < need) return false;
  const uint8_t* p = packet.body.data;
  out->sender_ssrc = LoadU32(p);
  out->report_count = packet.count;
  for (size_t i = 0; i < packet.count; ++i) {
    ReadReportBlock(p + 4 + i * kReportBlockSize, &out->reports[i]);
  }
  return true;
}

bool ParseSdes(const RtcpPacket& packet, Sdes* out) {
  if (packet.type != kRtcpSdes || packet.body.data == nullptr) return false;
  const uint8_t* p = packet.body.data;
  const size_t end = packet.body.size;
  size_t pos = 0;
  out->chunk_count = 0;
  for (size_t c = 0; c < packet.count; ++c) {
    if (end - pos < 4) return false;
    SdesChunk& chunk = out->chunks[c];
    chunk.ssrc = LoadU32(p + pos);
    chunk.cname = ByteSpan{};
    pos += 4;
    // Items until a null type byte (RFC 3550 §6.5): type, length, text.
    for (;;) {
      if (pos >= end) return false;  // the list must be terminated
      const uint8_t type = p[pos];
      if (type == 0) {
        // End of list; the chunk is then padded with nulls to a 32-bit
        // boundary. The body starts 4 bytes into a 4-aligned packet, so
        // offsets within it align the same way.
        pos = (pos + 4) & ~size_t{3};
        if (pos > end) return false;
        break;
      }
      if (end - pos < 2) return false;
      const size_t len = p[pos + 1];
      if (end - pos - 2 < len) return false;
      if (type == kSdesCname && !chunk.cname.present()) {
        chunk.cname = ByteSpan{p + pos + 2, len};
      }
      pos += 2 + len;
    }
    out->chunk_count = c + 1;
  }
  return true;
}

bool ParseBye(const RtcpPacket& packet, Bye* out) {
  if (packet.type != kRtcpBye || packet.body.data == nullptr) return false;
  const uint8_t* p = packet.body.data;
  const size_t end = packet.body.size;
  const size_t ssrc_bytes = 4u * packet.count;
  if (end < ssrc_bytes) return false;
  out->ssrc_count = packet.count;
  for (size_t i = 0; i < packet.count; ++i) out->ssrcs[i] = LoadU32(p + 4 * i);
  out->reason = ByteSpan{};
  if (end > ssrc_bytes) {
    // Optional reason: a length byte and that many bytes of text.
    const size_t len = p[ssrc_bytes];
    if (end - ssrc_bytes - 1 < len) return false;
    out->reason = ByteSpan{p + ssrc_bytes + 1, len};
  }
  return true;
}

bool ParseFeedbackHeader(const RtcpPacket& packet, FeedbackHeader* out) {
  if (!IsFeedback(packet) || packet.body.data == nullptr ||
      packet.body.size < kFeedbackHeaderSize) {
    return false;
  }
  out->sender_ssrc = LoadU32(packet.body.data);
  out->media_ssrc = LoadU32(packet.body.data + 4);
  return true;
}

bool ParseNack(const RtcpPacket& packet, Nack* out, size_t max_sequences) {
  if (packet.type != kRtcpRtpfb || packet.count != kRtpfbNack) return false;
  if (!ParseFeedbackHeader(packet, &out->header)) return false;
  const size_t fci = packet.body.size - kFeedbackHeaderSize;
  // RFC 4585 §6.2.1: at least one (PID, BLP) pair, and only whole pairs.
  if (fci == 0 || fci % kNackPairSize != 0) return false;
  out->pair_count = fci / kNackPairSize;
  out->sequences.clear();
  out->truncated = false;
  const uint8_t* p = packet.body.data + kFeedbackHeaderSize;
  for (size_t i = 0; i < out->pair_count; ++i) {
    const uint16_t pid = LoadU16(p + i * kNackPairSize);
    const uint16_t blp = LoadU16(p + i * kNackPairSize + 2);
    // Bit k of the BLP reports the loss of PID + k + 1 (mod 2^16).
    for (int k = -1; k < 16; ++k) {
      if (k >= 0 && (blp & (1u << k)) == 0) continue;
      if (out->sequences.size() >= max_sequences) {
        out->truncated = true;
        return true;
      }
      out->sequences.push_back(static_cast<uint16_t>(pid + k + 1));
    }
  }
  return true;
}

bool ParsePli(const RtcpPacket& packet, Pli* out) {
  if (packet.type != kRtcpPsfb || packet.count != kPsfbPli) return false;
  // RFC 4585 §6.3.1: a PLI has no FCI. Extra bytes are tolerated (they
  // change nothing about what is asked for).
  return ParseFeedbackHeader(packet, &out->header);
}

bool ParseFir(const RtcpPacket& packet, Fir* out) {
  if (packet.type != kRtcpPsfb || packet.count != kPsfbFir) return false;
  if (!ParseFeedbackHeader(packet, &out->header)) return false;
  const size_t fci = packet.body.size - kFeedbackHeaderSize;
  // RFC 5104 §4.3.1.2: one or more whole 8-byte entries.
  if (fci == 0 || fci % kFirEntrySize != 0) return false;
  const uint8_t* p = packet.body.data + kFeedbackHeaderSize;
  out->entries.clear();
  out->entries.reserve(fci / kFirEntrySize);
  for (size_t off = 0; off < fci; off += kFirEntrySize) {
    FirEntry entry;
    entry.ssrc = LoadU32(p + off);
    entry.sequence_number = p[off + 4];
    out->entries.push_back(entry);
  }
  return true;
}

bool ParseRemb(const RtcpPacket& packet, Remb* out) {
  if (!IsRemb(packet)) return false;
  if (!ParseFeedbackHeader(packet, &out->header)) return false;
  // FCI: 'REMB', Num SSRC (8), BR Exp (6), BR Mantissa (18), SSRCs.
  const uint8_t* fci = packet.body.data + kFeedbackHeaderSize;
  const size_t num_ssrcs = fci[4];
  const unsigned exponent = fci[5] >> 2;
  const uint64_t mantissa =
      (static_cast<uint64_t>(fci[5] & 0x03) << 16) | LoadU16(fci + 6);
  const size_t left = packet.body.size - kFeedbackHeaderSize - kRembFixedSize;
  if (left < 4 * num_ssrcs) return false;
  // A 6-bit exponent over an 18-bit mantissa can exceed 64 bits: saturate
  // rather than let the shift drop high bits.
  if (mantissa != 0 && exponent > 0 && (mantissa >> (64 - exponent)) != 0) {
    out->bitrate_bps = std::numeric_limits<uint64_t>::max();
  } else {
    out->bitrate_bps = mantissa << exponent;
  }
  out->ssrcs.clear();
  out->ssrcs.reserve(num_ssrcs);
  for (size_t i = 0; i < num_ssrcs; ++i) {
    out->ssrcs.push_back(LoadU32(fci + kRembFixedSize + 4 * i));
  }
  return true;
}

bool IsTransportCc(const RtcpPacket& packet) {
  // Its FCI starts with base sequence (2), status count (2), reference time
  // (3) and feedback count (1).
  return packet.type == kRtcpRtpfb && packet.count == kRtpfbTransportCc &&
         packet.body.data != nullptr &&
         packet.body.size >= kFeedbackHeaderSize + 8;
}

size_t BuildPli(uint8_t* out, size_t capacity, uint32_t sender_ssrc,
                uint32_t media_ssrc) {
  constexpr size_t kSize = kRtcpHeaderSize + kFeedbackHeaderSize;
  if (out == nullptr || capacity < kSize) return 0;
  WriteHeader(out, kPsfbPli, kRtcpPsfb, kSize);
  StoreU32(out + 4, sender_ssrc);
  StoreU32(out + 8, media_ssrc);
  return kSize;
}

size_t BuildFir(uint8_t* out, size_t capacity, uint32_t sender_ssrc,
                uint32_t media_ssrc, uint8_t sequence_number) {
  constexpr size_t kSize = kRtcpHeaderSize + kFeedbackHeaderSize + kFirEntrySize;
  if (out == nullptr || capacity < kSize) return 0;
  WriteHeader(out, kPsfbFir, kRtcpPsfb, kSize);
  StoreU32(out + 4, sender_ssrc);
  // RFC 5104 §4.3.1.2: the header's media source SSRC is unused and set to
  // 0; the source being asked for a key frame is named in the FCI entry.
  StoreU32(out + 8, 0);
  StoreU32(out + 12, media_ssrc);
  out[16] = sequence_number;
  out[17] = out[18] = out[19] = 0;
  return kSize;
}

size_t BuildNack(uint8_t* out, size_t capacity, uint32_t sender_ssrc,
                 uint32_t media_ssrc, const uint16_t* sequences,
                 size_t count) {
  constexpr size_t kFixed = kRtcpHeaderSize + kFeedbackHeaderSize;
  if (out == nullptr || sequences == nullptr || count == 0 ||
      capacity < kFixed + kNackPairSize) {
    return 0;
  }
  size_t size = kFixed;
  size_t pair = 0;  // offset of the pair being filled; 0 = none yet
  for (size_t i = 0; i < count; ++i) {
    const uint16_t seq = sequences[i];
    if (pair != 0) {
      const uint16_t pid = LoadU16(out + pair);
      const uint16_t ahead = static_cast<uint16_t>(seq - pid);
      if (ahead == 0) continue;
      if (ahead <= 16) {
        const uint16_t blp = LoadU16(out + pair + 2);
        StoreU16(out + pair + 2,
                 static_cast<uint16_t>(blp | (1u << (ahead - 1))));
        continue;
      }
    }
    if (capacity - size < kNackPairSize || size + kNackPairSize > kMaxRtcpPacketSize) {
      return 0;
    }
    pair = size;
    StoreU16(out + pair, seq);
    StoreU16(out + pair + 2, 0);
    size += kNackPairSize;
  }
  WriteHeader(out, kRtpfbNack, kRtcpRtpfb, size);
  StoreU32(out + 4, sender_ssrc);
  StoreU32(out + 8, media_ssrc);
  return size;
}

size_t BuildRr(uint8_t* out, size_t capacity, uint32_t sender_ssrc,
               const ReportBlock* reports, size_t count) {
  if (out == nullptr || count > kMaxRtcpCount ||
      (count > 0 && reports == nullptr)) {
    return 0;
  }
  const size_t size = kRtcpHeaderSize + 4 + count * kReportBlockSize;
  if (capacity < size) return 0;
  WriteHeader(out, static_cast<uint8_t>(count), kRtcpRr, size);
  StoreU32(out + 4, sender_ssrc);
  for (size_t i = 0; i < count; ++i) {
    WriteReportBlock(out + 8 + i * kReportBlockSize, reports[i]);
  }
  return size;
}

size_t BuildSr(uint8_t* out, size_t capacity, const SenderInfo& sender,
               const ReportBlock* reports, size_t count) {
  if (out == nullptr || count > kMaxRtcpCount ||
      (count > 0 && reports == nullptr)) {
    return 0;
  }
  const size_t size =
      kRtcpHeaderSize + 4 + kSenderInfoSize + count * kReportBlockSize;
  if (capacity < size) return 0;
  WriteHeader(out, static_cast<uint8_t>(count), kRtcpSr, size);
  StoreU32(out + 4, sender.ssrc);
  StoreU32(out + 8, static_cast<uint32_t>(sender.ntp_timestamp >> 32));
  StoreU32(out + 12, static_cast<uint32_t>(sender.ntp_timestamp));
  StoreU32(out + 16, sender.rtp_timestamp);
  StoreU32(out + 20, sender.packet_count);
  StoreU32(out + 24, sender.octet_count);
  for (size_t i = 0; i < count; ++i) {
    WriteReportBlock(out + 28 + i * kReportBlockSize, reports[i]);
  }
  return size;
}

size_t BuildRemb(uint8_t* out, size_t capacity, uint32_t sender_ssrc,
                 uint64_t bitrate_bps, const uint32_t* ssrcs, size_t count) {
  if (out == nullptr || count > kMaxRembSsrcs ||
      (count > 0 && ssrcs == nullptr)) {
    return 0;
  }
  const size_t size =
      kRtcpHeaderSize + kFeedbackHeaderSize + kRembFixedSize + 4 * count;
  if (capacity < size) return 0;
  // Smallest exponent whose mantissa fits 18 bits; the value is rounded
  // down, so the advertised rate never exceeds what the estimator said.
  unsigned exponent = 0;
  uint64_t mantissa = bitrate_bps;
  while (mantissa > kRembMaxMantissa) {
    mantissa >>= 1;
    ++exponent;
  }
  WriteHeader(out, kPsfbAfb, kRtcpPsfb, size);
  StoreU32(out + 4, sender_ssrc);
  StoreU32(out + 8, 0);  // media source unused for REMB
  out[12] = kRembId[0];
  out[13] = kRembId[1];
  out[14] = kRembId[2];
  out[15] = kRembId[3];
  out[16] = static_cast<uint8_t>(count);
  out[17] = static_cast<uint8_t>((exponent << 2) | (mantissa >> 16));
  StoreU16(out + 18, static_cast<uint16_t>(mantissa));
  for (size_t i = 0; i < count; ++i) StoreU32(out + 20 + 4 * i, ssrcs[i]);
  return size;
}

int RewriteFeedbackSenderSsrc(uint8_t* data, size_t size,
                              uint32_t sender_ssrc) {
  if (!IsValidRtcpCompound(data, size)) return -1;
  int changed = 0;
  RtcpCompoundReader reader(data, size);
  RtcpPacket packet;
  while (reader.Next(&packet)) {
    if (!IsFeedback(packet)) continue;
    // The reader guarantees a feedback body of at least 8 bytes; the
    // offset comes from a pointer into `data`, so it is in bounds.
    uint8_t* p = data + (packet.body.data - data);
    if (LoadU32(p) != sender_ssrc) {
      StoreU32(p, sender_ssrc);
      ++changed;
    }
  }
  return changed;
}

int RewriteFeedbackMediaSsrc(uint8_t* data, size_t size, uint32_t from,
                             uint32_t to) {
  if (!IsValidRtcpCompound(data, size)) return -1;
  if (from == to) return 0;
  int changed = 0;
  RtcpCompoundReader reader(data, size);
  RtcpPacket packet;
  while (reader.Next(&packet)) {
    if (!IsFeedback(packet)) continue;
    uint8_t* body = data + (packet.body.data - data);
    const size_t body_size = packet.body.size;
    changed += ReplaceSsrc(body + 4, from, to);
    if (packet.type == kRtcpPsfb && packet.count == kPsfbFir) {
      // Whole entries only; a trailing partial entry is left untouched.
      for (size_t off = kFeedbackHeaderSize;
           body_size - off >= kFirEntrySize; off += kFirEntrySize) {
        changed += ReplaceSsrc(body + off, from, to);
      }
    } else if (IsRemb(packet)) {
      const size_t listed = body[kFeedbackHeaderSize + 4];
      size_t off = kFeedbackHeaderSize + kRembFixedSize;
      for (size_t i = 0; i < listed && body_size - off >= 4; ++i, off += 4) {
        changed += ReplaceSsrc(body + off, from, to);
      }
    }
  }
  return changed;
}

}  // namespace webrtc_agent::rtp
