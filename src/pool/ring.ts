/**
 * SPSC packet rings over SharedArrayBuffers: the TypeScript side of the
 * layout in docs/ring.md (the C++ side is addon/ring/). One producer and one
 * consumer per ring, each on any thread; either side may be C++ or TS.
 */
import { Ring } from './ring/Ring';
import type { RingInitOptions } from './ring/layout';

export * from './ring/layout';
export { Ring, type RingStats } from './ring/Ring';
export { RingProducer, PushResult } from './ring/RingProducer';
export { RingConsumer, type RingRecordFn } from './ring/RingConsumer';
export { RingPattern, type RingVerifyLevel } from './ring/RingPattern';
export { RingVerifier } from './ring/RingVerifier';

/**
 * A fresh ring of `capacity` data bytes (a power of two) in a new
 * SharedArrayBuffer, ready to hand to a producer and a consumer thread.
 */
export function createRingBuffer(capacity: number, opts: RingInitOptions = {}): SharedArrayBuffer {
  return Ring.create(capacity, opts);
}
