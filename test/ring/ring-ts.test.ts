// The TypeScript ring in one thread: layout, wrap-around with random sizes,
// full -> drop, max size, empty drain, the sleep flag, header validation,
// corruption, and the test pattern.
import t from 'tap';
import {
  PushResult,
  RING_HEADER_BYTES,
  RING_MAGIC,
  RING_WRAP_MARKER,
  Ring,
  RingConsumer,
  RingOffset,
  RingPattern,
  RingProducer,
  RingVerifier,
  createRingBuffer,
  defaultMaxRecord,
  limitMaxRecord,
  recordBytes,
  ringInit,
  ringRequiredSize,
  ringValidate,
} from '../kit/ring';

// Small deterministic PRNG (xorshift32) so failures reproduce.
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

function bytesOf(seq: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = (seq * 31 + i * 7) & 0xff;
  return out;
}

t.test('layout helpers', async (t) => {
  t.equal(RING_HEADER_BYTES, 256, 'four 64-byte header lines');
  t.equal(recordBytes(0), 8, 'an empty record still takes 8 bytes');
  t.equal(recordBytes(4), 8, 'length word + 4 bytes = 8');
  t.equal(recordBytes(5), 16, 'rounded up to 8');
  t.equal(ringRequiredSize(1024), 1280, 'header + capacity');
  t.throws(() => ringRequiredSize(1000), RangeError, 'not a power of two');
  t.throws(() => ringRequiredSize(32), RangeError, 'below 64');
  t.throws(() => ringRequiredSize(2 ** 31), RangeError, 'above 2^30');
  t.equal(limitMaxRecord(1024), 508, 'a max record fits in half the ring');
  t.equal(recordBytes(limitMaxRecord(1024)), 512, 'exactly half');
  t.equal(defaultMaxRecord(1 << 20), 65536, 'default capped at 64 KiB');
  t.equal(defaultMaxRecord(4096), 2044, 'default limited by small rings');
  // The producer, consumer and wake words each sit on their own cache line.
  const lines = new Set([RingOffset.head >> 6, RingOffset.tail >> 6, RingOffset.sleeping >> 6, RingOffset.magic >> 6]);
  t.equal(lines.size, 4, 'config, producer, consumer and wake state on separate 64-byte lines');
});

t.test('create and validate', async (t) => {
  const sab = createRingBuffer(1024, { maxRecord: 300, startIndex: 64 });
  t.equal(sab.byteLength, 1280, 'buffer size');
  t.equal(ringValidate(sab), null, 'valid');
  const ring = new Ring(sab);
  t.equal(ring.capacity, 1024, 'capacity');
  t.equal(ring.maxRecord, 300, 'maxRecord');
  const s = ring.stats();
  t.same(
    [s.head, s.tail, s.used, s.free, s.fullness, s.drops, s.wakeFd, s.sleeping],
    [64, 64, 0, 1024, 0, 0, -1, 0],
    'fresh header: indices at startIndex, empty, no waker',
  );
  t.equal(Ring.validate(sab), null, 'Ring.validate');
  t.equal(Ring.requiredSize(64), 320, 'Ring.requiredSize');

  t.throws(() => Ring.create(100), RangeError, 'bad capacity');
  t.throws(() => ringInit(new SharedArrayBuffer(500), 1024), RangeError, 'buffer too small');
  t.throws(() => Ring.create(1024, { maxRecord: 509 }), RangeError, 'maxRecord above capacity/2 - 4');
  t.throws(() => Ring.create(1024, { startIndex: 4 }), RangeError, 'startIndex not a multiple of 8');
  t.doesNotThrow(() => Ring.create(1024, { maxRecord: 508, startIndex: 0xfffffff8 }), 'limits are inclusive');

  const bad = (mutate: (u32: Uint32Array) => void, re: RegExp, what: string, size = 1280) => {
    const b = createRingBuffer(1024);
    const copy = new SharedArrayBuffer(size);
    new Uint8Array(copy).set(new Uint8Array(b).subarray(0, Math.min(size, 1280)));
    mutate(new Uint32Array(copy, 0, 64));
    t.match(ringValidate(copy), re, what);
    t.throws(() => new Ring(copy), TypeError, `${what}: constructor throws`);
  };
  bad((u) => (u[0] = 0), /bad magic/, 'bad magic');
  bad((u) => (u[1] = 2), /version/, 'bad version');
  bad((u) => (u[2] = 1000), /capacity/, 'bad capacity');
  bad((u) => (u[4] = 128), /data offset/, 'bad data offset');
  bad((u) => (u[3] = 600), /max record/, 'bad max record');
  bad((u) => (u[RingOffset.head >> 2] = 12), /aligned/, 'misaligned head');
  bad((u) => (u[RingOffset.tail >> 2] = 3), /aligned/, 'misaligned tail');
  bad(() => {}, /smaller than header \+ capacity/, 'truncated data area', 1000);
  t.match(ringValidate(new SharedArrayBuffer(100)), /smaller than the header/, 'shorter than a header');
  t.match(ringValidate(new ArrayBuffer(1280) as unknown as SharedArrayBuffer), /SharedArrayBuffer/, 'not shared');
  const u32 = new Uint32Array(createRingBuffer(64));
  t.equal(u32[0], RING_MAGIC, 'magic "RING"');
});

