#include "ice/ice_lite.h"

#include <cstring>
#include <utility>

namespace webrtc_agent::ice {

namespace {

uint64_t Age(uint64_t now_ms, uint64_t then_ms) {
  // A clock that steps back must not make a pair look ancient (unsigned
  // wrap-around) and fail the transport.
  return now_ms >= then_ms ? now_ms - then_ms : 0;
}

const uint8_t* Bytes(const std::string& s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

}  // namespace

IceLiteAgent::IceLiteAgent(std::string local_ufrag, std::string local_pwd,
                           uint64_t now_ms, IceLiteConfig config)
    : local_ufrag_(std::move(local_ufrag)),
      local_pwd_(std::move(local_pwd)),
      config_(config),
      created_ms_(now_ms) {
  // At least two slots, so that a check from a new address can always
  // evict something other than the selected pair.
  if (config_.max_pairs < 2) config_.max_pairs = 2;
  if (config_.max_pairs > kMaxPairsLimit) config_.max_pairs = kMaxPairsLimit;
}

void IceLiteAgent::SetRemoteUfrag(std::string remote_ufrag) {
  remote_ufrag_ = std::move(remote_ufrag);
  has_remote_ufrag_ = true;
}

bool IceLiteAgent::UsernameOk(ByteSpan username) const {
  // RFC 8445 §7.2.2: USERNAME of a check is "<receiver ufrag>:<sender ufrag>",
  // so ours comes first. ufrags are ice-chars and never contain ':'.
  const size_t n = local_ufrag_.size();
  if (n == 0 || username.size <= n + 1) return false;
  if (std::memcmp(username.data, local_ufrag_.data(), n) != 0) return false;
  if (username.data[n] != ':') return false;
  const uint8_t* remote = username.data + n + 1;
  const size_t remote_size = username.size - n - 1;
  if (!has_remote_ufrag_) return true;  // non-empty, checked above
  return remote_size == remote_ufrag_.size() &&
         std::memcmp(remote, remote_ufrag_.data(), remote_size) == 0;
}

IceLiteAgent::Pair* IceLiteAgent::FindPair(const Address& a) {
  for (size_t i = 0; i < pair_count_; ++i) {
    if (pairs_[i].remote == a) return &pairs_[i];
  }
  return nullptr;
}

const IceLiteAgent::Pair* IceLiteAgent::FindPair(const Address& a) const {
  for (size_t i = 0; i < pair_count_; ++i) {
    if (pairs_[i].remote == a) return &pairs_[i];
  }
  return nullptr;
}

IceLiteAgent::Pair* IceLiteAgent::AddPair(const Address& a) {
  if (pair_count_ == config_.max_pairs) {
    // Full: forget the least recently checked pair that is not selected.
    size_t victim = pair_count_;
    for (size_t i = 0; i < pair_count_; ++i) {
      if (static_cast<int>(i) == selected_) continue;
      if (victim == pair_count_ || pairs_[i].last_check_ms < pairs_[victim].last_check_ms) {
        victim = i;
      }
    }
    // max_pairs >= 2 guarantees a victim; moving the last entry into its
    // slot keeps the table dense.
    const size_t last = pair_count_ - 1;
    pairs_[victim] = pairs_[last];
    if (selected_ == static_cast<int>(last)) selected_ = static_cast<int>(victim);
    --pair_count_;
  }
  Pair* p = &pairs_[pair_count_++];
  p->remote = a;
  p->last_check_ms = 0;
  return p;
}

Decision IceLiteAgent::Answer(const StunMessageView& req, CheckResult result,
                              uint16_t code, bool with_integrity,
                              const Address& from, uint8_t* out, size_t out_cap,
                              size_t* out_len) {
  Decision d;
  d.result = result;
  StunMessageBuilder b(out, out_cap);
  if (code == 0) {
    b.Start(kStunBindingSuccess, req.transactionId());
    b.AddXorMappedAddress(from);
  } else {
    b.Start(kStunBindingError, req.transactionId());
    b.AddErrorCode(code, StunErrorReason(code));
  }
  // RFC 5389 §10.1.2: a 400 or 401 must not carry MESSAGE-INTEGRITY (the
  // request was not authenticated, there is no agreed key to use).
  if (with_integrity) b.AddMessageIntegrity(&hmac_, Bytes(local_pwd_), local_pwd_.size());
  // RFC 8445 §7.2.2 (and §7.3): every ICE message carries FINGERPRINT.
  b.AddFingerprint();
  *out_len = b.size();
  if (!b.ok()) {
    d.result = CheckResult::kDropNoRoom;
    return d;
  }
  d.respond = true;
  return d;
}

Decision IceLiteAgent::OnBindingRequest(const uint8_t* data, size_t size,
                                        const Address& from, uint64_t now_ms,
                                        uint8_t* out, size_t* out_len) {
  const size_t out_cap = *out_len;
  *out_len = 0;
  Decision drop;
  if (state_ == IceState::kFailed) {
    drop.result = CheckResult::kDropFailed;
    return drop;
  }

  StunMessageView req(data, size);
  const StunParseResult parsed = req.Parse();
  // Not framed as STUN (truncated, garbage, another protocol): dropped, not
  // answered. There is no transaction to answer, and replying to arbitrary
  // bytes from a possibly spoofed source would make us a reflector.
  if (parsed == StunParseResult::kNotStun) {
    drop.result = CheckResult::kDropNotStun;
    return drop;
  }
  // Indications (keepalives, RFC 8445 §11) and responses get no answer; a
  // lite agent sends no requests, so any response is stray.
  if (req.type() != kStunBindingRequest) {
    drop.result = CheckResult::kDropNotRequest;
    return drop;
  }
  // From here the datagram is a framed Binding request with a transaction
  // id: problems are answered so that the peer learns what is wrong.
  if (parsed == StunParseResult::kMalformed) {
    return Answer(req, CheckResult::kBadRequest, kStunErrorBadRequest, false, from,
                  out, out_cap, out_len);
  }
  // FINGERPRINT is mandatory in ICE (RFC 8445 §7.2.2). Absent: a STUN
  // request from a peer not doing ICE properly, told so with 400. Present
  // but wrong: RFC 5389 §8 uses it to tell STUN from other protocols, so
  // the datagram is not STUN and is dropped.
  if (!req.hasFingerprint()) {
    return Answer(req, CheckResult::kBadRequest, kStunErrorBadRequest, false, from,
                  out, out_cap, out_len);
  }
  if (!req.CheckFingerprint()) {
    drop.result = CheckResult::kDropBadFingerprint;
    return drop;
  }
  // RFC 5389 §10.1.2: without USERNAME and MESSAGE-INTEGRITY the request is
  // malformed for short-term credentials: 400. A wrong USERNAME or a wrong
  // HMAC: 401.
  if (!req.hasMessageIntegrity() || !req.username().present()) {
    return Answer(req, CheckResult::kBadRequest, kStunErrorBadRequest, false, from,
                  out, out_cap, out_len);
  }
  if (!hmac_.ok()) {
    drop.result = CheckResult::kDropNoRoom;  // cannot authenticate anything
    return drop;
  }
  if (!UsernameOk(req.username()) ||
      !req.CheckMessageIntegrity(&hmac_, Bytes(local_pwd_), local_pwd_.size())) {
    return Answer(req, CheckResult::kUnauthorized, kStunErrorUnauthorized, false,
                  from, out, out_cap, out_len);
  }
  // RFC 8445 §6.1.1: with a lite agent the full agent is controlling, and
  // the lite agent cannot take that role (it has no checklist to run). A
  // peer claiming ICE-CONTROLLED is answered 487 whatever the tie-breakers
  // say, so it switches to controlling (§7.3.1.1, §7.2.5.1).
  if (req.iceControlled(nullptr)) {
    return Answer(req, CheckResult::kRoleConflict, kStunErrorRoleConflict, true, from,
                  out, out_cap, out_len);
  }

  Decision d = Answer(req, CheckResult::kSuccess, 0, true, from, out, out_cap, out_len);
  if (!d.respond) return d;  // not answerable: the check does not count either
  Pair* p = FindPair(from);
  if (p == nullptr) p = AddPair(from);
  p->last_check_ms = now_ms;
  const int index = static_cast<int>(p - pairs_);
  // RFC 8445 §7.3.1.5 (lite): USE-CANDIDATE on a valid check selects the
  // pair; a later nomination of another pair replaces it (§8.1.1 lets the
  // controlling agent renominate; browsers do when a network changes).
  if (req.useCandidate()) {
    d.nominated = true;
    d.selected_changed = selected_ != index;
    selected_ = index;
  }
  if (selected_ == index) state_ = IceState::kConnected;
  return d;
}

IceState IceLiteAgent::Tick(uint64_t now_ms) {
  if (state_ == IceState::kFailed) return state_;
  // Forget non-selected pairs whose consent has expired (RFC 7675 §5.1
  // applies per pair): media from there is refused from now on.
  for (size_t i = 0; i < pair_count_;) {
    if (static_cast<int>(i) != selected_ &&
        Age(now_ms, pairs_[i].last_check_ms) >= config_.failed_after_ms) {
      const size_t last = pair_count_ - 1;
      pairs_[i] = pairs_[last];
      if (selected_ == static_cast<int>(last)) selected_ = static_cast<int>(i);
      --pair_count_;
      continue;
    }
    ++i;
  }
  uint64_t age;
  if (selected_ < 0) {
    age = Age(now_ms, created_ms_);
    if (age < config_.failed_after_ms) return state_;  // still kNew
  } else {
    age = Age(now_ms, pairs_[selected_].last_check_ms);
  }
  if (age >= config_.failed_after_ms) {
    state_ = IceState::kFailed;
    pair_count_ = 0;
    selected_ = -1;
  } else if (age >= config_.disconnected_after_ms) {
    state_ = IceState::kDisconnected;
  } else {
    state_ = IceState::kConnected;
  }
  return state_;
}

bool IceLiteAgent::IsValidated(const Address& from) const {
  if (state_ == IceState::kFailed) return false;
  return FindPair(from) != nullptr;
}

bool IceLiteAgent::selected(Address* out) const {
  if (selected_ < 0) return false;
  if (out != nullptr) *out = pairs_[selected_].remote;
  return true;
}

}  // namespace webrtc_agent::ice
