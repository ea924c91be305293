#include "dtls/dtls_transport.h"

#include <sys/time.h>

#include <algorithm>
#include <cstring>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/srtp.h>

namespace webrtc_agent::dtls {

namespace {

using DatagramIo = DtlsTransport::DatagramIo;

// RFC 5705 exporter label for DTLS-SRTP (RFC 5764 §4.2), no context.
constexpr char kExporterLabel[] = "EXTRACTOR-dtls_srtp";

// DTLS record header (RFC 6347 §4.1): type, version (2), epoch (2),
// sequence number (6), length (2).
constexpr size_t kRecordHeaderSize = 13;
constexpr uint8_t kDtlsMajorVersion = 0xFE;  // 254: {254,255} 1.0, {254,253} 1.2
// change_cipher_spec (20) .. application_data (23): all that DTLS 1.2 as
// negotiated here carries (heartbeat, 24, is not in OpenSSL 3.0; connection
// ids, 25, are never negotiated). Anything else is not from the peer.
constexpr uint8_t kFirstContentType = 20;
constexpr uint8_t kLastContentType = 23;

// RFC 7983 §7: 20..63 is DTLS.
constexpr uint8_t kFirstDtlsByte = 20;
constexpr uint8_t kLastDtlsByte = 63;

// OpenSSL's minimum link MTU for DTLS (dtls1_link_min_mtu).
constexpr size_t kMinMtu = 256;
// OpenSSL's own ceiling for its doubling timer.
constexpr uint32_t kMaxRetransmitMs = 60000;
// OpenSSL 3.0 counts a timer with under 15 ms left as expired, and checks it
// on every read: with a shorter timeout, one SSL_do_handshake call would
// retransmit in a loop until OpenSSL gives up. 50 ms leaves a margin.
constexpr uint32_t kMinRetransmitMs = 50;

// Smallest record at epoch 1 or later: every suite in DtlsContext is
// AES-GCM, whose records carry an 8-byte explicit nonce and a 16-byte tag
// (RFC 5288 §3) around the plaintext. OpenSSL 3.0 treats a shorter
// encrypted record not as a bad packet to discard but as a fatal internal
// error (the AEAD AAD set-up fails), so one forged 20-byte datagram would
// end the association; it is dropped here instead.
constexpr size_t kMinEncryptedRecordSize = 8 + 16;

// A type number for our BIO, from the range OpenSSL leaves to applications
// (BIO_TYPE_START and up). A constant rather than BIO_get_new_index(): that
// bumps a process-wide counter on every call, and nothing here looks BIOs
// up by type.
constexpr int kDatagramBioType = (BIO_TYPE_START + 17) | BIO_TYPE_SOURCE_SINK;

// Why a custom BIO rather than a pair of memory BIOs: a memory BIO is a
// byte stream, so records written for one flight would merge with the next
// and a read could span two datagrams. DTLS needs datagram boundaries. Here
// each write is one record (OpenSSL 3.0's DTLS record layer writes one
// record per BIO write, already sized for the MTU) and the transport packs
// records into datagrams; each read returns exactly the datagram being fed.
int BioWrite(BIO* bio, const char* data, int len) {
  BIO_clear_retry_flags(bio);
  auto* io = static_cast<DatagramIo*>(BIO_get_data(bio));
  if (io == nullptr || data == nullptr || len < 0) return -1;
  const auto* bytes = reinterpret_cast<const uint8_t*>(data);
  io->records.emplace_back(bytes, bytes + len);
  return len;
}

int BioRead(BIO* bio, char* out, int size) {
  BIO_clear_retry_flags(bio);
  auto* io = static_cast<DatagramIo*>(BIO_get_data(bio));
  if (io == nullptr || out == nullptr || size < 0) return -1;
  if (io->input == nullptr) {
    // No datagram: "try again later", which SSL_do_handshake/SSL_read turn
    // into SSL_ERROR_WANT_READ.
    BIO_set_retry_read(bio);
    return -1;
  }
  // Like recv() on a datagram socket: a datagram larger than the buffer is
  // truncated (OpenSSL's buffer is larger than kMaxDtlsDatagramSize).
  size_t n = std::min(io->input_size, static_cast<size_t>(size));
  std::memcpy(out, io->input, n);
  io->input = nullptr;
  io->input_size = 0;
  return static_cast<int>(n);
}

long BioCtrl(BIO* bio, int cmd, long /*num*/, void* /*ptr*/) {
  auto* io = static_cast<DatagramIo*>(BIO_get_data(bio));
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      // OpenSSL flushes after each flight and treats <= 0 as an error.
      return 1;
    case BIO_CTRL_PENDING:
      return io != nullptr && io->input != nullptr
                 ? static_cast<long>(io->input_size)
                 : 0;
    default:
      // Everything else (MTU queries, peer addresses, timeouts for a real
      // socket) does not apply to a socket-less BIO; 0 is "not supported",
      // the same answer a memory BIO gives.
      return 0;
  }
}

int BioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

int BioDestroy(BIO* bio) {
  // The DatagramIo belongs to the transport, not to the BIO.
  BIO_set_data(bio, nullptr);
  return 1;
}

SrtpProfile ProfileFromId(unsigned long id) {
  switch (id) {
    case SRTP_AES128_CM_SHA1_80:
      return SrtpProfile::kAes128CmHmacSha1_80;
    case SRTP_AEAD_AES_128_GCM:
      return SrtpProfile::kAeadAes128Gcm;
    case SRTP_AEAD_AES_256_GCM:
      return SrtpProfile::kAeadAes256Gcm;
    default:
      return SrtpProfile::kNone;
  }
}

bool WellFramed(const uint8_t* data, size_t len) {
  size_t offset = 0;
  while (offset < len) {
    size_t left = len - offset;
    if (left < kRecordHeaderSize) return false;
    const uint8_t* r = data + offset;
    if (r[0] < kFirstContentType || r[0] > kLastContentType) return false;
    if (r[1] != kDtlsMajorVersion) return false;
    size_t body = (static_cast<size_t>(r[11]) << 8) | r[12];
    if (body > left - kRecordHeaderSize) return false;
    bool encrypted = r[3] != 0 || r[4] != 0;  // epoch > 0
    if (encrypted && body < kMinEncryptedRecordSize) return false;
    offset += kRecordHeaderSize + body;
  }
  return true;
}

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return a > kNoTimeout - b ? kNoTimeout : a + b;
}

}  // namespace

