/*
 * webrtc_peer --role room: many conference participants in one process.
 * Included by webrtc_peer.cc (inside its anonymous namespace, after the
 * sink): it reuses that file's peers (one UDP socket and one ICE + DTLS +
 * SRTP transport each), its `peer` / `connect` commands, consent checks and
 * control demultiplexing. One event loop (epoll, 1 ms ticks) drives every
 * peer: each may send streams and receives whatever the agent sends it.
 *
 * Streams a peer sends (configured before `start`, after `connect`):
 *   audio I SSRC PT MIDEXT LEVELEXT MID SOURCE
 *       Opus-like audio, 50 packets/s (20 ms, timestamps +960 at 48 kHz),
 *       each with the MID and the RFC 6464 audio-level header extension
 *       (one-byte form). The level follows the peer's talk state: `level I
 *       L` (0..127 -dBov; voiced packets carry the V bit and 100 bytes of
 *       payload, silent ones level 127 and 40 bytes), `mute I 1` sends
 *       nothing (a muted client).
 *   video I SSRC PT MIDEXT RIDEXT MID RID FPS PKTS SIZE KEYINT_MS SOURCE
 *       VP8: FPS frames a second of PKTS packets of SIZE bytes each; RID
 *       ("-" for none) goes in the RID extension of every packet (simulcast
 *       layers are one `video` line each). Every packet has the VP8 payload
 *       descriptor (RFC 7741, 15-bit picture id); the first packet of a
 *       frame every KEYINT_MS is a key frame (frame tag with the key bit
 *       clear, the start code 9d 01 2a and a picture size), which the
 *       agent recognises: it holds a new subscriber until one.
 * SOURCE is the harness's name for the stream (a number), carried in every
 * packet so receivers can tell what they got.
 *
 * Every packet ends with a 32-byte marker: magic "WARM", the send epoch,
 * SOURCE, the stream's packet count, its voiced-packet count, flags (1:
 * silent, 2: video), and the send time (CLOCK_MONOTONIC ns; receivers on this machine
 * take one-way latency from it).
 *
 * Measuring:
 *   count E   receivers reset and count only packets of epoch E
 *   epoch E   senders stamp E from now on; answers what each peer sent
 *             under the previous epoch: {"sent":[[I,SOURCE,PKTS,VOICED],...]}
 *   report    what receivers counted of epoch E: per peer and source the
 *             packets, per received SSRC the sequence gaps within each run of
 *             one source (a slot changes source; its numbering is the
 *             agent's, the marker's count the sender's), latency histograms
 *             (audio and video, 50 us bins) and this process's CPU time
 *   start     begin sending (streams start at staggered phases)
 *   quit
 */
#ifndef WEBRTC_AGENT_BENCH_TOOLS_WEBRTC_PEER_ROOM_H_
#define WEBRTC_AGENT_BENCH_TOOLS_WEBRTC_PEER_ROOM_H_

// (It includes nothing: it sits inside webrtc_peer.cc's anonymous
// namespace; <unordered_map> is included there.)

constexpr uint32_t kRoomMagic = 0x5741524du;  // "WARM"
constexpr size_t kRoomMarker = 32;
constexpr uint64_t kAudioIntervalNs = 20000000u;
// A sender further behind than this skips what is due instead of bursting it.
constexpr uint64_t kMaxLagNs = 100000000u;
constexpr uint32_t kLatBinUs = 50;
constexpr uint32_t kLatBins = 200000;  // 50 us .. 10 s

struct RoomSend {
  bool video = false;
  uint32_t ssrc = 0, source = 0;
  uint8_t pt = 0, mid_ext = 0, second_ext = 0;  // level (audio) or RID (video) extension id
  std::string mid, rid;
  double fps = 50;
  int pkts = 1, size = 100;
  uint64_t keyint_ns = 0, next_key_ns = 0;
  uint16_t seq = 0, picture_id = 0;
  uint32_t ts = 0;
  uint64_t next_ns = 0;
  uint32_t count = 0, voiced = 0;           // marker counters (all epochs)
  uint64_t sent_epoch = 0, voiced_epoch = 0;  // sent under the current epoch
  uint64_t skipped = 0;
};

