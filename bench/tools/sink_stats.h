/* The receiving side's accounting, shared by rtp_sink (plain RTP) and
 * webrtc_peer (SRTP, after unprotect), so that both count, follow sequence
 * numbers and take latency in exactly the same way: per-port state, the
 * latency histogram, the parse of rtp_gen's payload marker and the JSON
 * summary. Included (not linked), like common.h; valid C and C++. The
 * including file defines nothing of its own with these names. */
#ifndef WEBRTC_AGENT_BENCH_TOOLS_SINK_STATS_H_
#define WEBRTC_AGENT_BENCH_TOOLS_SINK_STATS_H_

#include <arpa/inet.h>
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "gen_pacer.h" /* the packet layout the generators write */
#define MAX_PORTS 4096
#define MAX_BATCH 256
#define PKT_MAX 9216
#define FINE_BUCKETS 65536   /* 1 us each: 0 .. 65.535 ms */
#define COARSE_BUCKETS 65536 /* 1 ms each: 65.536 ms .. ~65 s */

struct port_state {
  int fd;
  uint16_t port;
  uint64_t received;
  uint64_t bytes;
  int have_stream;
  uint32_t stream, first, max;
  uint64_t in_stream;     /* packets of the current stream */
  uint64_t lost_done;     /* seq loss of streams already finished (this report) */
  uint64_t reordered;     /* arrived with a sequence below the highest seen */
};

static struct port_state ports[MAX_PORTS];
static int nports;
static uint64_t hist_fine[FINE_BUCKETS];
static uint64_t hist_coarse[COARSE_BUCKETS];
static uint64_t lat_n, lat_max_ns, lat_sum_us, bad_pkts, neg_lat, over_deadline, stale_pkts;
static uint64_t deadline_ns;          /* --late-ms: packets slower than this are "over_deadline" */
static int expect_set;                /* "expect ID": count only that generator stream */
static uint32_t expect_stream;
static uint64_t first_rx_ns, last_rx_ns;



static void record_latency(int64_t ns) {
  if (ns < 0) { neg_lat++; ns = 0; }
  uint64_t us = (uint64_t)ns / 1000u;
  if (us < FINE_BUCKETS) hist_fine[us]++;
  else {
    uint64_t ms = us / 1000u;
    hist_coarse[ms < COARSE_BUCKETS ? ms : COARSE_BUCKETS - 1]++;
  }
  if ((uint64_t)ns > lat_max_ns) lat_max_ns = (uint64_t)ns;
  lat_sum_us += us;
  lat_n++;
}

/* Value (us) below which a fraction q of the samples lie. */
static double percentile_us(double q) {
  if (!lat_n) return -1;
  uint64_t rank = (uint64_t)(q * (double)(lat_n - 1)) + 1, acc = 0;
  for (int i = 0; i < FINE_BUCKETS; i++) {
    acc += hist_fine[i];
    if (acc >= rank) return (double)i;
  }
  for (int i = 0; i < COARSE_BUCKETS; i++) {
    acc += hist_coarse[i];
    if (acc >= rank) return (double)i * 1000.0;
  }
  return (double)lat_max_ns / 1000.0;
}

static void on_packet(struct port_state *ps, const uint8_t *p, size_t len, uint64_t rx_ns) {
  size_t off;
  if (len < 12 || (p[0] >> 6) != 2) goto bad;
  off = 12u + 4u * (p[0] & 0x0f);
  if (p[0] & 0x10) { /* header extension */
    if (len < off + 4) goto bad;
    off += 4u + 4u * (((size_t)p[off + 2] << 8) | p[off + 3]);
  }
  if (len < off + 24) goto bad;
  uint32_t magic, stream, seq;
  uint64_t tns;
  int64_t lat; /* declared before the jumps to bad: (C++ forbids jumping past an initialisation) */
  memcpy(&magic, p + off, 4);
  memcpy(&stream, p + off + 4, 4);
  memcpy(&seq, p + off + 8, 4);
  memcpy(&tns, p + off + 16, 8);
  if (ntohl(magic) != GEN_MAGIC) goto bad;
  stream = ntohl(stream);
  seq = ntohl(seq);
  if (expect_set && stream != expect_stream) { stale_pkts++; return; }
  ps->received++;
  ps->bytes += len;
  lat = (int64_t)(rx_ns - be64toh(tns));
  record_latency(lat);
  if (deadline_ns && lat > (int64_t)deadline_ns) over_deadline++;
  if (!ps->have_stream || stream != ps->stream) {
    if (ps->have_stream) {
      uint64_t span = (uint64_t)(ps->max - ps->first) + 1;
      if (span > ps->in_stream) ps->lost_done += span - ps->in_stream;
    }
    ps->have_stream = 1;
    ps->stream = stream;
    ps->first = ps->max = seq;
    ps->in_stream = 1;
    return;
  }
  ps->in_stream++;
  if ((int32_t)(seq - ps->max) > 0) ps->max = seq;
  else ps->reordered++;
  if ((int32_t)(seq - ps->first) < 0) ps->first = seq;
  return;
bad:
  /* Not rtp_gen's (RTCP, a probe ...): counted apart, not as received. */
  bad_pkts++;
}

/* The "tool" member of the summary: the including program may change it. */
static const char *summary_tool = "rtp_sink";