bool DtlsRoleFromSetup(const std::string& setup, DtlsRole* role) {
  if (setup == "active") {
    *role = DtlsRole::kClient;
    return true;
  }
  if (setup == "passive") {
    *role = DtlsRole::kServer;
    return true;
  }
  return false;
}

const char* DtlsStateName(DtlsState state) {
  switch (state) {
    case DtlsState::kNew:
      return "new";
    case DtlsState::kConnecting:
      return "connecting";
    case DtlsState::kConnected:
      return "connected";
    case DtlsState::kFailed:
      return "failed";
    case DtlsState::kClosed:
      return "closed";
  }
  return "";
}

const char* SrtpProfileName(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::kAes128CmHmacSha1_80:
      return "AES_CM_128_HMAC_SHA1_80";
    case SrtpProfile::kAeadAes128Gcm:
      return "AEAD_AES_128_GCM";
    case SrtpProfile::kAeadAes256Gcm:
      return "AEAD_AES_256_GCM";
    case SrtpProfile::kNone:
      break;
  }
  return "";
}

size_t SrtpMasterKeySize(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::kAes128CmHmacSha1_80:
    case SrtpProfile::kAeadAes128Gcm:
      return 16;
    case SrtpProfile::kAeadAes256Gcm:
      return 32;
    case SrtpProfile::kNone:
      break;
  }
  return 0;
}

size_t SrtpMasterSaltSize(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::kAes128CmHmacSha1_80:
      return 14;  // RFC 3711 §8.2: 112-bit master salt
    case SrtpProfile::kAeadAes128Gcm:
    case SrtpProfile::kAeadAes256Gcm:
      return 12;  // RFC 7714 §12: 96-bit master salt
    case SrtpProfile::kNone:
      break;
  }
  return 0;
}

