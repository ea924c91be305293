/*
 * rtp_gen: an RTP load generator for the fanout bench.
 *
 *   rtp_gen --dst 127.0.0.1:40000 [--rate PPS] [--duration S] [--count N]
 *           [--size 1200] [--ssrc 0x5eed0001] [--pt 96] [--stream ID]
 *           [--tick-us 500] [--max-lag-us 2000] [--gso 1] [--bind IP:PORT]
 *           [--audio-level ID]
 *
 * Sends RTP v2 packets (one SSRC, PT 96, sequence number and timestamp
 * incrementing by one packet each; --size is the whole RTP packet, header
 * included) to one ip:port, paced to --rate packets/s (0: as fast as it can),
 * until --duration seconds or --count packets, whichever comes first.
 *
 * Pacing: the sender sleeps with clock_nanosleep(TIMER_ABSTIME) until about
 * --tick-us worth of packets are due (at least one), then sends them in one
 * burst. A wakeup costs about 25 us of CPU on this VM, so the default tick,
 * 500 us, keeps the generator at a few % of a core at any rate. With
 * --gso 1 (default) a burst goes out as one UDP GSO send (one destination, up
 * to 64 segments), so the generator costs well under a microsecond per packet
 * and is never the bottleneck of a loopback forwarder; --gso 0 uses one send()
 * per packet. If it falls behind by more than --max-lag-us (it was
 * descheduled), it drops that debt rather than sending one huge burst, and
 * reports the packets it skipped ("late_skipped"); achieved_pps then falls
 * short of the target.
 *
 * Payload, at RTP payload offset 0 (all big-endian), read by rtp_sink:
 *   +0  u32 magic 0x57414221 ("WAB!")
 *   +4  u32 stream id (one per generator run)
 *   +8  u32 sequence number (0, 1, 2 ...; 32-bit, unlike RTP's 16-bit one)
 *   +12 u32 reserved (0)
 *   +16 u64 send time, CLOCK_MONOTONIC ns (taken just before the send call)
 * The rest of the payload is zeros.
 *
 * Prints one JSON line on stdout at exit: sent, achieved rate, its own CPU.
 * Exits on SIGINT/SIGTERM (the summary is still printed) and when its parent
 * dies.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
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
#include "gen_pacer.h"

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define GSO_MAX_SEGS 64
#define UDP_MAX_PAYLOAD 65507






static void usage(void) {
  fprintf(stderr,
          "usage: rtp_gen --dst IP:PORT [--rate PPS (0 = max)] [--duration S] [--count N] [--size BYTES]\n"
          "               [--ssrc N] [--pt N] [--stream ID] [--tick-us US] [--max-lag-us US] [--gso 0|1]\n"
          "               [--bind IP:PORT] [--audio-level EXT_ID (1..14)]\n");
  exit(2);
}

/* --audio-level: an RFC 8285 one-byte extension block (8 bytes) after the
 * fixed header, holding one RFC 6464 audio level, the marker moved behind
 * it (the sinks skip extensions). The level follows a talk pattern: a second
 * of speech at -20..-59 dBov (V set), then a second of silence (127). */
#define GEN_LEVEL_EXT 8
static void add_level_ext(uint8_t *q, int id, uint32_t n) {
  memmove(q + GEN_HDR + GEN_LEVEL_EXT, q + GEN_HDR, GEN_MARK_LEN);
  q[0] |= 0x10;
  q[GEN_HDR] = 0xBE;
  q[GEN_HDR + 1] = 0xDE;
  q[GEN_HDR + 2] = 0;
  q[GEN_HDR + 3] = 1;
  q[GEN_HDR + 4] = (uint8_t)(id << 4);
  q[GEN_HDR + 5] = ((n / 50) % 2 == 0) ? (uint8_t)(0x80 | (20 + n % 40)) : 127;
  q[GEN_HDR + 6] = 0;
  q[GEN_HDR + 7] = 0;
}

