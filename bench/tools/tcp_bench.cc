// tcp_bench: what one packet costs on the ICE-TCP path against the UDP path,
// in the same run, on 127.0.0.1, one thread, no agent around it: the
// syscalls and the user-space work the agent does per packet on each path.
//
//   tcp_bench PACKETS RUNS SIZE
//
// Per run and path, PACKETS packets of SIZE bytes go through in batches of
// 64 (64 sends, then receive until all 64 are in):
//   udp:    sendto() on one UDP socket (as uv_udp_try_send), recvmmsg() of
//           up to 64 on the other (as the agent's UdpSocket);
//   tcp:    writev() of the 2-byte RFC 4571 header and the packet (as
//           uv_try_write), read() of up to 64 KiB on the accepted end and
//           Rfc4571Framer::Feed over it (as TcpConnection);
//   framer: Feed alone over the same stream held in memory, read in 64 KiB
//           chunks (the user-space share of the tcp figure).
// The runs interleave the paths. Prints one JSON line per path with the ns
// per packet of every run.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "net/rfc4571_framer.h"

using webrtc_agent::net::Rfc4571Framer;

namespace {

constexpr int kBatch = 64;

double NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

void Die(const char* what) {
  std::perror(what);
  std::exit(1);
}

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}

int BoundPort(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

double RunUdp(int packets, size_t size) {
  const int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a = Loopback(0);
  if (bind(rx, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) Die("bind");
  const sockaddr_in to = Loopback(BoundPort(rx));
  int buf = 4 << 20;
  setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  std::vector<uint8_t> pkt(size, 0x80);
  std::vector<char> slots(kBatch * 2048);
  mmsghdr msgs[kBatch];
  iovec iovs[kBatch];
  for (int i = 0; i < kBatch; ++i) {
    iovs[i] = {slots.data() + i * 2048, 2048};
    std::memset(&msgs[i], 0, sizeof(msgs[i]));
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  const double t0 = NowNs();
  for (int done = 0; done < packets; done += kBatch) {
    for (int i = 0; i < kBatch; ++i) {
      if (sendto(tx, pkt.data(), size, 0, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) != static_cast<ssize_t>(size)) Die("sendto");
    }
    for (int got = 0; got < kBatch;) {
      const int n = recvmmsg(rx, msgs, kBatch, 0, nullptr);
      if (n < 0) Die("recvmmsg");
      got += n;
    }
  }
  const double ns = (NowNs() - t0) / packets;
  close(rx);
  close(tx);
  return ns;
}

double RunTcp(int packets, size_t size) {
  const int ls = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = Loopback(0);
  if (bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(ls, 1) != 0) Die("listen");
  const int tx = socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in to = Loopback(BoundPort(ls));
  if (connect(tx, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) != 0) Die("connect");
  const int rx = accept(ls, nullptr, nullptr);
  int one = 1;
  setsockopt(tx, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  std::vector<uint8_t> pkt(size, 0x80);
  std::vector<uint8_t> in(64 * 1024);
  Rfc4571Framer framer(2048);
  uint8_t hdr[2];
  Rfc4571Framer::WriteHeader(size, hdr);
  long frames = 0;
  const double t0 = NowNs();
  for (int done = 0; done < packets; done += kBatch) {
    for (int i = 0; i < kBatch; ++i) {
      iovec v[2] = {{hdr, 2}, {pkt.data(), size}};
      if (writev(tx, v, 2) != static_cast<ssize_t>(size + 2)) Die("writev");
    }
    const long want = frames + kBatch;
    while (frames < want) {
      const ssize_t n = read(rx, in.data(), in.size());
      if (n <= 0) Die("read");
      framer.Feed(in.data(), static_cast<size_t>(n), [&](const uint8_t*, size_t) { frames++; });
    }
  }
  const double ns = (NowNs() - t0) / packets;
  close(rx);
  close(tx);
  close(ls);
  return ns;
}

double RunFramer(int packets, size_t size) {
  std::vector<uint8_t> stream;
  for (int i = 0; i < 1024; ++i) {
    uint8_t hdr[2];
    Rfc4571Framer::WriteHeader(size, hdr);
    stream.insert(stream.end(), hdr, hdr + 2);
    stream.insert(stream.end(), size, 0x80);
  }
  Rfc4571Framer framer(2048);
  long frames = 0;
  const double t0 = NowNs();
  while (frames < packets) {
    for (size_t at = 0; at < stream.size(); at += 64 * 1024) {
      const size_t n = std::min<size_t>(64 * 1024, stream.size() - at);
      framer.Feed(stream.data() + at, n, [&](const uint8_t* d, size_t) { frames += d[0] == 0x80; });
    }
  }
  return (NowNs() - t0) / static_cast<double>(frames);
}

void Print(const char* path, std::vector<double> runs, size_t size, int packets) {
  std::vector<double> sorted = runs;
  std::sort(sorted.begin(), sorted.end());
  std::string list;
  for (double r : runs) list += (list.empty() ? "" : ",") + std::to_string(static_cast<int>(r));
  std::printf("{\"path\":\"%s\",\"size\":%zu,\"packets\":%d,\"ns_per_packet\":%.0f,\"runs\":[%s]}\n", path, size, packets,
              sorted[sorted.size() / 2], list.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const int packets = argc > 1 ? std::atoi(argv[1]) : 200000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  const size_t size = argc > 3 ? static_cast<size_t>(std::atoi(argv[3])) : 1200;
  if (packets < kBatch || runs < 1 || size < 12 || size > 2048) {
    std::fprintf(stderr, "usage: tcp_bench PACKETS>=64 RUNS>=1 SIZE(12..2048)\n");
    return 2;
  }
  std::vector<double> udp, tcp, framer;
  for (int r = 0; r < runs; ++r) {
    udp.push_back(RunUdp(packets, size));
    tcp.push_back(RunTcp(packets, size));
    framer.push_back(RunFramer(packets, size));
  }
  Print("udp", udp, size, packets);
  Print("tcp", tcp, size, packets);
  Print("framer", framer, size, packets);
  return 0;
}