SrtpKeys::~SrtpKeys() { Wipe(); }

void SrtpKeys::Wipe() {
  // OPENSSL_cleanse, not memset: a store to memory about to be freed is a
  // dead store the compiler may delete.
  OPENSSL_cleanse(local_key, sizeof(local_key));
  OPENSSL_cleanse(local_salt, sizeof(local_salt));
  OPENSSL_cleanse(remote_key, sizeof(remote_key));
  OPENSSL_cleanse(remote_salt, sizeof(remote_salt));
  profile = SrtpProfile::kNone;
  key_size = 0;
  salt_size = 0;
}

DtlsTransport::DtlsTransport(DtlsRole role, const DtlsTransportOptions& options)
    : role_(role), options_(options) {}

DtlsTransport::~DtlsTransport() = default;

std::unique_ptr<DtlsTransport> DtlsTransport::Create(
    DtlsContext* context, DtlsRole role, const DtlsTransportOptions& options,
    std::string* error) {
  if (context == nullptr) {
    *error = "DtlsTransport: no context";
    return nullptr;
  }
  if (options.mtu < kMinMtu || options.mtu > kMaxDtlsDatagramSize ||
      options.handshake_timeout_ms == 0 ||
      options.initial_retransmit_ms < kMinRetransmitMs ||
      options.max_retransmit_ms < options.initial_retransmit_ms ||
      options.max_retransmit_ms > kMaxRetransmitMs) {
    *error = "DtlsTransport: options out of range";
    return nullptr;
  }
  ERR_clear_error();
  std::unique_ptr<DtlsTransport> t(new DtlsTransport(role, options));
  t->bio_method_.reset(BIO_meth_new(kDatagramBioType, "webrtc-agent datagram"));
  BIO_METHOD* m = t->bio_method_.get();
  if (m == nullptr || BIO_meth_set_write(m, BioWrite) != 1 ||
      BIO_meth_set_read(m, BioRead) != 1 ||
      BIO_meth_set_ctrl(m, BioCtrl) != 1 ||
      BIO_meth_set_create(m, BioCreate) != 1 ||
      BIO_meth_set_destroy(m, BioDestroy) != 1) {
    *error = TakeOpenSslError("BIO method set-up failed");
    return nullptr;
  }
  BioPtr bio(BIO_new(m));
  t->ssl_.reset(SSL_new(context->ssl_ctx()));
  if (!bio || !t->ssl_) {
    *error = TakeOpenSslError("SSL_new/BIO_new failed");
    return nullptr;
  }
  BIO_set_data(bio.get(), &t->io_);
  SSL* ssl = t->ssl_.get();
  // One BIO serves both directions; with rbio == wbio SSL_set_bio takes a
  // single reference, the one released here.
  BIO* raw = bio.release();
  SSL_set_bio(ssl, raw, raw);
  // Index 0 (app data) for the timer callback to find its transport; the
  // SSL never outlives the transport that owns it.
  SSL_set_app_data(ssl, t.get());
  DTLS_set_timer_cb(ssl, &DtlsTransport::RetransmitTimeoutUs);
  if (DTLS_set_link_mtu(ssl, static_cast<long>(options.mtu)) != 1) {
    *error = TakeOpenSslError("DTLS_set_link_mtu failed");
    return nullptr;
  }
  if (role == DtlsRole::kClient) {
    SSL_set_connect_state(ssl);
  } else {
    SSL_set_accept_state(ssl);
  }
  ERR_clear_error();
  return t;
}

unsigned int DtlsTransport::RetransmitTimeoutUs(SSL* ssl,
                                                unsigned int previous_us) {
  const auto* t = static_cast<const DtlsTransport*>(SSL_get_app_data(ssl));
  // Bounded by kMaxRetransmitMs in Create(), so these fit in 32 bits.
  unsigned int initial = t->options_.initial_retransmit_ms * 1000u;
  unsigned int ceiling = t->options_.max_retransmit_ms * 1000u;
  if (previous_us == 0) return initial;
  return previous_us >= ceiling / 2 ? ceiling : previous_us * 2;
}

