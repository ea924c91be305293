// Unit tests for addon/dtls: a plain program (no framework, no addon, no
// Node) built with ASan+UBSan and Debian's libssl by test/native/dtls.test.ts.
// Two DtlsTransports, each with its own DtlsContext (so its own key), talk
// through an in-memory "network" with a fake clock; the test decides which
// datagrams arrive.
//
// Prints "dtls_test: N checks passed, M failed" last; exits 1 if M > 0.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "check.h"
#include "dtls/certificate.h"
#include "dtls/dtls_context.h"
#include "dtls/dtls_transport.h"

namespace {

using Bytes = std::vector<uint8_t>;
using namespace webrtc_agent::dtls;

std::unique_ptr<DtlsContext> NewContext(
    const char* profiles = kDefaultSrtpProfiles) {
  std::string error;
  std::unique_ptr<DtlsContext> ctx =
      DtlsContext::Create(Certificate::Generate(&error), profiles, &error);
  if (!ctx) std::fprintf(stderr, "DtlsContext::Create: %s\n", error.c_str());
  return ctx;
}

// The SDP fingerprint of a context split as the API wants it.
void SplitSdp(const std::string& sdp, std::string* hash, std::string* value) {
  size_t space = sdp.find(' ');
  *hash = sdp.substr(0, space);
  *value = sdp.substr(space + 1);
}

// A client/server pair, each with its own context, wired to a fake clock.
struct Pair {
  std::unique_ptr<DtlsContext> client_ctx;
  std::unique_ptr<DtlsContext> server_ctx;
  std::unique_ptr<DtlsTransport> client;
  std::unique_ptr<DtlsTransport> server;
  uint64_t now = 1000;
  size_t max_datagram = 0;   // largest datagram seen on the wire
  size_t client_sent = 0;    // datagrams the client put on the wire
  size_t server_sent = 0;

  bool ok() const { return client && server; }
};

Pair NewPair(DtlsTransportOptions options = DtlsTransportOptions(),
             const char* client_profiles = kDefaultSrtpProfiles,
             const char* server_profiles = kDefaultSrtpProfiles) {
  Pair p;
  p.client_ctx = NewContext(client_profiles);
  p.server_ctx = NewContext(server_profiles);
  if (!p.client_ctx || !p.server_ctx) return p;
  std::string error;
  p.client = DtlsTransport::Create(p.client_ctx.get(), DtlsRole::kClient,
                                   options, &error);
  p.server = DtlsTransport::Create(p.server_ctx.get(), DtlsRole::kServer,
                                   options, &error);
  if (!p.ok()) std::fprintf(stderr, "DtlsTransport::Create: %s\n", error.c_str());
  return p;
}

void GiveFingerprints(Pair& p) {
  std::string hash, value;
  SplitSdp(p.server_ctx->sdp_fingerprint(), &hash, &value);
  p.client->SetRemoteFingerprint(hash, value);
  SplitSdp(p.client_ctx->sdp_fingerprint(), &hash, &value);
  p.server->SetRemoteFingerprint(hash, value);
}

// Which datagram to drop: (from_client, index of that side's datagram).
using DropFn = std::function<bool(bool from_client, size_t index)>;

// Moves datagrams both ways until neither side has anything to send (or a
// round limit). Returns the number of datagrams delivered.
size_t Pump(Pair& p, const DropFn& drop = nullptr, int max_rounds = 50) {
  size_t delivered = 0;
  Bytes d;
  for (int round = 0; round < max_rounds; ++round) {
    bool moved = false;
    while (p.client->PopOutgoing(&d)) {
      moved = true;
      if (d.size() > p.max_datagram) p.max_datagram = d.size();
      size_t index = p.client_sent++;
      if (drop && drop(true, index)) continue;
      p.server->Feed(d.data(), d.size(), p.now);
      ++delivered;
    }
    while (p.server->PopOutgoing(&d)) {
      moved = true;
      if (d.size() > p.max_datagram) p.max_datagram = d.size();
      size_t index = p.server_sent++;
      if (drop && drop(false, index)) continue;
      p.client->Feed(d.data(), d.size(), p.now);
      ++delivered;
    }
    if (!moved) break;
  }
  return delivered;
}

bool SameBytes(const uint8_t* a, const uint8_t* b, size_t n) {
  return std::memcmp(a, b, n) == 0;
}

bool AllZero(const uint8_t* a, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != 0) return false;
  }
  return true;
}

// Keys of a connected pair: both directions agree, and differ from each other.
void CheckKeysAgree(const Pair& p, SrtpProfile want) {
  SrtpKeys c, s;
  CHECK(p.client->GetSrtpKeys(&c));
  CHECK(p.server->GetSrtpKeys(&s));
  CHECK(c.profile == want);
  CHECK(s.profile == want);
  CHECK(p.client->srtp_profile() == want);
  CHECK_EQ(c.key_size, SrtpMasterKeySize(want));
  CHECK_EQ(c.salt_size, SrtpMasterSaltSize(want));
  CHECK_EQ(s.key_size, c.key_size);
  CHECK_EQ(s.salt_size, c.salt_size);
  CHECK(SameBytes(c.local_key, s.remote_key, c.key_size));
  CHECK(SameBytes(c.local_salt, s.remote_salt, c.salt_size));
  CHECK(SameBytes(c.remote_key, s.local_key, c.key_size));
  CHECK(SameBytes(c.remote_salt, s.local_salt, c.salt_size));
  CHECK(!SameBytes(c.local_key, c.remote_key, c.key_size));
  CHECK(!SameBytes(c.local_salt, c.remote_salt, c.salt_size));
  CHECK(!AllZero(c.local_key, c.key_size));
  CHECK(!AllZero(c.remote_salt, c.salt_size));
}

std::vector<DtlsState> DrainStates(DtlsTransport& t) {
  std::vector<DtlsState> out;
  DtlsState s;
  while (t.PopStateChange(&s)) out.push_back(s);
  return out;
}

// ------------------------------------------------------- certificates ----