// One received SSRC: sequence gaps within each run of one source.
struct RoomRx {
  uint32_t ssrc = 0, source = 0;
  int kind = 0;  // 0 audio, 1 video
  bool have = false;
  uint32_t first = 0, max = 0;
  uint64_t n = 0;
  uint64_t span_done = 0, n_done = 0;
};

struct RoomPeer {
  std::vector<RoomSend> sends;
  uint8_t level = 127;
  bool muted = false;
  std::vector<RoomRx> rx;
  std::unordered_map<uint32_t, uint64_t> by_source;  // epoch packets per source
};

struct RoomState {
  std::vector<RoomPeer> peers;
  uint32_t send_epoch = 0, count_epoch = 0;
  bool sending = false;
  uint64_t stale = 0, bad = 0, srtp_failed = 0, short_pkts = 0, send_errors = 0;
  std::vector<uint32_t> lat[2];  // audio, video: 50 us bins
  uint64_t lat_n[2] = {};
  uint64_t cpu0 = 0, t0 = 0;
};

RoomState room;

size_t PutExtension(uint8_t *p, uint8_t id, const void *data, size_t len) {
  p[0] = (uint8_t)(id << 4 | (len - 1));
  memcpy(p + 1, data, len);
  return 1 + len;
}

// One packet of `s` into buf (capacity cap); returns its length.
size_t BuildRoomPacket(RoomSend &s, uint8_t level, bool silent, bool key, bool frame_start, bool frame_end,
                       uint8_t *buf, uint64_t now) {
  uint8_t *p = buf;
  p[0] = 0x90;  // V=2, X=1
  p[1] = (uint8_t)((frame_end ? 0x80 : 0) | s.pt);
  p[2] = (uint8_t)(s.seq >> 8);
  p[3] = (uint8_t)s.seq;
  const uint32_t ts = htonl(s.ts), ssrc = htonl(s.ssrc);
  memcpy(p + 4, &ts, 4);
  memcpy(p + 8, &ssrc, 4);
  // One-byte header extensions (RFC 8285).
  uint8_t *ext = p + 12;
  ext[0] = 0xBE;
  ext[1] = 0xDE;
  size_t el = 4;
  if (s.mid_ext && !s.mid.empty()) el += PutExtension(ext + el, s.mid_ext, s.mid.data(), s.mid.size());
  if (!s.video && s.second_ext) {
    const uint8_t lv = silent ? 127 : (uint8_t)(0x80 | level);
    el += PutExtension(ext + el, s.second_ext, &lv, 1);
  }
  if (s.video && s.second_ext && !s.rid.empty()) el += PutExtension(ext + el, s.second_ext, s.rid.data(), s.rid.size());
  while (el % 4) ext[el++] = 0;
  const uint16_t words = (uint16_t)((el - 4) / 4);
  ext[2] = (uint8_t)(words >> 8);
  ext[3] = (uint8_t)words;
  uint8_t *pl = ext + el;
  size_t size = s.video ? (size_t)s.size : silent ? 40 : 100;
  if (size < kRoomMarker + 16) size = kRoomMarker + 16;
  memset(pl, 0, size);
  if (s.video) {
    // VP8 payload descriptor: X, S on a frame's first packet, PID 0; I with
    // a 15-bit picture id.
    pl[0] = (uint8_t)(0x80 | (frame_start ? 0x10 : 0));
    pl[1] = 0x80;
    pl[2] = (uint8_t)(0x80 | ((s.picture_id >> 8) & 0x7f));
    pl[3] = (uint8_t)s.picture_id;
    if (frame_start) {
      // Frame tag: bit 0 clear on a key frame (then the start code and the
      // picture size, 640x360 little-endian), set otherwise.
      pl[4] = key ? 0x10 : 0x11;
      if (key) {
        pl[7] = 0x9d;
        pl[8] = 0x01;
        pl[9] = 0x2a;
        pl[10] = 640 & 0xff;
        pl[11] = 640 >> 8;
        pl[12] = 360 & 0xff;
        pl[13] = 360 >> 8;
      }
    }
  }
  uint8_t *m = pl + size - kRoomMarker;
  const uint32_t w[6] = {htonl(kRoomMagic), htonl(room.send_epoch), htonl(s.source), htonl(s.count),
                         htonl(s.voiced), htonl((silent ? 1u : 0u) | (s.video ? 2u : 0u))};
  memcpy(m, w, sizeof w);
  const uint64_t t = htobe64(now);
  memcpy(m + 24, &t, 8);
  return (size_t)(pl + size - buf);
}