void DtlsTransport::Start(uint64_t now_ms) {
  if (state_ != DtlsState::kNew) return;
  deadline_ms_ = SaturatingAdd(now_ms, options_.handshake_timeout_ms);
  SetState(DtlsState::kConnecting);
  // A server has nothing to say until the ClientHello arrives; calling
  // SSL_do_handshake now would only return WANT_READ.
  if (role_ == DtlsRole::kClient) Drive();
  UpdateRetransmitTime(now_ms);
  Flush();
}

void DtlsTransport::Feed(const uint8_t* datagram, size_t len, uint64_t now_ms) {
  if (datagram == nullptr || len == 0 || len > kMaxDtlsDatagramSize) {
    ++stats_.rejected_size;
    return;
  }
  if (datagram[0] < kFirstDtlsByte || datagram[0] > kLastDtlsByte) {
    ++stats_.rejected_not_dtls;
    return;
  }
  // Framing first, so that garbage neither starts a server's handshake
  // clock nor reaches OpenSSL.
  if (!WellFramed(datagram, len)) {
    ++stats_.malformed;
    return;
  }
  if (state_ == DtlsState::kNew && role_ == DtlsRole::kServer) Start(now_ms);
  CheckDeadline(now_ms);
  if (!Active()) {
    ++stats_.dropped_state;
    Flush();
    return;
  }
  ++stats_.datagrams_in;
  stats_.bytes_in += len;
  io_.input = datagram;
  io_.input_size = len;
  Drive();
  UpdateRetransmitTime(now_ms);
  Flush();
}

void DtlsTransport::Tick(uint64_t now_ms) {
  CheckDeadline(now_ms);
  if (Active()) {
    ERR_clear_error();
    // Retransmits the last flight if OpenSSL's timer has run out (see the
    // header on clocks); 0 if it has not or none is running.
    int r = DTLSv1_handle_timeout(ssl_.get());
    if (r > 0) {
      ++stats_.retransmissions;
    } else if (r < 0) {
      // After 12 timeouts OpenSSL gives up on the peer.
      Fail("DTLS retransmissions exhausted: " +
           TakeOpenSslError("no answer from the peer"));
    }
    ERR_clear_error();
  }
  UpdateRetransmitTime(now_ms);
  Flush();
}

uint64_t DtlsTransport::NextTimeoutMs() const {
  if (state_ == DtlsState::kConnecting) {
    return std::min(deadline_ms_, retransmit_at_ms_);
  }
  if (state_ == DtlsState::kConnected) return retransmit_at_ms_;
  return kNoTimeout;
}

bool DtlsTransport::SetRemoteFingerprint(const std::string& hash,
                                         const std::string& value) {
  Fingerprint fp;
  if (!ParseFingerprint(hash, value, &fp)) return false;
  remote_fingerprint_ = fp;
  have_remote_fingerprint_ = true;
  if (handshake_complete_ && Active()) {
    VerifyPeer();
    Flush();
  }
  return true;
}

void DtlsTransport::Close() {
  if (state_ == DtlsState::kNew) {
    reason_ = "closed locally";
    SetState(DtlsState::kClosed);
    return;
  }
  if (!Active()) return;
  if (handshake_complete_) {
    // close_notify tells the peer to stop; during the handshake OpenSSL
    // refuses to send it, and the peer will time out instead.
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }
  keys_.Wipe();
  reason_ = "closed locally";
  SetState(DtlsState::kClosed);
  Flush();
}

bool DtlsTransport::PopOutgoing(std::vector<uint8_t>* out) {
  if (outgoing_.empty()) return false;
  *out = std::move(outgoing_.front());
  outgoing_.pop_front();
  return true;
}

bool DtlsTransport::PopStateChange(DtlsState* state) {
  if (state_changes_.empty()) return false;
  *state = state_changes_.front();
  state_changes_.pop_front();
  return true;
}

