// PeerLinks: this node thread's rings to and from the other node threads of
// the process. One ring per ordered pair of threads: this thread produces
// into the ring towards a peer and consumes the ring from it. A record is a
// small LinkRecord header plus a packet: RTP of a track exported to that
// peer or its publisher's Sender Report timing; or, going back up an
// imported track, a key-frame request or whether the importer reads it.
//
// The rings live in SharedArrayBuffers created by the main thread
// (src/pool/LinkManager.ts); this class holds a reference to each buffer's
// view so the memory stays alive while native code points into it.
#ifndef WEBRTC_AGENT_ADDON_ROUTER_PEER_LINKS_H_
#define WEBRTC_AGENT_ADDON_ROUTER_PEER_LINKS_H_

#include <node_api.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "router/status.h"

namespace webrtc_agent {
class AgentAddon;
namespace ring {
class RingProducer;
class RingReader;
}  // namespace ring
namespace router {

class Router;

// The header in front of every packet in a link ring.
struct LinkRecord {
  static constexpr uint8_t kRtp = 1;
  static constexpr uint8_t kKeyframeRequest = 2;
  // The publisher's last SR as (NTP, RTP) times, 12 bytes after the header:
  // so the importing thread's SRs to its subscribers map through it too.
  static constexpr uint8_t kSenderClock = 3;
  // Back up an imported track: whether the importing thread now reads it
  // (flags kRead) or not; sent when that changes.
  static constexpr uint8_t kReaders = 4;
  // flags of a kRtp record: the home thread's reading of the packet, so the
  // importing thread need not read it again (it may not know how).
  static constexpr uint8_t kSilent = 1;  // RFC 6464 level 127: silence dropping
  // flags of a kReaders record.
  static constexpr uint8_t kRead = 1;
  uint8_t type;
  uint8_t flags;
  uint8_t reserved[2];
  uint32_t link;  // host order: both ends are threads of this process
};
static_assert(sizeof(LinkRecord) == 8, "LinkRecord must stay 8 bytes");

struct PeerCounters {
  uint64_t out_records = 0;
  uint64_t out_dropped = 0;  // ring full
  uint64_t in_records = 0;
  uint64_t in_bad = 0;       // malformed record (never expected)
};

class PeerLinks {
 public:
  PeerLinks(AgentAddon* addon, Router* router);
  ~PeerLinks();
  PeerLinks(const PeerLinks&) = delete;
  PeerLinks& operator=(const PeerLinks&) = delete;

  // `view` is a Uint8Array over the ring's SharedArrayBuffer.
  Status AttachOutbound(const std::string& peer, napi_value view);
  Status AttachInbound(const std::string& peer, napi_value view);
  // Forgets both rings of a peer (it ended); safe if none is attached.
  // Called from JS only, never from a record callback: it destroys the
  // peer's RingReader.
  void Detach(const std::string& peer);

  bool HasOutbound(const std::string& peer) const;

  // A peer's number: given on first use of its name and kept for the
  // thread's life (names are node ids, a handful per process), so a track's
  // imports and exports resolve it once and the packet path indexes a
  // vector instead of hashing a name.
  uint32_t IndexOf(const std::string& peer);

  void SendRtp(uint32_t peer_index, uint32_t link, const uint8_t* pkt, size_t len, bool silent);
  void SendKeyframeRequest(uint32_t peer_index, uint32_t link);
  void SendSenderClock(uint32_t peer_index, uint32_t link, uint64_t ntp, uint32_t rtp_timestamp);
  // False: not sent (no ring, or the ring is full); the caller tries again.
  bool SendReaders(uint32_t peer_index, uint32_t link, bool read);

  struct PeerInfo {
    std::string peer;
    bool outbound;
    bool inbound;
    PeerCounters counters;
    double out_fill;  // 0..1, how full the outbound ring is
    uint64_t out_ring_drops;
  };
  std::vector<PeerInfo> Info() const;

 private:
  struct Peer;
  Peer* GetOrAdd(const std::string& peer);
  bool Push(uint32_t peer_index, uint8_t type, uint32_t link, const uint8_t* data, size_t len, uint8_t flags = 0);
  void OnRecord(Peer* p, const uint8_t* data, size_t len);

  AgentAddon* addon_;
  Router* router_;
  std::unordered_map<std::string, std::unique_ptr<Peer>> peers_;
  std::unordered_map<std::string, uint32_t> indexes_;
  std::vector<Peer*> by_index_;  // null while a numbered peer has no rings
};

}  // namespace router
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_ROUTER_PEER_LINKS_H_