void TestCertificate() {
  std::string error;
  std::unique_ptr<Certificate> a = Certificate::Generate(&error);
  std::unique_ptr<Certificate> b = Certificate::Generate(&error);
  CHECK(a != nullptr);
  CHECK(b != nullptr);
  if (!a || !b) return;
  // ECDSA P-256, self-signed (verifies with its own key), valid now.
  CHECK_EQ(EVP_PKEY_get_base_id(a->key()), EVP_PKEY_EC);
  CHECK_EQ(EVP_PKEY_get_bits(a->key()), 256);
  CHECK_EQ(X509_verify(a->x509(), a->key()), 1);
  CHECK_EQ(X509_get_version(a->x509()), 2);
  CHECK(X509_cmp_current_time(X509_get0_notBefore(a->x509())) < 0);
  CHECK(X509_cmp_current_time(X509_get0_notAfter(a->x509())) > 0);
  CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(a->x509()),
                         X509_get0_serialNumber(b->x509())) != 0);

  // "sha-256 " + 32 uppercase hex pairs joined by colons.
  const std::string& sdp = a->sdp_fingerprint();
  CHECK_EQ(sdp.size(), 8u + 32 * 3 - 1);
  CHECK(sdp.compare(0, 8, "sha-256 ") == 0);
  bool format_ok = true;
  for (size_t i = 8; i < sdp.size(); ++i) {
    char c = sdp[i];
    bool colon_pos = (i - 8) % 3 == 2;
    if (colon_pos ? c != ':' : !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
      format_ok = false;
  }
  CHECK(format_ok);
  CHECK(a->sdp_fingerprint() != b->sdp_fingerprint());

  // Matching: exact, lowercase, hash name in capitals.
  std::string hash, value;
  SplitSdp(sdp, &hash, &value);
  CHECK(FingerprintMatches(a->x509(), hash, value));
  std::string lower = value;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  CHECK(FingerprintMatches(a->x509(), "sha-256", lower));
  CHECK(FingerprintMatches(a->x509(), "SHA-256", value));
  CHECK(!FingerprintMatches(b->x509(), hash, value));
  // One nibble changed.
  std::string flipped = value;
  flipped[0] = flipped[0] == 'A' ? 'B' : 'A';
  CHECK(!FingerprintMatches(a->x509(), hash, flipped));
  std::string last = value;
  last.back() = last.back() == '0' ? '1' : '0';
  CHECK(!FingerprintMatches(a->x509(), hash, last));

  // Malformed values never match and do not parse.
  Fingerprint fp;
  CHECK(!ParseFingerprint("sha-256", value + ":", &fp));
  CHECK(!ParseFingerprint("sha-256", value.substr(0, value.size() - 3), &fp));
  CHECK(!ParseFingerprint("sha-256", "", &fp));
  std::string no_colons = value;
  no_colons[2] = '-';
  CHECK(!ParseFingerprint("sha-256", no_colons, &fp));
  std::string bad_hex = value;
  bad_hex[1] = 'G';
  CHECK(!ParseFingerprint("sha-256", bad_hex, &fp));
  CHECK(!FingerprintMatches(a->x509(), "sha-256", bad_hex));
  CHECK(!ParseFingerprint("md5", value, &fp));
  CHECK(!ParseFingerprint("sha-224", value, &fp));
  CHECK(!ParseFingerprint("sha-2567", value, &fp));
  CHECK(!ParseFingerprint("sha-25", value, &fp));
  CHECK(!ParseFingerprint("", value, &fp));
  // A sha-256 value offered as sha-1 or sha-512: wrong length.
  CHECK(!ParseFingerprint("sha-1", value, &fp));
  CHECK(!ParseFingerprint("sha-512", value, &fp));
  CHECK(ParseFingerprint("sha-256", value, &fp));
  CHECK_EQ(fp.size, 32u);
  CHECK(FormatSdpFingerprint(fp) == sdp);
  CHECK(ParseSdpFingerprint(sdp, &fp));
  CHECK(!ParseSdpFingerprint(value, &fp));
  CHECK(ParseSdpFingerprint("SHA-256 " + lower, &fp));
  CHECK(FormatSdpFingerprint(fp) == sdp);

  // The other hashes: sizes, round trip, match.
  struct {
    const char* name;
    FingerprintHash hash;
    size_t size;
  } hashes[] = {{"sha-1", FingerprintHash::kSha1, 20},
                {"sha-256", FingerprintHash::kSha256, 32},
                {"sha-384", FingerprintHash::kSha384, 48},
                {"sha-512", FingerprintHash::kSha512, 64}};
  for (const auto& h : hashes) {
    FingerprintHash parsed;
    CHECK(FingerprintHashFromName(h.name, &parsed));
    CHECK(parsed == h.hash);
    CHECK(std::strcmp(FingerprintHashName(h.hash), h.name) == 0);
    CHECK_EQ(FingerprintHashSize(h.hash), h.size);
    Fingerprint computed;
    CHECK(ComputeFingerprint(a->x509(), h.hash, &computed));
    CHECK_EQ(computed.size, h.size);
    std::string text = FormatFingerprintValue(computed);
    CHECK_EQ(text.size(), h.size * 3 - 1);
    CHECK(FingerprintMatches(a->x509(), h.name, text));
    CHECK(!FingerprintMatches(b->x509(), h.name, text));
  }
  Fingerprint none;
  CHECK(!ComputeFingerprint(nullptr, FingerprintHash::kSha256, &none));
  CHECK(!FingerprintMatches(nullptr, hash, value));
}

void TestContext() {
  std::string error;
  std::unique_ptr<DtlsContext> ctx = DtlsContext::Create(&error);
  CHECK(ctx != nullptr);
  if (ctx) {
    CHECK(ctx->ssl_ctx() != nullptr);
    CHECK(ctx->sdp_fingerprint() == ctx->certificate().sdp_fingerprint());
  }
  // Bad inputs are refused, not crashed on.
  CHECK(DtlsContext::Create(nullptr, kDefaultSrtpProfiles, &error) == nullptr);
  CHECK(DtlsContext::Create(Certificate::Generate(&error), "", &error) == nullptr);
  CHECK(DtlsContext::Create(Certificate::Generate(&error), "SRTP_BOGUS", &error) == nullptr);
  CHECK(!error.empty());
  // Transport options out of range.
  DtlsTransportOptions bad;
  bad.mtu = 100;
  CHECK(DtlsTransport::Create(ctx.get(), DtlsRole::kClient, bad, &error) == nullptr);
  bad = DtlsTransportOptions();
  bad.max_retransmit_ms = 120000;
  CHECK(DtlsTransport::Create(ctx.get(), DtlsRole::kClient, bad, &error) == nullptr);
  bad = DtlsTransportOptions();
  bad.initial_retransmit_ms = 10;  // OpenSSL would spin (dtls_transport.cc)
  CHECK(DtlsTransport::Create(ctx.get(), DtlsRole::kClient, bad, &error) == nullptr);
  bad = DtlsTransportOptions();
  bad.initial_retransmit_ms = 2000;
  bad.max_retransmit_ms = 1000;
  CHECK(DtlsTransport::Create(ctx.get(), DtlsRole::kClient, bad, &error) == nullptr);
  CHECK(DtlsTransport::Create(nullptr, DtlsRole::kClient, DtlsTransportOptions(), &error) == nullptr);

  DtlsRole role;
  CHECK(DtlsRoleFromSetup("active", &role) && role == DtlsRole::kClient);
  CHECK(DtlsRoleFromSetup("passive", &role) && role == DtlsRole::kServer);
  CHECK(!DtlsRoleFromSetup("actpass", &role));
  CHECK(!DtlsRoleFromSetup("holdconn", &role));
  CHECK(!DtlsRoleFromSetup("", &role));
  CHECK(std::strcmp(DtlsStateName(DtlsState::kConnected), "connected") == 0);
  CHECK(std::strcmp(SrtpProfileName(SrtpProfile::kAeadAes128Gcm), "AEAD_AES_128_GCM") == 0);
  CHECK_EQ(SrtpMasterKeySize(SrtpProfile::kAeadAes256Gcm), 32u);
  CHECK_EQ(SrtpMasterSaltSize(SrtpProfile::kAes128CmHmacSha1_80), 14u);
  CHECK_EQ(SrtpMasterKeySize(SrtpProfile::kNone), 0u);
}

// ---------------------------------------------------------- handshake ----

