/**
 * SPSC packet rings over SharedArrayBuffers: the TypeScript side of the
 * layout in docs/ring.md (the C++ side is addon/ring/). The product only
 * makes rings here (the node threads' C++ produces and consumes them); the
 * TS producer, consumer and pattern drivers are test and bench code, in
 * test/kit/ring/.
 */
import { Ring } from './ring/Ring';
import type { RingInitOptions } from './ring/layout';

export * from './ring/layout';
export { Ring, type RingStats } from './ring/Ring';

/**
 * A fresh ring of `capacity` data bytes (a power of two) in a new
 * SharedArrayBuffer, ready to hand to a producer and a consumer thread.
 */
export function createRingBuffer(capacity: number, opts: RingInitOptions = {}): SharedArrayBuffer {
  return Ring.create(capacity, opts);
}
