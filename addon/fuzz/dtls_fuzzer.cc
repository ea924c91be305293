// libFuzzer target: a server-role DtlsTransport (addon/dtls/) fed fuzz
// datagrams. Not in scripts/fuzz.sh's default list (the CI budget is taken
// by the parsers); run by hand: FUZZ_TARGETS=dtls bash scripts/fuzz.sh 300.
// Linked with -lssl -lcrypto.
//
// The input is a sequence of records [ctl][len_hi][len_lo][len bytes]; each
// record is one datagram, delivered at a clock that advances by ctl * 97 ms
// (so the 30 s handshake deadline is reachable), with a Tick when ctl's low
// bit is set. If the first byte's top bit is set, a real client transport
// first sends its ClientHello and the server's answer is kept, so the fuzz
// datagrams arrive where the server waits for the client's certificate
// flight rather than only where it waits for a ClientHello.
//
// What this covers is our side: the pre-OpenSSL checks, the datagram BIO,
// state handling, timers. OpenSSL's own parsers are fuzzed upstream.
// Invariants: every datagram fed is accounted for exactly once in the
// stats; every datagram sent is within the MTU and starts with a DTLS
// content type; the state only moves forward (new -> connecting ->
// connected -> failed/closed) and never reaches connected (the fuzzer
// cannot finish a handshake whose certificate matches the fingerprint);
// no keys leave a transport that is not connected.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dtls/dtls_context.h"
#include "dtls/dtls_transport.h"
#include "fuzz/fuzz_check.h"

namespace {

using namespace webrtc_agent::dtls;

struct Contexts {
  std::unique_ptr<DtlsContext> server;
  std::unique_ptr<DtlsContext> client;
};

// Generated once per process: key generation would otherwise dominate each
// run. A static is fine in a fuzzer (the addon has none).
Contexts* g_contexts = nullptr;

int Rank(DtlsState s) {
  switch (s) {
    case DtlsState::kNew:
      return 0;
    case DtlsState::kConnecting:
      return 1;
    case DtlsState::kConnected:
      return 2;
    case DtlsState::kFailed:
    case DtlsState::kClosed:
      return 3;
  }
  return -1;
}

void CheckOutgoing(DtlsTransport& t, size_t mtu,
                   std::vector<std::vector<uint8_t>>* sink) {
  std::vector<uint8_t> d;
  while (t.PopOutgoing(&d)) {
    FUZZ_CHECK(!d.empty() && d.size() <= mtu);
    FUZZ_CHECK(d[0] >= 20 && d[0] <= 23);
    if (sink != nullptr) sink->push_back(d);
  }
}

void CheckStates(DtlsTransport& t, int* rank) {
  DtlsState s;
  while (t.PopStateChange(&s)) {
    FUZZ_CHECK(s != DtlsState::kConnected);
    int r = Rank(s);
    FUZZ_CHECK(r > *rank);
    *rank = r;
  }
  FUZZ_CHECK(Rank(t.state()) == *rank);
  SrtpKeys keys;
  FUZZ_CHECK(!t.GetSrtpKeys(&keys));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  std::string error;
  g_contexts = new Contexts;
  g_contexts->server = DtlsContext::Create(&error);
  g_contexts->client = DtlsContext::Create(&error);
  FUZZ_CHECK(g_contexts->server && g_contexts->client);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  DtlsTransportOptions options;
  std::string error;
  std::unique_ptr<DtlsTransport> server = DtlsTransport::Create(
      g_contexts->server.get(), DtlsRole::kServer, options, &error);
  FUZZ_CHECK(server != nullptr);
  // The client's real fingerprint: a match would need the client's key.
  const std::string& fp = g_contexts->client->sdp_fingerprint();
  FUZZ_CHECK(server->SetRemoteFingerprint(fp.substr(0, 7), fp.substr(8)));

  uint64_t now = 1000;
  int rank = 0;
  uint64_t fed = 0;
  if (size > 0 && (data[0] & 0x80) != 0) {
    std::unique_ptr<DtlsTransport> client = DtlsTransport::Create(
        g_contexts->client.get(), DtlsRole::kClient, options, &error);
    FUZZ_CHECK(client != nullptr);
    client->Start(now);
    std::vector<std::vector<uint8_t>> hello;
    CheckOutgoing(*client, options.mtu, &hello);
    for (const std::vector<uint8_t>& d : hello) {
      server->Feed(d.data(), d.size(), now);
      ++fed;
    }
    CheckOutgoing(*server, options.mtu, nullptr);
    CheckStates(*server, &rank);
    ++data;
    --size;
  }

  size_t offset = 0;
  while (size - offset >= 3) {
    uint8_t ctl = data[offset];
    size_t len = (static_cast<size_t>(data[offset + 1]) << 8) | data[offset + 2];
    offset += 3;
    if (len > size - offset) len = size - offset;
    now += static_cast<uint64_t>(ctl) * 97;
    // An empty record is still fed: the size check must count it.
    server->Feed(data + offset, len, now);
    ++fed;
    offset += len;
    if (ctl & 1) server->Tick(now);
    FUZZ_CHECK(server->NextTimeoutMs() == kNoTimeout ||
               server->state() == DtlsState::kConnecting ||
               server->state() == DtlsState::kConnected);
    CheckOutgoing(*server, options.mtu, nullptr);
    CheckStates(*server, &rank);
  }

  const DtlsStats& st = server->stats();
  FUZZ_CHECK(st.rejected_size + st.rejected_not_dtls + st.malformed +
                 st.dropped_state + st.datagrams_in ==
             fed);
  FUZZ_CHECK(st.fingerprint_mismatches <= 1);
  server->Close();
  FUZZ_CHECK(server->state() == DtlsState::kClosed ||
             server->state() == DtlsState::kFailed);
  CheckOutgoing(*server, options.mtu, nullptr);
  CheckStates(*server, &rank);
  return 0;
}
