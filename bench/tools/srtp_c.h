/* A C face of addon/srtp for the bench's C tools (c_forwarder's SRTP mode):
 * AEAD_AES_128_GCM sessions keyed directly, with no DTLS, from one master
 * key + salt given on the command line. Implemented in srtp_c.cc, linked
 * with the addon/srtp sources and -lcrypto.
 *
 * Keys. A bench run passes one 28-byte master (16-byte key, 12-byte salt)
 * as 56 hex digits. Stream `index` uses that master with its key bytes 12..15
 * XORed with the big-endian index: index 0 is the publisher's stream into the
 * forwarder, index d + 1 the stream to destination d. So each destination
 * has its own key, as each DTLS-SRTP association has, and every tool derives
 * the same keys from the same argument. */
#ifndef WEBRTC_AGENT_BENCH_TOOLS_SRTP_C_H_
#define WEBRTC_AGENT_BENCH_TOOLS_SRTP_C_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BENCH_SRTP_MASTER_LEN 28 /* AEAD_AES_128_GCM: 16-byte key + 12-byte salt */
#define BENCH_SRTP_TAG_LEN 16

typedef struct bench_srtp bench_srtp;

/* 56 hex digits -> 28 bytes; 0 on success. */
int bench_srtp_parse_master(const char *hex, uint8_t out[BENCH_SRTP_MASTER_LEN]);
/* The master of stream `index` (see above). */
void bench_srtp_stream_master(const uint8_t base[BENCH_SRTP_MASTER_LEN], uint32_t index,
                              uint8_t out[BENCH_SRTP_MASTER_LEN]);
/* protect = 1: a sending session; 0: a receiving one. NULL on failure. */
bench_srtp *bench_srtp_new(const uint8_t master[BENCH_SRTP_MASTER_LEN], int protect);
void bench_srtp_free(bench_srtp *s);
/* In place; *len grows by the tag (cap must allow it). 0 on success. */
int bench_srtp_protect(bench_srtp *s, uint8_t *buf, size_t *len, size_t cap);
/* In place; *len shrinks to the plain packet. 0 on success, else the
 * addon's srtp::Result as a number (auth failed, replay, ...). */
int bench_srtp_unprotect(bench_srtp *s, uint8_t *buf, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
