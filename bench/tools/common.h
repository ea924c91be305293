/* What the bench's C tools share: the stop flag set by signals, the
 * monotonic clock, this process's CPU time, and "IP:PORT" parsing. Included
 * (not linked) so each tool still builds from one `cc` command. */
#ifndef WEBRTC_AGENT_BENCH_TOOLS_COMMON_H_
#define WEBRTC_AGENT_BENCH_TOOLS_COMMON_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static inline uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* user + system CPU time of this process, in microseconds */
static inline uint64_t cpu_us(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (uint64_t)ru.ru_utime.tv_sec * 1000000ull + (uint64_t)ru.ru_utime.tv_usec +
         (uint64_t)ru.ru_stime.tv_sec * 1000000ull + (uint64_t)ru.ru_stime.tv_usec;
}

/* "IP:PORT" (an empty IP is 0.0.0.0) -> *a; 0 on success */
static inline int parse_addr(const char *s, struct sockaddr_in *a) {
  char ip[64];
  const char *colon = strrchr(s, ':');
  if (!colon || (size_t)(colon - s) >= sizeof ip) return -1;
  memcpy(ip, s, (size_t)(colon - s));
  ip[colon - s] = 0;
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)atoi(colon + 1));
  return inet_pton(AF_INET, ip[0] ? ip : "0.0.0.0", &a->sin_addr) == 1 ? 0 : -1;
}

#endif