bool DtlsTransport::GetSrtpKeys(SrtpKeys* out) const {
  if (state_ != DtlsState::kConnected) return false;
  *out = keys_;
  return true;
}

SrtpProfile DtlsTransport::srtp_profile() const {
  return state_ == DtlsState::kConnected ? keys_.profile : SrtpProfile::kNone;
}

void DtlsTransport::Drive() {
  ERR_clear_error();
  if (!handshake_complete_) {
    int r = SSL_do_handshake(ssl_.get());
    if (r == 1) {
      handshake_complete_ = true;
      OnHandshakeComplete();
    } else {
      int err = SSL_get_error(ssl_.get(), r);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        // A fatal alert from the peer, or a message OpenSSL rejected (it has
        // sent its own alert already).
        Fail("DTLS handshake failed: " + TakeOpenSslError("unknown error"));
      }
    }
  }
  // Records after the handshake (application data, close_notify, or a
  // retransmitted client Finished that OpenSSL answers with its last
  // flight) are only processed by SSL_read.
  if (handshake_complete_ && Active()) ReadApplicationData();
  io_.input = nullptr;
  io_.input_size = 0;
  ERR_clear_error();
}

void DtlsTransport::ReadApplicationData() {
  uint8_t buf[2048];
  // Terminates: each SSL_read consumes input, and the input is one datagram.
  for (;;) {
    ERR_clear_error();
    int r = SSL_read(ssl_.get(), buf, sizeof(buf));
    if (r > 0) {
      // Data channels are out of scope: the bytes are dropped, counted.
      stats_.app_data_bytes += static_cast<uint64_t>(r);
      continue;
    }
    int err = SSL_get_error(ssl_.get(), r);
    if (err == SSL_ERROR_ZERO_RETURN) {
      // The peer's close_notify; answering with ours is what RFC 5246
      // §7.2.1 asks, and lets the peer finish its own close cleanly.
      SSL_shutdown(ssl_.get());
      ERR_clear_error();
      keys_.Wipe();
      reason_ = "peer sent close_notify";
      SetState(DtlsState::kClosed);
    } else if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
      // Our BIO never fails, so SSL_ERROR_SYSCALL means OpenSSL hit a fatal
      // error and then dropped its own message (3.0 does that around record
      // decryption); the association is dead either way.
      Fail("DTLS read failed: " +
           TakeOpenSslError("fatal record-layer error (no reason given)"));
    }
    return;
  }
}

void DtlsTransport::OnHandshakeComplete() {
  peer_certificate_.reset(SSL_get1_peer_certificate(ssl_.get()));
  if (!peer_certificate_) {
    // Cannot happen with SSL_VERIFY_FAIL_IF_NO_PEER_CERT on the server and
    // certificate-based suites on the client; checked because the
    // fingerprint check depends on it.
    Fail("peer sent no certificate");
    return;
  }
  const SRTP_PROTECTION_PROFILE* selected =
      SSL_get_selected_srtp_profile(ssl_.get());
  SrtpProfile profile =
      selected != nullptr ? ProfileFromId(selected->id) : SrtpProfile::kNone;
  if (profile == SrtpProfile::kNone) {
    // RFC 5764 §4.1.1: without use_srtp there are no SRTP keys, and media
    // cannot flow; a peer that left it out is not a WebRTC endpoint.
    Fail("no SRTP protection profile negotiated (use_srtp)");
    return;
  }
  size_t k = SrtpMasterKeySize(profile);
  size_t s = SrtpMasterSaltSize(profile);
  uint8_t material[2 * (kMaxSrtpMasterKeySize + kMaxSrtpMasterSaltSize)];
  size_t total = 2 * (k + s);
  if (SSL_export_keying_material(ssl_.get(), material, total, kExporterLabel,
                                 sizeof(kExporterLabel) - 1, nullptr, 0,
                                 0) != 1) {
    OPENSSL_cleanse(material, sizeof(material));
    Fail("keying material export failed: " + TakeOpenSslError("unknown"));
    return;
  }
  // RFC 5764 §4.2: client_write_key | server_write_key | client_write_salt
  // | server_write_salt. The client sends with the client_write pair.
  const uint8_t* client_key = material;
  const uint8_t* server_key = material + k;
  const uint8_t* client_salt = material + 2 * k;
  const uint8_t* server_salt = material + 2 * k + s;
  bool client = role_ == DtlsRole::kClient;
  keys_.profile = profile;
  keys_.key_size = k;
  keys_.salt_size = s;
  std::memcpy(keys_.local_key, client ? client_key : server_key, k);
  std::memcpy(keys_.local_salt, client ? client_salt : server_salt, s);
  std::memcpy(keys_.remote_key, client ? server_key : client_key, k);
  std::memcpy(keys_.remote_salt, client ? server_salt : client_salt, s);
  OPENSSL_cleanse(material, sizeof(material));
  // Without the SDP fingerprint yet the transport stays connecting, keys
  // withheld, until SetRemoteFingerprint() or the deadline.
  if (have_remote_fingerprint_) VerifyPeer();
}

