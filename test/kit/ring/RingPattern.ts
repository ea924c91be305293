/**
 * RingPattern: the verifiable test records pushed through rings by tests and
 * benchmarks (docs/ring.md, "Test pattern"). addon/ring/ring_pattern.cc is
 * the same definition in C++; records made by one side verify on the other.
 *
 * A record is an 8-byte header {u32 seq, u32 check} (little-endian) and a
 * payload that is a window into a fixed pseudo-random table starting at
 * (seq * 7) & 4095. Producing is a pointer into the table; checking every
 * byte is one comparison against it.
 */

export type RingVerifyLevel = 'none' | 'header' | 'full';

export class RingPattern {
  static readonly HEADER_BYTES = 8;
  static readonly WINDOW = 4096;

  readonly table: Uint8Array;
  readonly maxPayload: number;
  /** Sequence number of the record verify() looked at last. */
  lastSeq = 0;

  /** A table long enough for payloads of up to `maxPayload` bytes. */
  constructor(maxPayload: number) {
    this.maxPayload = maxPayload;
    this.table = new Uint8Array(RingPattern.WINDOW + maxPayload);
    // xorshift32 from a fixed seed (same bytes as the C++ twin).
    let x = 0x2545f491;
    for (let i = 0; i < this.table.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.table[i] = x & 0xff;
    }
  }

  /** murmur3's 32-bit finaliser. */
  static mix(h: number): number {
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  }

  static check(seq: number, payloadLen: number): number {
    return (RingPattern.mix((seq ^ 0x5bd1e995) >>> 0) ^ payloadLen) >>> 0;
  }

  /** Payload length of record `seq` of a burst, uniform in [min, max]. */
  static payloadLength(seed: number, seq: number, min: number, max: number): number {
    if (max <= min) return min;
    const span = max - min + 1;
    return min + (RingPattern.mix((seed ^ Math.imul(seq, 0x9e3779b1)) >>> 0) % span);
  }

  /** The 8-byte header of record `seq` (into `out` if given). */
  header(seq: number, payloadLen: number, out = new Uint8Array(RingPattern.HEADER_BYTES)): Uint8Array {
    const check = RingPattern.check(seq, payloadLen);
    for (let i = 0; i < 4; i++) {
      out[i] = (seq >>> (8 * i)) & 0xff;
      out[4 + i] = (check >>> (8 * i)) & 0xff;
    }
    return out;
  }

  /** The payload of record `seq` (a view into the table: do not modify). */
  payload(seq: number, payloadLen: number): Uint8Array {
    if (payloadLen > this.maxPayload) throw new RangeError(`payload ${payloadLen} > table's ${this.maxPayload}`);
    const start = Math.imul(seq, 7) & (RingPattern.WINDOW - 1);
    return this.table.subarray(start, start + payloadLen);
  }

  /** A whole record (header + payload) as a new array. */
  record(seq: number, payloadLen: number): Uint8Array {
    const out = new Uint8Array(RingPattern.HEADER_BYTES + payloadLen);
    this.header(seq, payloadLen, out);
    out.set(this.payload(seq, payloadLen), RingPattern.HEADER_BYTES);
    return out;
  }

  /**
   * Checks buf[offset, offset + length). Returns null if good, else the
   * reason. The record's sequence number is left in `lastSeq`.
   */
  verify(buf: Uint8Array, offset: number, length: number, level: RingVerifyLevel): string | null {
    if (level === 'none') return null;
    if (length < RingPattern.HEADER_BYTES) return 'record shorter than the pattern header';
    const seq = (buf[offset] | (buf[offset + 1] << 8) | (buf[offset + 2] << 16) | (buf[offset + 3] << 24)) >>> 0;
    const check =
      (buf[offset + 4] | (buf[offset + 5] << 8) | (buf[offset + 6] << 16) | (buf[offset + 7] << 24)) >>> 0;
    this.lastSeq = seq;
    const payloadLen = length - RingPattern.HEADER_BYTES;
    if (check !== RingPattern.check(seq, payloadLen)) return 'record header check word does not match';
    if (level === 'full') {
      if (payloadLen > this.maxPayload) return 'record payload longer than expected';
      const start = Math.imul(seq, 7) & (RingPattern.WINDOW - 1);
      const t = this.table;
      const p = offset + RingPattern.HEADER_BYTES;
      for (let i = 0; i < payloadLen; i++) {
        if (buf[p + i] !== t[start + i]) return 'record payload bytes differ from the pattern';
      }
    }
    return null;
  }
}
