/**
 * THE ring layout (docs/ring.md), TypeScript side. addon/ring/spsc_ring.h is
 * the same layout in C++; both must stay byte for byte compatible (the tests
 * run C++ and TS sides against each other across threads).
 *
 *   [0,   64)  config line: magic, version, capacity, maxRecord, dataOffset
 *   [64, 128)  producer line: head (u32), drops (u64), oversize (u64)
 *   [128,192)  consumer line: tail (u32)
 *   [192,256)  wake line: sleeping, wakeFd, wakers (i32), wakes, sleeps (u32)
 *   [256, 256 + capacity)  records: u32 length + bytes, 8-byte aligned
 */

export const RING_MAGIC = 0x474e4952; // "RING" little-endian
export const RING_VERSION = 1;
export const RING_HEADER_BYTES = 256;
export const RING_MIN_CAPACITY = 64;
export const RING_MAX_CAPACITY = 2 ** 30;
/** Default cap on maxRecord: a maximal UDP datagram. */
export const RING_DEFAULT_MAX_RECORD_CAP = 65536;
/** Length word of the padding that ends a lap (the next record starts at 0). */
export const RING_WRAP_MARKER = 0xffffffff;

/** Byte offsets of the header fields. */
export const RingOffset = {
  magic: 0,
  version: 4,
  capacity: 8,
  maxRecord: 12,
  dataOffset: 16,
  head: 64,
  drops: 72,
  oversize: 80,
  tail: 128,
  sleeping: 192,
  wakeFd: 196,
  wakers: 200,
  wakes: 204,
  sleeps: 208,
} as const;

/** Bytes a record of `len` payload bytes takes in the data area. */
export function recordBytes(len: number): number {
  return (4 + len + 7) & ~7;
}

export function isValidCapacity(capacity: number): boolean {
  return (
    Number.isInteger(capacity) &&
    capacity >= RING_MIN_CAPACITY &&
    capacity <= RING_MAX_CAPACITY &&
    (capacity & (capacity - 1)) === 0
  );
}

/**
 * Largest maxRecord a ring of `capacity` accepts: a record must fit in an
 * empty ring even behind its worst-case wrap padding (less than one record),
 * so recordBytes(max) <= capacity / 2.
 */
export function limitMaxRecord(capacity: number): number {
  return capacity / 2 - 4;
}

export function defaultMaxRecord(capacity: number): number {
  return Math.min(limitMaxRecord(capacity), RING_DEFAULT_MAX_RECORD_CAP);
}

/** Bytes of SharedArrayBuffer for a ring of `capacity`; throws RangeError if invalid. */
export function ringRequiredSize(capacity: number): number {
  if (!isValidCapacity(capacity)) {
    throw new RangeError(`ring capacity must be a power of two between 64 and 2^30, got ${capacity}`);
  }
  return RING_HEADER_BYTES + capacity;
}

export interface RingInitOptions {
  /** Largest record payload in bytes (default: min(capacity/2 - 4, 65536)). */
  maxRecord?: number;
  /** Initial value of both indices, a multiple of 8 (tests start near 2^32). */
  startIndex?: number;
}

/**
 * Writes a fresh header into `sab` (the creator does this before sharing it).
 * Same checks and messages as RingLayout::Init in C++.
 */
export function ringInit(sab: SharedArrayBuffer, capacity: number, opts: RingInitOptions = {}): void {
  if (!isValidCapacity(capacity)) throw new RangeError('bad ring capacity (power of two, 64 B .. 1 GiB)');
  if (sab.byteLength < RING_HEADER_BYTES + capacity) {
    throw new RangeError('ring memory is smaller than header + capacity');
  }
  const maxRecord = opts.maxRecord === undefined || opts.maxRecord === 0 ? defaultMaxRecord(capacity) : opts.maxRecord;
  if (!Number.isInteger(maxRecord) || maxRecord < 0 || maxRecord > limitMaxRecord(capacity)) {
    throw new RangeError('bad ring max record size (must be <= capacity / 2 - 4)');
  }
  const start = opts.startIndex ?? 0;
  if (!Number.isInteger(start) || start < 0 || start > 0xffffffff || start % 8 !== 0) {
    throw new RangeError('start index must be a multiple of 8');
  }
  const u32 = new Uint32Array(sab, 0, RING_HEADER_BYTES / 4);
  const i32 = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
  u32.fill(0);
  u32[RingOffset.version >> 2] = RING_VERSION;
  u32[RingOffset.capacity >> 2] = capacity;
  u32[RingOffset.maxRecord >> 2] = maxRecord;
  u32[RingOffset.dataOffset >> 2] = RING_HEADER_BYTES;
  u32[RingOffset.head >> 2] = start;
  u32[RingOffset.tail >> 2] = start;
  i32[RingOffset.wakeFd >> 2] = -1;
  // Magic last (Atomics.store is seq_cst): who sees the magic sees the rest.
  Atomics.store(u32, RingOffset.magic >> 2, RING_MAGIC);
}

export interface RingConfig {
  capacity: number;
  maxRecord: number;
}

/**
 * Checks a header written by ringInit or the C++ RingLayout::Init. Returns
 * null and fills `out`, or the reason (same messages as RingLayout::Validate).
 */
export function ringValidate(sab: SharedArrayBuffer, out?: RingConfig): string | null {
  if (!(sab instanceof SharedArrayBuffer)) return 'ring memory must be a SharedArrayBuffer';
  if (sab.byteLength < RING_HEADER_BYTES) return 'ring memory is smaller than the header';
  const u32 = new Uint32Array(sab, 0, RING_HEADER_BYTES / 4);
  if (Atomics.load(u32, RingOffset.magic >> 2) !== RING_MAGIC) return 'not a ring (bad magic)';
  if (Atomics.load(u32, RingOffset.version >> 2) !== RING_VERSION) return 'unsupported ring version';
  const capacity = Atomics.load(u32, RingOffset.capacity >> 2);
  if (!isValidCapacity(capacity)) return 'bad ring capacity (power of two, 64 B .. 1 GiB)';
  if (Atomics.load(u32, RingOffset.dataOffset >> 2) !== RING_HEADER_BYTES) return 'bad ring data offset';
  if (sab.byteLength < RING_HEADER_BYTES + capacity) return 'ring memory is smaller than header + capacity';
  const maxRecord = Atomics.load(u32, RingOffset.maxRecord >> 2);
  if (maxRecord > limitMaxRecord(capacity)) return 'bad ring max record size (must be <= capacity / 2 - 4)';
  if ((Atomics.load(u32, RingOffset.head >> 2) & 7) !== 0 || (Atomics.load(u32, RingOffset.tail >> 2) & 7) !== 0) {
    return 'ring corrupt: index not 8-byte aligned';
  }
  if (out) {
    out.capacity = capacity;
    out.maxRecord = maxRecord;
  }
  return null;
}