/* `extra`: more JSON members (",\"k\":v..."), or "" */
static void print_summary(const char *why, uint64_t t_start, uint64_t cpu_start, const char *extra) {
  uint64_t total = 0, bytes = 0, seq_lost = 0, reordered = 0, minr = UINT64_MAX, maxr = 0;
  int with_loss = 0;
  for (int i = 0; i < nports; i++) {
    struct port_state *ps = &ports[i];
    uint64_t lost = ps->lost_done;
    if (ps->have_stream) {
      uint64_t span = (uint64_t)(ps->max - ps->first) + 1;
      if (span > ps->in_stream) lost += span - ps->in_stream;
    }
    seq_lost += lost;
    if (lost) with_loss++;
    reordered += ps->reordered;
    total += ps->received;
    bytes += ps->bytes;
    if (ps->received < minr) minr = ps->received;
    if (ps->received > maxr) maxr = ps->received;
  }
  if (!nports) minr = 0;
  uint64_t t = now_ns();
  double el = (double)(t - t_start) / 1e9;
  double active = last_rx_ns > first_rx_ns ? (double)(last_rx_ns - first_rx_ns) / 1e9 : 0;
  uint64_t cpu = cpu_us() - cpu_start;
  printf("{\"tool\":\"%s\",\"why\":\"%s\",\"ports\":%d,\"received\":%llu,\"bytes\":%llu,"
         "\"seq_lost\":%llu,\"ports_with_loss\":%d,\"reordered\":%llu,\"bad\":%llu,\"stale\":%llu,"
         "\"deadline_ms\":%.3f,\"over_deadline\":%llu,"
         "\"min_port_received\":%llu,\"max_port_received\":%llu,"
         "\"lat_us\":{\"n\":%llu,\"p50\":%.0f,\"p90\":%.0f,\"p99\":%.0f,\"p999\":%.0f,\"max\":%.1f,\"mean\":%.1f,\"negative\":%llu},"
         "\"elapsed_s\":%.4f,\"active_s\":%.4f,\"rx_pps\":%.1f,\"cpu_us\":%llu,\"cpu_pct\":%.1f%s,\"per_port\":[",
         summary_tool, why, nports, (unsigned long long)total, (unsigned long long)bytes, (unsigned long long)seq_lost,
         with_loss, (unsigned long long)reordered, (unsigned long long)bad_pkts, (unsigned long long)stale_pkts,
         (double)deadline_ns / 1e6, (unsigned long long)over_deadline, (unsigned long long)minr,
         (unsigned long long)maxr, (unsigned long long)lat_n, percentile_us(0.50), percentile_us(0.90),
         percentile_us(0.99), percentile_us(0.999), (double)lat_max_ns / 1000.0,
         lat_n ? (double)lat_sum_us / (double)lat_n : 0.0, (unsigned long long)neg_lat, el, active,
         active > 0 ? (double)total / active : 0.0, (unsigned long long)cpu, el > 0 ? (double)cpu / 1e4 / el : 0.0,
         extra);
  for (int i = 0; i < nports; i++) printf("%s%llu", i ? "," : "", (unsigned long long)ports[i].received);
  printf("]}\n");
  fflush(stdout);
}

static void reset_counters(void) {
  for (int i = 0; i < nports; i++) {
    struct port_state *ps = &ports[i];
    ps->received = ps->bytes = ps->in_stream = ps->lost_done = ps->reordered = 0;
    ps->have_stream = 0;
  }
  memset(hist_fine, 0, sizeof hist_fine);
  memset(hist_coarse, 0, sizeof hist_coarse);
  lat_n = lat_max_ns = lat_sum_us = bad_pkts = neg_lat = over_deadline = stale_pkts = 0;
  first_rx_ns = last_rx_ns = 0;
}

/* The control protocol of a sink on stdin, one command a line:
 *   report [IDLE_MS [DEADLINE_MS]]  print the step's summary once the ports
 *                                   have been silent IDLE_MS (200), or at
 *                                   DEADLINE_MS (3000) at the latest; reset
 *   expect ID                       count only generator stream ID
 *   quit
 */
struct sink_report {
  int pending;
  uint64_t since_ns, idle_ns, deadline_ns;
};

/* Applies one command line; 1 if it was "quit". */
static int sink_command(struct sink_report *r, const char *cmd) {
  if (strncmp(cmd, "report", 6) == 0) {
    double idle_ms = 200, deadline_ms = 3000;
    sscanf(cmd + 6, "%lf %lf", &idle_ms, &deadline_ms);
    r->pending = 1;
    r->since_ns = now_ns();
    r->idle_ns = (uint64_t)(idle_ms * 1e6);
    r->deadline_ns = r->since_ns + (uint64_t)(deadline_ms * 1e6);
  } else if (strncmp(cmd, "expect", 6) == 0) {
    unsigned long id = 0;
    expect_set = sscanf(cmd + 6, "%lu", &id) == 1;
    expect_stream = (uint32_t)id;
    printf("{\"expect\":%lu}\n", expect_set ? id : 0ul);
    fflush(stdout);
  } else if (strncmp(cmd, "quit", 4) == 0) {
    return 1;
  }
  return 0;
}

/* A pending report that is due now: its reason ("report", or
 * "report-deadline" when the ports never went quiet), and no longer
 * pending; NULL otherwise. */
static const char *sink_report_due(struct sink_report *r, uint64_t now) {
  if (!r->pending) return NULL;
  uint64_t last = last_rx_ns > r->since_ns ? last_rx_ns : r->since_ns;
  int quiet = now - last >= r->idle_ns;
  if (!quiet && now < r->deadline_ns) return NULL;
  r->pending = 0;
  return quiet ? "report" : "report-deadline";
}

#endif