void DtlsTransport::VerifyPeer() {
  if (FingerprintMatches(peer_certificate_.get(), remote_fingerprint_)) {
    if (state_ == DtlsState::kConnecting) SetState(DtlsState::kConnected);
    return;
  }
  ++stats_.fingerprint_mismatches;
  // Whoever completed this handshake is not the peer the signalling
  // described (RFC 8827 §6.5): its keys must never reach SRTP.
  Fail("peer certificate does not match the SDP fingerprint");
}

void DtlsTransport::CheckDeadline(uint64_t now_ms) {
  if (state_ != DtlsState::kConnecting || now_ms < deadline_ms_) return;
  Fail(handshake_complete_
           ? "no remote fingerprint before the handshake deadline"
           : "DTLS handshake timed out");
}

void DtlsTransport::UpdateRetransmitTime(uint64_t now_ms) {
  struct timeval left = {0, 0};
  if (Active() && DTLSv1_get_timeout(ssl_.get(), &left) == 1) {
    uint64_t ms = static_cast<uint64_t>(left.tv_sec) * 1000 +
                  (static_cast<uint64_t>(left.tv_usec) + 999) / 1000;
    retransmit_at_ms_ = SaturatingAdd(now_ms, ms);
  } else {
    retransmit_at_ms_ = kNoTimeout;
  }
}

void DtlsTransport::Flush() {
  // Records written in one call are one or more flights; they are packed
  // into as few datagrams as the MTU allows (several records per datagram
  // is legal DTLS, and fewer packets means fewer chances to lose one).
  std::vector<uint8_t> datagram;
  for (std::vector<uint8_t>& record : io_.records) {
    if (!datagram.empty() && datagram.size() + record.size() > options_.mtu) {
      PushOutgoing(std::move(datagram));
      datagram.clear();
    }
    datagram.insert(datagram.end(), record.begin(), record.end());
  }
  if (!datagram.empty()) PushOutgoing(std::move(datagram));
  io_.records.clear();
}

void DtlsTransport::PushOutgoing(std::vector<uint8_t> datagram) {
  if (outgoing_.size() >= kMaxOutgoingDatagrams) {
    // Dropped like a lost packet; retransmission recovers if the caller
    // starts draining again.
    ++stats_.outgoing_dropped;
    return;
  }
  ++stats_.datagrams_out;
  stats_.bytes_out += datagram.size();
  outgoing_.push_back(std::move(datagram));
}

void DtlsTransport::SetState(DtlsState state) {
  if (state_ == state) return;
  state_ = state;
  state_changes_.push_back(state);
}

void DtlsTransport::Fail(const std::string& reason) {
  if (!Active()) return;
  if (handshake_complete_) {
    // The association is dead on our side; close_notify lets the peer know
    // now instead of after its own timeouts.
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }
  keys_.Wipe();
  reason_ = reason;
  SetState(DtlsState::kFailed);
}

}  // namespace webrtc_agent::dtls
