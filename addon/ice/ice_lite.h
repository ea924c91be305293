// The server side of ICE-lite (RFC 8445 §2.5, §6.1.1, §7.3) for one
// transport, with consent freshness (RFC 7675).
//
// An SFU with public addresses does not gather or check candidates: it
// answers the Binding requests a full agent (the browser) sends, learns the
// browser's addresses from them, and lets the browser, always the
// controlling agent, nominate the pair to use. This class is that logic and
// nothing else: bytes and a clock in, bytes and decisions out. The transport
// owns the socket and calls OnBindingRequest for each STUN datagram, sends
// what it is told to, asks IsValidated before accepting media from an
// address, and calls Tick from a timer.
//
// The transport has one local UDP socket, so a candidate pair (a 5-tuple:
// protocol, local and remote address) is identified here by the remote
// address alone.
#ifndef WEBRTC_AGENT_ADDON_ICE_ICE_LITE_H_
#define WEBRTC_AGENT_ADDON_ICE_ICE_LITE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "ice/stun_message.h"

namespace webrtc_agent::ice {

struct IceLiteConfig {
  // RFC 7675 §5.1: a full agent sends a consent check every 5 s, randomised
  // to 4..6 s. One lost check (or response) is normal on UDP, so a single
  // missed interval must not flap the state: "disconnected" means no valid
  // check for longer than the longest regular interval plus a second of
  // network delay. It is a warning only; media still flows and the next
  // valid check makes the transport connected again.
  uint64_t disconnected_after_ms = 7000;
  // RFC 7675 §5.1: consent expires 30 s after the last authenticated
  // check; the transport must then stop sending and is failed for good (a
  // new agent, i.e. an ICE restart with new credentials, is the way back).
  // The same bound applies to a transport that never gets a nomination.
  uint64_t failed_after_ms = 30000;
  // How many validated remote addresses are remembered. A browser uses a
  // few (host v4/v6, server-reflexive, relayed, per interface); anyone who
  // has the credentials could send checks from endless source addresses, so
  // the table is bounded and the least recently checked non-selected pair
  // makes room.
  size_t max_pairs = 16;
};

enum class IceState : uint8_t {
  kNew,           // no pair nominated yet
  kConnected,     // a pair is selected and its consent is fresh
  kDisconnected,  // the selected pair has had no valid check for a while
  kFailed,        // consent expired (or never obtained): stop the transport
};

// What OnBindingRequest did with a datagram.
enum class CheckResult : uint8_t {
  kSuccess,         // answered 200: the pair is validated
  kBadRequest,      // answered 400
  kUnauthorized,    // answered 401
  kRoleConflict,    // answered 487
  kDropNotStun,     // not a STUN message (RFC 5389 §7.3: discarded)
  kDropNotRequest,  // a STUN message that is not a Binding request
  kDropBadFingerprint,  // FINGERPRINT wrong: not STUN (RFC 5389 §8)
  kDropFailed,      // the agent has failed; nothing more is answered
  kDropNoRoom,      // the output buffer is too small, or HMAC unavailable
};

struct Decision {
  CheckResult result = CheckResult::kDropNotStun;
  // True when *out_len bytes were written to `out`: send them to `from`.
  bool respond = false;
  // The request carried USE-CANDIDATE and passed: `from` is now the
  // selected pair. `selected_changed` when that differs from before.
  bool nominated = false;
  bool selected_changed = false;
};

class IceLiteAgent {
 public:
  // Credentials are ice-chars (RFC 8445 §5.3); the password is also the
  // short-term credential key of MESSAGE-INTEGRITY. `now_ms` starts the
  // clock for "no nomination within failed_after_ms".
  IceLiteAgent(std::string local_ufrag, std::string local_pwd, uint64_t now_ms,
               IceLiteConfig config = IceLiteConfig());

  // Until set, any non-empty remote part of USERNAME is accepted (a check
  // may arrive before the answer's credentials do); once set, it must match.
  void SetRemoteUfrag(std::string remote_ufrag);
  bool hasRemoteUfrag() const { return has_remote_ufrag_; }

  // Handles one datagram that RFC 7983 classified as STUN, received from
  // `from`. *out_len is the capacity of `out` on entry and the size of the
  // answer to send to `from` on return (0: send nothing). 128 bytes always
  // suffice (a success response to IPv6 is 76 bytes).
  Decision OnBindingRequest(const uint8_t* data, size_t size, const Address& from,
                            uint64_t now_ms, uint8_t* out, size_t* out_len);

  // Consent bookkeeping, called from a timer (every second is plenty).
  // Also forgets non-selected pairs whose last valid check is older than
  // failed_after_ms: their consent has expired too.
  IceState Tick(uint64_t now_ms);
  IceState state() const { return state_; }

  // Media is accepted only from a remote address that passed a check (and
  // whose consent has not expired). Always false once failed.
  bool IsValidated(const Address& from) const;
  // The nominated pair's remote address; false if none.
  bool selected(Address* out) const;
  size_t pairCount() const { return pair_count_; }

 private:
  struct Pair {
    Address remote;
    uint64_t last_check_ms = 0;
  };
  static constexpr size_t kMaxPairsLimit = 64;

  Decision Answer(const StunMessageView& req, CheckResult result, uint16_t code,
                  bool with_integrity, const Address& from, uint8_t* out,
                  size_t out_cap, size_t* out_len);
  bool UsernameOk(ByteSpan username) const;
  Pair* FindPair(const Address& a);
  const Pair* FindPair(const Address& a) const;
  Pair* AddPair(const Address& a);

  std::string local_ufrag_;
  std::string local_pwd_;
  std::string remote_ufrag_;
  bool has_remote_ufrag_ = false;
  IceLiteConfig config_;
  uint64_t created_ms_;
  IceState state_ = IceState::kNew;
  HmacSha1 hmac_;
  Pair pairs_[kMaxPairsLimit];
  size_t pair_count_ = 0;
  // Index into pairs_ of the selected pair, or -1.
  int selected_ = -1;
};

}  // namespace webrtc_agent::ice

#endif  // WEBRTC_AGENT_ADDON_ICE_ICE_LITE_H_
