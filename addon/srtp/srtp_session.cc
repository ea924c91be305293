#include "srtp/srtp_session.h"

#include <cstring>

#include "rtp/byte_io.h"

namespace webrtc_agent::srtp {

namespace {

using rtp::LoadU16;
using rtp::LoadU32;
using rtp::StoreU32;

constexpr size_t kRtpHeaderMin = 12;
constexpr size_t kRtcpHeaderSize = 8;  // V/P/RC, PT, length, sender SSRC
constexpr size_t kSrtcpIndexSize = 4;  // E flag + 31-bit index
constexpr uint32_t kSrtcpEncryptedFlag = 0x80000000u;
constexpr uint32_t kSrtcpMaxIndex = 0x7FFFFFFFu;

// Size of the RTP header (fixed part, CSRCs, extension block) that must
// lie within the first `len` bytes; 0 if it does not, or if the version is
// not 2. Only the lengths are read: SRTP does not care what the extension
// holds, it is authenticated and never encrypted (no RFC 6904/9335 here).
size_t RtpHeaderSize(const uint8_t* p, size_t len) {
  if (len < kRtpHeaderMin || (p[0] >> 6) != 2) return 0;
  size_t h = kRtpHeaderMin + 4u * (p[0] & 0x0F);
  if (h > len) return 0;
  if (p[0] & 0x10) {
    if (len - h < 4) return 0;
    const size_t ext = 4u * LoadU16(p + h + 2);
    h += 4;
    if (len - h < ext) return 0;
    h += ext;
  }
  return h;
}

// RFC 3711 §3.3.1 / Appendix A: the ROC the sender most likely used for
// `seq`, relative to the highest sequence number s_l seen under `roc`.
// False when the guess is ROC - 1 with ROC already 0: a packet from before
// the stream's first one across a wrap, which has no valid index.
bool EstimateRoc(uint32_t roc, uint16_t s_l, uint16_t seq, uint32_t* v) {
  int64_t guess = roc;
  if (s_l < 32768) {
    if (seq > s_l && seq - s_l > 32768) guess = int64_t{roc} - 1;
  } else if (seq < s_l - 32768) {
    guess = int64_t{roc} + 1;
  }
  if (guess < 0 || guess > int64_t{0xFFFFFFFF}) return false;
  *v = static_cast<uint32_t>(guess);
  return true;
}

uint64_t RtpIndex(uint32_t roc, uint16_t seq) {
  return (uint64_t{roc} << 16) | seq;
}

// AES-CM IV (RFC 3711 §4.1.1): (salt * 2^16) XOR (SSRC * 2^64) XOR
// (index * 2^16); the low 16 bits are the block counter, starting at 0.
void CmIv(const uint8_t* salt, uint32_t ssrc, uint64_t index, uint8_t iv[16]) {
  std::memcpy(iv, salt, 14);
  iv[14] = iv[15] = 0;
  iv[4] ^= static_cast<uint8_t>(ssrc >> 24);
  iv[5] ^= static_cast<uint8_t>(ssrc >> 16);
  iv[6] ^= static_cast<uint8_t>(ssrc >> 8);
  iv[7] ^= static_cast<uint8_t>(ssrc);
  for (int i = 0; i < 6; ++i) {
    iv[8 + i] ^= static_cast<uint8_t>(index >> (40 - 8 * i));
  }
}

// GCM IVs (RFC 7714 §8.1 for SRTP, §9.1 for SRTCP): 00 00 || SSRC ||
// ROC || SEQ, or 00 00 || SSRC || 00 00 || 0 + 31-bit index, XOR the 12-byte
// session salt.
void GcmRtpIv(const uint8_t* salt, uint32_t ssrc, uint32_t roc, uint16_t seq,
              uint8_t iv[12]) {
  iv[0] = iv[1] = 0;
  StoreU32(iv + 2, ssrc);
  StoreU32(iv + 6, roc);
  iv[10] = static_cast<uint8_t>(seq >> 8);
  iv[11] = static_cast<uint8_t>(seq);
  for (int i = 0; i < 12; ++i) iv[i] ^= salt[i];
}

void GcmRtcpIv(const uint8_t* salt, uint32_t ssrc, uint32_t index,
               uint8_t iv[12]) {
  iv[0] = iv[1] = 0;
  StoreU32(iv + 2, ssrc);
  iv[6] = iv[7] = 0;
  StoreU32(iv + 8, index & kSrtcpMaxIndex);
  for (int i = 0; i < 12; ++i) iv[i] ^= salt[i];
}

}  // namespace

const char* ResultName(Result r) {
  switch (r) {
    case Result::kOk: return "ok";
    case Result::kAuthFailed: return "auth_failed";
    case Result::kReplay: return "replay";
    case Result::kMalformed: return "malformed";
    case Result::kTooShort: return "too_short";
    case Result::kStreamLimit: return "stream_limit";
  }
  return "?";
}

bool DeriveSessionKeys(Profile profile, const uint8_t* master_key,
                       size_t key_len, const uint8_t* master_salt,
                       size_t salt_len, SessionKeys* srtp, SessionKeys* srtcp) {
  const ProfileParams pp = ParamsOf(profile);
  if (key_len != pp.key_len || salt_len != pp.salt_len) return false;
  bool ok =
      DeriveSessionKey(master_key, key_len, master_salt, salt_len,
                       kLabelRtpEncryption, srtp->enc_key, pp.key_len) &&
      DeriveSessionKey(master_key, key_len, master_salt, salt_len,
                       kLabelRtpSalt, srtp->salt, pp.salt_len) &&
      DeriveSessionKey(master_key, key_len, master_salt, salt_len,
                       kLabelRtcpEncryption, srtcp->enc_key, pp.key_len) &&
      DeriveSessionKey(master_key, key_len, master_salt, salt_len,
                       kLabelRtcpSalt, srtcp->salt, pp.salt_len);
  if (ok && !pp.aead) {
    ok = DeriveSessionKey(master_key, key_len, master_salt, salt_len,
                          kLabelRtpAuth, srtp->auth_key, kHmacSha1KeyLen) &&
         DeriveSessionKey(master_key, key_len, master_salt, salt_len,
                          kLabelRtcpAuth, srtcp->auth_key, kHmacSha1KeyLen);
  }
  return ok;
}

SrtpSession::SrtpSession(Profile profile, Direction direction,
                         size_t max_streams)
    : profile_(profile),
      params_(ParamsOf(profile)),
      direction_(direction),
      max_streams_(max_streams == 0 ? 1 : max_streams) {}

SrtpSession::~SrtpSession() {
  Cleanse(rtp_salt_, sizeof(rtp_salt_));
  Cleanse(rtcp_salt_, sizeof(rtcp_salt_));
}

std::unique_ptr<SrtpSession> SrtpSession::Create(
    Profile profile, Direction direction, const uint8_t* master_key,
    size_t key_len, const uint8_t* master_salt, size_t salt_len,
    size_t max_streams) {
  SessionKeys srtp;
  SessionKeys srtcp;
  std::unique_ptr<SrtpSession> s;
  if (DeriveSessionKeys(profile, master_key, key_len, master_salt, salt_len,
                        &srtp, &srtcp)) {
    s = CreateFromSessionKeys(profile, direction, srtp, srtcp, max_streams);
  }
  Cleanse(&srtp, sizeof(srtp));
  Cleanse(&srtcp, sizeof(srtcp));
  return s;
}

std::unique_ptr<SrtpSession> SrtpSession::CreateFromSessionKeys(
    Profile profile, Direction direction, const SessionKeys& srtp,
    const SessionKeys& srtcp, size_t max_streams) {
  std::unique_ptr<SrtpSession> s(
      new SrtpSession(profile, direction, max_streams));
  if (!s->Init(srtp, srtcp)) return nullptr;
  return s;
}

bool SrtpSession::Init(const SessionKeys& srtp, const SessionKeys& srtcp) {
  std::memcpy(rtp_salt_, srtp.salt, params_.salt_len);
  std::memcpy(rtcp_salt_, srtcp.salt, params_.salt_len);
  streams_.reserve(max_streams_ < 8 ? max_streams_ : 8);
  if (params_.aead) {
    const bool enc = direction_ == Direction::kProtect;
    return rtp_gcm_.Init(srtp.enc_key, params_.key_len, enc) &&
           rtcp_gcm_.Init(srtcp.enc_key, params_.key_len, enc);
  }
  return rtp_ctr_.Init(srtp.enc_key, params_.key_len) &&
         rtcp_ctr_.Init(srtcp.enc_key, params_.key_len) &&
         rtp_hmac_.Init(srtp.auth_key, kHmacSha1KeyLen) &&
         rtcp_hmac_.Init(srtcp.auth_key, kHmacSha1KeyLen);
}

SrtpSession::Stream* SrtpSession::Find(uint32_t ssrc) {
  if (last_stream_ < streams_.size() && streams_[last_stream_].ssrc == ssrc) {
    return &streams_[last_stream_];
  }
  for (size_t i = 0; i < streams_.size(); ++i) {
    if (streams_[i].ssrc == ssrc) {
      last_stream_ = i;
      return &streams_[i];
    }
  }
  return nullptr;
}

SrtpSession::Stream* SrtpSession::Add(uint32_t ssrc) {
  if (streams_.size() >= max_streams_) return nullptr;
  streams_.emplace_back();
  streams_.back().ssrc = ssrc;
  last_stream_ = streams_.size() - 1;
  return &streams_.back();
}

// ------------------------------------------------------------------ SRTP --

bool SrtpSession::ProtectRtp(uint8_t* buf, size_t* len, size_t cap) {
  const size_t n = *len;
  const size_t tag_len = params_.rtp_tag_len;
  const size_t h = RtpHeaderSize(buf, n);
  bool ok = direction_ == Direction::kProtect && h != 0 && cap >= n &&
            n <= kMaxPacketSize - tag_len && cap - n >= tag_len;
  const uint32_t ssrc = ok ? LoadU32(buf + 8) : 0;
  const uint16_t seq = ok ? LoadU16(buf + 2) : 0;
  Stream* stream = ok ? Find(ssrc) : nullptr;
  if (ok && stream == nullptr && streams_.size() >= max_streams_) ok = false;

  uint32_t roc = 0;
  if (ok && stream != nullptr && stream->rtp_started) {
    ok = EstimateRoc(stream->rtp.roc, stream->rtp.s_l, seq, &roc);
  }
  if (ok) {
    if (params_.aead) {
      uint8_t iv[12];
      GcmRtpIv(rtp_salt_, ssrc, roc, seq, iv);
      ok = rtp_gcm_.Seal(iv, buf, h, nullptr, 0, buf + h, n - h, buf + n);
    } else {
      uint8_t iv[16];
      CmIv(rtp_salt_, ssrc, RtpIndex(roc, seq), iv);
      uint8_t roc_be[4];
      StoreU32(roc_be, roc);
      uint8_t mac[20];
      ok = rtp_ctr_.Apply(iv, buf + h, n - h) &&
           rtp_hmac_.Compute(buf, n, roc_be, 4, mac);
      if (ok) std::memcpy(buf + n, mac, tag_len);
    }
  }
  if (!ok) {
    ++stats_.protect_rtp_failed;
    return false;
  }
  if (stream == nullptr) stream = Add(ssrc);  // room was checked above
  RtpState& st = stream->rtp;
  if (!stream->rtp_started) {
    stream->rtp_started = true;
    st.roc = 0;
    st.s_l = seq;
  } else if (roc == st.roc + 1) {
    st.roc = roc;
    st.s_l = seq;
  } else if (roc == st.roc && seq > st.s_l) {
    st.s_l = seq;
  }
  *len = n + tag_len;
  return true;
}

Result SrtpSession::UnprotectRtp(uint8_t* buf, size_t* len) {
  const Result r = UnprotectRtpImpl(buf, len);
  ++stats_.rtp[static_cast<size_t>(r)];
  return r;
}

Result SrtpSession::UnprotectRtpImpl(uint8_t* buf, size_t* len) {
  const size_t tag_len = params_.rtp_tag_len;
  if (direction_ != Direction::kUnprotect) return Result::kMalformed;
  if (*len < kRtpHeaderMin + tag_len) return Result::kTooShort;
  if (*len > kMaxPacketSize) return Result::kMalformed;
  const size_t n = *len - tag_len;  // bytes before the tag
  const size_t h = RtpHeaderSize(buf, n);
  if (h == 0) return Result::kMalformed;

  const uint32_t ssrc = LoadU32(buf + 8);
  const uint16_t seq = LoadU16(buf + 2);
  Stream* stream = Find(ssrc);
  if (stream == nullptr && streams_.size() >= max_streams_) {
    return Result::kStreamLimit;
  }
  // A stream's first packet: ROC 0 (RFC 3711 §3.3.1).
  uint32_t roc = 0;
  if (stream != nullptr && stream->rtp_started) {
    if (!EstimateRoc(stream->rtp.roc, stream->rtp.s_l, seq, &roc)) {
      return Result::kReplay;
    }
    if (stream->rtp.window.Test(RtpIndex(roc, seq)) !=
        ReplayWindow::Verdict::kNew) {
      return Result::kReplay;
    }
  }

  const uint8_t* tag = buf + n;
  if (params_.aead) {
    uint8_t iv[12];
    GcmRtpIv(rtp_salt_, ssrc, roc, seq, iv);
    if (!rtp_gcm_.Open(iv, buf, h, nullptr, 0, buf + h, n - h, tag)) {
      return Result::kAuthFailed;
    }
  } else {
    // Authenticate first: nothing is decrypted for a forged packet.
    uint8_t roc_be[4];
    StoreU32(roc_be, roc);
    uint8_t mac[20];
    if (!rtp_hmac_.Compute(buf, n, roc_be, 4, mac) ||
        !ConstantTimeEqual(mac, tag, tag_len)) {
      return Result::kAuthFailed;
    }
    uint8_t iv[16];
    CmIv(rtp_salt_, ssrc, RtpIndex(roc, seq), iv);
    if (!rtp_ctr_.Apply(iv, buf + h, n - h)) return Result::kAuthFailed;
  }

  // Authenticated: now, and only now, the state moves (Appendix A).
  if (stream == nullptr) stream = Add(ssrc);
  RtpState& st = stream->rtp;
  if (!stream->rtp_started) {
    stream->rtp_started = true;
    st.roc = 0;
    st.s_l = seq;
  } else if (roc == st.roc + 1) {
    st.roc = roc;
    st.s_l = seq;
  } else if (roc == st.roc && seq > st.s_l) {
    st.s_l = seq;
  }
  st.window.Accept(RtpIndex(roc, seq));
  *len = n;
  return Result::kOk;
}

// ----------------------------------------------------------------- SRTCP --

bool SrtpSession::ProtectRtcp(uint8_t* buf, size_t* len, size_t cap) {
  const size_t n = *len;
  const size_t tag_len = params_.rtcp_tag_len;
  const size_t extra = kSrtcpIndexSize + tag_len;
  bool ok = direction_ == Direction::kProtect && n >= kRtcpHeaderSize &&
            (buf[0] >> 6) == 2 && cap >= n && n <= kMaxPacketSize - extra &&
            cap - n >= extra;
  const uint32_t ssrc = ok ? LoadU32(buf + 4) : 0;
  Stream* stream = ok ? Find(ssrc) : nullptr;
  if (ok && stream == nullptr && streams_.size() >= max_streams_) ok = false;
  const uint32_t index = stream != nullptr ? stream->rtcp.next_index : 0;
  if (index > kSrtcpMaxIndex) ok = false;  // exhausted: must re-key

  if (ok) {
    uint8_t trailer[4];
    StoreU32(trailer, kSrtcpEncryptedFlag | index);
    if (params_.aead) {
      // Layout: header | ciphertext | tag | E+index (RFC 7714 §9.2); the
      // AAD is the 8-byte header and the E+index word.
      uint8_t iv[12];
      GcmRtcpIv(rtcp_salt_, ssrc, index, iv);
      ok = rtcp_gcm_.Seal(iv, buf, kRtcpHeaderSize, trailer, 4,
                          buf + kRtcpHeaderSize, n - kRtcpHeaderSize, buf + n);
      if (ok) std::memcpy(buf + n + tag_len, trailer, 4);
    } else {
      // Layout: header | ciphertext | E+index | tag (RFC 3711 §3.4); the
      // tag covers everything before it.
      uint8_t iv[16];
      CmIv(rtcp_salt_, ssrc, index, iv);
      uint8_t mac[20];
      ok = rtcp_ctr_.Apply(iv, buf + kRtcpHeaderSize, n - kRtcpHeaderSize);
      if (ok) {
        std::memcpy(buf + n, trailer, 4);
        ok = rtcp_hmac_.Compute(buf, n + 4, nullptr, 0, mac);
      }
      if (ok) std::memcpy(buf + n + 4, mac, tag_len);
    }
  }
  if (!ok) {
    ++stats_.protect_rtcp_failed;
    return false;
  }
  if (stream == nullptr) stream = Add(ssrc);
  stream->rtcp.next_index = index + 1;
  *len = n + extra;
  return true;
}

Result SrtpSession::UnprotectRtcp(uint8_t* buf, size_t* len) {
  const Result r = UnprotectRtcpImpl(buf, len);
  ++stats_.rtcp[static_cast<size_t>(r)];
  return r;
}

Result SrtpSession::UnprotectRtcpImpl(uint8_t* buf, size_t* len) {
  const size_t tag_len = params_.rtcp_tag_len;
  const size_t extra = kSrtcpIndexSize + tag_len;
  if (direction_ != Direction::kUnprotect) return Result::kMalformed;
  if (*len < kRtcpHeaderSize + extra) return Result::kTooShort;
  if (*len > kMaxPacketSize) return Result::kMalformed;
  if ((buf[0] >> 6) != 2) return Result::kMalformed;
  const size_t total = *len;
  const size_t plain_len = total - extra;  // header + payload

  // The E+index word sits before the tag for AES-CM, after it for GCM.
  const uint8_t* trailer =
      params_.aead ? buf + total - 4 : buf + total - tag_len - 4;
  const uint32_t word = LoadU32(trailer);
  const bool encrypted = (word & kSrtcpEncryptedFlag) != 0;
  const uint32_t index = word & kSrtcpMaxIndex;
  const uint32_t ssrc = LoadU32(buf + 4);

  Stream* stream = Find(ssrc);
  if (stream == nullptr && streams_.size() >= max_streams_) {
    return Result::kStreamLimit;
  }
  if (stream != nullptr &&
      stream->rtcp.window.Test(index) != ReplayWindow::Verdict::kNew) {
    return Result::kReplay;
  }

  if (params_.aead) {
    uint8_t iv[12];
    GcmRtcpIv(rtcp_salt_, ssrc, index, iv);
    const uint8_t* tag = buf + plain_len;
    // Copy the trailer: it is AAD, and Open() may write the bytes before it.
    uint8_t tr[4];
    std::memcpy(tr, trailer, 4);
    const bool ok =
        encrypted
            ? rtcp_gcm_.Open(iv, buf, kRtcpHeaderSize, tr, 4,
                             buf + kRtcpHeaderSize,
                             plain_len - kRtcpHeaderSize, tag)
            // E=0: the whole packet is AAD, nothing is encrypted.
            : rtcp_gcm_.Open(iv, buf, plain_len, tr, 4, nullptr, 0, tag);
    if (!ok) return Result::kAuthFailed;
  } else {
    uint8_t mac[20];
    if (!rtcp_hmac_.Compute(buf, plain_len + 4, nullptr, 0, mac) ||
        !ConstantTimeEqual(mac, buf + plain_len + 4, tag_len)) {
      return Result::kAuthFailed;
    }
    if (encrypted) {
      uint8_t iv[16];
      CmIv(rtcp_salt_, ssrc, index, iv);
      if (!rtcp_ctr_.Apply(iv, buf + kRtcpHeaderSize,
                           plain_len - kRtcpHeaderSize)) {
        return Result::kAuthFailed;
      }
    }
  }

  if (stream == nullptr) stream = Add(ssrc);
  stream->rtcp.window.Accept(index);
  *len = plain_len;
  return Result::kOk;
}

// ------------------------------------------------------------- exporter --

bool SessionsFromExporter(Profile profile, const uint8_t* material,
                          size_t material_len, bool we_are_dtls_client,
                          SessionPair* out, size_t max_streams) {
  const ProfileParams pp = ParamsOf(profile);
  if (material == nullptr || material_len != ExporterLength(profile)) {
    return false;
  }
  const uint8_t* client_key = material;
  const uint8_t* server_key = material + pp.key_len;
  const uint8_t* client_salt = material + 2 * pp.key_len;
  const uint8_t* server_salt = client_salt + pp.salt_len;
  const uint8_t* our_key = we_are_dtls_client ? client_key : server_key;
  const uint8_t* our_salt = we_are_dtls_client ? client_salt : server_salt;
  const uint8_t* peer_key = we_are_dtls_client ? server_key : client_key;
  const uint8_t* peer_salt = we_are_dtls_client ? server_salt : client_salt;
  out->protect = SrtpSession::Create(profile, Direction::kProtect, our_key,
                                     pp.key_len, our_salt, pp.salt_len,
                                     max_streams);
  out->unprotect = SrtpSession::Create(profile, Direction::kUnprotect,
                                       peer_key, pp.key_len, peer_salt,
                                       pp.salt_len, max_streams);
  if (!out->protect || !out->unprotect) {
    out->protect.reset();
    out->unprotect.reset();
    return false;
  }
  return true;
}

}  // namespace webrtc_agent::srtp
