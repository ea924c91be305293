#include "rtp/keyframe.h"

#include "rtp/byte_io.h"
#include "rtp/picture_size.h"

namespace webrtc_agent::rtp {

namespace {

// --- VP8 (RFC 7741 §4.2, §4.3) ---
bool IsVp8Keyframe(const uint8_t* p, size_t size, PictureSize* picture) {
  if (size < 1) return false;
  const uint8_t first = p[0];
  const bool extended = (first & 0x80) != 0;
  const bool start = (first & 0x10) != 0;
  const uint8_t partition = first & 0x07;
  size_t pos = 1;
  if (extended) {
    if (size - pos < 1) return false;
    const uint8_t x = p[pos++];
    if (x & 0x80) {  // I: picture id, 7 or 15 bits (M bit)
      if (size - pos < 1) return false;
      const size_t id_bytes = (p[pos] & 0x80) ? 2 : 1;
      if (size - pos < id_bytes) return false;
      pos += id_bytes;
    }
    if (x & 0x40) {  // L: TL0PICIDX
      if (size - pos < 1) return false;
      ++pos;
    }
    if (x & 0x30) {  // T or K: one byte of TID/Y/KEYIDX
      if (size - pos < 1) return false;
      ++pos;
    }
  }
  // Only the start of partition 0 carries the VP8 payload header.
  if (!start || partition != 0) return false;
  // Frame tag (3 bytes), whose lowest bit is the inverse key frame flag,
  // then on a key frame the start code 0x9d 0x01 0x2a. Checking the start
  // code keeps a stray zero bit from passing as a key frame.
  if (size - pos < 6) return false;
  if ((p[pos] & 0x01) != 0) return false;
  if (p[pos + 3] != 0x9d || p[pos + 4] != 0x01 || p[pos + 5] != 0x2a) return false;
  // RFC 6386 §9.1: 14 bits of width and of height (little-endian), each
  // with 2 bits of upscaling that do not change the coded size.
  if (picture != nullptr && size - pos >= 10) {
    PictureSize s{static_cast<uint32_t>((p[pos + 6] | (p[pos + 7] << 8)) & 0x3FFF),
                  static_cast<uint32_t>((p[pos + 8] | (p[pos + 9] << 8)) & 0x3FFF)};
    if (s.known()) *picture = s;
  }
  return true;
}

// --- VP9 (RFC 9628 §4.2) ---
bool IsVp9Keyframe(const uint8_t* p, size_t size, PictureSize* picture) {
  if (size < 1) return false;
  const uint8_t first = p[0];
  const bool has_picture_id = (first & 0x80) != 0;
  const bool inter_predicted = (first & 0x40) != 0;
  const bool has_layers = (first & 0x20) != 0;
  const bool flexible = (first & 0x10) != 0;
  const bool begins_frame = (first & 0x08) != 0;
  const bool has_ss = (first & 0x02) != 0;
  size_t pos = 1;
  if (has_picture_id) {
    if (size - pos < 1) return false;
    const size_t id_bytes = (p[pos] & 0x80) ? 2 : 1;
    if (size - pos < id_bytes) return false;
    pos += id_bytes;
  }
  uint8_t spatial_id = 0;
  if (has_layers) {
    if (size - pos < 1) return false;
    spatial_id = (p[pos] >> 1) & 0x07;
    ++pos;
    if (!flexible) {  // TL0PICIDX, non-flexible mode only
      if (size - pos < 1) return false;
      ++pos;
    }
  }
  if (flexible && inter_predicted) {
    // Up to 3 reference deltas, each with an N bit saying another follows.
    bool more = true;
    for (int i = 0; i < 3 && more; ++i) {
      if (size - pos < 1) return false;
      more = (p[pos] & 0x01) != 0;
      ++pos;
    }
    if (more) return false;
  }
  PictureSize ss_size;
  if (has_ss) {
    if (size - pos < 1) return false;
    const uint8_t ss = p[pos++];
    const size_t spatial_layers = static_cast<size_t>(ss >> 5) + 1;
    if (ss & 0x10) {  // Y: width and height (2+2 bytes) per spatial layer
      if (size - pos < 4 * spatial_layers) return false;
      // The layers grow in size: the last one is the full picture.
      const uint8_t* top = p + pos + 4 * (spatial_layers - 1);
      ss_size = {LoadU16(top), LoadU16(top + 2)};
      pos += 4 * spatial_layers;
    }
    if (ss & 0x08) {  // G: picture group description
      if (size - pos < 1) return false;
      const size_t groups = p[pos++];
      for (size_t g = 0; g < groups; ++g) {
        if (size - pos < 1) return false;
        const size_t refs = (p[pos++] >> 2) & 0x03;
        if (size - pos < refs) return false;
        pos += refs;
      }
    }
  }
  // A descriptor with no frame data after it is not a usable key frame.
  if (pos >= size) return false;
  const bool key = begins_frame && !inter_predicted && spatial_id == 0;
  // 16-bit fields: beyond any real picture is noise, not a size.
  if (key && picture != nullptr && ss_size.known() && ss_size.width <= 16384 && ss_size.height <= 16384) {
    *picture = ss_size;
  }
  return key;
}

// --- H264 (RFC 6184 §5.4, §5.7.1, §5.8) ---
constexpr uint8_t kNalIdr = 5;
constexpr uint8_t kNalSps = 7;
constexpr uint8_t kNalStapA = 24;
constexpr uint8_t kNalFuA = 28;

bool IsH264KeyNal(uint8_t nal_type) {
  return nal_type == kNalIdr || nal_type == kNalSps;
}

bool IsH264Keyframe(const uint8_t* p, size_t size, PictureSize* picture) {
  if (size < 1) return false;
  const uint8_t type = p[0] & 0x1F;
  if (type >= 1 && type <= 23) {
    if (type == kNalSps && picture != nullptr) ParseH264SpsSize(p, size, picture);
    return IsH264KeyNal(type);
  }
  if (type == kNalStapA) {
    // 16-bit size, then that NAL unit; repeated to the end. The whole
    // aggregate must be well-formed: a lying size means the rest is noise.
    bool key = false;
    PictureSize sps_size;
    size_t pos = 1;
    if (pos == size) return false;  // an aggregate of nothing
    while (pos < size) {
      if (size - pos < 2) return false;
      const size_t nal_size = LoadU16(p + pos);
      pos += 2;
      if (nal_size == 0 || size - pos < nal_size) return false;
      if (IsH264KeyNal(p[pos] & 0x1F)) key = true;
      if ((p[pos] & 0x1F) == kNalSps && picture != nullptr) ParseH264SpsSize(p + pos, nal_size, &sps_size);
      pos += nal_size;
    }
    // Believed only once the whole aggregate has proven well-formed.
    if (picture != nullptr && sps_size.known()) *picture = sps_size;
    return key;
  }
  if (type == kNalFuA) {
    // FU indicator, FU header (S E R type); the start fragment names the
    // fragmented NAL unit's type.
    if (size < 3) return false;
    const uint8_t fu_header = p[1];
    return (fu_header & 0x80) != 0 && IsH264KeyNal(fu_header & 0x1F);
  }
  // STAP-B, MTAPs and FU-B belong to the interleaved mode, which WebRTC
  // does not negotiate.
  return false;
}

// --- AV1 (AV1 RTP payload format §4.4, AV1 spec §5.3) ---
constexpr uint8_t kObuSequenceHeader = 1;

// LEB128 (AV1 spec §4.10.5): at most 8 bytes. False if truncated or longer.
bool ReadLeb128(const uint8_t* p, size_t size, size_t* pos, uint64_t* value) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    if (*pos >= size) return false;
    const uint8_t b = p[(*pos)++];
    v |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      *value = v;
      return true;
    }
  }
  return false;
}

