/**
 * RingConsumer: the reading side of a ring, in JavaScript.
 *
 * A TS consumer has no eventfd (JavaScript cannot wait on one without a
 * native handle): it polls with a bounded sleep, waitForData(timeoutMs),
 * which parks the thread in Atomics.wait. A TS producer ends that wait at
 * once (Atomics.notify); a C++ producer cannot reach V8's waiter list, so
 * against a C++ producer the wait simply times out and the consumer looks
 * again. The native consumer (RingReader) is the one woken by eventfd.
 */
import { RING_WRAP_MARKER, RingOffset, recordBytes } from '../../../src/pool/ring/layout';
import { Ring } from '../../../src/pool/ring/Ring';

/**
 * Called for each record. `buf` is the ring's whole buffer and the record is
 * buf[offset, offset + length): zero copy, valid only during the call.
 */
export type RingRecordFn = (buf: Uint8Array, offset: number, length: number) => void;

const HEAD = RingOffset.head >> 2;
const TAIL = RingOffset.tail >> 2;
const SLEEPING = RingOffset.sleeping >> 2;
const SLEEPS = RingOffset.sleeps >> 2;

export class RingConsumer {
  readonly ring: Ring;
  records = 0;
  bytes = 0;
  /** Set when a malformed record stopped the consumer (the ring is corrupt). */
  error: string | null = null;

  #tail: number;
  #cachedHead: number;
  readonly #u8: Uint8Array;
  readonly #u32: Uint32Array;
  readonly #i32: Int32Array;
  readonly #capacity: number;
  readonly #mask: number;
  readonly #maxRecord: number;
  readonly #data: number;

  constructor(ring: Ring | SharedArrayBuffer) {
    this.ring = ring instanceof Ring ? ring : new Ring(ring);
    this.#u8 = this.ring.u8;
    this.#u32 = this.ring.u32;
    this.#i32 = this.ring.i32;
    this.#capacity = this.ring.capacity;
    this.#mask = this.ring.mask;
    this.#maxRecord = this.ring.maxRecord;
    this.#data = this.ring.dataOffset;
    this.#tail = Atomics.load(this.#u32, TAIL);
    this.#cachedHead = this.#tail;
  }

  /**
   * Calls fn for up to `max` records in order; returns how many. Space is
   * released at the end and every capacity/4 bytes. fn must not drain. If fn
   * throws, that record and the ones before it stay consumed.
   */
  drain(fn: RingRecordFn, max = Number.POSITIVE_INFINITY): number {
    if (this.error !== null) return 0;
    const cap = this.#capacity;
    const mask = this.#mask;
    const d = this.#data;
    const u32 = this.#u32;
    const releaseEvery = cap / 4;
    let tail = this.#tail;
    let head = this.#cachedHead;
    let unreleased = 0;
    let n = 0;
    // try/finally: if fn throws, the records already delivered stay consumed.
    try {
      while (n < max) {
        if (tail === head) {
          head = this.#cachedHead = Atomics.load(u32, HEAD);
          if (tail === head) break;
        }
        const available = (head - tail) >>> 0;
        if (available > cap) {
          this.error = 'ring corrupt: head is more than capacity ahead of tail';
          break;
        }
        const pos = tail & mask;
        const len = u32[(d + pos) >> 2];
        if (len === RING_WRAP_MARKER) {
          const skip = cap - pos;
          if (skip > available) {
            this.error = 'ring corrupt: wrap marker beyond head';
            break;
          }
          tail = (tail + skip) >>> 0;
          unreleased += skip;
          continue;
        }
        const need = recordBytes(len);
        if (len > this.#maxRecord || need > available || pos + need > cap) {
          this.error = 'ring corrupt: bad record length';
          break;
        }
        // Advance first, so a throwing fn leaves this record consumed.
        tail = (tail + need) >>> 0;
        unreleased += need;
        n++;
        this.bytes += len;
        fn(this.#u8, d + pos + 4, len);
        if (unreleased >= releaseEvery) {
          this.#tail = tail;
          Atomics.store(u32, TAIL, tail);
          unreleased = 0;
        }
      }
    } finally {
      this.#tail = tail;
      if (unreleased !== 0) Atomics.store(u32, TAIL, tail);
      this.records += n;
    }
    return n;
  }

  /** True if there is nothing to read (re-reads the head). */
  isEmpty(): boolean {
    if (this.error !== null) return true;
    this.#cachedHead = Atomics.load(this.#u32, HEAD);
    return this.#cachedHead === this.#tail;
  }

  /**
   * Publishes sleeping=1, then re-checks. true: empty, and any later push +
   * flush will see the flag. false: records arrived; sleep cancelled.
   */
  prepareSleep(): boolean {
    Atomics.store(this.#i32, SLEEPING, 1);
    if (!this.isEmpty()) {
      Atomics.store(this.#i32, SLEEPING, 0);
      return false;
    }
    Atomics.add(this.#u32, SLEEPS, 1);
    return true;
  }

  /**
   * Bounded sleep until records may be there: returns at once if the ring is
   * not empty, else parks this thread (Atomics.wait: it blocks the thread's
   * event loop, so use it on a thread dedicated to consuming) until a TS
   * producer's flush() or `timeoutMs`. Returns whether records are there.
   */
  waitForData(timeoutMs: number): boolean {
    if (!this.isEmpty()) return true;
    if (!this.prepareSleep()) return true;
    Atomics.wait(this.#i32, SLEEPING, 1, timeoutMs);
    // Awake: producers need not wake us until the next prepareSleep().
    Atomics.store(this.#i32, SLEEPING, 0);
    return !this.isEmpty();
  }
}
