#include "router/peer_links.h"

#include <cstring>

#include "addon.h"
#include "ring/ring_reader.h"
#include "ring/spsc_ring.h"
#include "router/router.h"

namespace webrtc_agent {
namespace router {

struct PeerLinks::Peer {
  PeerLinks* owner = nullptr;
  std::string name;
  uint32_t index = 0;
  ring::RingProducer out;
  ring::RingReader in;
  bool has_out = false;
  bool has_in = false;
  // Keep the SharedArrayBuffer views alive while native code points into them.
  napi_ref out_ref = nullptr;
  napi_ref in_ref = nullptr;
  PeerCounters counters;
};

namespace {

// The memory behind a Uint8Array over a SharedArrayBuffer (Node 20's
// napi_get_arraybuffer_info refuses SABs; the typed-array route works and
// yields the same address in every thread).
Status ViewMemory(napi_env env, napi_value view, uint8_t** data, size_t* size, napi_ref* ref) {
  bool is_typed = false;
  if (napi_is_typedarray(env, view, &is_typed) != napi_ok || !is_typed) {
    return Status::Internal("ring: not a Uint8Array");
  }
  napi_typedarray_type type;
  size_t length = 0;
  void* ptr = nullptr;
  napi_value buffer = nullptr;
  if (napi_get_typedarray_info(env, view, &type, &length, &ptr, &buffer, nullptr) != napi_ok ||
      type != napi_uint8_array || ptr == nullptr) {
    return Status::Internal("ring: not a Uint8Array");
  }
  // napi_is_arraybuffer is false for a SharedArrayBuffer: true means a plain,
  // detachable buffer whose memory could vanish under the pointer we keep.
  bool plain = true;
  if (napi_is_arraybuffer(env, buffer, &plain) != napi_ok || plain) {
    return Status::Internal("ring: not a view over a SharedArrayBuffer");
  }
  if (napi_create_reference(env, view, 1, ref) != napi_ok) return Status::Internal("ring: no reference");
  *data = static_cast<uint8_t*>(ptr);
  *size = length;
  return Status::Ok();
}

void DeleteRef(napi_env env, napi_ref* ref) {
  if (*ref != nullptr) napi_delete_reference(env, *ref);
  *ref = nullptr;
}

}  // namespace

PeerLinks::PeerLinks(AgentAddon* addon, Router* router) : addon_(addon), router_(router) {}

PeerLinks::~PeerLinks() {
  while (!peers_.empty()) Detach(peers_.begin()->first);
}

bool PeerLinks::HasOutbound(const std::string& peer) const {
  auto it = peers_.find(peer);
  return it != peers_.end() && it->second->has_out;
}

uint32_t PeerLinks::IndexOf(const std::string& peer) {
  auto [it, added] = indexes_.emplace(peer, static_cast<uint32_t>(by_index_.size()));
  if (added) by_index_.push_back(nullptr);
  return it->second;
}

PeerLinks::Peer* PeerLinks::GetOrAdd(const std::string& peer) {
  std::unique_ptr<Peer>& p = peers_[peer];
  if (!p) {
    p = std::make_unique<Peer>();
    p->owner = this;
    p->name = peer;
    p->index = IndexOf(peer);
    by_index_[p->index] = p.get();
  }
  return p.get();
}

Status PeerLinks::AttachOutbound(const std::string& peer, napi_value view) {
  Peer* p = GetOrAdd(peer);
  if (p->has_out) return Status::Invalid("peer: outbound ring already attached: " + peer);
  uint8_t* base = nullptr;
  size_t size = 0;
  Status s = ViewMemory(addon_->env(), view, &base, &size, &p->out_ref);
  if (!s.ok()) return s;
  if (const char* err = p->out.Open(base, size)) {
    DeleteRef(addon_->env(), &p->out_ref);
    return Status::Internal(std::string("ring: ") + err);
  }
  p->has_out = true;
  return Status::Ok();
}

Status PeerLinks::AttachInbound(const std::string& peer, napi_value view) {
  Peer* p = GetOrAdd(peer);
  if (p->has_in) return Status::Invalid("peer: inbound ring already attached: " + peer);
  uint8_t* base = nullptr;
  size_t size = 0;
  Status s = ViewMemory(addon_->env(), view, &base, &size, &p->in_ref);
  if (!s.ok()) return s;
  ring::RingReader::Options opts;
  const char* err = p->in.Attach(
      addon_->env(), addon_->loop(), base, size, opts,
      [](void* ctx, const uint8_t* data, size_t len) {
        Peer* peer = static_cast<Peer*>(ctx);
        peer->owner->OnRecord(peer, data, len);
      },
      nullptr, p);
  if (err != nullptr) {
    DeleteRef(addon_->env(), &p->in_ref);
    return Status::Internal(std::string("ring: ") + err);
  }
  p->has_in = true;
  return Status::Ok();
}

void PeerLinks::Detach(const std::string& peer) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  Peer* p = it->second.get();
  // Stop reading before the memory may go: the reader closes its poll and
  // eventfd first.
  p->in.Detach();
  DeleteRef(addon_->env(), &p->in_ref);
  DeleteRef(addon_->env(), &p->out_ref);
  by_index_[p->index] = nullptr;
  peers_.erase(it);
}

void PeerLinks::SendRtp(uint32_t peer_index, uint32_t link, const uint8_t* pkt, size_t len, bool silent) {
  Push(peer_index, LinkRecord::kRtp, link, pkt, len, silent ? LinkRecord::kSilent : 0);
}

void PeerLinks::SendKeyframeRequest(uint32_t peer_index, uint32_t link) {
  Push(peer_index, LinkRecord::kKeyframeRequest, link, nullptr, 0);
}

void PeerLinks::SendSenderClock(uint32_t peer_index, uint32_t link, uint64_t ntp, uint32_t rtp_timestamp) {
  uint8_t body[12];
  std::memcpy(body, &ntp, 8);
  std::memcpy(body + 8, &rtp_timestamp, 4);
  Push(peer_index, LinkRecord::kSenderClock, link, body, sizeof(body));
}

bool PeerLinks::SendReaders(uint32_t peer_index, uint32_t link, bool read) {
  return Push(peer_index, LinkRecord::kReaders, link, nullptr, 0, read ? LinkRecord::kRead : 0);
}

bool PeerLinks::Push(uint32_t peer_index, uint8_t type, uint32_t link, const uint8_t* data,
                     size_t len, uint8_t flags) {
  Peer* p = peer_index < by_index_.size() ? by_index_[peer_index] : nullptr;
  if (p == nullptr || !p->has_out) return false;
  LinkRecord rec{type, flags, {0, 0}, link};
  if (p->out.Push(reinterpret_cast<const uint8_t*>(&rec), sizeof(rec), data, len)) {
    p->counters.out_records++;
    // Cheap while the consumer is awake (one load); one eventfd write per
    // sleep otherwise.
    p->out.Flush();
    return true;
  }
  p->counters.out_dropped++;
  return false;
}

void PeerLinks::OnRecord(Peer* p, const uint8_t* data, size_t len) {
  if (len < sizeof(LinkRecord)) {
    p->counters.in_bad++;
    return;
  }
  LinkRecord rec;
  std::memcpy(&rec, data, sizeof(rec));
  p->counters.in_records++;
  // Handlers only forward packets; detaching a peer happens from JS (the
  // LinkManager), never from inside this callback, so `p` stays valid.
  const uint32_t peer = p->index;
  if (rec.type == LinkRecord::kRtp) {
    router_->OnLinkedRtp(peer, rec.link, data + sizeof(rec), len - sizeof(rec),
                         (rec.flags & LinkRecord::kSilent) != 0);
  } else if (rec.type == LinkRecord::kKeyframeRequest) {
    router_->OnLinkedKeyframeRequest(peer, rec.link);
  } else if (rec.type == LinkRecord::kReaders && len == sizeof(rec)) {
    router_->OnLinkedReaders(peer, rec.link, (rec.flags & LinkRecord::kRead) != 0);
  } else if (rec.type == LinkRecord::kSenderClock && len == sizeof(rec) + 12) {
    uint64_t ntp;
    uint32_t rtp_timestamp;
    std::memcpy(&ntp, data + sizeof(rec), 8);
    std::memcpy(&rtp_timestamp, data + sizeof(rec) + 8, 4);
    router_->OnLinkedSenderClock(peer, rec.link, ntp, rtp_timestamp);
  } else {
    p->counters.in_bad++;
  }
}

std::vector<PeerLinks::PeerInfo> PeerLinks::Info() const {
  std::vector<PeerInfo> out;
  for (const auto& [name, p] : peers_) {
    PeerInfo i{name, p->has_out, p->has_in, p->counters, 0.0, 0};
    if (p->has_out) {
      ring::RingHeaderStats hs = ring::ReadHeaderStats(p->out.base());
      i.out_fill = hs.capacity ? static_cast<double>(hs.used) / hs.capacity : 0.0;
      i.out_ring_drops = hs.drops;
    }
    out.push_back(std::move(i));
  }
  return out;
}

}  // namespace router
}  // namespace webrtc_agent
