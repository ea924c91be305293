/*
 * c_forwarder: the physical-limit reference of the fanout bench (config d).
 *
 *   c_forwarder [--listen 127.0.0.1:0] (--dst-list P1,P2,... | --dst-base PORT --count N)
 *               [--dst-ip 127.0.0.1] [--rewrite-ssrc 1] [--rcvbuf BYTES] [--batch 64]
 *               [--duration S] [--srtp-master HEX]
 *
 * One thread, no event loop: a blocking recvmmsg (up to --batch packets,
 * MSG_WAITFORONE) on one UDP socket, then for every packet one sendto() per
 * destination, from one sending socket. Nothing is parsed and nothing is
 * copied in user space.
 *
 * --rewrite-ssrc 1 (default) writes a distinct SSRC (0x5f000000 + destination
 * index) into bytes 8..11 of the packet before each sendto, as an SFU gives
 * every subscription its own SSRC; --rewrite-ssrc 0 forwards the bytes
 * untouched. Either way the payload (rtp_gen's marker) is not touched.
 *
 * Built with -DWITH_SRTP (as c_forwarder_srtp, linked with srtp_c.cc and
 * addon/srtp) and given --srtp-master, it is the minimal SRTP SFU: each
 * packet is unprotected once (AEAD_AES_128_GCM, the key of stream 0, see
 * srtp_c.h), then for every destination copied, given that destination's
 * SSRC and protected with that destination's own key (stream d + 1) before
 * its sendto. Packets that fail to unprotect are dropped and counted.
 *
 * Prints {"ready":true,"port":P} on stdout once bound (P is the port it
 * listens on; --listen ...:0 picks one). On SIGINT/SIGTERM, after --duration
 * (default 600 s), or when its parent dies it prints a JSON line with its
 * counters and its CPU time from getrusage (user, system; the system part
 * includes the loopback receive path it drives for each sendto) and exits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#ifdef WITH_SRTP
#include "srtp_c.h"
#endif

#define MAX_DST 4096
#define MAX_BATCH 256
#define PKT_MAX 9216




static void usage(void) {
  fprintf(stderr,
          "usage: c_forwarder [--listen IP:PORT] (--dst-list P1,P2,... | --dst-base PORT --count N)\n"
          "                   [--dst-ip IP] [--rewrite-ssrc 0|1] [--rcvbuf BYTES] [--batch N] [--duration S]\n"
#ifdef WITH_SRTP
          "                   [--srtp-master HEX]\n"
#endif
          );
  exit(2);
}

int main(int argc, char **argv) {
  const char *listen_addr = "127.0.0.1:0", *dst_list = NULL, *dst_ip = "127.0.0.1";
  int dst_base = 0, count = 0, rewrite = 1, rcvbuf = 4 << 20, batch = 64;
  double duration = 600;
  const char *srtp_master = NULL;
  static const struct option opts[] = {
      {"listen", required_argument, 0, 'L'},   {"dst-list", required_argument, 0, 'l'},
      {"dst-base", required_argument, 0, 'b'}, {"count", required_argument, 0, 'n'},
      {"dst-ip", required_argument, 0, 'i'},   {"rewrite-ssrc", required_argument, 0, 'w'},
      {"rcvbuf", required_argument, 0, 'r'},   {"batch", required_argument, 0, 'm'},
      {"duration", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'},
      {"srtp-master", required_argument, 0, 'k'},
      {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
      case 'L': listen_addr = optarg; break;
      case 'l': dst_list = optarg; break;
      case 'b': dst_base = atoi(optarg); break;
      case 'n': count = atoi(optarg); break;
      case 'i': dst_ip = optarg; break;
      case 'w': rewrite = atoi(optarg); break;
      case 'r': rcvbuf = atoi(optarg); break;
      case 'm': batch = atoi(optarg); break;
      case 't': duration = atof(optarg); break;
      case 'k': srtp_master = optarg; break;
      default: usage();
    }
  }
  if (batch < 1 || batch > MAX_BATCH || duration <= 0) usage();

  static struct sockaddr_in dst[MAX_DST];
  int ndst = 0;
  struct in_addr dip;
  if (inet_pton(AF_INET, dst_ip, &dip) != 1) usage();
  if (dst_list) {
    char *dup = strdup(dst_list), *save = NULL;
    for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      if (ndst >= MAX_DST) usage();
      dst[ndst].sin_family = AF_INET;
      dst[ndst].sin_addr = dip;
      dst[ndst].sin_port = htons((uint16_t)atoi(tok));
      ndst++;
    }
    free(dup);
  } else if (dst_base && count > 0 && count <= MAX_DST) {
    for (; ndst < count; ndst++) {
      dst[ndst].sin_family = AF_INET;
      dst[ndst].sin_addr = dip;
      dst[ndst].sin_port = htons((uint16_t)(dst_base + ndst));
    }
  } else {
    usage();
  }

#ifdef WITH_SRTP
  /* One receiving session for the input stream, one sending session per
   * destination, each with its own key. */
  static bench_srtp *srtp_out[MAX_DST];
  bench_srtp *srtp_in = NULL;
  static uint8_t scratch[PKT_MAX + BENCH_SRTP_TAG_LEN];
  uint64_t srtp_unprotect_failed = 0, srtp_protect_failed = 0;
  if (srtp_master) {
    uint8_t base[BENCH_SRTP_MASTER_LEN], m[BENCH_SRTP_MASTER_LEN];
    if (bench_srtp_parse_master(srtp_master, base) != 0) {
      fprintf(stderr, "c_forwarder: --srtp-master: %d hex digits expected\n", 2 * BENCH_SRTP_MASTER_LEN);
      return 2;
    }
    bench_srtp_stream_master(base, 0, m);
    srtp_in = bench_srtp_new(m, 0);
    for (int d = 0; d < ndst && srtp_in; d++) {
      bench_srtp_stream_master(base, (uint32_t)d + 1, m);
      if (!(srtp_out[d] = bench_srtp_new(m, 1))) srtp_in = NULL;
    }
    if (!srtp_in) { fprintf(stderr, "c_forwarder: SRTP session setup failed\n"); return 1; }
  }
