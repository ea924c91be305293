/**
 * The ring test kit: drivers for the SPSC rings (docs/ring.md) that only
 * tests and benchmarks use (a TS producer and consumer, the checkable
 * record pattern and its verifier, the ring test addon's typed functions),
 * beside what the product uses from src/pool/ring.ts (the layout, Ring,
 * createRingBuffer). Compiled by test/kit/tsconfig.json into dist-test/ for
 * plain-JS workers and bench/ring.js; tests import it as TypeScript.
 */
export * from '../../../src/pool/ring';
export { RingProducer, PushResult } from './RingProducer';
export { RingConsumer, type RingRecordFn } from './RingConsumer';
export { RingPattern, type RingVerifyLevel } from './RingPattern';
export { RingVerifier } from './RingVerifier';
export * from './native';