t.test('wrap-around with random sizes: every byte, in order', async (t) => {
  // Indices start just below 2^32 so the u32 wrap happens early; sizes are
  // uniform in [0, maxRecord], drains take random batch sizes.
  for (const [capacity, seed] of [
    [256, 1],
    [1024, 2],
    [4096, 3],
  ] as const) {
    const sab = createRingBuffer(capacity, { startIndex: 0xffffffff - 7 - 8 * 64 });
    const ring = new Ring(sab);
    const p = new RingProducer(ring);
    const c = new RingConsumer(ring);
    const rand = rng(seed);
    let nextPush = 0;
    let nextPop = 0;
    let bad = 0;
    let wraps = 0;
    const sizes: number[] = [];
    let lastHead = ring.stats().head;
    for (let step = 0; step < 4000; step++) {
      const pushes = Math.floor(rand() * 6);
      for (let k = 0; k < pushes; k++) {
        const len = Math.floor(rand() * (ring.maxRecord + 1));
        const data = bytesOf(nextPush, len);
        // Half the records come as header + payload (the gather write).
        const cut = rand() < 0.5 ? Math.floor(rand() * (len + 1)) : -1;
        const ok = cut < 0 ? p.push(data) : p.push(data.subarray(cut), data.subarray(0, cut));
        if (!ok) break; // full: retry this one after a drain
        sizes.push(len);
        nextPush++;
      }
      c.drain(
        (buf, off, len) => {
          const want = bytesOf(nextPop, sizes[nextPop]);
          if (len !== want.length || !want.every((b, i) => buf[off + i] === b)) bad++;
          nextPop++;
        },
        1 + Math.floor(rand() * 5),
      );
      const head = ring.stats().head;
      if (head < lastHead) wraps++;
      lastHead = head;
    }
    c.drain((buf, off, len) => {
      const want = bytesOf(nextPop, sizes[nextPop]);
      if (len !== want.length || !want.every((b, i) => buf[off + i] === b)) bad++;
      nextPop++;
    });
    const laps = sizes.reduce((a, n) => a + recordBytes(n), 0) / capacity;
    t.equal(bad, 0, `capacity ${capacity}: every record intact`);
    t.equal(nextPop, nextPush, `capacity ${capacity}: all ${nextPush} records came out, in order`);
    t.equal(wraps, 1, `capacity ${capacity}: the u32 index wrapped`);
    t.ok(laps > 50, `capacity ${capacity}: ${Math.round(laps)} laps of the data area`);
    t.equal(c.error, null, 'no corruption seen');
    t.equal(ring.stats().used, 0, 'empty at the end');
    t.equal(c.records, nextPush, 'consumer record count');
  }
});