void TestHandshake() {
  Pair p = NewPair();
  CHECK(p.ok());
  if (!p.ok()) return;
  CHECK(p.client->state() == DtlsState::kNew);
  CHECK(p.client->role() == DtlsRole::kClient);
  CHECK(p.server->role() == DtlsRole::kServer);
  CHECK_EQ(p.client->NextTimeoutMs(), kNoTimeout);
  GiveFingerprints(p);
  p.server->Start(p.now);
  Bytes d;
  CHECK(!p.server->PopOutgoing(&d));  // a server waits for the ClientHello
  CHECK(p.server->state() == DtlsState::kConnecting);
  p.client->Start(p.now);
  CHECK(p.client->state() == DtlsState::kConnecting);
  // ClientHello is queued, and a retransmission timer armed (1 s default).
  uint64_t next = p.client->NextTimeoutMs();
  CHECK(next > p.now && next <= p.now + 1000);
  SrtpKeys keys;
  CHECK(!p.client->GetSrtpKeys(&keys));
  size_t delivered = Pump(p);
  CHECK(delivered >= 4);  // CH, server flight, client flight, server Finished
  CHECK(p.client->state() == DtlsState::kConnected);
  CHECK(p.server->state() == DtlsState::kConnected);
  CHECK(p.client->failure_reason().empty());
  // Server prefers GCM and the client offers it: AEAD_AES_128_GCM.
  CheckKeysAgree(p, SrtpProfile::kAeadAes128Gcm);
  std::vector<DtlsState> cs = DrainStates(*p.client);
  CHECK_EQ(cs.size(), 2u);
  CHECK(cs.size() == 2 && cs[0] == DtlsState::kConnecting &&
        cs[1] == DtlsState::kConnected);
  std::vector<DtlsState> ss = DrainStates(*p.server);
  CHECK(ss.size() == 2 && ss[1] == DtlsState::kConnected);
  CHECK(!p.client->PopStateChange(&cs.front()));
  // Everything fits the default MTU; nothing was dropped or retransmitted.
  CHECK(p.max_datagram <= 1200);
  CHECK_EQ(p.client->stats().retransmissions, 0u);
  CHECK_EQ(p.server->stats().malformed, 0u);
  CHECK_EQ(p.server->stats().datagrams_in, p.client->stats().datagrams_out);
  CHECK_EQ(p.client->stats().datagrams_in, p.server->stats().datagrams_out);
  CHECK_EQ(p.client->stats().fingerprint_mismatches, 0u);
  // No timers left on either side once connected.
  CHECK_EQ(p.client->NextTimeoutMs(), kNoTimeout);
  CHECK_EQ(p.server->NextTimeoutMs(), kNoTimeout);
  // Tick when nothing is due changes nothing.
  p.now += 60000;
  p.client->Tick(p.now);
  p.server->Tick(p.now);
  CHECK(p.client->state() == DtlsState::kConnected);
  CHECK(p.server->state() == DtlsState::kConnected);
  CHECK(!p.client->PopOutgoing(&d));
  // Calling Start again is a no-op.
  p.client->Start(p.now);
  CHECK(p.client->state() == DtlsState::kConnected);

  // Two handshakes with the same contexts produce different keys.
  Pair q = NewPair();
  GiveFingerprints(q);
  q.client->Start(q.now);
  Pump(q);
  SrtpKeys k1, k2;
  CHECK(p.client->GetSrtpKeys(&k1) && q.client->GetSrtpKeys(&k2));
  CHECK(!SameBytes(k1.local_key, k2.local_key, k1.key_size));
}

// The server is not started: the ClientHello starts it.
void TestServerImplicitStart() {
  Pair p = NewPair();
  if (!p.ok()) return;
  GiveFingerprints(p);
  p.client->Start(p.now);
  Pump(p);
  CHECK(p.client->state() == DtlsState::kConnected);
  CHECK(p.server->state() == DtlsState::kConnected);
  // A client that is not started drops what it receives.
  Pair q = NewPair();
  Bytes hello;
  q.server->Start(q.now);
  Pair r = NewPair();
  r.client->Start(r.now);
  CHECK(r.client->PopOutgoing(&hello));
  q.client->Feed(hello.data(), hello.size(), q.now);
  CHECK_EQ(q.client->stats().dropped_state, 1u);
  CHECK(q.client->state() == DtlsState::kNew);
}

void TestProfiles() {
  // A peer offering only AES_CM_128_HMAC_SHA1_80.
  Pair p = NewPair(DtlsTransportOptions(), "SRTP_AES128_CM_SHA1_80",
                   kDefaultSrtpProfiles);
  if (!p.ok()) return;
  GiveFingerprints(p);
  p.client->Start(p.now);
  Pump(p);
  CHECK(p.client->state() == DtlsState::kConnected);
  CheckKeysAgree(p, SrtpProfile::kAes128CmHmacSha1_80);

  // Only AES-256-GCM in common.
  Pair q = NewPair(DtlsTransportOptions(),
                   "SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_80",
                   "SRTP_AEAD_AES_256_GCM");
  if (!q.ok()) return;
  GiveFingerprints(q);
  q.client->Start(q.now);
  Pump(q);
  CHECK(q.server->state() == DtlsState::kConnected);
  CheckKeysAgree(q, SrtpProfile::kAeadAes256Gcm);

  // No profile in common: OpenSSL completes the handshake without use_srtp;
  // the transports must fail rather than connect without keys.
  Pair r = NewPair(DtlsTransportOptions(), "SRTP_AES128_CM_SHA1_80",
                   "SRTP_AEAD_AES_128_GCM");
  if (!r.ok()) return;
  GiveFingerprints(r);
  r.client->Start(r.now);
  Pump(r);
  CHECK(r.client->state() == DtlsState::kFailed);
  CHECK(r.server->state() == DtlsState::kFailed);
  SrtpKeys k;
  CHECK(!r.client->GetSrtpKeys(&k));
  CHECK(r.client->srtp_profile() == SrtpProfile::kNone);
  std::fprintf(stderr, "  (no common profile: client \"%s\", server \"%s\")\n",
               r.client->failure_reason().c_str(),
               r.server->failure_reason().c_str());
  CHECK(!r.client->failure_reason().empty());
}

// ------------------------------------------------------- fingerprints ----

