#include "rtp/rtp_packet.h"

namespace webrtc_agent::rtp {

namespace {

constexpr uint8_t kPaddingBit = 0x20;
constexpr uint8_t kExtensionBit = 0x10;
constexpr uint8_t kCsrcCountMask = 0x0F;
constexpr uint8_t kMarkerBit = 0x80;
constexpr uint8_t kPayloadTypeMask = 0x7F;
// RFC 8285 §4.2: in the one-byte form id 15 is reserved; meeting it ends the
// walk, and only the elements before it count.
constexpr uint8_t kOneByteStopId = 15;

enum class Step { kElement, kEnd, kMalformed };

// One step of the RFC 8285 element walk. `*pos` is an offset into `block`
// and only moves forward, so the walk always terminates.
Step WalkStep(ExtensionForm form, ByteSpan block, size_t* pos,
              RtpExtension* out) {
  while (*pos < block.size) {
    const uint8_t first = block.data[*pos];
    // Id 0 is reserved for padding in both forms; padding is single bytes
    // with no length to skip. In the one-byte form only the id nibble
    // decides: a byte 0x0L is never an element, whatever its length nibble
    // says (found by the fuzzer: such bytes came out as "elements" of id 0).
    const uint8_t id_bits = form == ExtensionForm::kOneByte ? (first >> 4) : first;
    if (id_bits == 0) {
      ++*pos;
      continue;
    }
    if (form == ExtensionForm::kOneByte) {
      const uint8_t id = first >> 4;
      if (id == kOneByteStopId) return Step::kMalformed;
      // The 4-bit length is "bytes minus one": 1..16 data bytes.
      const size_t len = static_cast<size_t>(first & 0x0F) + 1;
      if (block.size - *pos - 1 < len) return Step::kMalformed;
      out->id = id;
      out->value = ByteSpan{block.data + *pos + 1, len};
      *pos += 1 + len;
      return Step::kElement;
    }
    // Two-byte form: id byte, length byte (0..255 data bytes).
    if (block.size - *pos < 2) return Step::kMalformed;
    const size_t len = block.data[*pos + 1];
    if (block.size - *pos - 2 < len) return Step::kMalformed;
    out->id = first;
    out->value = ByteSpan{block.data + *pos + 2, len};
    *pos += 2 + len;
    return Step::kElement;
  }
  return Step::kEnd;
}

bool HasFixedHeader(const uint8_t* data, size_t size) {
  return data != nullptr && size >= kRtpFixedHeaderSize &&
         (data[0] >> 6) == kRtpVersion;
}

}  // namespace

bool RtpPacketView::Parse() {
  valid_ = false;
  header_size_ = 0;
  payload_size_ = 0;
  padding_size_ = 0;
  extension_form_ = ExtensionForm::kNone;
  extension_profile_ = 0;
  extension_block_ = ByteSpan{};
  extensions_truncated_ = false;

  if (!HasFixedHeader(data_, size_)) return false;

  // Sizes are compared as "what is left" (size_ - pos, pos <= size_ always
  // holds) so that no sum of attacker-chosen lengths can wrap around.
  size_t pos = kRtpFixedHeaderSize;
  const size_t csrc_bytes = 4u * (data_[0] & kCsrcCountMask);
  if (size_ - pos < csrc_bytes) return false;
  pos += csrc_bytes;

  ExtensionForm form = ExtensionForm::kNone;
  uint16_t profile = 0;
  ByteSpan block;
  if (data_[0] & kExtensionBit) {
    if (size_ - pos < 4) return false;
    profile = LoadU16(data_ + pos);
    // The length counts 32-bit words after the 4-byte extension header.
    const size_t block_bytes = 4u * LoadU16(data_ + pos + 2);
    pos += 4;
    if (size_ - pos < block_bytes) return false;
    block = ByteSpan{data_ + pos, block_bytes};
    pos += block_bytes;
    if (profile == kOneByteExtensionProfile) {
      form = ExtensionForm::kOneByte;
    } else if ((profile & kTwoByteExtensionProfileMask) ==
               kTwoByteExtensionProfile) {
      form = ExtensionForm::kTwoByte;
    } else {
      form = ExtensionForm::kOther;
    }
  }

  size_t padding = 0;
  if (data_[0] & kPaddingBit) {
    // The last byte counts the padding bytes including itself (RFC 3550
    // §5.1), so 0 is impossible, and the padding must not reach back into
    // the header: otherwise payloadSize() would underflow.
    if (pos == size_) return false;
    padding = data_[size_ - 1];
    if (padding == 0 || padding > size_ - pos) return false;
  }

  valid_ = true;
  header_size_ = pos;
  padding_size_ = padding;
  payload_size_ = size_ - pos - padding;
  extension_form_ = form;
  extension_profile_ = profile;
  extension_block_ = block;

  if (form == ExtensionForm::kOneByte || form == ExtensionForm::kTwoByte) {
    size_t cursor = 0;
    RtpExtension ext;
    Step step;
    while ((step = WalkStep(form, block, &cursor, &ext)) == Step::kElement) {
    }
    extensions_truncated_ = step == Step::kMalformed;
  }
  return true;
}

bool RtpPacketView::hasPadding() const {
  return valid_ && (data_[0] & kPaddingBit) != 0;
}

bool RtpPacketView::hasExtension() const {
  return valid_ && (data_[0] & kExtensionBit) != 0;
}

bool RtpPacketView::marker() const {
  return valid_ && (data_[1] & kMarkerBit) != 0;
}

uint8_t RtpPacketView::payloadType() const {
  return valid_ ? (data_[1] & kPayloadTypeMask) : 0;
}

uint16_t RtpPacketView::sequence() const {
  return valid_ ? LoadU16(data_ + 2) : 0;
}

uint32_t RtpPacketView::timestamp() const {
  return valid_ ? LoadU32(data_ + 4) : 0;
}

uint32_t RtpPacketView::ssrc() const {
  return valid_ ? LoadU32(data_ + 8) : 0;
}

uint8_t RtpPacketView::csrcCount() const {
  return valid_ ? (data_[0] & kCsrcCountMask) : 0;
}

uint32_t RtpPacketView::csrc(size_t i) const {
  if (i >= csrcCount()) return 0;
  return LoadU32(data_ + kRtpFixedHeaderSize + 4 * i);
}

ByteSpan RtpPacketView::FindExtension(uint8_t id) const {
  if (id == 0) return ByteSpan{};
  size_t cursor = 0;
  RtpExtension ext;
  while (NextExtension(&cursor, &ext)) {
    if (ext.id == id) return ext.value;
  }
  return ByteSpan{};
}

bool RtpPacketView::NextExtension(size_t* cursor, RtpExtension* out) const {
  if (!valid_ || (extension_form_ != ExtensionForm::kOneByte &&
                  extension_form_ != ExtensionForm::kTwoByte)) {
    return false;
  }
  if (*cursor > extension_block_.size) return false;
  if (WalkStep(extension_form_, extension_block_, cursor, out) ==
      Step::kElement) {
    return true;
  }
  // Park the cursor at the end so that calling again stays false.
  *cursor = extension_block_.size;
  return false;
}

bool LooksLikeRtp(const uint8_t* data, size_t size) {
  return HasFixedHeader(data, size) && !IsRtcpPacket(data, size);
}

bool IsRtcpPacket(const uint8_t* data, size_t size) {
  // The smallest RTCP packet is its 4-byte common header.
  if (data == nullptr || size < 4 || (data[0] >> 6) != kRtpVersion) {
    return false;
  }
  return data[1] >= 192 && data[1] <= 223;
}

PacketClass Classify(const uint8_t* data, size_t size) {
  if (data == nullptr || size == 0) return PacketClass::kUnknown;
  const uint8_t b = data[0];
  if (b <= 3) return PacketClass::kStun;
  if (b >= 20 && b <= 63) return PacketClass::kDtls;
  if (b >= 128 && b <= 191) {
    // The first byte only says "RTP or RTCP"; RFC 5761 splits them.
    if (size >= 2 && data[1] >= 192 && data[1] <= 223) {
      return PacketClass::kRtcp;
    }
    return PacketClass::kRtp;
  }
  return PacketClass::kUnknown;
}

bool SetSsrc(uint8_t* data, size_t size, uint32_t ssrc) {
  if (!HasFixedHeader(data, size)) return false;
  StoreU32(data + 8, ssrc);
  return true;
}

bool SetSequence(uint8_t* data, size_t size, uint16_t sequence) {
  if (!HasFixedHeader(data, size)) return false;
  StoreU16(data + 2, sequence);
  return true;
}

bool SetTimestamp(uint8_t* data, size_t size, uint32_t timestamp) {
  if (!HasFixedHeader(data, size)) return false;
  StoreU32(data + 4, timestamp);
  return true;
}

bool SetPayloadType(uint8_t* data, size_t size, uint8_t payload_type) {
  if (!HasFixedHeader(data, size) || payload_type > kPayloadTypeMask) {
    return false;
  }
  data[1] = static_cast<uint8_t>((data[1] & kMarkerBit) | payload_type);
  return true;
}

bool SetMarker(uint8_t* data, size_t size, bool marker) {
  if (!HasFixedHeader(data, size)) return false;
  data[1] = static_cast<uint8_t>((data[1] & kPayloadTypeMask) |
                                 (marker ? kMarkerBit : 0));
  return true;
}

int RewriteExtensionId(uint8_t* data, size_t size, uint8_t from, uint8_t to) {
  RtpPacketView view(data, size);
  if (!view.Parse()) return -1;
  const ExtensionForm form = view.extensionForm();
  if (form == ExtensionForm::kOneByte) {
    if (to == 0 || to >= kOneByteStopId) return -1;
  } else if (form == ExtensionForm::kTwoByte) {
    if (to == 0) return -1;
  } else {
    // No RFC 8285 block: nothing to renumber, but nothing wrong either.
    return 0;
  }
  if (from == 0 || from == to) return 0;

  int rewritten = 0;
  size_t cursor = 0;
  RtpExtension ext;
  while (view.NextExtension(&cursor, &ext)) {
    if (ext.id != from) continue;
    // The element's id byte sits just before its value (one byte of
    // id+length, or id then length). Offsets come from pointers into `data`,
    // so the write stays inside the block the walk already bounds-checked.
    const size_t header_bytes = form == ExtensionForm::kOneByte ? 1 : 2;
    const size_t at = static_cast<size_t>(ext.value.data - data) - header_bytes;
    if (form == ExtensionForm::kOneByte) {
      data[at] = static_cast<uint8_t>((to << 4) | (data[at] & 0x0F));
    } else {
      data[at] = to;
    }
    ++rewritten;
  }
  return rewritten;
}

}  // namespace webrtc_agent::rtp
