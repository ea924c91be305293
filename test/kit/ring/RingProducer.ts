/**
 * RingProducer: the writing side of a ring, in JavaScript. Exactly one
 * producer (this or the C++ RingProducer) per ring: single-writer indices
 * are what make the ring lock-free, so this is the caller's contract.
 *
 * Full means drop: push() never blocks and never overwrites unread records;
 * a record that does not fit is dropped and counted in the shared header.
 */
import { writeSync } from 'node:fs';
import { RING_WRAP_MARKER, RingOffset, recordBytes } from '../../../src/pool/ring/layout';
import { Ring } from '../../../src/pool/ring/Ring';

/** tryPush() results. */
export const PushResult = {
  ok: 0,
  full: 1,
  tooBig: 2,
  corrupt: 3,
} as const;
export type PushResult = (typeof PushResult)[keyof typeof PushResult];

const HEAD = RingOffset.head >> 2;
const TAIL = RingOffset.tail >> 2;
const SLEEPING = RingOffset.sleeping >> 2;
const WAKE_FD = RingOffset.wakeFd >> 2;
const WAKERS = RingOffset.wakers >> 2;
const WAKES = RingOffset.wakes >> 2;
const DROPS = RingOffset.drops >> 3;
const OVERSIZE = RingOffset.oversize >> 3;

export class RingProducer {
  readonly ring: Ring;
  /** Records pushed by this producer. */
  pushed = 0;
  pushedBytes = 0;
  /** Records this producer dropped (the header counts every producer's). */
  dropped = 0;
  /** eventfd writes this producer made. */
  wakes = 0;

  // Our copy of the head (we are its only writer) and the last tail seen:
  // the shared tail is read only when the cached one says "full".
  #head: number;
  #cachedTail: number;
  readonly #u8: Uint8Array;
  readonly #u32: Uint32Array;
  readonly #i32: Int32Array;
  readonly #capacity: number;
  readonly #mask: number;
  readonly #maxRecord: number;
  readonly #data: number;
  // An eventfd takes exactly 8 bytes: the u64 added to its counter.
  readonly #one = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]);

  constructor(ring: Ring | SharedArrayBuffer) {
    this.ring = ring instanceof Ring ? ring : new Ring(ring);
    this.#u8 = this.ring.u8;
    this.#u32 = this.ring.u32;
    this.#i32 = this.ring.i32;
    this.#capacity = this.ring.capacity;
    this.#mask = this.ring.mask;
    this.#maxRecord = this.ring.maxRecord;
    this.#data = this.ring.dataOffset;
    this.#head = Atomics.load(this.#u32, HEAD);
    this.#cachedTail = Atomics.load(this.#u32, TAIL);
  }

  /**
   * Writes `header` (optional) then `payload` as ONE record and publishes it.
   * false: dropped (full, too big or corrupt ring) and counted.
   */
  push(payload: Uint8Array, header?: Uint8Array): boolean {
    const r = this.tryPush(payload, header);
    if (r === PushResult.ok) return true;
    this.countDrop(r === PushResult.tooBig);
    return false;
  }

  /** push() without the drop accounting, for callers that wait for room. */
  tryPush(payload: Uint8Array, header?: Uint8Array): PushResult {
    const hl = header === undefined ? 0 : header.length;
    const len = hl + payload.length;
    if (len > this.#maxRecord) return PushResult.tooBig;
    const cap = this.#capacity;
    const need = recordBytes(len);
    let pos = this.#head & this.#mask;
    // Never straddle the end: the rest of the lap becomes padding.
    const pad = pos + need > cap ? cap - pos : 0;
    const total = pad + need;
    let used = (this.#head - this.#cachedTail) >>> 0;
    if (used > cap || used + total > cap) {
      this.#cachedTail = Atomics.load(this.#u32, TAIL);
      used = (this.#head - this.#cachedTail) >>> 0;
      if (used > cap) return PushResult.corrupt;
      if (used + total > cap) return PushResult.full;
    }
    const d = this.#data;
    if (pad !== 0) {
      this.#u32[(d + pos) >> 2] = RING_WRAP_MARKER;
      this.#head = (this.#head + pad) >>> 0;
      pos = 0;
    }
    const at = d + pos;
    this.#u32[at >> 2] = len;
    if (header !== undefined && hl !== 0) this.#u8.set(header, at + 4);
    if (payload.length !== 0) this.#u8.set(payload, at + 4 + hl);
    this.#head = (this.#head + need) >>> 0;
    // Publish. Atomics.store is sequentially consistent: the record bytes
    // are visible before the head to a consumer that loads it atomically.
    Atomics.store(this.#u32, HEAD, this.#head);
    this.pushed++;
    this.pushedBytes += len;
    return PushResult.ok;
  }

  /** Would a record of `len` bytes fit right now (re-reads the tail)? */
  canPush(len: number): boolean {
    if (len > this.#maxRecord) return false;
    const cap = this.#capacity;
    const need = recordBytes(len);
    const pos = this.#head & this.#mask;
    const total = (pos + need > cap ? cap - pos : 0) + need;
    this.#cachedTail = Atomics.load(this.#u32, TAIL);
    const used = (this.#head - this.#cachedTail) >>> 0;
    return used <= cap && used + total <= cap;
  }

  /** Counts a drop made by the caller's own policy. */
  countDrop(oversize = false): void {
    this.dropped++;
    Atomics.add(this.ring.big, DROPS, 1n);
    if (oversize) Atomics.add(this.ring.big, OVERSIZE, 1n);
  }

  /**
   * Wakes the consumer if it is asleep: after a push, or once per batch.
   * Nothing but an atomic load while the consumer is awake. Returns true if
   * it wrote the consumer's eventfd.
   */
  flush(): boolean {
    const i32 = this.#i32;
    // Our head store (seq_cst) then this load (seq_cst), against the
    // consumer's sleeping=1 then head load: one of us sees the other.
    if (Atomics.load(i32, SLEEPING) === 0) return false;
    // One waker per sleep: whoever swaps 1 -> 0.
    if (Atomics.exchange(i32, SLEEPING, 0) !== 1) return false;
    // A TS consumer blocked in waitForData().
    Atomics.notify(i32, SLEEPING);
    // wakers++ before reading the fd: the consumer retracts the fd, then
    // waits for wakers to drain before closing it (docs/ring.md, "Wake").
    Atomics.add(i32, WAKERS, 1);
    let woke = false;
    try {
      const fd = Atomics.load(i32, WAKE_FD);
      if (fd >= 0) {
        try {
          writeSync(fd, this.#one);
        } catch {
          // EAGAIN: the counter is saturated, a wake is pending anyway.
        }
        woke = true;
        this.wakes++;
        Atomics.add(this.#u32, WAKES, 1);
      }
    } finally {
      Atomics.sub(i32, WAKERS, 1);
    }
    return woke;
  }
}