void TestFingerprintMismatch() {
  Pair p = NewPair();
  if (!p.ok()) return;
  std::unique_ptr<DtlsContext> other = NewContext();
  std::string hash, value;
  // The server expects someone else's certificate.
  SplitSdp(other->sdp_fingerprint(), &hash, &value);
  CHECK(p.server->SetRemoteFingerprint(hash, value));
  SplitSdp(p.server_ctx->sdp_fingerprint(), &hash, &value);
  CHECK(p.client->SetRemoteFingerprint(hash, value));
  p.client->Start(p.now);
  Pump(p);
  CHECK(p.server->state() == DtlsState::kFailed);
  CHECK(p.server->failure_reason().find("fingerprint") != std::string::npos);
  CHECK_EQ(p.server->stats().fingerprint_mismatches, 1u);
  SrtpKeys k;
  CHECK(!p.server->GetSrtpKeys(&k));
  CHECK_EQ(p.server->NextTimeoutMs(), kNoTimeout);
  // The server's close_notify reached the client, which may have connected
  // first (it completes its handshake before the server's check is seen).
  CHECK(p.client->state() == DtlsState::kClosed);
  CHECK(!p.client->GetSrtpKeys(&k));
  std::vector<DtlsState> ss = DrainStates(*p.server);
  CHECK(!ss.empty() && ss.back() == DtlsState::kFailed);
  // Later input is dropped and counted.
  Bytes junk = {22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  uint64_t dropped = p.server->stats().dropped_state;
  p.server->Feed(junk.data(), junk.size(), p.now);
  CHECK_EQ(p.server->stats().dropped_state, dropped + 1);

  // The client side detects a wrong server certificate too.
  Pair q = NewPair();
  if (!q.ok()) return;
  SplitSdp(other->sdp_fingerprint(), &hash, &value);
  q.client->SetRemoteFingerprint(hash, value);
  SplitSdp(q.client_ctx->sdp_fingerprint(), &hash, &value);
  q.server->SetRemoteFingerprint(hash, value);
  q.client->Start(q.now);
  Pump(q);
  CHECK(q.client->state() == DtlsState::kFailed);
  CHECK_EQ(q.client->stats().fingerprint_mismatches, 1u);
  CHECK(q.server->state() == DtlsState::kClosed);

  // A malformed or unsupported fingerprint is refused and changes nothing.
  CHECK(!q.client->SetRemoteFingerprint("md5", "00:11"));
  CHECK(!q.client->SetRemoteFingerprint("sha-256", "zz"));
}

void TestFingerprintAfterHandshake() {
  Pair p = NewPair();
  if (!p.ok()) return;
  std::string hash, value;
  SplitSdp(p.server_ctx->sdp_fingerprint(), &hash, &value);
  p.client->SetRemoteFingerprint(hash, value);
  p.client->Start(p.now);
  Pump(p);
  // The handshake is done, but the server has no fingerprint to check yet:
  // it stays connecting and withholds the keys.
  CHECK(p.client->state() == DtlsState::kConnected);
  CHECK(p.server->state() == DtlsState::kConnecting);
  SrtpKeys k;
  CHECK(!p.server->GetSrtpKeys(&k));
  CHECK(p.server->NextTimeoutMs() <= p.now + 30000);
  p.now += 5000;
  p.server->Tick(p.now);
  CHECK(p.server->state() == DtlsState::kConnecting);
  // The answer arrives, in a different hash and letter case.
  Fingerprint fp;
  CHECK(ComputeFingerprint(p.client_ctx->certificate().x509(),
                           FingerprintHash::kSha512, &fp));
  std::string text = FormatFingerprintValue(fp);
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  CHECK(p.server->SetRemoteFingerprint("SHA-512", text));
  CHECK(p.server->state() == DtlsState::kConnected);
  CheckKeysAgree(p, SrtpProfile::kAeadAes128Gcm);
  // A re-offer with the same fingerprint keeps it connected.
  SplitSdp(p.client_ctx->sdp_fingerprint(), &hash, &value);
  CHECK(p.server->SetRemoteFingerprint(hash, value));
  CHECK(p.server->state() == DtlsState::kConnected);
  // One with a different fingerprint fails it (RFC 8842 §5: a new
  // fingerprint needs a new association).
  std::unique_ptr<DtlsContext> other = NewContext();
  SplitSdp(other->sdp_fingerprint(), &hash, &value);
  CHECK(p.server->SetRemoteFingerprint(hash, value));
  CHECK(p.server->state() == DtlsState::kFailed);
  CHECK_EQ(p.server->stats().fingerprint_mismatches, 1u);

  // Wrong fingerprint set after the handshake.
  Pair q = NewPair();
  if (!q.ok()) return;
  SplitSdp(q.server_ctx->sdp_fingerprint(), &hash, &value);
  q.client->SetRemoteFingerprint(hash, value);
  q.client->Start(q.now);
  Pump(q);
  CHECK(q.server->state() == DtlsState::kConnecting);
  SplitSdp(other->sdp_fingerprint(), &hash, &value);
  CHECK(q.server->SetRemoteFingerprint(hash, value));
  CHECK(q.server->state() == DtlsState::kFailed);
  Pump(q);  // its close_notify closes the client
  CHECK(q.client->state() == DtlsState::kClosed);

  // Never set: the deadline fails it.
  Pair r = NewPair();
  if (!r.ok()) return;
  SplitSdp(r.server_ctx->sdp_fingerprint(), &hash, &value);
  r.client->SetRemoteFingerprint(hash, value);
  r.client->Start(r.now);
  Pump(r);
  CHECK(r.server->state() == DtlsState::kConnecting);
  CHECK_EQ(r.server->NextTimeoutMs(), r.now + 30000);
  r.server->Tick(r.now + 29999);
  CHECK(r.server->state() == DtlsState::kConnecting);
  r.server->Tick(r.now + 30000);
  CHECK(r.server->state() == DtlsState::kFailed);
  CHECK(r.server->failure_reason().find("fingerprint") != std::string::npos);
}

// --------------------------------------------------------- loss, time ----

// Sleeps past OpenSSL's retransmission timer, which runs on the system
// clock (see dtls_transport.h), then ticks at the reported time.
void WaitAndTick(Pair& p, DtlsTransport& t) {
  uint64_t next = t.NextTimeoutMs();
  if (next == kNoTimeout) return;
  uint64_t wait = next > p.now ? next - p.now : 0;
  usleep(static_cast<useconds_t>((wait + 5) * 1000));
  p.now = next;
  t.Tick(p.now);
}

void TestLossRecovery() {
  DtlsTransportOptions fast;
  fast.initial_retransmit_ms = 50;
  fast.max_retransmit_ms = 200;

  // The client's first flight (the ClientHello) is lost.
  Pair p = NewPair(fast);
  if (!p.ok()) return;
  GiveFingerprints(p);
  p.client->Start(p.now);
  Pump(p, [](bool from_client, size_t i) { return from_client && i == 0; });
  CHECK(p.client->state() == DtlsState::kConnecting);
  CHECK(p.server->state() == DtlsState::kNew);  // never heard anything
  uint64_t next = p.client->NextTimeoutMs();
  CHECK(next > p.now && next <= p.now + 50);
  // Tick before the timer: nothing happens.
  p.client->Tick(p.now);
  CHECK_EQ(p.client->stats().retransmissions, 0u);
  WaitAndTick(p, *p.client);
  CHECK_EQ(p.client->stats().retransmissions, 1u);
  Pump(p);
  CHECK(p.client->state() == DtlsState::kConnected);
  CHECK(p.server->state() == DtlsState::kConnected);
  CheckKeysAgree(p, SrtpProfile::kAeadAes128Gcm);

  // The server's first flight is lost; so is the first retransmission of
  // the ClientHello answer... the client retransmits twice, the timer
  // doubling in between.
  Pair q = NewPair(fast);
  if (!q.ok()) return;
  GiveFingerprints(q);
  q.client->Start(q.now);
  Pump(q, [](bool from_client, size_t i) { return !from_client && i == 0; });
  CHECK(q.client->state() == DtlsState::kConnecting);
  CHECK(q.server->state() == DtlsState::kConnecting);
  uint64_t first = q.client->NextTimeoutMs() - q.now;
  WaitAndTick(q, *q.client);
  CHECK_EQ(q.client->stats().retransmissions, 1u);
  uint64_t second = q.client->NextTimeoutMs() - q.now;
  CHECK(second > first);  // doubled
  // Drop what the server sends in answer too (its retransmitted flight).
  size_t before = q.server_sent;
  Pump(q, [before](bool from_client, size_t i) { return !from_client && i == before; });
  WaitAndTick(q, *q.client);
  CHECK_EQ(q.client->stats().retransmissions, 2u);
  Pump(q);
  CHECK(q.client->state() == DtlsState::kConnected);
  CHECK(q.server->state() == DtlsState::kConnected);
  CheckKeysAgree(q, SrtpProfile::kAeadAes128Gcm);

  // The server's last flight (its Finished) is lost: the client retransmits
  // its own last flight and the connected server answers it again.
  Pair r = NewPair(fast);
  if (!r.ok()) return;
  GiveFingerprints(r);
  r.client->Start(r.now);
  // Server datagrams: [0] its hello flight, [1] its Finished flight.
  Pump(r, [](bool from_client, size_t i) { return !from_client && i == 1; });
  CHECK(r.server->state() == DtlsState::kConnected);
  CHECK(r.client->state() == DtlsState::kConnecting);
  WaitAndTick(r, *r.client);
  CHECK(r.client->stats().retransmissions >= 1);
  Pump(r);
  CHECK(r.client->state() == DtlsState::kConnected);
  CheckKeysAgree(r, SrtpProfile::kAeadAes128Gcm);
}

void TestHandshakeTimeout() {
  // A client whose peer never answers.
  Pair p = NewPair();
  if (!p.ok()) return;
  p.client->Start(0);
  Bytes d;
  CHECK(p.client->PopOutgoing(&d));  // the ClientHello, lost
  CHECK(p.client->NextTimeoutMs() <= 1000);
  p.client->Tick(29999);
  CHECK(p.client->state() == DtlsState::kConnecting);
  p.client->Tick(30000);
  CHECK(p.client->state() == DtlsState::kFailed);
  CHECK(p.client->failure_reason().find("timed out") != std::string::npos);
  CHECK_EQ(p.client->NextTimeoutMs(), kNoTimeout);
  // A server that never gets a ClientHello; and a datagram arriving after
  // the deadline fails it too, and is not processed.
  p.server->Start(0);
  p.server->Feed(d.data(), d.size(), 30000);
  CHECK(p.server->state() == DtlsState::kFailed);
  CHECK_EQ(p.server->stats().datagrams_in, 0u);
  CHECK_EQ(p.server->stats().dropped_state, 1u);
  Bytes none;
  CHECK(!p.server->PopOutgoing(&none));

  // A custom deadline.
  DtlsTransportOptions shorter;
  shorter.handshake_timeout_ms = 500;
  Pair q = NewPair(shorter);
  if (!q.ok()) return;
  q.client->Start(100);
  CHECK_EQ(q.client->NextTimeoutMs(), 600u);  // deadline before the 1 s timer
  q.client->Tick(600);
  CHECK(q.client->state() == DtlsState::kFailed);
}

// ------------------------------------------------------------ garbage ----

void TestGarbage() {
  Pair p = NewPair();
  if (!p.ok()) return;
  GiveFingerprints(p);
  std::mt19937 rng(12345);
  auto random_bytes = [&rng](size_t n) {
    Bytes b(n);
    for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
    return b;
  };

  // Pre-checks, before OpenSSL sees anything.
  p.server->Feed(nullptr, 10, p.now);
  Bytes empty;
  p.server->Feed(empty.data(), 0, p.now);
  Bytes huge(kMaxDtlsDatagramSize + 1, 22);
  p.server->Feed(huge.data(), huge.size(), p.now);
  CHECK_EQ(p.server->stats().rejected_size, 3u);
  Bytes stun = {0x00, 0x01, 0x00, 0x00};
  Bytes rtp = {0x80, 0x60, 0x00, 0x01};
  Bytes above = {64, 0xFE, 0xFD};
  Bytes below = {19, 0xFE, 0xFD};
  p.server->Feed(stun.data(), stun.size(), p.now);
  p.server->Feed(rtp.data(), rtp.size(), p.now);
  p.server->Feed(above.data(), above.size(), p.now);
  p.server->Feed(below.data(), below.size(), p.now);
  CHECK_EQ(p.server->stats().rejected_not_dtls, 4u);
  CHECK(p.server->state() == DtlsState::kNew);  // none of it started it

  // Records that do not frame: short header, wrong major version, length
  // past the end, content types OpenSSL would answer with a fatal alert.
  Bytes short_header = {22, 0xFE, 0xFD, 0, 0};
  Bytes tls_version = {22, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
  Bytes overlong = {22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 1, 2};
  Bytes heartbeat = {24, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  Bytes trailing = {23, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xAA};
  // Epoch 1, 23 bytes: shorter than an AES-GCM nonce + tag.
  Bytes short_sealed(13 + 23, 0x55);
  short_sealed[0] = 21;
  short_sealed[1] = 0xFE;
  short_sealed[2] = 0xFD;
  short_sealed[3] = 0;
  short_sealed[4] = 1;
  short_sealed[11] = 0;
  short_sealed[12] = 23;
  for (const Bytes* b : {&short_header, &tls_version, &overlong, &heartbeat,
                         &trailing, &short_sealed}) {
    p.server->Feed(b->data(), b->size(), p.now);
  }
  CHECK_EQ(p.server->stats().malformed, 6u);
  CHECK(p.server->state() == DtlsState::kNew);  // garbage does not start it
  CHECK_EQ(p.server->stats().datagrams_in, 0u);
  Bytes d;
  CHECK(!p.server->PopOutgoing(&d));

  // Random bytes with a DTLS first byte: mostly malformed, never a crash.
  for (int i = 0; i < 300; ++i) {
    Bytes b = random_bytes(1 + rng() % 300);
    b[0] = static_cast<uint8_t>(20 + rng() % 44);
    p.server->Feed(b.data(), b.size(), p.now);
  }
  const DtlsStats& st = p.server->stats();
  CHECK_EQ(st.rejected_size + st.rejected_not_dtls + st.malformed +
               st.datagrams_in + st.dropped_state,
           3u + 4u + 6u + 300u);

  // A fresh pair: handshake, then well-framed garbage records of every
  // type at epochs 0, 1 and 2; OpenSSL discards them (bad MAC, old or
  // unknown epoch) and the association survives.
  Pair q = NewPair();
  if (!q.ok()) return;
  GiveFingerprints(q);
  q.client->Start(q.now);
  Pump(q);
  CHECK(q.server->state() == DtlsState::kConnected);
  SrtpKeys before;
  q.server->GetSrtpKeys(&before);
  for (int i = 0; i < 500; ++i) {
    size_t body = rng() % 200;
    Bytes b = random_bytes(13 + body);
    b[0] = static_cast<uint8_t>(20 + rng() % 4);
    b[1] = 0xFE;
    b[2] = (i % 2) ? 0xFD : 0xFF;
    b[3] = 0;
    b[4] = static_cast<uint8_t>(i % 3);
    b[11] = static_cast<uint8_t>(body >> 8);
    b[12] = static_cast<uint8_t>(body);
    q.server->Feed(b.data(), b.size(), q.now);
    q.client->Feed(b.data(), b.size(), q.now);
  }
  CHECK(q.server->state() == DtlsState::kConnected);
  CHECK(q.client->state() == DtlsState::kConnected);
  // Every length from 0 to 199 at epochs 0..2: the short encrypted ones
  // are filtered (counted malformed), the rest reach OpenSSL and are
  // discarded there.
  CHECK_EQ(q.server->stats().datagrams_in + q.server->stats().malformed,
           500u + 2u);  // garbage + the client's two handshake flights
  CHECK(q.server->stats().malformed > 0);
  SrtpKeys after;
  CHECK(q.server->GetSrtpKeys(&after));
  CHECK(SameBytes(before.local_key, after.local_key, before.key_size));
  CHECK_EQ(q.server->stats().app_data_bytes, 0u);

  // Garbage handshake records during a handshake: no crash; the handshake
  // either survives or fails with a reason (OpenSSL may reject a forged
  // ClientHello fatally, which is a peer-only risk once ICE has vetted
  // the address).
  for (int trial = 0; trial < 20; ++trial) {
    Pair r = NewPair();
    if (!r.ok()) return;
    GiveFingerprints(r);
    r.client->Start(r.now);
    for (int i = 0; i < 10; ++i) {
      size_t body = 12 + rng() % 100;
      Bytes b = random_bytes(13 + body);
      b[0] = 22;
      b[1] = 0xFE;
      b[2] = 0xFD;
      b[3] = 0;
      b[4] = 0;
      b[11] = static_cast<uint8_t>(body >> 8);
      b[12] = static_cast<uint8_t>(body);
      r.server->Feed(b.data(), b.size(), r.now);
      r.client->Feed(b.data(), b.size(), r.now);
    }
    Pump(r);
    DtlsState s = r.server->state();
    CHECK(s == DtlsState::kConnected || s == DtlsState::kConnecting ||
          (s == DtlsState::kFailed && !r.server->failure_reason().empty()));
  }
}

// --------------------------------------------------------------- MTU -----

void TestSmallMtu() {
  DtlsTransportOptions small;
  small.mtu = 300;
  Pair p = NewPair(small);
  if (!p.ok()) return;
  GiveFingerprints(p);
  p.client->Start(p.now);
  Pump(p);
  CHECK(p.client->state() == DtlsState::kConnected);
  CHECK(p.server->state() == DtlsState::kConnected);
  CHECK(p.max_datagram <= 300);
  CHECK(p.max_datagram > 0);
  CHECK(p.server->stats().datagrams_out > 2);  // the flight was split
  CheckKeysAgree(p, SrtpProfile::kAeadAes128Gcm);
}

// DTLS record and handshake headers (RFC 6347 §4.1, §4.2.2).
constexpr size_t kRecordHeader = 13;
constexpr size_t kHandshakeHeader = 12;

void PutU24(uint8_t* p, size_t v) {
  p[0] = static_cast<uint8_t>(v >> 16);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v);
}

// Adds `by` to the 48-bit sequence number of every epoch-0 record of a
// datagram (plaintext records: nothing authenticates the number).
void RenumberEpoch0(Bytes& d, uint64_t by) {
  for (size_t at = 0; at + kRecordHeader <= d.size();) {
    const size_t len = (size_t{d[at + 11]} << 8) | d[at + 12];
    if (d[at + 3] == 0 && d[at + 4] == 0) {
      uint64_t seq = 0;
      for (int i = 5; i < 11; ++i) seq = (seq << 8) | d[at + i];
      seq += by;
      for (int i = 10; i >= 5; --i, seq >>= 8) d[at + i] = static_cast<uint8_t>(seq);
    }
    at += kRecordHeader + len;
  }
}

// A ClientHello that arrives in two datagrams, as Chromium sends it (with
// its post-quantum key share it is ~1.46 KB: 1200 + 263 bytes, two records
// each holding a fragment of the one handshake message). The server must
// answer as soon as the second half is in, not on a retransmission timer:
// nothing here ticks, so only the datagrams can drive it. OpenSSL's own
// ClientHello fits any MTU it allows, so the test splits it on the wire
// and numbers the client's later epoch-0 records one on, as a client that
// had sent two records would.
void TestFragmentedClientHello() {
  Pair p = NewPair();
  if (!p.ok()) return;
  GiveFingerprints(p);
  p.client->Start(p.now);
  Bytes hello;
  CHECK(p.client->PopOutgoing(&hello));
  // One record (type 22, epoch 0, seq 0) holding one whole ClientHello.
  CHECK(hello.size() > kRecordHeader + kHandshakeHeader + 32);
  CHECK_EQ(hello[0], 22);
  CHECK_EQ(hello[kRecordHeader], 1);
  const size_t body = hello.size() - kRecordHeader - kHandshakeHeader;
  const size_t cut = body / 2;
  auto fragment = [&](size_t offset, size_t len, uint8_t seq) {
    Bytes d(hello.begin(), hello.begin() + kRecordHeader + kHandshakeHeader);
    d[10] = seq;
    const size_t rec = kHandshakeHeader + len;
    d[11] = static_cast<uint8_t>(rec >> 8);
    d[12] = static_cast<uint8_t>(rec);
    PutU24(&d[kRecordHeader + 6], offset);  // fragment_offset
    PutU24(&d[kRecordHeader + 9], len);     // fragment_length
    const auto from = hello.begin() + kRecordHeader + kHandshakeHeader + offset;
    d.insert(d.end(), from, from + len);
    return d;
  };
  const Bytes first = fragment(0, cut, 0);
  const Bytes second = fragment(cut, body - cut, 1);
  Bytes d;
  p.server->Feed(first.data(), first.size(), p.now);
  CHECK(p.server->state() == DtlsState::kConnecting);
  CHECK(!p.server->PopOutgoing(&d));  // half a ClientHello: nothing to say yet
  p.server->Feed(second.data(), second.size(), p.now);
  CHECK_EQ(p.server->stats().datagrams_in, 2u);
  // The whole server flight comes at once, and the handshake runs to its
  // end on datagrams alone.
  size_t rounds = 0;
  for (; rounds < 20; ++rounds) {
    bool moved = false;
    while (p.server->PopOutgoing(&d)) {
      moved = true;
      p.client->Feed(d.data(), d.size(), p.now);
    }
    while (p.client->PopOutgoing(&d)) {
      moved = true;
      RenumberEpoch0(d, 1);
      p.server->Feed(d.data(), d.size(), p.now);
    }
    if (!moved) break;
  }
  CHECK(rounds > 0);
  CHECK(p.client->state() == DtlsState::kConnected);
  CHECK(p.server->state() == DtlsState::kConnected);
  CHECK_EQ(p.server->stats().retransmissions, 0u);
  CHECK_EQ(p.client->stats().retransmissions, 0u);
  CheckKeysAgree(p, SrtpProfile::kAeadAes128Gcm);
}

// A peer that never answers and a caller that never drains: OpenSSL gives
// up after 12 timeouts (before the 30 s deadline with short timers), and
// the outgoing queue holds what was sent, within its bound.
void TestRetransmissionsExhausted() {
  DtlsTransportOptions fast;
  fast.initial_retransmit_ms = 50;
  fast.max_retransmit_ms = 50;
  Pair p = NewPair(fast);
  if (!p.ok()) return;
  p.client->Start(p.now);
  for (int i = 0; i < 14 && p.client->state() == DtlsState::kConnecting; ++i) {
    WaitAndTick(p, *p.client);
  }
  CHECK(p.client->state() == DtlsState::kFailed);
  CHECK_EQ(p.client->stats().retransmissions, 12u);
  CHECK(p.client->failure_reason().find("timeout") != std::string::npos);
  CHECK(p.client->stats().datagrams_out <= kMaxOutgoingDatagrams);
  CHECK_EQ(p.client->stats().datagrams_out, 13u);  // the hello, 12 resends
  std::fprintf(stderr, "  (retransmissions exhausted: \"%s\")\n",
               p.client->failure_reason().c_str());
}

// -------------------------------------------------------------- close ----

void TestClose() {
  Pair p = NewPair();
  if (!p.ok()) return;
  GiveFingerprints(p);
  p.client->Start(p.now);
  Pump(p);
  CHECK(p.client->state() == DtlsState::kConnected);
  DrainStates(*p.server);
  p.client->Close();
  CHECK(p.client->state() == DtlsState::kClosed);
  SrtpKeys k;
  CHECK(!p.client->GetSrtpKeys(&k));
  Bytes notify;
  CHECK(p.client->PopOutgoing(&notify));
  CHECK(!notify.empty() && notify[0] == 21);  // an alert record
  p.server->Feed(notify.data(), notify.size(), p.now);
  CHECK(p.server->state() == DtlsState::kClosed);
  CHECK(p.server->failure_reason().find("close_notify") != std::string::npos);
  std::vector<DtlsState> ss = DrainStates(*p.server);
  CHECK(ss.size() == 1 && ss[0] == DtlsState::kClosed);
  // The server answers with its own close_notify; the closed client drops it.
  Bytes answer;
  CHECK(p.server->PopOutgoing(&answer));
  p.client->Feed(answer.data(), answer.size(), p.now);
  CHECK_EQ(p.client->stats().dropped_state, 1u);
  // Closing twice, and ticking a closed transport, do nothing.
  p.client->Close();
  p.client->Tick(p.now + 100000);
  CHECK(p.client->state() == DtlsState::kClosed);
  CHECK(!p.client->PopOutgoing(&answer));

  // Close during the handshake: no close_notify (OpenSSL refuses one
  // mid-handshake), just closed.
  Pair q = NewPair();
  if (!q.ok()) return;
  q.client->Start(q.now);
  Bytes hello;
  q.client->PopOutgoing(&hello);
  q.client->Close();
  CHECK(q.client->state() == DtlsState::kClosed);
  CHECK(!q.client->PopOutgoing(&hello));
  // Close before Start.
  q.server->Close();
  CHECK(q.server->state() == DtlsState::kClosed);
  q.server->Start(q.now);
  CHECK(q.server->state() == DtlsState::kClosed);
}


// ------------------------------------------- interop with openssl(1) ----
//
// Debian's `openssl s_server` / `s_client` over real UDP on 127.0.0.1, with
// -keymatexport printing the RFC 5764 exporter output: our key split must
// equal OpenSSL's own export, for both roles and two profiles. Skipped (with
// a note, no checks) when the openssl command is missing.

uint64_t MonotonicMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

bool HaveOpenSslCommand() {
  return std::system("openssl version >/dev/null 2>&1") == 0;
}

// The certificate and key of a Certificate as PEM files in `dir`.
bool WritePem(const Certificate& cert, const std::string& dir, std::string* cert_path,
              std::string* key_path) {
  *cert_path = dir + "/cert.pem";
  *key_path = dir + "/key.pem";
  FILE* c = std::fopen(cert_path->c_str(), "w");
  FILE* k = std::fopen(key_path->c_str(), "w");
  bool ok = c != nullptr && k != nullptr && PEM_write_X509(c, cert.x509()) == 1 &&
            PEM_write_PrivateKey(k, cert.key(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (c) std::fclose(c);
  if (k) std::fclose(k);
  return ok;
}

// Runs `openssl args...` with stdout+stderr to `log`. Stdin is /dev/null,
// or with `stdin_writer` a pipe whose write end is returned there (s_server
// quits on stdin EOF even with -ign_eof). Returns the pid, or -1.
pid_t SpawnOpenSsl(const std::vector<std::string>& args, const std::string& log,
                   int* stdin_writer = nullptr) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  int pipe_fds[2] = {-1, -1};
  if (stdin_writer != nullptr && pipe(pipe_fds) == 0) {
    posix_spawn_file_actions_adddup2(&fa, pipe_fds[0], 0);
    posix_spawn_file_actions_addclose(&fa, pipe_fds[0]);
    posix_spawn_file_actions_addclose(&fa, pipe_fds[1]);
  } else {
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  std::vector<char*> argv;
  std::string prog = "openssl";
  argv.push_back(&prog[0]);
  std::vector<std::string> copy = args;
  for (std::string& a : copy) argv.push_back(&a[0]);
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, "openssl", &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (pipe_fds[0] >= 0) {
    close(pipe_fds[0]);
    *stdin_writer = pipe_fds[1];
  }
  return rc == 0 ? pid : -1;
}

// Waits up to `ms` for the child; then ends it (it is ours) and reaps it.
void EndChild(pid_t pid, int ms) {
  for (int waited = 0; waited < ms; waited += 10) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    usleep(10000);
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
}

std::string ReadFile(const std::string& path) {
  std::string out;
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

// The hex after "Keying material: " in openssl's output, as bytes.
Bytes KeyingMaterial(const std::string& log) {
  Bytes out;
  const std::string tag = "Keying material: ";
  size_t at = log.find(tag);
  if (at == std::string::npos) return out;
  for (size_t i = at + tag.size(); i + 1 < log.size(); i += 2) {
    auto hex = [](char c) {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = hex(log[i]);
    int lo = hex(log[i + 1]);
    if (hi < 0 || lo < 0) break;
    out.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return out;
}

// Drives `t` over the UDP socket until it leaves connecting (or 5 s pass).
// `peer` is where to send; a server with peer->sin_port == 0 learns it from
// the first datagram.
void RunOverUdp(DtlsTransport& t, int fd, sockaddr_in* peer, bool stop_when_closed) {
  uint64_t start = MonotonicMs();
  Bytes d;
  uint8_t buf[kMaxDtlsDatagramSize + 1];
  for (;;) {
    uint64_t now = MonotonicMs();
    if (now - start > 5000) return;
    while (t.PopOutgoing(&d)) {
      if (peer->sin_port != 0) {
        sendto(fd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(peer), sizeof(*peer));
      }
    }
    bool done = stop_when_closed ? t.state() == DtlsState::kClosed ||
                                       t.state() == DtlsState::kFailed
                                 : t.state() != DtlsState::kConnecting &&
                                       t.state() != DtlsState::kNew;
    if (done) return;
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 20) > 0) {
      sockaddr_in from{};
      socklen_t len = sizeof(from);
      ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n > 0) {
        if (peer->sin_port == 0) *peer = from;
        t.Feed(buf, static_cast<size_t>(n), MonotonicMs());
      }
    }
    t.Tick(MonotonicMs());
  }
}

int UdpSocket(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

void CheckAgainstExport(const SrtpKeys& k, const Bytes& m, bool we_are_client) {
  size_t ks = k.key_size, ss = k.salt_size;
  CHECK(!m.empty());
  CHECK_EQ(m.size(), 2 * (ks + ss));
  if (m.empty() || m.size() != 2 * (ks + ss)) return;
  const uint8_t* client_key = m.data();
  const uint8_t* server_key = m.data() + ks;
  const uint8_t* client_salt = m.data() + 2 * ks;
  const uint8_t* server_salt = m.data() + 2 * ks + ss;
  CHECK(SameBytes(k.local_key, we_are_client ? client_key : server_key, ks));
  CHECK(SameBytes(k.remote_key, we_are_client ? server_key : client_key, ks));
  CHECK(SameBytes(k.local_salt, we_are_client ? client_salt : server_salt, ss));
  CHECK(SameBytes(k.remote_salt, we_are_client ? server_salt : client_salt, ss));
}

void TestOpenSslInterop() {
  if (!HaveOpenSslCommand()) {
    std::fprintf(stderr, "  (openssl command not found: interop skipped)\n");
    return;
  }
  // The system's temporary folder (TMPDIR respected), not a fixed /tmp.
  std::error_code ec;
  std::string tmpl = (std::filesystem::temp_directory_path(ec) / "dtls-interop-XXXXXX").string();
  CHECK(!ec);
  if (ec) return;
  const bool made = mkdtemp(tmpl.data()) != nullptr;
  CHECK(made);
  if (!made) return;
  std::string dir = tmpl;
  std::string error;
  std::unique_ptr<Certificate> theirs = Certificate::Generate(&error);
  std::string cert_pem, key_pem;
  bool pem_ok = theirs && WritePem(*theirs, dir, &cert_pem, &key_pem);
  CHECK(pem_ok);
  if (!pem_ok) {
    std::remove(cert_pem.c_str());
    std::remove(key_pem.c_str());
    rmdir(dir.c_str());
    return;
  }
  std::string hash, value;
  SplitSdp(theirs->sdp_fingerprint(), &hash, &value);
  std::unique_ptr<DtlsContext> ours = NewContext();
  DtlsTransportOptions fast;
  fast.initial_retransmit_ms = 100;  // s_server may still be starting

  // 1. We are the client; openssl s_server with AEAD_AES_128_GCM only.
  {
    uint16_t port = 0;
    int probe = UdpSocket(&port);  // a free port for s_server: take and release
    if (probe >= 0) close(probe);
    std::string log = dir + "/server.log";
    int stdin_writer = -1;
    pid_t pid = SpawnOpenSsl(
        {"s_server", "-dtls1_2", "-accept", "127.0.0.1:" + std::to_string(port),
         "-cert", cert_pem, "-key", key_pem, "-verify", "1", "-naccept", "1",
         "-ign_eof", "-use_srtp", "SRTP_AEAD_AES_128_GCM", "-keymatexport",
         "EXTRACTOR-dtls_srtp", "-keymatexportlen", "56"},
        log, &stdin_writer);
    CHECK(pid > 0);
    uint16_t local_port = 0;
    int fd = UdpSocket(&local_port);
    std::unique_ptr<DtlsTransport> client =
        DtlsTransport::Create(ours.get(), DtlsRole::kClient, fast, &error);
    if (pid > 0 && fd >= 0 && client) {
      usleep(200000);
      client->SetRemoteFingerprint(hash, value);
      client->Start(MonotonicMs());
      sockaddr_in peer{};
      peer.sin_family = AF_INET;
      peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      peer.sin_port = htons(port);
      RunOverUdp(*client, fd, &peer, false);
      CHECK(client->state() == DtlsState::kConnected);
      if (client->state() != DtlsState::kConnected) {
        std::fprintf(stderr, "interop client: %s (%s)\n", DtlsStateName(client->state()),
                     client->failure_reason().c_str());
      }
      SrtpKeys k;
      CHECK(client->GetSrtpKeys(&k));
      CHECK(k.profile == SrtpProfile::kAeadAes128Gcm);
      // s_server prints after its side completes; give it a moment.
      usleep(200000);
      client->Close();
      RunOverUdp(*client, fd, &peer, true);
      EndChild(pid, 2000);
      if (stdin_writer >= 0) close(stdin_writer);
      std::string out = ReadFile(log);
      Bytes m = KeyingMaterial(out);
      CheckAgainstExport(k, m, true);
      if (m.empty() || client->state() == DtlsState::kFailed) std::fprintf(stderr, "s_server output:\n%s\n", out.c_str());
    }
    if (fd >= 0) close(fd);
  }

  // 2. We are the server; openssl s_client with AES_CM_128_HMAC_SHA1_80. It
  //    sends close_notify itself when its stdin (/dev/null) ends.
  {
    uint16_t port = 0;
    int fd = UdpSocket(&port);
    std::string log = dir + "/client.log";
    std::unique_ptr<DtlsTransport> server =
        DtlsTransport::Create(ours.get(), DtlsRole::kServer, fast, &error);
    pid_t pid = fd >= 0 ? SpawnOpenSsl(
        {"s_client", "-dtls1_2", "-connect", "127.0.0.1:" + std::to_string(port),
         "-cert", cert_pem, "-key", key_pem, "-use_srtp", "SRTP_AES128_CM_SHA1_80",
         "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "60"},
        log) : -1;
    CHECK(pid > 0);
    if (pid > 0 && server) {
      server->SetRemoteFingerprint(hash, value);
      server->Start(MonotonicMs());
      sockaddr_in peer{};
      RunOverUdp(*server, fd, &peer, false);
      CHECK(server->state() == DtlsState::kConnected);
      if (server->state() != DtlsState::kConnected) {
        std::fprintf(stderr, "interop server: %s (%s)\n", DtlsStateName(server->state()),
                     server->failure_reason().c_str());
      }
      SrtpKeys k;
      CHECK(server->GetSrtpKeys(&k));
      CHECK(k.profile == SrtpProfile::kAes128CmHmacSha1_80);
      RunOverUdp(*server, fd, &peer, true);
      CHECK(server->state() == DtlsState::kClosed);  // s_client's close_notify
      EndChild(pid, 2000);
      std::string out = ReadFile(log);
      Bytes m = KeyingMaterial(out);
      CheckAgainstExport(k, m, false);
      if (m.empty()) std::fprintf(stderr, "s_client output:\n%s\n", out.c_str());
    }
    if (fd >= 0) close(fd);
  }
  std::remove(cert_pem.c_str());
  std::remove(key_pem.c_str());
  std::remove((dir + "/server.log").c_str());
  std::remove((dir + "/client.log").c_str());
  rmdir(dir.c_str());
}

}  // namespace

int main() {
  TestCertificate();
  TestContext();
  TestHandshake();
  TestServerImplicitStart();
  TestProfiles();
  TestFingerprintMismatch();
  TestFingerprintAfterHandshake();
  TestLossRecovery();
  TestHandshakeTimeout();
  TestGarbage();
  TestSmallMtu();
  TestFragmentedClientHello();
  TestRetransmissionsExhausted();
  TestClose();
  TestOpenSslInterop();
  return webrtc_agent::native_test::ReportChecks("dtls_test");
}