#else
  if (srtp_master) { fprintf(stderr, "c_forwarder: built without SRTP (see c_forwarder_srtp)\n"); return 2; }
#endif

  prctl(PR_SET_PDEATHSIG, SIGTERM);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: a signal ends the blocking recvmmsg */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGALRM, &sa, NULL);

  struct sockaddr_in la;
  if (parse_addr(listen_addr, &la) != 0) usage();
  int in = socket(AF_INET, SOCK_DGRAM, 0);
  int out = socket(AF_INET, SOCK_DGRAM, 0);
  if (in < 0 || out < 0) { perror("socket"); return 1; }
  /* Plain SO_RCVBUF, like Node's recvBufferSize: capped by net.core.rmem_max. */
  setsockopt(in, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  int sndbuf = 4 << 20;
  setsockopt(out, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (bind(in, (struct sockaddr *)&la, sizeof la) != 0) { perror("c_forwarder: bind"); return 1; }
  socklen_t al = sizeof la;
  getsockname(in, (struct sockaddr *)&la, &al);
  int eff_rcvbuf = 0;
  socklen_t ol = sizeof eff_rcvbuf;
  getsockopt(in, SOL_SOCKET, SO_RCVBUF, &eff_rcvbuf, &ol);
  printf("{\"ready\":true,\"port\":%u,\"dests\":%d,\"rcvbuf\":%d}\n", ntohs(la.sin_port), ndst, eff_rcvbuf);
  fflush(stdout);

  /* Bound the run: alarm() interrupts the blocking recvmmsg. */
  alarm((unsigned)(duration + 0.999));

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

  uint64_t received = 0, sent = 0, send_errors = 0, recv_calls = 0;
  int last_errno = 0;
  const uint64_t t0 = now_ns();
  while (!stop_flag) {
    int got = recvmmsg(in, msgs, (unsigned)batch, MSG_WAITFORONE, NULL);
    if (got < 0) {
      if (errno == EINTR) continue;
      perror("recvmmsg");
      break;
    }
    recv_calls++;
    received += (uint64_t)got;
    for (int i = 0; i < got; i++) {
      uint8_t *p = bufs[i];
      size_t len = msgs[i].msg_len;
      int can_rewrite = rewrite && len >= 12;
#ifdef WITH_SRTP
      if (srtp_in) {
        if (bench_srtp_unprotect(srtp_in, p, &len) != 0) {
          srtp_unprotect_failed++;
          continue;
        }
        for (int d = 0; d < ndst; d++) {
          /* Protect works in place: each destination gets its own copy. */
          memcpy(scratch, p, len);
          uint32_t ssrc = htonl(0x5f000000u + (uint32_t)d);
          memcpy(scratch + 8, &ssrc, 4);
          size_t olen = len;
          if (bench_srtp_protect(srtp_out[d], scratch, &olen, sizeof scratch) != 0) {
            srtp_protect_failed++;
            continue;
          }
          if (sendto(out, scratch, olen, 0, (struct sockaddr *)&dst[d], sizeof dst[d]) < 0) {
            send_errors++;
            last_errno = errno;
          } else {
            sent++;
          }
        }
        continue;
      }
#endif
      for (int d = 0; d < ndst; d++) {
        if (can_rewrite) {
          uint32_t ssrc = htonl(0x5f000000u + (uint32_t)d);
          memcpy(p + 8, &ssrc, 4);
        }
        if (sendto(out, p, len, 0, (struct sockaddr *)&dst[d], sizeof dst[d]) < 0) {
          send_errors++;
          last_errno = errno;
        } else {
          sent++;
        }
      }
    }
  }
  const double el = (double)(now_ns() - t0) / 1e9;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  uint64_t ut = (uint64_t)ru.ru_utime.tv_sec * 1000000ull + (uint64_t)ru.ru_utime.tv_usec;
  uint64_t st = (uint64_t)ru.ru_stime.tv_sec * 1000000ull + (uint64_t)ru.ru_stime.tv_usec;
#ifdef WITH_SRTP
  if (srtp_in) {
    printf("{\"srtp_unprotect_failed\":%llu,\"srtp_protect_failed\":%llu}\n",
           (unsigned long long)srtp_unprotect_failed, (unsigned long long)srtp_protect_failed);
    bench_srtp_free(srtp_in);
    for (int d = 0; d < ndst; d++) bench_srtp_free(srtp_out[d]);
  }
#endif
  printf("{\"tool\":\"c_forwarder\",\"dests\":%d,\"rewrite_ssrc\":%s,\"received\":%llu,\"sent\":%llu,"
         "\"send_errors\":%llu,\"last_errno\":%d,\"recv_calls\":%llu,\"elapsed_s\":%.3f,"
         "\"utime_us\":%llu,\"stime_us\":%llu,\"cpu_us\":%llu,\"cpu_us_per_sent\":%.4f}\n",
         ndst, rewrite ? "true" : "false", (unsigned long long)received, (unsigned long long)sent,
         (unsigned long long)send_errors, last_errno, (unsigned long long)recv_calls, el,
         (unsigned long long)ut, (unsigned long long)st, (unsigned long long)(ut + st),
         sent ? (double)(ut + st) / (double)sent : 0.0);
  fflush(stdout);
  return 0;
}