void SendRoomPacket(Peer &p, RoomSend &s, uint8_t level, bool silent, bool key, bool start, bool end, uint64_t now) {
  static uint8_t buf[PKT_MAX];
  size_t len = BuildRoomPacket(s, level, silent, key, start, end, buf, now);
  s.seq++;
  s.count++;
  if (!silent) s.voiced++;
  if (!p.protect->ProtectRtp(buf, &len, sizeof buf)) {
    counters.protect_failed++;
    return;
  }
  if (send(p.fd, buf, len, 0) < 0) {
    room.send_errors++;
    return;
  }
  s.sent_epoch++;
  if (!silent) s.voiced_epoch++;
}

// Everything due by `now`: audio packets and video frames.
void RoomSendDue(uint64_t now) {
  for (size_t i = 0; i < peers.size(); i++) {
    Peer &p = peers[i];
    RoomPeer &rp = room.peers[i];
    if (!p.protect || rp.sends.empty()) continue;
    for (RoomSend &s : rp.sends) {
      const uint64_t interval = (uint64_t)(1e9 / s.fps);
      if (now > s.next_ns + kMaxLagNs) {
        const uint64_t behind = (now - s.next_ns) / interval;
        s.skipped += behind;
        s.next_ns += behind * interval;
      }
      while (s.next_ns <= now) {
        s.next_ns += interval;
        if (!s.video) {
          if (!rp.muted) SendRoomPacket(p, s, rp.level, rp.level >= 127, false, true, false, now);
          s.ts += 960;
          continue;
        }
        const bool key = now >= s.next_key_ns;
        if (key) s.next_key_ns = now + s.keyint_ns;
        for (int k = 0; k < s.pkts; k++) SendRoomPacket(p, s, 0, false, key && k == 0, k == 0, k == s.pkts - 1, now);
        s.picture_id = (uint16_t)((s.picture_id + 1) & 0x7fff);
        s.ts += (uint32_t)(90000 / s.fps);
      }
    }
  }
}

