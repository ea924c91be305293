/**
 * Typed face of the ring test addon's functions (test/addon/ring_binding.cc,
 * built by test/addon/build.sh into its own .node: the product addon has no
 * ring functions; its data plane drives rings from C++). For tests and
 * benchmarks. A ring is passed as a Uint8Array over its SharedArrayBuffer
 * (ringView); ids are per thread.
 */
import * as path from 'node:path';

export type NativeVerifyLevel = 'none' | 'header' | 'full';

export interface NativeRingHeader {
  capacity: number;
  maxRecord: number;
  head: number;
  tail: number;
  used: number;
  drops: number;
  oversize: number;
  sleeping: number;
  wakeFd: number;
  wakers: number;
  wakes: number;
  sleeps: number;
}

export interface NativeRingProducerStats {
  kind: 'producer';
  pushed: number;
  bytes: number;
  dropped: number;
  /** eventfd writes made by this producer. */
  wakes: number;
  /** Sequence number of the next pattern record (ringPushBurst). */
  nextSeq: number;
  header: NativeRingHeader;
}

export interface NativeRingConsumerStats {
  kind: 'consumer';
  records: number;
  bytes: number;
  /** Skipped sequence numbers (verify != 'none'): records the producer dropped. */
  gaps: number;
  /** Records that failed verification or came out of order. */
  errors: number;
  firstError: string | null;
  lastSeq: number;
  /** onBatch calls. */
  batches: number;
  /** Times the loop woke the reader (eventfd readable). */
  wakeups: number;
  sleeps: number;
  /** Loop turns that ended at the batch limit with records pending. */
  rearms: number;
  /** eventfd writes by the reader itself (attach, re-arm). */
  kicks: number;
  attached: boolean;
  fdLeaked: boolean;
  /** Set when a malformed record stopped the reader. */
  ringError: string | null;
  header: NativeRingHeader;
}

export interface NativeRingConsumerOptions {
  /** Check records as RingPattern records (default 'none': count only). */
  verify?: NativeVerifyLevel;
  /** First sequence number expected (default: whatever comes first). */
  startSeq?: number;
  /** Copy each record into a Buffer for onBatch (tests). */
  deliver?: boolean;
  /** After each loop wake that delivered records. */
  onBatch?: (count: number, records?: Buffer[]) => void;
  /** Records per loop turn (default 256). */
  batch?: number;
  /** Keep the thread's loop alive (default false). */
  ref?: boolean;
  /** Detach from inside the record callback after this many records (tests). */
  stopAfter?: number;
}

export interface NativeRingBurstOptions {
  /** Flush (wake check) every N records (default 32; 0: only at the end). */
  flushEvery?: number;
  /** When full, wait up to this long per record before dropping (default 0: drop at once). */
  waitMs?: number;
}

export interface NativeRingBurstResult {
  pushed: number;
  dropped: number;
  nextSeq: number;
  /** eventfd writes made during the burst. */
  wakes: number;
}

export interface NativeRing {
  ringRequiredSize(capacity: number): number;
  ringInit(view: Uint8Array, capacity: number, maxRecord?: number, startIndex?: number): void;
  ringValidate(view: Uint8Array): string | null;
  ringProducerOpen(view: Uint8Array): number;
  ringPush(id: number, payload: Uint8Array, header?: Uint8Array): boolean;
  ringFlush(id: number): boolean;
  ringPushBurst(
    id: number,
    count: number,
    minSize: number,
    maxSize: number,
    seed: number,
    options?: NativeRingBurstOptions,
  ): NativeRingBurstResult;
  ringConsumerOpen(view: Uint8Array, options?: NativeRingConsumerOptions): number;
  ringStats(id: number): NativeRingProducerStats | NativeRingConsumerStats | undefined;
  ringClose(id: number): boolean;
}

const METHODS: ReadonlyArray<keyof NativeRing> = [
  'ringRequiredSize',
  'ringInit',
  'ringValidate',
  'ringProducerOpen',
  'ringPush',
  'ringFlush',
  'ringPushBurst',
  'ringConsumerOpen',
  'ringStats',
  'ringClose',
];

/** $WEBRTC_AGENT_RING_ADDON_PATH (an ASan build, scripts/asan-test.sh) or test/addon's build. */
export const RING_ADDON_PATH_ENV = 'WEBRTC_AGENT_RING_ADDON_PATH';
export function ringAddonPath(): string {
  const fromEnv = process.env[RING_ADDON_PATH_ENV];
  if (fromEnv) return path.resolve(fromEnv);
  // Compiled (dist-test/test/kit/ring) or run as TypeScript (test/kit/ring).
  const root = __dirname.includes(`${path.sep}dist-test${path.sep}`)
    ? path.resolve(__dirname, '..', '..', '..', '..')
    : path.resolve(__dirname, '..', '..', '..');
  return path.join(root, 'test', 'addon', 'build', 'Release', 'webrtc_agent_ring.node');
}

/** The calling thread's ring test addon, seen through its ring functions. */
export function loadRingAddon(addon: unknown = require(ringAddonPath())): NativeRing {
  const missing = METHODS.filter((m) => typeof (addon as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw new Error(`webrtc-agent: addon has no ring functions: missing ${missing.join(', ')}`);
  return addon as NativeRing;
}

/** The view the ring functions take. */
export function ringView(sab: SharedArrayBuffer): Uint8Array {
  return new Uint8Array(sab);
}