bool IsAv1Keyframe(const uint8_t* p, size_t size, PictureSize* picture) {
  // Aggregation header (Z Y W W N - - -) and at least one byte of OBU data.
  if (size < 2) return false;
  const uint8_t aggregation = p[0];
  const bool continues_fragment = (aggregation & 0x80) != 0;  // Z
  const size_t element_count = (aggregation >> 4) & 0x03;     // W
  const bool new_sequence = (aggregation & 0x08) != 0;        // N
  // N is set only on the first packet of a coded video sequence, which
  // starts with a key frame (and is looked through for its sequence
  // header's size all the same).
  bool key = new_sequence;

  // Otherwise, look for a sequence header OBU: encoders send one in front
  // of each key frame. Elements have a LEB128 length, except the last one
  // when W (1..3) gives the count.
  size_t pos = 1;
  for (size_t index = 0; pos < size; ++index) {
    const bool last_without_length =
        element_count != 0 && index + 1 == element_count;
    uint64_t length = size - pos;
    if (!last_without_length) {
      if (!ReadLeb128(p, size, &pos, &length)) return key;
      if (length > size - pos) return key;
    }
    const bool fragment_tail = index == 0 && continues_fragment;
    if (length > 0 && !fragment_tail) {
      const uint8_t obu_type = (p[pos] >> 3) & 0x0F;
      if (obu_type == kObuSequenceHeader) {
        if (picture != nullptr) ParseAv1SequenceHeaderSize(p + pos, static_cast<size_t>(length), picture);
        return true;
      }
    }
    pos += static_cast<size_t>(length);
    if (last_without_length) break;
  }
  return key;
}

}  // namespace

bool IsKeyframe(Codec codec, const uint8_t* payload, size_t size) {
  return InspectKeyframe(codec, payload, size, nullptr);
}

bool InspectKeyframe(Codec codec, const uint8_t* payload, size_t size, PictureSize* picture) {
  if (payload == nullptr) return false;
  switch (codec) {
    case Codec::kVp8: return IsVp8Keyframe(payload, size, picture);
    case Codec::kVp9: return IsVp9Keyframe(payload, size, picture);
    case Codec::kH264: return IsH264Keyframe(payload, size, picture);
    case Codec::kAv1: return IsAv1Keyframe(payload, size, picture);
    case Codec::kOpus:
    case Codec::kUnknown: break;
  }
  return false;
}

}  // namespace webrtc_agent::rtp
