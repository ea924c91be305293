#include "transport/internal_transport.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstring>

namespace webrtc_agent {
namespace transport {

namespace {
// Links between two nodes can carry many tracks; each SSRC is a stream of
// the session, so the bound is well above a WebRTC peer's.
constexpr size_t kMaxStreams = 4096;
constexpr srtp::Profile kProfile = srtp::Profile::kAeadAes128Gcm;
}  // namespace

InternalTransport::~InternalTransport() {
  Close();
  OPENSSL_cleanse(local_key_.data(), local_key_.size());
}

bool InternalTransport::EnableSrtp(std::array<uint8_t, kKeyLen>* local_key) {
  if (!secure_) {
    if (RAND_bytes(local_key_.data(), static_cast<int>(local_key_.size())) != 1) return false;
    protect_ = srtp::SrtpSession::Create(kProfile, srtp::Direction::kProtect, local_key_.data(), 16,
                                         local_key_.data() + 16, 12, kMaxStreams);
    if (!protect_) return false;
    secure_ = true;
  }
  *local_key = local_key_;
  return true;
}

bool InternalTransport::SetRemoteKey(const uint8_t* key, size_t len) {
  if (!secure_ || len != kKeyLen) return false;
  if (unprotect_) return true;  // a peer's sending key never changes while its transport lives
  unprotect_ = srtp::SrtpSession::Create(kProfile, srtp::Direction::kUnprotect, key, 16, key + 16, 12, kMaxStreams);
  return unprotect_ != nullptr;
}

bool InternalTransport::SendTo(const uint8_t* data, size_t len, bool rtcp) {
  if (server_ == nullptr) {
    CountDrop(DropReason::kNoRemote);
    return false;
  }
  if (secure_) {
    // Room for the GCM tag and the SRTCP index.
    if (len + 32 > out_.size()) {
      CountDrop(DropReason::kOversized);
      return false;
    }
    std::memcpy(out_.data(), data, len);
    size_t n = len;
    const bool ok = rtcp ? protect_->ProtectRtcp(out_.data(), &n, out_.size())
                         : protect_->ProtectRtp(out_.data(), &n, out_.size());
    if (!ok) {
      srtp_counters_.protect_failed++;
      return false;
    }
    data = out_.data();
    len = n;
  }
  if (!server_->Send(data, len, remote_)) {
    CountDrop(DropReason::kSendFailed);
    return false;
  }
  counters_.bytes_out += len;
  return true;
}

bool InternalTransport::SendRtp(const uint8_t* data, size_t len) {
  if (!SendTo(data, len, false)) return false;
  counters_.rtp_out++;
  return true;
}

bool InternalTransport::SendRtcp(const uint8_t* data, size_t len) {
  if (!SendTo(data, len, true)) return false;
  counters_.rtcp_out++;
  return true;
}

void InternalTransport::OnDatagram(const uint8_t* data, size_t len, bool rtcp) {
  if (!rtcp && LostInTransit(data, len)) return;
  if (secure_) {
    if (!unprotect_) {
      srtp_counters_.before_keys++;
      return;
    }
    if (len > in_.size()) return CountDrop(DropReason::kOversized);
    std::memcpy(in_.data(), data, len);
    size_t n = len;
    const srtp::Result r = rtcp ? unprotect_->UnprotectRtcp(in_.data(), &n) : unprotect_->UnprotectRtp(in_.data(), &n);
    if (r != srtp::Result::kOk) {
      srtp_counters_.srtp_failed++;
      return;
    }
    counters_.bytes_in += len;
    if (rtcp) return RouteRtcp(in_.data(), n);
    return RouteRtp(in_.data(), n);
  }
  counters_.bytes_in += len;
  if (rtcp) return RouteRtcp(data, len);
  RouteRtp(data, len);
}

}  // namespace transport
}  // namespace webrtc_agent
