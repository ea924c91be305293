/* What the two packet generators share (rtp_gen: plain RTP; webrtc_peer's
 * publisher: the same packets, SRTP-protected): the pacing that keeps a
 * steady rate without a tight loop, and the packet layout the sinks read.
 *
 * Pacing: packets are due at `rate` per second since t0; the generator
 * wakes about every tick_us and sends what is due, at most max_burst at a
 * time. When it was descheduled for longer than max_lag_us, the debt beyond
 * that is dropped (counted in `skipped`), not sent in a burst that would
 * measure the scheduler instead of the forwarder. rate 0: as fast as it can.
 *
 * Packet: a 12-byte RTP header (V=2, no extension, no CSRC), then the
 * marker: MAGIC, stream id, a 32-bit sequence, 4 zero bytes, the send time
 * in ns (all big-endian); the rest is zeros.
 */
#ifndef WEBRTC_AGENT_BENCH_TOOLS_GEN_PACER_H_
#define WEBRTC_AGENT_BENCH_TOOLS_GEN_PACER_H_

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "common.h"

#define GEN_MAGIC 0x57414221u
#define GEN_HDR 12
#define GEN_MARK_LEN 24

static inline void gen_sleep_until(uint64_t t) {
  struct timespec ts = {(time_t)(t / 1000000000ull), (long)(t % 1000000000ull)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop_flag) {
  }
}

struct gen_pacer {
  double rate;
  int max_burst;
  uint64_t t0, end_abs;  /* end_abs: UINT64_MAX for no end */
  uint64_t min_batch, max_lag_pkts;
  uint64_t limit;        /* at most this many in all (0: no limit) */
  uint64_t attempted;    /* packets handed out so far */
  uint64_t skipped;      /* debt dropped after a stall */
};

static inline void gen_pacer_init(struct gen_pacer *p, double rate, double tick_us, double max_lag_us,
                                  int max_burst, uint64_t t0, uint64_t end_abs) {
  p->rate = rate;
  p->max_burst = max_burst;
  p->t0 = t0;
  p->end_abs = end_abs;
  /* Packets due per wakeup: about tick_us worth, at least one. */
  p->min_batch = rate > 0 ? (uint64_t)(rate * tick_us / 1e6) : (uint64_t)max_burst;
  if (p->min_batch < 1) p->min_batch = 1;
  if (p->min_batch > (uint64_t)max_burst) p->min_batch = (uint64_t)max_burst;
  p->max_lag_pkts = rate > 0 ? (uint64_t)(rate * max_lag_us / 1e6) : 0;
  if (p->max_lag_pkts < (uint64_t)max_burst) p->max_lag_pkts = (uint64_t)max_burst;
  p->limit = 0;
  p->attempted = 0;
  p->skipped = 0;
}

/* How many packets to send now (counted as attempted); 0 when nothing was
 * due and it slept until something is (the caller checks its end and loops). */
static inline uint64_t gen_pacer_next(struct gen_pacer *p, uint64_t now) {
  uint64_t due;
  if (p->rate > 0) {
    due = (uint64_t)((double)(now - p->t0) * p->rate / 1e9) - p->skipped;
    if (due > p->attempted + p->max_lag_pkts) { /* descheduled: drop the debt */
      uint64_t drop = due - p->attempted - p->max_lag_pkts;
      p->skipped += drop;
      due -= drop;
    }
    if (due <= p->attempted) {
      uint64_t wake = p->t0 + (uint64_t)((double)(p->attempted + p->skipped + p->min_batch) * 1e9 / p->rate);
      if (wake > p->end_abs) wake = p->end_abs;
      gen_sleep_until(wake);
      return 0;
    }
  } else {
    due = p->attempted + (uint64_t)p->max_burst;
  }
  uint64_t n = due - p->attempted;
  if (n > (uint64_t)p->max_burst) n = (uint64_t)p->max_burst;
  if (p->limit && p->attempted + n > p->limit) n = p->limit - p->attempted;
  p->attempted += n;
  return n;
}

/* Writes the header and marker of one packet (GEN_HDR + GEN_MARK_LEN bytes). */
static inline void gen_write_packet(uint8_t *q, int pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
                                    uint32_t stream, uint32_t seq32, uint64_t send_ns) {
  q[0] = 0x80;
  q[1] = (uint8_t)pt;
  uint16_t s16 = htons(seq);
  memcpy(q + 2, &s16, 2);
  uint32_t ts32 = htonl(ts);
  memcpy(q + 4, &ts32, 4);
  uint32_t ss = htonl(ssrc);
  memcpy(q + 8, &ss, 4);
  uint32_t m = htonl(GEN_MAGIC), st = htonl(stream), sq = htonl(seq32), z = 0;
  uint64_t tns = htobe64(send_ns);
  memcpy(q + GEN_HDR, &m, 4);
  memcpy(q + GEN_HDR + 4, &st, 4);
  memcpy(q + GEN_HDR + 8, &sq, 4);
  memcpy(q + GEN_HDR + 12, &z, 4);
  memcpy(q + GEN_HDR + 16, &tns, 8);
}

#endif /* WEBRTC_AGENT_BENCH_TOOLS_GEN_PACER_H_ */