void RoomOnRtp(size_t idx, uint8_t *d, size_t len, uint64_t rx) {
  Peer &peer = peers[idx];
  RoomPeer &rp = room.peers[idx];
  if (!peer.unprotect) {
    room.bad++;
    return;
  }
  if (peer.unprotect->UnprotectRtp(d, &len) != srtp::Result::kOk) {
    room.srtp_failed++;
    return;
  }
  if (len < 12 + kRoomMarker) {
    room.short_pkts++;
    return;
  }
  uint32_t w[6];
  memcpy(w, d + len - kRoomMarker, sizeof w);
  if (ntohl(w[0]) != kRoomMagic) {
    room.bad++;
    return;
  }
  if (ntohl(w[1]) != room.count_epoch) {
    room.stale++;
    return;
  }
  const uint32_t source = ntohl(w[2]), count = ntohl(w[3]);
  uint64_t tns;
  memcpy(&tns, d + len - 8, 8);
  const int64_t lat = (int64_t)(rx - be64toh(tns));
  const int kind = (ntohl(w[5]) & 2u) ? 1 : 0;  // audio, video
  uint64_t bin = lat < 0 ? 0 : (uint64_t)lat / 1000u / kLatBinUs;
  room.lat[kind][bin < kLatBins ? bin : kLatBins - 1]++;
  room.lat_n[kind]++;
  rp.by_source[source]++;
  uint32_t ssrc;
  memcpy(&ssrc, d + 8, 4);
  RoomRx *r = nullptr;
  for (RoomRx &x : rp.rx) {
    if (x.ssrc == ssrc) r = &x;
  }
  if (!r) {
    rp.rx.push_back(RoomRx{});
    r = &rp.rx.back();
    r->ssrc = ssrc;
    r->kind = kind;
  }
  // A new source on this SSRC (a slot switched) closes the run.
  if (!r->have || r->source != source) {
    if (r->have) {
      r->span_done += (uint64_t)(r->max - r->first) + 1;
      r->n_done += r->n;
    }
    r->have = true;
    r->source = source;
    r->first = r->max = count;
    r->n = 1;
    return;
  }
  r->n++;
  if ((int32_t)(count - r->max) > 0) r->max = count;
  if ((int32_t)(count - r->first) < 0) r->first = count;
}

void RoomCount(uint32_t epoch) {
  room.count_epoch = epoch;
  for (RoomPeer &rp : room.peers) {
    rp.rx.clear();
    rp.by_source.clear();
  }
  for (auto &l : room.lat) std::fill(l.begin(), l.end(), 0u);
  room.lat_n[0] = room.lat_n[1] = 0;
  room.stale = room.bad = room.srtp_failed = room.short_pkts = 0;
  room.cpu0 = cpu_us();
  room.t0 = now_ns();
  printf("{\"count\":%u}\n", epoch);
  fflush(stdout);
}

void RoomEpoch(uint32_t epoch) {
  std::string out = "{\"epoch\":" + std::to_string(epoch) + ",\"previous\":" + std::to_string(room.send_epoch) +
                    ",\"sent\":[";
  bool first = true;
  uint64_t skipped = 0;
  for (size_t i = 0; i < room.peers.size(); i++) {
    for (RoomSend &s : room.peers[i].sends) {
      out += (first ? "[" : ",[") + std::to_string(i) + "," + std::to_string(s.source) + "," +
             std::to_string(s.sent_epoch) + "," + std::to_string(s.voiced_epoch) + "]";
      first = false;
      s.sent_epoch = s.voiced_epoch = 0;
      skipped += s.skipped;
    }
  }
  room.send_epoch = epoch;
  out += "],\"skipped\":" + std::to_string(skipped) + ",\"send_errors\":" + std::to_string(room.send_errors) +
         ",\"protect_failed\":" + std::to_string(counters.protect_failed) + "}";
  puts(out.c_str());
  fflush(stdout);
}