t.test('full: the producer drops and counts, never overwrites', async (t) => {
  const ring = new Ring(createRingBuffer(256)); // maxRecord 124
  const p = new RingProducer(ring);
  const c = new RingConsumer(ring);
  let pushed = 0;
  while (p.push(bytesOf(pushed, 28))) pushed++;
  t.equal(pushed, 256 / recordBytes(28), 'filled exactly');
  t.equal(ring.stats().fullness, 1, 'fullness 1');
  t.equal(p.push(bytesOf(99, 28)), false, 'one more is dropped');
  t.equal(p.push(new Uint8Array(0)), false, 'even an empty record');
  t.equal(ring.stats().drops, 3, 'header counts every drop (incl. the one that ended the loop)');
  t.equal(p.dropped, 3, 'producer counts them too');
  t.equal(p.tryPush(new Uint8Array(1)), PushResult.full, 'tryPush says full without counting');
  t.equal(ring.stats().drops, 3, 'not counted');
  t.equal(p.canPush(1), false, 'canPush agrees');
  const got: number[] = [];
  c.drain((buf, off) => got.push(buf[off + 1]));
  t.same(
    got,
    Array.from({ length: pushed }, (_, i) => bytesOf(i, 28)[1]),
    'the records in the ring are the first ones, unharmed',
  );
  t.equal(p.canPush(28), true, 'room again after the drain');
  t.ok(p.push(bytesOf(7, 28)), 'pushes again');

  // A record that would straddle the end waits for the space at the start.
  const r2 = new Ring(createRingBuffer(256));
  const p2 = new RingProducer(r2);
  const c2 = new RingConsumer(r2);
  t.ok(p2.push(new Uint8Array(100)) && p2.push(new Uint8Array(100)), 'two 104-byte records (208 B)');
  c2.drain(() => {});
  // At 208, 64 more bytes would end at 272 > 256: padding, then offset 0.
  t.ok(p2.push(new Uint8Array(60)), 'a record that would straddle the end goes to the start');
  const u32 = new Uint32Array(r2.sab);
  t.equal(u32[(RING_HEADER_BYTES + 208) >> 2], RING_WRAP_MARKER, 'wrap marker written at the end of the lap');
  t.equal(u32[RING_HEADER_BYTES >> 2], 60, 'record at offset 0, contiguous');
  let seen = -1;
  t.equal(c2.drain((_b, _o, len) => (seen = len)), 1, 'consumer skips the padding');
  t.equal(seen, 60, 'and reads the record');
});

t.test('max record size', async (t) => {
  const ring = new Ring(createRingBuffer(1024, { maxRecord: 100 }));
  const p = new RingProducer(ring);
  const c = new RingConsumer(ring);
  t.ok(p.push(new Uint8Array(100)), 'exactly maxRecord fits');
  t.notOk(p.push(new Uint8Array(101)), 'maxRecord + 1 is dropped');
  t.notOk(p.push(new Uint8Array(60), new Uint8Array(41)), 'header + payload over the max is dropped');
  t.equal(p.tryPush(new Uint8Array(101)), PushResult.tooBig, 'tryPush: tooBig');
  t.equal(p.canPush(101), false, 'canPush: no');
  const s = ring.stats();
  t.equal(s.drops, 2, 'both drops counted');
  t.equal(s.oversize, 2, 'as oversize');
  const lens: number[] = [];
  c.drain((_b, _o, len) => lens.push(len));
  t.same(lens, [100], 'only the good record went in');
  // The largest record a ring allows fits in an empty ring wherever the
  // indices are (padding included).
  const misfits: number[] = [];
  for (let start = 0; start < 512; start += 8) {
    const r = new Ring(createRingBuffer(512, { startIndex: start }));
    const pp = new RingProducer(r);
    if (!pp.push(new Uint8Array(r.maxRecord))) misfits.push(start);
  }
  t.same(misfits, [], 'a max-size record fits an empty ring at every position');
});

t.test('empty drain, sleep flag, bounded wait', async (t) => {
  const ring = new Ring(createRingBuffer(256));
  const p = new RingProducer(ring);
  const c = new RingConsumer(ring);
  t.equal(c.drain(() => t.fail('no records')), 0, 'empty ring: drain returns 0');
  t.ok(c.isEmpty(), 'isEmpty');
  t.equal(p.flush(), false, 'flush with nobody asleep: nothing to do');
  t.ok(c.prepareSleep(), 'empty: sleep');
  t.equal(ring.stats().sleeping, 1, 'sleeping published');
  t.equal(ring.stats().sleeps, 1, 'sleep counted');
  p.push(new Uint8Array(3));
  t.equal(p.flush(), false, 'wake of a TS consumer: no eventfd (wakeFd -1), returns false');
  t.equal(ring.stats().sleeping, 0, 'but the flag was taken');
  t.notOk(c.prepareSleep(), 'records there: no sleep');
  t.equal(ring.stats().sleeping, 0, 'flag cleared again');
  t.equal(c.drain(() => {}), 1, 'drains');
  const t0 = Date.now();
  t.notOk(c.waitForData(20), 'waitForData times out on an empty ring');
  t.ok(Date.now() - t0 >= 15, 'after about the timeout');
  t.equal(ring.stats().sleeping, 0, 'awake after the wait');
  p.push(new Uint8Array(1));
  t.ok(c.waitForData(1000), 'returns at once with records there');
  // A drain callback may stop early via max.
  p.push(new Uint8Array(1));
  t.equal(c.drain(() => {}, 1), 1, 'max respected');
  t.equal(c.drain(() => {}, 0), 0, 'max 0');
  t.equal(c.drain(() => {}), 1, 'rest');
  // A throwing callback: the record it threw on is consumed, the rest stay.
  for (let i = 0; i < 3; i++) p.push(new Uint8Array([i]));
  t.throws(
    () =>
      c.drain((buf, off) => {
        if (buf[off] === 1) throw new Error('boom');
      }),
    /boom/,
    'the error reaches the caller',
  );
  const rest: number[] = [];
  c.drain((buf, off) => rest.push(buf[off]));
  t.same(rest, [2], 'records 0 and 1 consumed, 2 still there');
  t.equal(c.records, 6, 'records counted');
});

