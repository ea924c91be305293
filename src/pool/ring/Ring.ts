/**
 * Ring: one SPSC packet ring in a SharedArrayBuffer, as seen from one thread
 * (views over the shared memory plus the validated configuration). Creating
 * the memory, validating it and reading its shared counters live here; the
 * two sides are RingProducer and RingConsumer. Layout: ./layout.ts and
 * docs/ring.md.
 */
import {
  RING_HEADER_BYTES,
  RingOffset,
  ringInit,
  ringRequiredSize,
  ringValidate,
  type RingConfig,
  type RingInitOptions,
} from './layout';

export interface RingStats {
  capacity: number;
  maxRecord: number;
  /** Producer index (u32, runs freely, wraps at 2^32). */
  head: number;
  /** Consumer index. */
  tail: number;
  /** Bytes written and not yet consumed (records, length words, padding). */
  used: number;
  free: number;
  /** used / capacity, 0..1. */
  fullness: number;
  /** Records the producer dropped (ring full or record too big). */
  drops: number;
  /** The too-big subset of drops. */
  oversize: number;
  /** 1 while the consumer is asleep and wants an explicit wake. */
  sleeping: number;
  /** The consumer's eventfd, -1 when no native consumer is attached. */
  wakeFd: number;
  /** Producers in the middle of a wake (normally 0). */
  wakers: number;
  /** eventfd writes by producers (u32, wraps). */
  wakes: number;
  /** Times the consumer went to sleep (u32, wraps). */
  sleeps: number;
}

export class Ring {
  readonly sab: SharedArrayBuffer;
  /** The whole buffer; record bytes are at dataOffset + (index & mask). */
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  /** The header only: the two u64 drop counters. */
  readonly big: BigUint64Array;
  readonly capacity: number;
  readonly mask: number;
  readonly maxRecord: number;
  readonly dataOffset = RING_HEADER_BYTES;

  /** A fresh, initialised ring of `capacity` data bytes (a power of two, 64 .. 2^30). */
  static create(capacity: number, opts: RingInitOptions = {}): SharedArrayBuffer {
    const sab = new SharedArrayBuffer(ringRequiredSize(capacity));
    ringInit(sab, capacity, opts);
    return sab;
  }

  static requiredSize(capacity: number): number {
    return ringRequiredSize(capacity);
  }

  /** null if `sab` holds a valid ring header, else the reason. */
  static validate(sab: SharedArrayBuffer): string | null {
    return ringValidate(sab);
  }

  /** Throws a TypeError naming the problem if `sab` is not a valid ring. */
  constructor(sab: SharedArrayBuffer) {
    const config: RingConfig = { capacity: 0, maxRecord: 0 };
    const err = ringValidate(sab, config);
    if (err !== null) throw new TypeError(`not a usable ring: ${err}`);
    this.sab = sab;
    this.u8 = new Uint8Array(sab);
    this.u32 = new Uint32Array(sab, 0, Math.floor(sab.byteLength / 4));
    this.i32 = new Int32Array(sab, 0, Math.floor(sab.byteLength / 4));
    this.big = new BigUint64Array(sab, 0, RING_HEADER_BYTES / 8);
    // Our own copies: the shared header is writable by anyone, the
    // configuration we validated is what we use.
    this.capacity = config.capacity;
    this.mask = config.capacity - 1;
    this.maxRecord = config.maxRecord;
  }

  /** A snapshot of the shared header; any thread may take one at any time. */
  stats(): RingStats {
    const u32 = this.u32;
    const i32 = this.i32;
    // Tail first, then head: both only grow, so the difference can only be
    // overstated by what was pushed in between; clamp that.
    const tail = Atomics.load(u32, RingOffset.tail >> 2);
    const head = Atomics.load(u32, RingOffset.head >> 2);
    const used = Math.min((head - tail) >>> 0, this.capacity);
    return {
      capacity: this.capacity,
      maxRecord: this.maxRecord,
      head,
      tail,
      used,
      free: this.capacity - used,
      fullness: used / this.capacity,
      drops: Number(Atomics.load(this.big, RingOffset.drops >> 3)),
      oversize: Number(Atomics.load(this.big, RingOffset.oversize >> 3)),
      sleeping: Atomics.load(i32, RingOffset.sleeping >> 2),
      wakeFd: Atomics.load(i32, RingOffset.wakeFd >> 2),
      wakers: Atomics.load(i32, RingOffset.wakers >> 2),
      wakes: Atomics.load(u32, RingOffset.wakes >> 2),
      sleeps: Atomics.load(u32, RingOffset.sleeps >> 2),
    };
  }
}