void RoomReport() {
  std::string out = "{\"report\":" + std::to_string(room.count_epoch) + ",\"peers\":[";
  uint64_t span = 0, n = 0;
  for (size_t i = 0; i < room.peers.size(); i++) {
    RoomPeer &rp = room.peers[i];
    out += (i ? ",{" : "{") + std::string("\"rx\":{");
    bool first = true;
    for (auto &kv : rp.by_source) {
      out += (first ? "\"" : ",\"") + std::to_string(kv.first) + "\":" + std::to_string(kv.second);
      first = false;
    }
    uint64_t seg[2][2] = {};  // per kind: packets, span of the runs
    for (RoomRx &r : rp.rx) {
      seg[r.kind][0] += r.n_done + r.n;
      seg[r.kind][1] += r.span_done + (r.have ? (uint64_t)(r.max - r.first) + 1 : 0);
    }
    const uint64_t pn = seg[0][0] + seg[1][0], pspan = seg[0][1] + seg[1][1];
    span += pspan;
    n += pn;
    out += "},\"ssrcs\":" + std::to_string(rp.rx.size()) + ",\"span\":" + std::to_string(pspan) +
           ",\"n\":" + std::to_string(pn) + ",\"seg\":[" + std::to_string(seg[0][0]) + "," +
           std::to_string(seg[0][1]) + "," + std::to_string(seg[1][0]) + "," + std::to_string(seg[1][1]) + "]}";
  }
  out += "],\"span\":" + std::to_string(span) + ",\"n\":" + std::to_string(n) + ",\"lat\":[";
  for (int k = 0; k < 2; k++) {
    out += k ? ",[" : "[";
    bool first = true;
    for (uint32_t b = 0; b < kLatBins; b++) {
      if (!room.lat[k][b]) continue;
      out += (first ? "[" : ",[") + std::to_string(b * kLatBinUs) + "," + std::to_string(room.lat[k][b]) + "]";
      first = false;
    }
    out += "]";
  }
  const uint64_t el_us = (now_ns() - room.t0) / 1000u;
  out += "],\"stale\":" + std::to_string(room.stale) + ",\"bad\":" + std::to_string(room.bad) +
         ",\"srtp_failed\":" + std::to_string(room.srtp_failed) + ",\"short\":" + std::to_string(room.short_pkts) +
         ",\"rtcp_in\":" + std::to_string(counters.rtcp_in) + ",\"cpu_us\":" + std::to_string(cpu_us() - room.cpu0) +
         ",\"elapsed_us\":" + std::to_string(el_us) + "}";
  puts(out.c_str());
  fflush(stdout);
}

// "audio I SSRC PT MIDEXT LEVELEXT MID SOURCE" or
// "video I SSRC PT MIDEXT RIDEXT MID RID FPS PKTS SIZE KEYINT_MS SOURCE"
bool RoomAddStream(const char *cmd) {
  unsigned i, ssrc, pt, e1, e2, source, pkts = 1, size = 100, keyint = 0;
  char mid[32], rid[32] = "-";
  double fps = 50;
  RoomSend s;
  if (strncmp(cmd, "audio ", 6) == 0) {
    if (sscanf(cmd + 6, "%u %u %u %u %u %31s %u", &i, &ssrc, &pt, &e1, &e2, mid, &source) != 7) return false;
  } else if (sscanf(cmd + 6, "%u %u %u %u %u %31s %31s %lf %u %u %u %u", &i, &ssrc, &pt, &e1, &e2, mid, rid, &fps,
                    &pkts, &size, &keyint, &source) == 12) {
    s.video = true;
  } else {
    return false;
  }
  if (i >= room.peers.size() || pt > 127 || e1 > 14 || e2 > 14 || fps <= 0 || fps > 1000 || pkts < 1 || pkts > 64 ||
      size < kRoomMarker + 16 || size > 1400)
    return false;
  s.ssrc = ssrc;
  s.pt = (uint8_t)pt;
  s.mid_ext = (uint8_t)e1;
  s.second_ext = (uint8_t)e2;
  s.mid = mid;
  if (strcmp(rid, "-") != 0) s.rid = rid;
  s.fps = fps;
  s.pkts = (int)pkts;
  s.size = (int)size;
  s.keyint_ns = (uint64_t)keyint * 1000000u;
  s.source = source;
  RAND_bytes((uint8_t *)&s.seq, sizeof s.seq);
  RAND_bytes((uint8_t *)&s.ts, sizeof s.ts);
  room.peers[i].sends.push_back(s);
  return true;
}

