/*
 * rtp_sink: the receiving end of the fanout bench.
 *
 *   rtp_sink (--count N [--base PORT] | --list P1,P2,...) [--bind 127.0.0.1]
 *            [--duration S] [--idle-ms MS] [--first-timeout-ms MS]
 *            [--rcvbuf BYTES] [--batch 64] [--late-ms MS] [--control]
 *
 * Binds N UDP ports: --base PORT and --count N for PORT..PORT+N-1, --list for
 * given ports, or --count N alone for N ephemeral ports chosen by the kernel.
 * Reads them all from one thread with epoll (level-triggered; one recvmmsg of
 * up to --batch packets per ready socket per wakeup).
 *
 * Per port it counts packets and follows the generator's 32-bit sequence
 * number (rtp_gen's payload marker, found after the RTP header, CSRCs and
 * header extension, so a forwarder may rewrite or extend the header): the
 * packets missing between the first and the highest sequence number seen are
 * "seq_lost" (tail loss is not visible here: compare "received" with what the
 * generator sent). Packets without the marker (RTCP, anything else) are
 * counted as "bad", not as received.
 *
 * One-way latency = the CLOCK_MONOTONIC time right after the recvmmsg call
 * that returned the packet, minus the send time in the payload (same machine,
 * same clock); it includes the time the packet waited in this sink's socket
 * buffer. Every packet goes into a histogram (1 us buckets below 65.536 ms,
 * 1 ms buckets above), so p50/p99 are over all packets, not a sample. With
 * --late-ms, packets slower than that are also counted as "over_deadline".
 *
 * On start it prints {"ready":true,"ports":[...]} on stdout. It ends when
 * --duration elapses (default 60 s), when no packet came for --idle-ms after
 * the first one, when none came within --first-timeout-ms, on SIGINT/SIGTERM,
 * or when its parent dies; then it prints one JSON summary line, with its own
 * CPU time (getrusage) and per-port counts.
 *
 * --control: commands on stdin, one per line, for a harness that keeps the
 * sink across many measurements:
 *   expect ID                   count only packets of generator stream ID
 *                               (others are "stale": a backlog of an earlier
 *                               step); "expect" alone counts every stream.
 *                               Answers {"expect":ID} once in force
 *   report [IDLE_MS [MAX_MS]]   wait until no packet came for IDLE_MS
 *                               (default 200), at most MAX_MS (default 3000),
 *                               print a summary of everything since the last
 *                               report ("why":"report", or "report-deadline"
 *                               if packets were still coming), and reset the
 *                               counters
 *   quit                        print a summary and exit
 * End of stdin also ends the sink. The idle and first-packet timeouts are off
 * in this mode; --duration still bounds it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "sink_stats.h"

static void usage(void) {
  fprintf(stderr,
          "usage: rtp_sink (--count N [--base PORT] | --list P1,P2,...) [--bind IP] [--duration S]\n"
          "                [--idle-ms MS] [--first-timeout-ms MS] [--rcvbuf BYTES] [--batch N] [--late-ms MS]\n"
          "                [--control]\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *bind_ip = "127.0.0.1", *list = NULL;
  int count = 0, base = 0, batch = 64, control = 0, rcvbuf = 1 << 20;
  double duration = 60, idle_ms = 0, first_timeout_ms = 0;
  static const struct option opts[] = {
      {"count", required_argument, 0, 'n'},    {"base", required_argument, 0, 'b'},
      {"list", required_argument, 0, 'l'},     {"bind", required_argument, 0, 'B'},
      {"duration", required_argument, 0, 't'}, {"idle-ms", required_argument, 0, 'i'},
      {"first-timeout-ms", required_argument, 0, 'f'}, {"rcvbuf", required_argument, 0, 'r'},
      {"batch", required_argument, 0, 'm'},    {"control", no_argument, 0, 'c'},
      {"late-ms", required_argument, 0, 'L'},
      {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
      case 'n': count = atoi(optarg); break;
      case 'b': base = atoi(optarg); break;
      case 'l': list = optarg; break;
      case 'B': bind_ip = optarg; break;
      case 't': duration = atof(optarg); break;
      case 'i': idle_ms = atof(optarg); break;
      case 'f': first_timeout_ms = atof(optarg); break;
      case 'r': rcvbuf = atoi(optarg); break;
      case 'm': batch = atoi(optarg); break;
      case 'c': control = 1; break;
      case 'L': deadline_ns = (uint64_t)(atof(optarg) * 1e6); break;
      default: usage();
    }
  }
  if (batch < 1 || batch > MAX_BATCH || duration <= 0) usage();
  uint16_t want[MAX_PORTS];
  if (list) {
    char *dup = strdup(list), *save = NULL;
    for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      if (nports >= MAX_PORTS) usage();
      want[nports++] = (uint16_t)atoi(tok);
    }
    free(dup);
  } else {
    if (count < 1 || count > MAX_PORTS) usage();
    for (int i = 0; i < count; i++) want[nports++] = base ? (uint16_t)(base + i) : 0;
  }

  prctl(PR_SET_PDEATHSIG, SIGTERM);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  int ep = epoll_create1(0);
  if (ep < 0) { perror("epoll_create1"); return 1; }
  for (int i = 0; i < nports; i++) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) { perror("socket"); return 1; }
    /* As root, FORCE passes net.core.rmem_max; otherwise plain SO_RCVBUF. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(want[i]);
    if (inet_pton(AF_INET, bind_ip, &a.sin_addr) != 1) { fprintf(stderr, "rtp_sink: bad --bind\n"); return 2; }
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
      fprintf(stderr, "rtp_sink: bind %s:%u: %s\n", bind_ip, want[i], strerror(errno));
      return 1;
    }
    socklen_t al = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &al);
    ports[i].fd = fd;
    ports[i].port = ntohs(a.sin_port);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) { perror("epoll_ctl"); return 1; }
  }
  if (control) {
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) != 0) { perror("epoll_ctl stdin"); return 1; }
  }
  printf("{\"ready\":true,\"ports\":[");
  for (int i = 0; i < nports; i++) printf("%s%u", i ? "," : "", ports[i].port);
  printf("]}\n");
  fflush(stdout);

  static uint8_t bufs[MAX_BATCH][PKT_MAX];
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  for (int i = 0; i < batch; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = PKT_MAX;
    memset(&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }

  const uint64_t t0 = now_ns();
  const uint64_t end = t0 + (uint64_t)(duration * 1e9);
  uint64_t rep_t0 = t0, rep_cpu0 = cpu_us();
  struct sink_report report = {0};
  char cmd[512];
  size_t cmd_len = 0;
  const char *why = "duration";
  struct epoll_event evs[512];

  for (;;) {
    if (stop_flag) { why = "signal"; break; }
    uint64_t now = now_ns();
    if (now >= end) { why = "duration"; break; }
    if (!control) {
      if (idle_ms > 0 && last_rx_ns && now - last_rx_ns >= (uint64_t)(idle_ms * 1e6)) { why = "idle"; break; }
      if (first_timeout_ms > 0 && !last_rx_ns && now - t0 >= (uint64_t)(first_timeout_ms * 1e6)) {
        why = "first-timeout";
        break;
      }
    }
    const char *due = sink_report_due(&report, now);
    if (due) {
      print_summary(due, rep_t0, rep_cpu0, "");
      reset_counters();
      rep_t0 = now_ns();
      rep_cpu0 = cpu_us();
    }
    int timeout_ms = report.pending ? 5 : 50;
    int n = epoll_wait(ep, evs, 512, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      break;
    }
    for (int e = 0; e < n; e++) {
      uint32_t idx = evs[e].data.u32;
      if (idx == UINT32_MAX) { /* stdin: commands */
        ssize_t r = read(0, cmd + cmd_len, sizeof cmd - 1 - cmd_len);
        if (r == 0) { why = "stdin-closed"; stop_flag = 2; break; }
        if (r < 0) continue;
        cmd_len += (size_t)r;
        cmd[cmd_len] = 0;
        char *nl;
        while ((nl = strchr(cmd, '\n')) != NULL) {
          *nl = 0;
          if (sink_command(&report, cmd)) {
            why = "quit";
            stop_flag = 2;
          }
          size_t used = (size_t)(nl - cmd) + 1;
          memmove(cmd, nl + 1, cmd_len - used + 1);
          cmd_len -= used;
        }
        if (cmd_len >= sizeof cmd - 1) cmd_len = 0; /* garbage: drop it */
        continue;
      }
      struct port_state *ps = &ports[idx];
      int got = recvmmsg(ps->fd, msgs, (unsigned)batch, MSG_DONTWAIT, NULL);
      if (got <= 0) continue;
      uint64_t rx = now_ns();
      if (!first_rx_ns) first_rx_ns = rx;
      last_rx_ns = rx;
      for (int i = 0; i < got; i++) on_packet(ps, bufs[i], msgs[i].msg_len, rx);
    }
    if (stop_flag == 2) break;
  }
  if (stop_flag == 1) why = "signal";
  print_summary(why, rep_t0, rep_cpu0, "");
  return 0;
}
