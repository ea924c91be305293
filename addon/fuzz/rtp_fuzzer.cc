// libFuzzer target: RTP parsing, the RFC 8285 extension walk, demux, key
// frame detection, the RFC 6464 audio level and its meter, and the in-place
// writers. Built and run by scripts/fuzz.sh.
//
// Beyond "does not crash", it checks that what the parser reports is
// consistent: the layout adds up to the packet size, every extension lies
// inside the extension block, and the writers change exactly the fields
// they name and never the packet's structure.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "audio/audio_level.h"
#include "fuzz/fuzz_check.h"
#include "rtp/codec.h"
#include "rtp/keyframe.h"
#include "rtp/rtp_packet.h"

namespace {

using namespace webrtc_agent::rtp;

bool Within(const uint8_t* base, size_t size, ByteSpan span) {
  return span.data >= base && span.size <= size &&
         static_cast<size_t>(span.data - base) <= size - span.size;
}

// Every element of a parsed view; checks each one on the way.
std::vector<RtpExtension> CheckedExtensions(const RtpPacketView& v) {
  std::vector<RtpExtension> out;
  size_t cursor = 0;
  RtpExtension ext;
  ByteSpan block = v.extensionBlock();
  while (v.NextExtension(&cursor, &ext)) {
    FUZZ_CHECK(ext.id != 0);
    if (v.extensionForm() == ExtensionForm::kOneByte) {
      FUZZ_CHECK(ext.id <= 14);
      FUZZ_CHECK(ext.value.size >= 1 && ext.value.size <= 16);
    } else {
      FUZZ_CHECK(ext.value.size <= 255);
    }
    FUZZ_CHECK(Within(block.data, block.size, ext.value));
    FUZZ_CHECK(cursor <= block.size);
    out.push_back(ext);
    FUZZ_CHECK(out.size() <= block.size);  // the walk always advances
  }
  FUZZ_CHECK(!v.NextExtension(&cursor, &ext));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Demux helpers agree with each other.
  const PacketClass cls = Classify(data, size);
  if (IsRtcpPacket(data, size)) FUZZ_CHECK(cls == PacketClass::kRtcp);
  if (LooksLikeRtp(data, size)) FUZZ_CHECK(cls == PacketClass::kRtp);

  RtpPacketView v(data, size);
  const bool ok = v.Parse();
  FUZZ_CHECK(ok == v.valid());
  if (ok) {
    FUZZ_CHECK(size >= kRtpFixedHeaderSize);
    FUZZ_CHECK(v.headerSize() >= kRtpFixedHeaderSize + 4u * v.csrcCount());
    FUZZ_CHECK(v.headerSize() <= size);
    FUZZ_CHECK(v.payload() == data + v.headerSize());
    FUZZ_CHECK(v.headerSize() + v.payloadSize() + v.paddingSize() == size);
    FUZZ_CHECK(v.hasPadding() == (v.paddingSize() > 0));
    FUZZ_CHECK(v.payloadType() <= 127);
    for (size_t i = 0; i < v.csrcCount(); ++i) (void)v.csrc(i);
    if (v.hasExtension()) {
      FUZZ_CHECK(Within(data, v.headerSize(), v.extensionBlock()));
    } else {
      FUZZ_CHECK(v.extensionForm() == ExtensionForm::kNone);
    }

    const std::vector<RtpExtension> exts = CheckedExtensions(v);
    // FindExtension returns the first element of each id.
    for (const RtpExtension& e : exts) {
      ByteSpan found = v.FindExtension(e.id);
      FUZZ_CHECK(found.present());
      FUZZ_CHECK(found.data <= e.value.data);
    }
    for (int id = 0; id < 256; ++id) {
      ByteSpan found = v.FindExtension(static_cast<uint8_t>(id));
      if (found.present()) FUZZ_CHECK(Within(data, size, found));
    }

    // The audio level under every id the extension could be negotiated as,
    // and a meter fed the packet: levels stay in 0..127.
    for (int id = 0; id < 256; ++id) {
      webrtc_agent::audio::AudioLevel level;
      if (webrtc_agent::audio::ReadAudioLevel(v, static_cast<uint8_t>(id), &level)) FUZZ_CHECK(level.level <= 127);
    }
    webrtc_agent::audio::LevelMeter meter(size > 12 ? static_cast<uint8_t>(data[12] | 1) : 1, 70);
    const bool silent = meter.OnPacket(v);
    FUZZ_CHECK(meter.smoothed_level() <= 127);
    FUZZ_CHECK(!silent || meter.last_level() == 127);
    const webrtc_agent::audio::LevelInterval iv = meter.TakeInterval();
    FUZZ_CHECK(iv.packets <= 1 && iv.audibility_sum <= 70);

    for (Codec c : {Codec::kVp8, Codec::kVp9, Codec::kH264, Codec::kAv1,
                    Codec::kOpus}) {
      PictureSize picture;
      (void)InspectKeyframe(c, v.payload(), v.payloadSize(), &picture);
      FUZZ_CHECK(picture.width <= 16384 && picture.height <= 16384);
    }

    // Writers on an exact-size heap copy (so ASan sees any overrun).
    std::vector<uint8_t> copy(data, data + size);
    const uint8_t from = size > 12 ? data[12] : 1;
    const uint8_t to = size > 13 ? data[13] : 2;
    FUZZ_CHECK(SetSsrc(copy.data(), copy.size(), 0x01020304));
    FUZZ_CHECK(SetSequence(copy.data(), copy.size(), 0xBEEF));
    FUZZ_CHECK(SetTimestamp(copy.data(), copy.size(), 0xA0B0C0D0));
    FUZZ_CHECK(SetPayloadType(copy.data(), copy.size(), to & 0x7F));
    FUZZ_CHECK(SetMarker(copy.data(), copy.size(), (from & 1) != 0));
    const int rewritten = RewriteExtensionId(copy.data(), copy.size(), from, to);
    FUZZ_CHECK(rewritten >= -1);
    FUZZ_CHECK(rewritten <= static_cast<int>(exts.size()));

    RtpPacketView w(copy.data(), copy.size());
    FUZZ_CHECK(w.Parse());
    FUZZ_CHECK(w.ssrc() == 0x01020304u);
    FUZZ_CHECK(w.sequence() == 0xBEEF);
    FUZZ_CHECK(w.timestamp() == 0xA0B0C0D0u);
    FUZZ_CHECK(w.payloadType() == (to & 0x7F));
    FUZZ_CHECK(w.marker() == ((from & 1) != 0));
    FUZZ_CHECK(w.headerSize() == v.headerSize());
    FUZZ_CHECK(w.payloadSize() == v.payloadSize());
    FUZZ_CHECK(w.extensionForm() == v.extensionForm());
    FUZZ_CHECK(w.extensionsTruncated() == v.extensionsTruncated());
    FUZZ_CHECK(std::memcmp(w.payload(), v.payload(), v.payloadSize()) == 0);
    const std::vector<RtpExtension> after = CheckedExtensions(w);
    FUZZ_CHECK(after.size() == exts.size());
    int moved = 0;
    for (size_t i = 0; i < exts.size(); ++i) {
      FUZZ_CHECK(after[i].value.size == exts[i].value.size);
      FUZZ_CHECK(std::memcmp(after[i].value.data, exts[i].value.data,
                             exts[i].value.size) == 0);
      if (exts[i].id == from && from != to && rewritten > 0) {
        FUZZ_CHECK(after[i].id == to);
        ++moved;
      } else {
        FUZZ_CHECK(after[i].id == exts[i].id);
      }
    }
    if (rewritten >= 0) FUZZ_CHECK(moved == rewritten);
  } else {
    FUZZ_CHECK(v.payload() == nullptr && v.payloadSize() == 0);
    FUZZ_CHECK(v.FindExtension(1).data == nullptr);
    std::vector<uint8_t> copy(data, data + size);
    FUZZ_CHECK(RewriteExtensionId(copy.data(), copy.size(), 1, 2) == -1);
    FUZZ_CHECK(copy.empty() || std::memcmp(copy.data(), data, size) == 0);
  }

  // Key frame detection also takes arbitrary bytes as a payload, and the
  // picture size parsers arbitrary bytes as an SPS or a sequence header.
  for (Codec c : {Codec::kVp8, Codec::kVp9, Codec::kH264, Codec::kAv1}) {
    (void)IsKeyframe(c, data, size);
  }
  PictureSize sps;
  if (ParseH264SpsSize(data, size, &sps)) FUZZ_CHECK(sps.known() && sps.width <= 16384 && sps.height <= 16384);
  PictureSize seq;
  if (ParseAv1SequenceHeaderSize(data, size, &seq)) FUZZ_CHECK(seq.known() && seq.width <= 16384 && seq.height <= 16384);
  return 0;
}