void RoomStart() {
  const uint64_t now = now_ns();
  uint64_t k = 0;
  size_t streams = 0;
  for (RoomPeer &rp : room.peers) streams += rp.sends.size();
  // Phases spread over one audio interval, so 300 peers do not send at once.
  for (RoomPeer &rp : room.peers) {
    for (RoomSend &s : rp.sends) {
      s.next_ns = now + (streams ? kAudioIntervalNs * k++ / streams : 0);
      s.next_key_ns = s.next_ns;
    }
  }
  room.sending = true;
}

void RoomCommand(const char *cmd, uint64_t handshake_ms, bool *quit) {
  if (HandleCommonCommand(cmd, handshake_ms)) return;
  unsigned i, v;
  bool ok = true;
  if (strncmp(cmd, "audio ", 6) == 0 || strncmp(cmd, "video ", 6) == 0) {
    ok = RoomAddStream(cmd);
  } else if (sscanf(cmd, "level %u %u", &i, &v) == 2 && i < room.peers.size() && v <= 127) {
    room.peers[i].level = (uint8_t)v;
  } else if (sscanf(cmd, "mute %u %u", &i, &v) == 2 && i < room.peers.size()) {
    room.peers[i].muted = v != 0;
  } else if (sscanf(cmd, "count %u", &v) == 1) {
    RoomCount(v);
    return;
  } else if (sscanf(cmd, "epoch %u", &v) == 1) {
    RoomEpoch(v);
    return;
  } else if (strncmp(cmd, "report", 6) == 0) {
    RoomReport();
    return;
  } else if (strncmp(cmd, "start", 5) == 0) {
    RoomStart();
  } else if (strncmp(cmd, "quit", 4) == 0) {
    *quit = true;
  } else {
    ok = false;
  }
  printf(ok ? "{\"ok\":true}\n" : "{\"error\":\"bad command\"}\n");
  fflush(stdout);
}

int RunRoom(uint64_t end_ns, uint64_t handshake_ms) {
  room.peers.resize(peers.size());
  for (auto &l : room.lat) l.assign(kLatBins, 0u);
  int ep = epoll_create1(0);
  if (ep < 0) { perror("epoll_create1"); return 1; }
  for (size_t i = 0; i <= peers.size(); i++) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = i < peers.size() ? (uint32_t)i : UINT32_MAX;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, i < peers.size() ? peers[i].fd : 0, &ev) != 0) { perror("epoll_ctl"); return 1; }
  }
  static uint8_t bufs[64][PKT_MAX];
  static mmsghdr msgs[64];
  static iovec iov[64];
  for (int i = 0; i < 64; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = PKT_MAX;
    memset(&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  static epoll_event evs[512];
  bool quit = false;
  while (!quit && !stop_flag) {
    uint64_t now = now_ns();
    if (now >= end_ns) break;
    ConsentTick(now / 1000000u);
    if (room.sending) RoomSendDue(now);
    int n = epoll_wait(ep, evs, 512, 1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      break;
    }
    for (int e = 0; e < n && !quit; e++) {
      const uint32_t idx = evs[e].data.u32;
      if (idx == UINT32_MAX) {
        if (!ReadCommands([&](const char *cmd) { RoomCommand(cmd, handshake_ms, &quit); })) quit = true;
        continue;
      }
      Peer &peer = peers[idx];
      const int got = recvmmsg(peer.fd, msgs, 64, MSG_DONTWAIT, nullptr);
      if (got <= 0) continue;
      const uint64_t rx = now_ns();
      for (int i = 0; i < got; i++) {
        uint8_t *d = bufs[i];
        const size_t len = msgs[i].msg_len;
        if (len >= 2 && d[0] >= 128 && d[0] <= 191) {
          if (d[1] >= 192 && d[1] <= 223) counters.rtcp_in++;
          else RoomOnRtp(idx, d, len, rx);
        } else if (!OnControl(peer, d, len, rx / 1000000u)) {
          counters.other_in++;
        }
      }
    }
  }
  return 0;
}

#endif  // WEBRTC_AGENT_BENCH_TOOLS_WEBRTC_PEER_ROOM_H_