int main(int argc, char **argv) {
  const char *dst = NULL, *bind_addr = NULL;
  double rate = 0, duration = 0;
  uint64_t count = 0;
  int size = 1200, pt = 96, use_gso = 1;
  uint32_t ssrc = 0x5eed0001u, stream = (uint32_t)getpid() ^ (uint32_t)now_ns();
  double tick_us = 500, max_lag_us = 2000;
  int audio_level = 0; /* RFC 6464 extension id; 0: none */

  static const struct option opts[] = {
      {"dst", required_argument, 0, 'd'},      {"rate", required_argument, 0, 'r'},
      {"duration", required_argument, 0, 't'}, {"count", required_argument, 0, 'n'},
      {"size", required_argument, 0, 's'},     {"ssrc", required_argument, 0, 'S'},
      {"pt", required_argument, 0, 'p'},       {"stream", required_argument, 0, 'i'},
      {"tick-us", required_argument, 0, 'k'},  {"max-lag-us", required_argument, 0, 'l'},
      {"gso", required_argument, 0, 'g'},      {"bind", required_argument, 0, 'b'},
      {"audio-level", required_argument, 0, 'a'},
      {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
      case 'd': dst = optarg; break;
      case 'r': rate = atof(optarg); break;
      case 't': duration = atof(optarg); break;
      case 'n': count = strtoull(optarg, NULL, 0); break;
      case 's': size = atoi(optarg); break;
      case 'S': ssrc = (uint32_t)strtoul(optarg, NULL, 0); break;
      case 'p': pt = atoi(optarg); break;
      case 'i': stream = (uint32_t)strtoul(optarg, NULL, 0); break;
      case 'k': tick_us = atof(optarg); break;
      case 'l': max_lag_us = atof(optarg); break;
      case 'g': use_gso = atoi(optarg); break;
      case 'b': bind_addr = optarg; break;
      case 'a': audio_level = atoi(optarg); break;
      default: usage();
    }
  }
  if (!dst || (duration <= 0 && count == 0)) usage();
  if (size < GEN_HDR + GEN_MARK_LEN || size > 9000) {
    fprintf(stderr, "rtp_gen: --size must be %d..9000\n", GEN_HDR + GEN_MARK_LEN);
    return 2;
  }
  if (pt < 0 || pt > 127 || rate < 0 || tick_us <= 0 || audio_level < 0 || audio_level > 14) usage();
  if (audio_level && size < GEN_HDR + GEN_LEVEL_EXT + GEN_MARK_LEN) {
    fprintf(stderr, "rtp_gen: --size must be at least %d with --audio-level\n", GEN_HDR + GEN_LEVEL_EXT + GEN_MARK_LEN);
    return 2;
  }

  prctl(PR_SET_PDEATHSIG, SIGTERM);
  prctl(PR_SET_TIMERSLACK, 1UL); /* precise sleeps: the default slack is 50 us */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  struct sockaddr_in to;
  if (parse_addr(dst, &to) != 0) {
    fprintf(stderr, "rtp_gen: bad --dst %s\n", dst);
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) { perror("socket"); return 1; }
  int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (bind_addr) {
    struct sockaddr_in b;
    if (parse_addr(bind_addr, &b) != 0 || bind(fd, (struct sockaddr *)&b, sizeof b) != 0) {
      perror("rtp_gen: bind");
      return 1;
    }
  }
  if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) { perror("connect"); return 1; }

  int max_burst = 1;
  if (use_gso) {
    int seg = size;
    if (setsockopt(fd, SOL_UDP, UDP_SEGMENT, &seg, sizeof seg) == 0) {
      max_burst = UDP_MAX_PAYLOAD / size;
      if (max_burst > GSO_MAX_SEGS) max_burst = GSO_MAX_SEGS;
    } else {
      use_gso = 0;
    }
  }
  if (!use_gso) max_burst = 64; /* packets per wakeup, one send() each */

  uint8_t *buf = calloc((size_t)GSO_MAX_SEGS, (size_t)size);
  if (!buf) return 1;

  uint64_t sent = 0, errors = 0, sends = 0;
  int last_errno = 0;
  uint16_t rtp_seq = (uint16_t)(stream & 0xffff);
  uint32_t rtp_ts = stream * 7u;
  const uint64_t end_ns_rel = duration > 0 ? (uint64_t)(duration * 1e9) : UINT64_MAX;
  uint64_t cpu0 = cpu_us();
  const uint64_t t0 = now_ns();
  struct gen_pacer pacer;
  gen_pacer_init(&pacer, rate, tick_us, max_lag_us, max_burst, t0,
                 end_ns_rel == UINT64_MAX ? UINT64_MAX : t0 + end_ns_rel);
  pacer.limit = count;

  while (!stop_flag) {
    uint64_t now = now_ns();
    if (now - t0 >= end_ns_rel) break;
    if (count && pacer.attempted >= count) break;
    const uint64_t n = gen_pacer_next(&pacer, now);
    if (n == 0) continue;

    uint64_t ts = now_ns();
    for (uint64_t i = 0; i < n; i++) {
      gen_write_packet(buf + i * (uint64_t)size, pt, (uint16_t)(rtp_seq + i), rtp_ts + (uint32_t)i * 3000u, ssrc,
                       stream, (uint32_t)(sent + i), ts);
      if (audio_level) add_level_ext(buf + i * (uint64_t)size, audio_level, (uint32_t)(sent + i));
    }
    uint64_t ok = 0;
    if (use_gso) {
      ssize_t r = send(fd, buf, (size_t)(n * (uint64_t)size), 0);
      sends++;
      if (r >= 0) ok = n;
      else last_errno = errno;
    } else {
      for (uint64_t i = 0; i < n; i++) {
        ssize_t r = send(fd, buf + i * (uint64_t)size, (size_t)size, 0);
        sends++;
        if (r >= 0) ok++;
        else last_errno = errno;
      }
    }
    errors += n - ok;
    /* Only packets that left count: sequence numbers stay contiguous. */
    sent += ok;
    rtp_seq = (uint16_t)(rtp_seq + ok);
    rtp_ts += (uint32_t)ok * 3000u;
  }
  const uint64_t t1 = now_ns();
  const uint64_t cpu = cpu_us() - cpu0;
  const double el = (double)(t1 - t0) / 1e9;
  printf("{\"tool\":\"rtp_gen\",\"dst\":\"%s\",\"size\":%d,\"ssrc\":%u,\"pt\":%d,\"stream\":%u,"
         "\"gso\":%s,\"target_pps\":%.1f,\"sent\":%llu,\"errors\":%llu,\"last_errno\":%d,"
         "\"late_skipped\":%llu,\"send_calls\":%llu,\"elapsed_s\":%.4f,\"achieved_pps\":%.1f,"
         "\"cpu_us\":%llu,\"cpu_pct\":%.1f}\n",
         dst, size, ssrc, pt, stream, use_gso ? "true" : "false", rate, (unsigned long long)sent,
         (unsigned long long)errors, last_errno, (unsigned long long)pacer.skipped, (unsigned long long)sends, el,
         el > 0 ? (double)sent / el : 0.0, (unsigned long long)cpu, el > 0 ? (double)cpu / 1e4 / el : 0.0);
  fflush(stdout);
  free(buf);
  close(fd);
  return 0;
}
