/*
 * webrtc_peer: the WebRTC load client of the fanout bench's SRTP
 * configurations. One process is either the publisher (one peer, sends) or
 * the sink (N peers, receives), or a room (N conference participants'
 * transports, sending audio and video and receiving: webrtc_peer_room.h,
 * driven by bench/room.js); each peer is one UDP socket on 127.0.0.1.
 *
 *   webrtc_peer --role pub  [--dst IP:PORT] [--size 1200] [--ssrc N] [--pt 96]
 *               [--tick-us 500] [--max-lag-us 2000] [--gso 1]
 *   webrtc_peer --role sink --peers N [--rcvbuf BYTES] [--late-ms MS] [--batch 64]
 *   webrtc_peer --role room --peers N [--rcvbuf BYTES]
 *   common:     [--srtp-master HEX] [--duration S] [--handshake-ms 20000]
 *
 * Keying. Without --srtp-master each peer is a WebRTC endpoint of its own:
 * the harness builds the SDP offer (our ICE ufrag, the fingerprint this
 * process prints), gets the agent's answer and hands its parameters in with
 * a `peer` command; `connect` then runs, for all peers at once, STUN Binding
 * requests with USE-CANDIDATE (RFC 8445 as the controlling agent; an
 * ICE-lite agent answers whoever has the credentials) until answered, the
 * DTLS handshake (addon/dtls, as client or server per the answer's
 * a=setup), and the SRTP keys from the DTLS exporter (addon/srtp; the agent
 * prefers AEAD_AES_128_GCM, as it would with Chromium). Consent checks go
 * out every 2 s afterwards, so a transport outlives the agent's 30 s consent
 * timeout during long searches. With --srtp-master (the C forwarder
 * baseline, no DTLS) sessions are keyed directly: the publisher with stream
 * 0, sink peer i with stream i + 1 (srtp_c.h), the keys c_forwarder_srtp
 * uses.
 *
 * Publisher. Same packets and payload marker as rtp_gen (send time and a
 * 32-bit sequence number, read by the sink for latency and loss), the same
 * pacing (bursts of --tick-us worth of packets, one UDP GSO send per burst),
 * each packet protected before it goes out. Unlike rtp_gen it lives across
 * steps (its SRTP stream must continue: a receiver follows the sequence
 * number and rollover counter), so the harness asks for each step:
 *   send RATE DURATION_S STREAM   prints rtp_gen's JSON summary line
 * The RTP sequence number and timestamp continue from step to step; the
 * marker's sequence number restarts at 0 for each STREAM.
 *
 * Sink. rtp_sink's loop and accounting (sink_stats.h): epoll over the N
 * sockets, recvmmsg, the receive time taken right after the call; each SRTP
 * packet is unprotected with its peer's session and then counted exactly as
 * rtp_sink counts a plain one; the stdin commands are rtp_sink's --control
 * ones (expect ID, report [IDLE_MS [MAX_MS]], quit). A packet that does not
 * unprotect is "bad" and counted by reason (srtp_failed); RTCP, STUN and
 * DTLS datagrams are counted apart and not as received.
 *
 * --twcc-ext ID (sink): each peer notes the transport-wide sequence number
 * (header extension ID) and arrival of every packet and sends transport-cc
 * feedback (rtp/twcc_feedback.h, as the agent does for its publishers)
 * every 50 ms, as SRTCP: what a browser subscriber that negotiated
 * transport-cc returns, so the agent's send-side estimator runs as it would.
 *
 * Commands before the role's own (DTLS keying only):
 *   peer I IP:PORT LOCAL_UFRAG REMOTE_UFRAG REMOTE_PWD SETUP FP_HASH FP_VALUE
 *       peer I talks to the agent at IP:PORT; SETUP is the answer's
 *       a=setup (its role: "passive" makes us the DTLS client); FP_* its
 *       a=fingerprint
 *   connect [TIMEOUT_MS]
 *       ICE + DTLS for every configured peer, concurrently, bounded by
 *       TIMEOUT_MS (default --handshake-ms); answers
 *       {"connected":K,"peers":N,"ms":T,"failed":[...],...}
 *
 * On start it prints {"ready":true,"ports":[...],"fingerprint":"sha-256 ..."}.
 * Ends on quit, end of stdin, SIGINT/SIGTERM, --duration, or its parent's
 * death.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common.h"
#include "gen_pacer.h"
#include "sink_stats.h"
#include "srtp_c.h"

#include "dtls/dtls_context.h"
#include "dtls/dtls_transport.h"
#include "ice/stun_message.h"
#include "rtp/rtp_packet.h"
#include "rtp/twcc_feedback.h"
#include "srtp/srtp_session.h"

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

namespace {

using webrtc_agent::dtls::DtlsContext;
using webrtc_agent::dtls::DtlsRole;
using webrtc_agent::dtls::DtlsState;
using webrtc_agent::dtls::DtlsTransport;
using webrtc_agent::dtls::DtlsTransportOptions;
using webrtc_agent::dtls::SrtpKeys;
namespace ice = webrtc_agent::ice;
namespace srtp = webrtc_agent::srtp;

constexpr int kHdr = GEN_HDR;
constexpr int kMarkLen = GEN_MARK_LEN;
constexpr int kGsoMaxSegs = 64;
constexpr int kUdpMaxPayload = 65507;
constexpr size_t kTag = BENCH_SRTP_TAG_LEN;
// A consent check every 2 s: well inside the agent's 30 s consent expiry
// and its 7 s "disconnected" warning, at a negligible cost (N small
// datagrams every 2 s).
constexpr uint64_t kConsentIntervalMs = 2000;

uint64_t NowMs() { return now_ns() / 1000000u; }

struct Peer {
  int fd = -1;
  bool configured = false;
  sockaddr_in remote{};
  std::string local_ufrag, remote_ufrag, remote_pwd, fp_hash, fp_value;
  DtlsRole role = DtlsRole::kClient;
  // ICE: the Binding request in flight (resent until answered).
  uint8_t txid[ice::kStunTransactionIdSize] = {};
  bool ice_ok = false;
  uint64_t next_stun_ms = 0;
  uint32_t stun_sent = 0;
  std::unique_ptr<DtlsTransport> dtls;
  std::unique_ptr<srtp::SrtpSession> protect, unprotect;
  std::string failed;
  uint64_t next_consent_ms = 0;
  std::unique_ptr<webrtc_agent::rtp::TwccFeedback> twcc;  // --twcc-ext
  uint32_t media_ssrc = 0;
};

struct Counters {
  uint64_t rtcp_in = 0, stun_in = 0, dtls_in = 0, other_in = 0;
  uint64_t srtp_failed[srtp::kResultCount] = {};
  uint64_t protect_failed = 0;
  uint64_t consent_sent = 0;
  uint64_t stun_retries = 0;
  uint64_t twcc_sent = 0;
};

std::vector<Peer> peers;
Counters counters;
std::unique_ptr<DtlsContext> dtls_context;
uint8_t twcc_ext = 0;  // --twcc-ext: 0 = no feedback
ice::HmacSha1 *stun_hmac = nullptr;

void SendDatagram(Peer &p, const uint8_t *data, size_t len) {
  // Connected sockets (DTLS keying): send() goes to the agent.
  (void)sendto(p.fd, data, len, 0, (const sockaddr *)&p.remote, sizeof p.remote);
}

// A Binding request as a controlling full agent sends it (RFC 8445 §7.2.2):
// USERNAME "remote:local", PRIORITY, ICE-CONTROLLING, USE-CANDIDATE
// (aggressive nomination: the only pair we have), MESSAGE-INTEGRITY with the
// agent's password, FINGERPRINT.
void SendBindingRequest(Peer &p, bool new_transaction) {
  if (new_transaction) RAND_bytes(p.txid, sizeof p.txid);
  uint8_t buf[256];
  ice::StunMessageBuilder b(buf, sizeof buf);
  const std::string user = p.remote_ufrag + ":" + p.local_ufrag;
  const uint8_t prio[4] = {0x6e, 0x7f, 0x1e, 0xff};
  uint8_t tie[8];
  RAND_bytes(tie, sizeof tie);
  b.Start(ice::kStunBindingRequest, p.txid);
  b.AddAttribute(ice::kAttrUsername, (const uint8_t *)user.data(), user.size());
  b.AddAttribute(ice::kAttrPriority, prio, sizeof prio);
  b.AddAttribute(ice::kAttrIceControlling, tie, sizeof tie);
  b.AddAttribute(ice::kAttrUseCandidate, nullptr, 0);
  b.AddMessageIntegrity(stun_hmac, (const uint8_t *)p.remote_pwd.data(), p.remote_pwd.size());
  b.AddFingerprint();
  if (b.size() > 0) SendDatagram(p, buf, b.size());
}

void FlushDtls(Peer &p) {
  std::vector<uint8_t> out;
  while (p.dtls && p.dtls->PopOutgoing(&out)) SendDatagram(p, out.data(), out.size());
}

void OnDtlsStates(Peer &p) {
  DtlsState st;
  while (p.dtls->PopStateChange(&st)) {
    if (st == DtlsState::kConnected && !p.protect) {
      SrtpKeys keys;
      srtp::Profile profile;
      if (!p.dtls->GetSrtpKeys(&keys) || !srtp::ProfileFromDtlsId((uint16_t)keys.profile, &profile)) {
        p.failed = "no usable SRTP keys";
        continue;
      }
      p.protect = srtp::SrtpSession::Create(profile, srtp::Direction::kProtect, keys.local_key, keys.key_size,
                                            keys.local_salt, keys.salt_size);
      p.unprotect = srtp::SrtpSession::Create(profile, srtp::Direction::kUnprotect, keys.remote_key,
                                              keys.key_size, keys.remote_salt, keys.salt_size);
      if (!p.protect || !p.unprotect) p.failed = "SRTP session setup failed";
    } else if (st == DtlsState::kFailed || st == DtlsState::kClosed) {
      p.failed = std::string("DTLS ") + webrtc_agent::dtls::DtlsStateName(st) + ": " + p.dtls->failure_reason();
    }
  }
}

// A STUN datagram from the agent: the answer to our check (ICE done for
// this peer: start DTLS) or to a consent check (nothing to do).
void OnStun(Peer &p, const uint8_t *d, size_t len, uint64_t now_ms) {
  counters.stun_in++;
  ice::StunMessageView v(d, len);
  if (v.Parse() != ice::StunParseResult::kOk || v.type() != ice::kStunBindingSuccess) return;
  if (memcmp(v.transactionId(), p.txid, sizeof p.txid) != 0) return;
  if (!v.CheckMessageIntegrity(stun_hmac, (const uint8_t *)p.remote_pwd.data(), p.remote_pwd.size())) return;
  if (p.ice_ok) return;
  p.ice_ok = true;
  DtlsTransportOptions o;
  // 200 handshakes at once on a loaded machine: resend a lost flight
  // after 250 ms rather than the browser-like 1 s.
  o.initial_retransmit_ms = 250;
  o.max_retransmit_ms = 2000;
  std::string err;
  p.dtls = DtlsTransport::Create(dtls_context.get(), p.role, o, &err);
  if (!p.dtls) {
    p.failed = "DTLS: " + err;
    return;
  }
  if (!p.dtls->SetRemoteFingerprint(p.fp_hash, p.fp_value)) {
    p.failed = "bad remote fingerprint";
    return;
  }
  p.dtls->Start(now_ms);
  FlushDtls(p);
  OnDtlsStates(p);
}

// RFC 7983 demultiplexing of what an agent sends to a peer. RTP/RTCP are
// the caller's; returns true if the datagram was STUN or DTLS (handled).
bool OnControl(Peer &p, const uint8_t *d, size_t len, uint64_t now_ms) {
  if (len == 0) return true;
  if (d[0] < 4) {
    OnStun(p, d, len, now_ms);
    return true;
  }
  if (d[0] >= 20 && d[0] <= 63) {
    counters.dtls_in++;
    if (p.dtls) {
      p.dtls->Feed(d, len, now_ms);
      FlushDtls(p);
      OnDtlsStates(p);
    }
    return true;
  }
  return false;
}

void ConsentTick(uint64_t now_ms) {
  for (Peer &p : peers) {
    if (!p.configured || !p.protect || now_ms < p.next_consent_ms) continue;
    p.next_consent_ms = now_ms + kConsentIntervalMs;
    SendBindingRequest(p, true);
    counters.consent_sent++;
  }
}

void DrainSocket(Peer &p, uint64_t now_ms) {
  uint8_t buf[4096];
  for (int i = 0; i < 64; i++) {
    ssize_t r = recv(p.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r < 0) return;
    if (!OnControl(p, buf, (size_t)r, now_ms)) {
      if (r >= 2 && buf[1] >= 192 && buf[1] <= 223) counters.rtcp_in++;
      else counters.other_in++;
    }
  }
}

// ICE then DTLS for every configured peer, all at once, until all are
// connected or failed or timeout_ms has passed.
void Connect(uint64_t timeout_ms) {
  const uint64_t t0 = NowMs();
  const uint64_t deadline = t0 + timeout_ms;
  std::vector<pollfd> pfds;
  std::vector<size_t> idx;
  for (size_t i = 0; i < peers.size(); i++) {
    if (!peers[i].configured || peers[i].protect) continue;
    peers[i].failed.clear();
    pfds.push_back({peers[i].fd, POLLIN, 0});
    idx.push_back(i);
  }
  uint64_t retrans0 = 0;
  for (;;) {
    const uint64_t now = NowMs();
    size_t pending = 0;
    uint64_t next = now + 50;
    for (size_t k = 0; k < idx.size(); k++) {
      Peer &p = peers[idx[k]];
      if (p.protect || !p.failed.empty()) continue;
      pending++;
      if (!p.ice_ok) {
        if (now >= p.next_stun_ms) {
          // Same transaction id on a resend (RFC 5389 §7.2.1), new one
          // after every 8 so that a stale answer cannot be taken forever.
          SendBindingRequest(p, p.stun_sent % 8 == 0);
          if (p.stun_sent) counters.stun_retries++;
          p.stun_sent++;
          p.next_stun_ms = now + (p.stun_sent < 5 ? 100 : 500);
        }
        if (p.next_stun_ms < next) next = p.next_stun_ms;
      } else if (p.dtls) {
        const uint64_t t = p.dtls->NextTimeoutMs();
        if (t <= now) {
          p.dtls->Tick(now);
          FlushDtls(p);
          OnDtlsStates(p);
        } else if (t < next) {
          next = t;
        }
      }
    }
    if (pending == 0 || now >= deadline || stop_flag) break;
    int wait = (int)(next > now ? next - now : 0);
    if (wait > 50) wait = 50;
    int n = poll(pfds.data(), pfds.size(), wait);
    if (n <= 0) continue;
    for (size_t k = 0; k < pfds.size(); k++) {
      if (pfds[k].revents & POLLIN) DrainSocket(peers[idx[k]], NowMs());
    }
  }
  size_t connected = 0;
  std::string failed;
  for (size_t k = 0; k < idx.size(); k++) {
    Peer &p = peers[idx[k]];
    if (p.dtls) retrans0 += p.dtls->stats().retransmissions;
    if (p.protect && p.failed.empty()) {
      connected++;
      p.next_consent_ms = NowMs() + kConsentIntervalMs;
      continue;
    }
    if (failed.size() > 3000) continue;  // enough to diagnose
    std::string why = !p.failed.empty() ? p.failed : !p.ice_ok ? "no STUN answer" : "DTLS not done";
    for (char &c : why) if (c == '"' || c == '\\' || (unsigned char)c < 0x20) c = ' ';
    failed += (failed.empty() ? "" : ",") + std::string("{\"peer\":") + std::to_string(idx[k]) +
              ",\"why\":\"" + why + "\"}";
  }
  printf("{\"connected\":%zu,\"peers\":%zu,\"ms\":%llu,\"stun_retries\":%llu,\"dtls_retransmissions\":%llu,"
         "\"failed\":[%s]}\n",
         connected, idx.size(), (unsigned long long)(NowMs() - t0), (unsigned long long)counters.stun_retries,
         (unsigned long long)retrans0, failed.c_str());
  fflush(stdout);
}

// "peer I IP:PORT LOCAL_UFRAG REMOTE_UFRAG REMOTE_PWD SETUP FP_HASH FP_VALUE"
bool ConfigurePeer(const char *args) {
  unsigned i;
  char addr[64], lu[300], ru[300], pwd[300], setup[32], hash[32], value[256];
  if (sscanf(args, "%u %63s %299s %299s %299s %31s %31s %255s", &i, addr, lu, ru, pwd, setup, hash, value) != 8)
    return false;
  if (i >= peers.size() || !dtls_context) return false;
  Peer &p = peers[i];
  if (parse_addr(addr, &p.remote) != 0) return false;
  p.local_ufrag = lu;
  p.remote_ufrag = ru;
  p.remote_pwd = pwd;
  // The answer's a=setup is the agent's role; ours is the other one.
  if (strcmp(setup, "passive") == 0) p.role = DtlsRole::kClient;
  else if (strcmp(setup, "active") == 0) p.role = DtlsRole::kServer;
  else return false;
  p.fp_hash = hash;
  p.fp_value = value;
  // Only the agent's datagrams reach this socket from now on.
  if (connect(p.fd, (const sockaddr *)&p.remote, sizeof p.remote) != 0) return false;
  p.configured = true;
  return true;
}

int OpenSocket(int rcvbuf) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  // As root, FORCE passes net.core.rmem_max; otherwise plain SO_RCVBUF.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

uint16_t PortOf(int fd) {
  sockaddr_in a{};
  socklen_t al = sizeof a;
  getsockname(fd, (sockaddr *)&a, &al);
  return ntohs(a.sin_port);
}

// Reads stdin without blocking; calls on_line for each complete line.
// Returns false at end of input.
template <typename F>
bool ReadCommands(F on_line) {
  static char cmd[1024];
  static size_t cmd_len = 0;
  ssize_t r = read(0, cmd + cmd_len, sizeof cmd - 1 - cmd_len);
  if (r == 0) return false;
  if (r < 0) return true;
  cmd_len += (size_t)r;
  cmd[cmd_len] = 0;
  char *nl;
  while ((nl = strchr(cmd, '\n')) != nullptr) {
    *nl = 0;
    on_line(cmd);
    size_t used = (size_t)(nl - cmd) + 1;
    memmove(cmd, nl + 1, cmd_len - used + 1);
    cmd_len -= used;
  }
  if (cmd_len >= sizeof cmd - 1) cmd_len = 0;  // garbage: drop it
  return true;
}

bool HandleCommonCommand(const char *cmd, uint64_t handshake_ms) {
  if (strncmp(cmd, "peer ", 5) == 0) {
    bool ok = ConfigurePeer(cmd + 5);
    printf("{\"peer\":%s}\n", ok ? "true" : "false");
    fflush(stdout);
    return true;
  }
  if (strncmp(cmd, "connect", 7) == 0) {
    unsigned long ms = 0;
    if (sscanf(cmd + 7, "%lu", &ms) != 1) ms = handshake_ms;
    Connect(ms);
    return true;
  }
  return false;
}

// ------------------------------------------------------------ publisher

struct PubOptions {
  int size = 1200, pt = 96, use_gso = 1;
  uint32_t ssrc = 0x5eed0001u;
  double tick_us = 500, max_lag_us = 2000;
};


struct PubStream {
  uint16_t rtp_seq;
  uint32_t rtp_ts;
};

// One step: rtp_gen's loop, with each packet protected before the send.
void SendStep(Peer &p, const PubOptions &o, PubStream *st, double rate, double duration, uint32_t stream,
              int gso_ok) {
  const size_t seg = (size_t)o.size + kTag;
  int max_burst = gso_ok ? (int)(kUdpMaxPayload / seg) : 64;
  if (max_burst > kGsoMaxSegs) max_burst = kGsoMaxSegs;
  static std::vector<uint8_t> buf;
  buf.assign((size_t)kGsoMaxSegs * seg, 0);
  uint64_t sent = 0, errors = 0, sends = 0;
  int last_errno = 0;
  const uint64_t end_rel = (uint64_t)(duration * 1e9);
  const uint64_t cpu0 = cpu_us();
  const uint64_t t0 = now_ns();
  gen_pacer pacer;
  gen_pacer_init(&pacer, rate, o.tick_us, o.max_lag_us, max_burst, t0, t0 + end_rel);
  while (!stop_flag) {
    uint64_t now = now_ns();
    if (now - t0 >= end_rel) break;
    ConsentTick(now / 1000000u);
    const uint64_t n = gen_pacer_next(&pacer, now);
    if (n == 0) continue;
    const uint64_t ts = now_ns();
    uint64_t built = 0;
    for (uint64_t i = 0; i < n; i++) {
      uint8_t *q = buf.data() + built * seg;
      gen_write_packet(q, o.pt, (uint16_t)(st->rtp_seq + i), st->rtp_ts + (uint32_t)i * 3000u, o.ssrc, stream,
                       (uint32_t)(sent + i), ts);
      memset(q + kHdr + kMarkLen, 0, (size_t)o.size - kHdr - kMarkLen);
      size_t len = (size_t)o.size;
      if (!p.protect->ProtectRtp(q, &len, seg) || len != seg) {
        counters.protect_failed++;
        break;  // keep the burst contiguous: GSO needs equal segments
      }
      built++;
    }
    uint64_t ok = 0;
    if (gso_ok) {
      ssize_t r = built ? sendto(p.fd, buf.data(), (size_t)(built * seg), 0, (const sockaddr *)&p.remote,
                                 sizeof p.remote)
                        : 0;
      sends++;
      if (r >= 0) ok = built;
      else last_errno = errno;
    } else {
      for (uint64_t i = 0; i < built; i++) {
        ssize_t r = sendto(p.fd, buf.data() + i * seg, seg, 0, (const sockaddr *)&p.remote, sizeof p.remote);
        sends++;
        if (r >= 0) ok++;
        else last_errno = errno;
      }
    }
    errors += n - ok;
    sent += ok;
    // Only packets that left count; the RTP sequence stays contiguous.
    // (A packet protected but not sent leaves a gap in the SRTP index,
    // which a receiver's replay window accepts.)
    st->rtp_seq = (uint16_t)(st->rtp_seq + built);
    st->rtp_ts += (uint32_t)built * 3000u;
  }
  const uint64_t t1 = now_ns();
  const uint64_t cpu = cpu_us() - cpu0;
  const double el = (double)(t1 - t0) / 1e9;
  char dst[64];
  snprintf(dst, sizeof dst, "%s:%u", inet_ntoa(p.remote.sin_addr), ntohs(p.remote.sin_port));
  printf("{\"tool\":\"webrtc_peer\",\"role\":\"pub\",\"dst\":\"%s\",\"size\":%d,\"srtp_size\":%zu,\"ssrc\":%u,"
         "\"pt\":%d,\"stream\":%u,\"gso\":%s,\"target_pps\":%.1f,\"sent\":%llu,\"errors\":%llu,\"last_errno\":%d,"
         "\"late_skipped\":%llu,\"send_calls\":%llu,\"elapsed_s\":%.4f,\"achieved_pps\":%.1f,"
         "\"cpu_us\":%llu,\"cpu_pct\":%.1f,\"protect_failed\":%llu,\"consent_sent\":%llu}\n",
         dst, o.size, seg, o.ssrc, o.pt, stream, gso_ok ? "true" : "false", rate, (unsigned long long)sent,
         (unsigned long long)errors, last_errno, (unsigned long long)pacer.skipped, (unsigned long long)sends, el,
         el > 0 ? (double)sent / el : 0.0, (unsigned long long)cpu, el > 0 ? (double)cpu / 1e4 / el : 0.0,
         (unsigned long long)counters.protect_failed, (unsigned long long)counters.consent_sent);
  fflush(stdout);
}

int RunPublisher(const PubOptions &o, uint64_t end_ns, uint64_t handshake_ms) {
  Peer &p = peers[0];
  int gso_ok = 0;
  if (o.use_gso) {
    int seg = o.size + (int)kTag;
    gso_ok = setsockopt(p.fd, SOL_UDP, UDP_SEGMENT, &seg, sizeof seg) == 0;
  }
  uint32_t seed;
  RAND_bytes((uint8_t *)&seed, sizeof seed);
  PubStream st = {(uint16_t)seed, seed * 7u};
  bool quit = false;
  while (!quit && !stop_flag && now_ns() < end_ns) {
    pollfd pf[2] = {{0, POLLIN, 0}, {p.fd, POLLIN, 0}};
    poll(pf, 2, 200);
    const uint64_t now = NowMs();
    if (pf[1].revents & POLLIN) DrainSocket(p, now);
    ConsentTick(now);
    if (!(pf[0].revents & (POLLIN | POLLHUP))) continue;
    bool more = ReadCommands([&](const char *cmd) {
      if (HandleCommonCommand(cmd, handshake_ms)) return;
      double rate = 0, dur = 0;
      unsigned long stream = 0;
      if (sscanf(cmd, "send %lf %lf %lu", &rate, &dur, &stream) == 3) {
        if (!p.protect) {
          printf("{\"error\":\"not connected\"}\n");
          fflush(stdout);
          return;
        }
        SendStep(p, o, &st, rate, dur, (uint32_t)stream, gso_ok);
      } else if (strncmp(cmd, "quit", 4) == 0) {
        quit = true;
      } else {
        printf("{\"error\":\"unknown command\"}\n");
        fflush(stdout);
      }
    });
    if (!more) break;
  }
  return 0;
}

// ------------------------------------------------------------ sink

std::string SinkExtra() {
  std::string s = ",\"srtp_failed\":{";
  for (size_t r = 1; r < srtp::kResultCount; r++) {
    s += (r > 1 ? "," : "") + std::string("\"") + srtp::ResultName((srtp::Result)r) +
         "\":" + std::to_string(counters.srtp_failed[r]);
  }
  s += "},\"rtcp_in\":" + std::to_string(counters.rtcp_in) + ",\"stun_in\":" + std::to_string(counters.stun_in) +
       ",\"dtls_in\":" + std::to_string(counters.dtls_in) + ",\"twcc_sent\":" + std::to_string(counters.twcc_sent);
  return s;
}

// Every 50 ms: each peer's transport-cc feedback, protected as SRTCP.
void SendTwccFeedback(uint32_t sender_ssrc) {
  static uint8_t buf[1500];
  for (Peer &p : peers) {
    if (!p.twcc || !p.protect) continue;
    for (int i = 0; i < 4 && p.twcc->HasPending(); i++) {
      size_t n = p.twcc->Build(buf, 1200, sender_ssrc, p.media_ssrc);
      if (n == 0 || !p.protect->ProtectRtcp(buf, &n, sizeof buf)) break;
      SendDatagram(p, buf, n);
      counters.twcc_sent++;
    }
  }
}

int RunSink(int batch, uint64_t end_ns, uint64_t handshake_ms) {
  int ep = epoll_create1(0);
  if (ep < 0) { perror("epoll_create1"); return 1; }
  for (int i = 0; i < nports; i++) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = (uint32_t)i;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, ports[i].fd, &ev) != 0) { perror("epoll_ctl"); return 1; }
  }
  {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = UINT32_MAX;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) != 0) { perror("epoll_ctl stdin"); return 1; }
  }
  static uint8_t bufs[MAX_BATCH][PKT_MAX];
  static mmsghdr msgs[MAX_BATCH];
  static iovec iov[MAX_BATCH];
  for (int i = 0; i < batch; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = PKT_MAX;
    memset(&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  uint64_t rep_t0 = now_ns(), rep_cpu0 = cpu_us();
  sink_report report = {};
  const char *why = "duration";
  bool done = false;
  static epoll_event evs[512];
  uint64_t twcc_last_ms = 0;
  if (twcc_ext != 0) {
    for (Peer &p : peers) p.twcc = std::make_unique<webrtc_agent::rtp::TwccFeedback>();
  }
  for (;;) {
    if (stop_flag) { why = "signal"; break; }
    uint64_t now = now_ns();
    if (now >= end_ns) { why = "duration"; break; }
    ConsentTick(now / 1000000u);
    if (twcc_ext != 0 && now / 1000000u - twcc_last_ms >= 50) {
      twcc_last_ms = now / 1000000u;
      SendTwccFeedback(0x5EED0001u);
    }
    if (const char *due = sink_report_due(&report, now)) {
      print_summary(due, rep_t0, rep_cpu0, SinkExtra().c_str());
      reset_counters();
      counters = Counters{};
      rep_t0 = now_ns();
      rep_cpu0 = cpu_us();
    }
    int n = epoll_wait(ep, evs, 512, report.pending ? 5 : 50);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      break;
    }
    for (int e = 0; e < n && !done; e++) {
      uint32_t idx = evs[e].data.u32;
      if (idx == UINT32_MAX) {
        bool more = ReadCommands([&](const char *cmd) {
          if (HandleCommonCommand(cmd, handshake_ms)) return;
          if (sink_command(&report, cmd)) {
            why = "quit";
            done = true;
          }
        });
        if (!more) {
          why = "stdin-closed";
          done = true;
        }
        continue;
      }
      port_state *ps = &ports[idx];
      Peer &peer = peers[idx];
      int got = recvmmsg(ps->fd, msgs, (unsigned)batch, MSG_DONTWAIT, nullptr);
      if (got <= 0) continue;
      uint64_t rx = now_ns();
      if (!first_rx_ns) first_rx_ns = rx;
      last_rx_ns = rx;
      for (int i = 0; i < got; i++) {
        uint8_t *d = bufs[i];
        size_t len = msgs[i].msg_len;
        if (len >= 2 && d[0] >= 128 && d[0] <= 191) {
          if (d[1] >= 192 && d[1] <= 223) {  // RTCP (rtcp-mux): SR and the like
            counters.rtcp_in++;
            continue;
          }
          if (!peer.unprotect) {
            bad_pkts++;
            continue;
          }
          const srtp::Result r = peer.unprotect->UnprotectRtp(d, &len);
          if (r != srtp::Result::kOk) {
            counters.srtp_failed[(size_t)r]++;
            bad_pkts++;
            continue;
          }
          if (peer.twcc) {
            webrtc_agent::rtp::RtpPacketView v(d, len);
            if (v.Parse()) {
              const webrtc_agent::rtp::ByteSpan e = v.FindExtension(twcc_ext);
              if (e.present() && e.size >= 2) {
                peer.twcc->OnPacket(webrtc_agent::rtp::LoadU16(e.data), rx / 1000);
                peer.media_ssrc = v.ssrc();
              }
            }
          }
          on_packet(ps, d, len, rx);
        } else if (!OnControl(peer, d, len, rx / 1000000u)) {
          counters.other_in++;
          bad_pkts++;
        }
      }
    }
    if (done) break;
  }
  print_summary(why, rep_t0, rep_cpu0, SinkExtra().c_str());
  return 0;
}

#include "webrtc_peer_room.h"

void Usage() {
  fprintf(stderr,
          "usage: webrtc_peer --role pub|sink|room [--peers N] [--srtp-master HEX] [--dst IP:PORT]\n"
          "                   [--size BYTES] [--ssrc N] [--pt N] [--tick-us US] [--max-lag-us US] [--gso 0|1]\n"
          "                   [--rcvbuf BYTES] [--late-ms MS] [--batch N] [--duration S] [--handshake-ms MS]\n"
          "                   [--twcc-ext ID]\n");
  exit(2);
}

}  // namespace

int main(int argc, char **argv) {
  const char *role = nullptr, *master_hex = nullptr, *dst = nullptr;
  int npeers = 1, rcvbuf = 1 << 20, batch = 64;
  double duration = 3600;
  uint64_t handshake_ms = 20000;
  PubOptions po;
  static const option opts[] = {
      {"role", required_argument, 0, 'R'},         {"peers", required_argument, 0, 'n'},
      {"srtp-master", required_argument, 0, 'K'},  {"dst", required_argument, 0, 'd'},
      {"size", required_argument, 0, 's'},         {"ssrc", required_argument, 0, 'S'},
      {"pt", required_argument, 0, 'p'},           {"tick-us", required_argument, 0, 'k'},
      {"max-lag-us", required_argument, 0, 'l'},   {"gso", required_argument, 0, 'g'},
      {"rcvbuf", required_argument, 0, 'r'},       {"late-ms", required_argument, 0, 'L'},
      {"batch", required_argument, 0, 'm'},        {"duration", required_argument, 0, 't'},
      {"handshake-ms", required_argument, 0, 'H'}, {"help", no_argument, 0, 'h'},
      {"twcc-ext", required_argument, 0, 'T'},
      {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", opts, nullptr)) != -1) {
    switch (c) {
      case 'R': role = optarg; break;
      case 'n': npeers = atoi(optarg); break;
      case 'K': master_hex = optarg; break;
      case 'd': dst = optarg; break;
      case 's': po.size = atoi(optarg); break;
      case 'S': po.ssrc = (uint32_t)strtoul(optarg, nullptr, 0); break;
      case 'p': po.pt = atoi(optarg); break;
      case 'k': po.tick_us = atof(optarg); break;
      case 'l': po.max_lag_us = atof(optarg); break;
      case 'g': po.use_gso = atoi(optarg); break;
      case 'r': rcvbuf = atoi(optarg); break;
      case 'L': deadline_ns = (uint64_t)(atof(optarg) * 1e6); break;
      case 'm': batch = atoi(optarg); break;
      case 't': duration = atof(optarg); break;
      case 'H': handshake_ms = strtoull(optarg, nullptr, 10); break;
      case 'T': twcc_ext = (uint8_t)atoi(optarg); break;
      default: Usage();
    }
  }
  if (!role) Usage();
  const bool pub = strcmp(role, "pub") == 0;
  const bool room_role = strcmp(role, "room") == 0;
  if (!pub && !room_role && strcmp(role, "sink") != 0) Usage();
  if (room_role && master_hex) Usage();  // a room is keyed by DTLS
  if (pub) npeers = 1;
  if (npeers < 1 || npeers > MAX_PORTS || batch < 1 || batch > MAX_BATCH || duration <= 0) Usage();
  if (po.size < kHdr + kMarkLen || po.size + (int)kTag > 9000 || po.pt < 0 || po.pt > 127 || po.tick_us <= 0) Usage();
  if (pub && master_hex && !dst) {
    fprintf(stderr, "webrtc_peer: --srtp-master needs --dst for the publisher\n");
    return 2;
  }

  prctl(PR_SET_PDEATHSIG, SIGTERM);
  prctl(PR_SET_TIMERSLACK, 1UL);  // precise sleeps for the publisher's pacing
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);

  ice::HmacSha1 hmac;
  stun_hmac = &hmac;
  std::string fingerprint;
  if (!master_hex) {
    std::string err;
    dtls_context = DtlsContext::Create(&err);
    if (!dtls_context) {
      fprintf(stderr, "webrtc_peer: DTLS context: %s\n", err.c_str());
      return 1;
    }
    fingerprint = dtls_context->sdp_fingerprint();
  }
  uint8_t base[BENCH_SRTP_MASTER_LEN];
  if (master_hex && bench_srtp_parse_master(master_hex, base) != 0) {
    fprintf(stderr, "webrtc_peer: --srtp-master: %d hex digits expected\n", 2 * BENCH_SRTP_MASTER_LEN);
    return 2;
  }
  peers.resize((size_t)npeers);
  for (int i = 0; i < npeers; i++) {
    Peer &p = peers[(size_t)i];
    p.fd = OpenSocket(pub ? (1 << 20) : rcvbuf);
    if (p.fd < 0) {
      perror("webrtc_peer: socket");
      return 1;
    }
    ports[i].fd = p.fd;
    ports[i].port = PortOf(p.fd);
    if (master_hex) {
      // Keyed directly: publisher stream 0, sink peer i stream i + 1.
      uint8_t m[BENCH_SRTP_MASTER_LEN];
      bench_srtp_stream_master(base, pub ? 0 : (uint32_t)i + 1, m);
      auto dir = pub ? srtp::Direction::kProtect : srtp::Direction::kUnprotect;
      auto s = srtp::SrtpSession::Create(srtp::Profile::kAeadAes128Gcm, dir, m, 16, m + 16, 12);
      if (!s) {
        fprintf(stderr, "webrtc_peer: SRTP session setup failed\n");
        return 1;
      }
      (pub ? p.protect : p.unprotect) = std::move(s);
      if (pub && parse_addr(dst, &p.remote) != 0) {
        fprintf(stderr, "webrtc_peer: bad --dst %s\n", dst);
        return 2;
      }
    }
  }
  nports = npeers;
  summary_tool = "webrtc_peer";
  printf("{\"ready\":true,\"role\":\"%s\",\"ports\":[", role);
  for (int i = 0; i < nports; i++) printf("%s%u", i ? "," : "", ports[i].port);
  printf("],\"fingerprint\":\"%s\"}\n", fingerprint.c_str());
  fflush(stdout);

  const uint64_t end_ns = now_ns() + (uint64_t)(duration * 1e9);
  int rc = pub         ? RunPublisher(po, end_ns, handshake_ms)
           : room_role ? RunRoom(end_ns, handshake_ms)
                       : RunSink(batch, end_ns, handshake_ms);
  for (Peer &p : peers) close(p.fd);
  return rc;
}
