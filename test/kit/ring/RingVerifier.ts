/**
 * RingVerifier: checks a stream of RingPattern records as a consumer sees
 * them: each record's bytes, strictly increasing sequence numbers, and the
 * gaps (sequence numbers skipped = records the producer dropped). The same
 * bookkeeping as the native consumer's (addon/ring/ring_binding.cc), so TS
 * and C++ consumers report the same figures.
 */
import type { RingRecordFn } from './RingConsumer';
import { RingPattern, type RingVerifyLevel } from './RingPattern';

export class RingVerifier {
  readonly pattern: RingPattern;
  readonly level: RingVerifyLevel;
  records = 0;
  bytes = 0;
  gaps = 0;
  errors = 0;
  firstError: string | null = null;
  lastSeq = 0;
  #expected: number;
  #haveExpected: boolean;

  /** startSeq: the first sequence number expected; omitted: whatever comes first. */
  constructor(maxPayload: number, level: RingVerifyLevel = 'full', startSeq?: number) {
    this.pattern = new RingPattern(maxPayload);
    this.level = level;
    this.#haveExpected = startSeq !== undefined;
    this.#expected = startSeq ?? 0;
  }

  /** A drain callback (bound): consumer.drain(verifier.onRecord). */
  readonly onRecord: RingRecordFn = (buf, offset, length) => {
    this.records++;
    this.bytes += length;
    let err = this.pattern.verify(buf, offset, length, this.level);
    if (err === null && this.level !== 'none') {
      const seq = this.pattern.lastSeq;
      if (this.#haveExpected) {
        const ahead = (seq - this.#expected) >>> 0;
        if (ahead >= 0x80000000) err = 'record out of order (sequence went back)';
        else this.gaps += ahead;
      }
      this.#haveExpected = true;
      this.#expected = (seq + 1) >>> 0;
      this.lastSeq = seq;
    }
    if (err !== null && this.errors++ === 0) this.firstError = err;
  };
}