t.test('a corrupt ring stops the consumer, never reads out of bounds', async (t) => {
  const cases: Array<[string, (u32: Uint32Array, ring: Ring) => void, RegExp]> = [
    ['length beyond maxRecord', (u) => (u[RING_HEADER_BYTES >> 2] = 5000), /bad record length/],
    ['head far ahead of tail', (u) => (u[RingOffset.head >> 2] = 4096), /more than capacity/],
    [
      'wrap marker beyond head',
      (u) => {
        u[RING_HEADER_BYTES >> 2] = RING_WRAP_MARKER;
      },
      /wrap marker/,
    ],
  ];
  for (const [what, mutate, re] of cases) {
    const ring = new Ring(createRingBuffer(256));
    const p = new RingProducer(ring);
    p.push(new Uint8Array(10));
    mutate(new Uint32Array(ring.sab), ring);
    const c = new RingConsumer(ring);
    t.equal(c.drain(() => {}), 0, `${what}: nothing delivered`);
    t.match(c.error, re, `${what}: error set`);
    t.ok(c.isEmpty(), `${what}: looks empty from then on`);
    t.equal(c.drain(() => {}), 0, `${what}: stays stopped`);
  }
  // A producer whose tail was scribbled over drops instead of writing.
  const ring = new Ring(createRingBuffer(256));
  const p = new RingProducer(ring);
  while (p.push(new Uint8Array(50)));
  new Uint32Array(ring.sab)[RingOffset.tail >> 2] = 0x80000000;
  // 40 bytes do not fit behind the cached tail: the producer re-reads it.
  t.equal(p.tryPush(new Uint8Array(40)), PushResult.corrupt, 'producer: corrupt tail detected');
  t.notOk(p.push(new Uint8Array(40)), 'and dropped');
});

t.test('RingPattern and RingVerifier', async (t) => {
  const pat = new RingPattern(100);
  const rec = pat.record(5, 40);
  t.equal(rec.length, 48, 'header + payload');
  t.equal(pat.verify(rec, 0, rec.length, 'full'), null, 'verifies');
  t.equal(pat.lastSeq, 5, 'seq read back');
  t.equal(pat.verify(rec, 0, rec.length, 'none'), null, 'none: no check');
  rec[20] ^= 1;
  t.match(pat.verify(rec, 0, rec.length, 'full'), /payload bytes differ/, 'flipped payload bit caught');
  t.equal(pat.verify(rec, 0, rec.length, 'header'), null, 'header level does not read the payload');
  rec[4] ^= 1;
  t.match(pat.verify(rec, 0, rec.length, 'header'), /check word/, 'flipped check bit caught');
  t.match(pat.verify(rec, 0, 5, 'header'), /shorter/, 'too short');
  const big = new RingPattern(200).record(1, 150);
  t.match(pat.verify(big, 0, big.length, 'full'), /longer/, 'payload longer than the table');
  t.throws(() => pat.payload(0, 101), RangeError, 'payload beyond the table');
  for (let s = 0; s < 1000; s++) {
    const n = RingPattern.payloadLength(9, s, 10, 20);
    if (n < 10 || n > 20) t.fail(`length ${n} out of range`);
  }
  t.equal(RingPattern.payloadLength(9, 1, 7, 7), 7, 'min == max');

  const v = new RingVerifier(100, 'full', 0);
  const feed = (seq: number, len = 10) => {
    const r = pat.record(seq, len);
    v.onRecord(r, 0, r.length);
  };
  feed(0);
  feed(1);
  feed(4); // 2 and 3 dropped
  feed(5);
  t.equal(v.gaps, 2, 'gaps counted');
  t.equal(v.errors, 0, 'no errors');
  feed(3); // went back
  t.equal(v.errors, 1, 'out of order is an error');
  t.match(v.firstError, /out of order/, 'first error kept');
  t.equal(v.records, 5, 'records counted');
  const any = new RingVerifier(100, 'full');
  const r = pat.record(77, 3);
  any.onRecord(r, 0, r.length);
  t.equal(any.gaps, 0, 'no startSeq: the first record sets the baseline');
  t.equal(any.lastSeq, 77, 'lastSeq');
});
