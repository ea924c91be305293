// The addon's ring functions in one thread: arguments, the C++ header is the
// TS header byte for byte, the native reader on this thread's loop (batches,
// re-arm, close from its own callback, corruption), one consumer per ring.
//
// Needs the addon built first: npx node-gyp rebuild
import t from 'tap';
import {
  RingConsumer,
  RingOffset,
  RingPattern,
  RingProducer,
  Ring,
  createRingBuffer,
  ringInit,
  loadRingAddon,
  ringView,
  type NativeRingConsumerStats,
  type NativeRingProducerStats,
} from '../kit/ring';
import { loadAddon } from '../../src/node/addon';
import { readlinkSync } from 'node:fs';

const native = loadRingAddon();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(fn: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) return false;
    await sleep(2);
  }
  return true;
}
const cstats = (id: number) => native.ringStats(id) as NativeRingConsumerStats;
const pstats = (id: number) => native.ringStats(id) as NativeRingProducerStats;

t.test('facade', async (t) => {
  t.equal(typeof loadRingAddon().ringInit, 'function', 'ring functions on the ring test addon');
  // The product addon carries no test code: its rings are driven from C++.
  const product = loadAddon() as unknown as Record<string, unknown>;
  t.same(Object.keys(product).filter((k) => k.startsWith('ring')), [], 'no ring* functions on the product addon');
  t.throws(() => loadRingAddon(product), /missing ringRequiredSize/, 'the product addon is refused as a ring addon');
  t.throws(() => loadRingAddon({}), /missing ringRequiredSize/, 'a wrong object is refused');
  const sab = createRingBuffer(64);
  t.equal(ringView(sab).buffer, sab, 'ringView is a Uint8Array over the SAB');
});

t.test('arguments', async (t) => {
  t.equal(native.ringRequiredSize(1024), 1280, 'ringRequiredSize');
  t.throws(() => native.ringRequiredSize(1000), RangeError, 'ringRequiredSize: not a power of two');
  const sab = new SharedArrayBuffer(1280);
  t.throws(() => native.ringInit({} as Uint8Array, 1024), TypeError, 'not a typed array');
  t.throws(() => native.ringInit(new Int32Array(sab) as unknown as Uint8Array, 1024), TypeError, 'not a Uint8Array');
  t.throws(
    () => native.ringInit(new Uint8Array(new ArrayBuffer(1280)), 1024),
    { name: 'TypeError', message: /plain ArrayBuffer, which can be detached/ },
    'a view over a plain ArrayBuffer is refused',
  );
  t.throws(() => native.ringInit(new Uint8Array(sab), 1000), RangeError, 'bad capacity');
  t.throws(() => native.ringInit(new Uint8Array(sab), 2048), /smaller than header/, 'too small');
  t.throws(() => native.ringInit(new Uint8Array(sab), 1024, 509), /max record/, 'bad maxRecord');
  t.throws(() => native.ringInit(new Uint8Array(sab), 1024, 0, 4), /multiple of 8/, 'bad startIndex');
  t.throws(() => native.ringInit(new Uint8Array(sab), 'x' as unknown as number), TypeError, 'capacity not a number');
  t.throws(() => native.ringInit(new Uint8Array(sab), 1024, -1), TypeError, 'maxRecord negative');
  t.throws(() => native.ringInit(new Uint8Array(sab), 1024, 0, 1.5), TypeError, 'startIndex not an integer');
  t.equal(native.ringValidate(new Uint8Array(sab)), 'not a ring (bad magic)', 'ringValidate: not initialised');
  t.throws(() => native.ringValidate(new Uint8Array(new ArrayBuffer(8))), TypeError, 'ringValidate: plain buffer');
  t.throws(() => native.ringProducerOpen(new Uint8Array(sab)), /bad magic/, 'producer on a non-ring');
  t.throws(() => native.ringConsumerOpen(new Uint8Array(sab)), /bad magic/, 'consumer on a non-ring');

  const ring = createRingBuffer(1024);
  const view = ringView(ring);
  const id = native.ringProducerOpen(view);
  t.throws(() => native.ringPush(9999, new Uint8Array(1)), /unknown ring producer id/, 'push: unknown id');
  t.throws(() => native.ringPush(0, new Uint8Array(1)), TypeError, 'push: bad id');
  t.throws(() => native.ringPush(id, [1, 2] as unknown as Uint8Array), TypeError, 'push: payload not bytes');
  t.throws(() => native.ringPush(id, new Uint8Array(1), 'h' as unknown as Uint8Array), TypeError, 'push: header not bytes');
  t.throws(() => native.ringFlush(9999), /unknown/, 'flush: unknown id');
  t.throws(() => native.ringPushBurst(id, -1, 0, 1, 0), TypeError, 'burst: negative count');
  t.throws(() => native.ringPushBurst(id, 1, 5, 1, 0), TypeError, 'burst: min > max');
  t.throws(() => native.ringPushBurst(id, 1, 0, 1, 0, 5 as unknown as object), TypeError, 'burst: options not an object');
  t.throws(() => native.ringPushBurst(id, 1, 0, 1, 0, { waitMs: -1 }), TypeError, 'burst: bad waitMs');
  t.throws(() => native.ringConsumerOpen(view, 1 as unknown as object), TypeError, 'consumer: options not an object');
  t.throws(() => native.ringConsumerOpen(view, { verify: 'most' as 'full' }), TypeError, 'consumer: bad verify');
  t.throws(() => native.ringConsumerOpen(view, { batch: 0 }), TypeError, 'consumer: batch 0');
  t.throws(() => native.ringConsumerOpen(view, { startSeq: -1 }), TypeError, 'consumer: bad startSeq');
  t.throws(() => native.ringConsumerOpen(view, { onBatch: 1 as unknown as () => void }), TypeError, 'consumer: onBatch not a function');
  t.equal(ring.byteLength, 1280, 'ring untouched');
  t.equal(new Ring(ring).stats().wakeFd, -1, 'failed opens left no eventfd behind');
  t.equal(native.ringStats(9999), undefined, 'stats: unknown id');
  t.equal(native.ringStats('x' as unknown as number), undefined, 'stats: bad id');
  t.equal(native.ringClose(id), true, 'close');
  t.equal(native.ringClose(id), false, 'close twice');
  t.equal(native.ringClose(-3), false, 'close: bad id');
});

t.test('the C++ header is the TS header, byte for byte', async (t) => {
  for (const [cap, max, start] of [
    [64, 0, 0],
    [4096, 100, 8],
    [1 << 20, 0, 0xfffffff8],
  ]) {
    const a = new SharedArrayBuffer(256 + cap);
    const b = new SharedArrayBuffer(256 + cap);
    native.ringInit(new Uint8Array(a), cap, max, start);
    ringInit(b, cap, { maxRecord: max, startIndex: start });
    t.same(new Uint8Array(a, 0, 256), new Uint8Array(b, 0, 256), `capacity ${cap}: same header`);
    t.equal(native.ringValidate(new Uint8Array(b)), null, `capacity ${cap}: C++ accepts the TS header`);
    t.equal(Ring.validate(a), null, `capacity ${cap}: TS accepts the C++ header`);
  }
  // Same corruption verdicts on both sides.
  const sab = createRingBuffer(1024);
  new Uint32Array(sab)[RingOffset.head >> 2] = 4;
  t.equal(native.ringValidate(new Uint8Array(sab)), Ring.validate(sab), 'same message for a misaligned index');
});

t.test('push, flush and drop accounting from C++', async (t) => {
  const sab = createRingBuffer(256); // maxRecord 124
  const ring = new Ring(sab);
  const id = native.ringProducerOpen(ringView(sab));
  const consumer = new RingConsumer(sab);
  t.ok(native.ringPush(id, new Uint8Array([1, 2, 3]), new Uint8Array([9])), 'header + payload push');
  t.ok(native.ringPush(id, new Uint8Array(0)), 'empty record');
  t.notOk(native.ringPush(id, new Uint8Array(125)), 'too big: dropped');
  t.notOk(native.ringPush(id, new Uint8Array(100), new Uint8Array(25)), 'too big together: dropped');
  const got: number[][] = [];
  consumer.drain((buf, off, len) => got.push([...buf.subarray(off, off + len)]));
  t.same(got, [[9, 1, 2, 3], []], 'records as pushed (header first)');
  t.equal(ring.stats().oversize, 2, 'oversize counted');
  let ok = 0;
  while (native.ringPush(id, new Uint8Array(12))) ok++;
  t.equal(ok, 16, 'filled (16 x 16 bytes)');
  const s = pstats(id);
  t.equal(s.dropped, 3, 'producer stats: 3 drops');
  t.equal(s.header.drops, 3, 'header: 3 drops');
  t.equal(s.pushed, 18, 'producer stats: 18 pushed');
  t.equal(s.header.used, 256, 'full');
  t.equal(native.ringFlush(id), false, 'flush: nobody asleep');
  const burst = native.ringPushBurst(id, 5, 0, 10, 1);
  t.same([burst.pushed, burst.dropped, burst.nextSeq], [0, 5, 5], 'burst into a full ring drops, seq advances');
  t.equal(native.ringPushBurst(id, 2, 200, 300, 1).dropped, 2, 'burst of oversize records');
  t.equal(ring.stats().oversize, 4, 'counted as oversize');
  const waited = Date.now();
  t.equal(native.ringPushBurst(id, 1, 0, 0, 1, { waitMs: 30 }).dropped, 1, 'waitMs: gives up when nobody drains');
  t.ok(Date.now() - waited >= 25, 'after waiting');
  native.ringClose(id);
});

t.test('native reader on this thread: delivery, batches, re-arm', async (t) => {
  const sab = createRingBuffer(1 << 17, { startIndex: 0xfffff000 });
  const producer = new RingProducer(sab);
  const batches: number[] = [];
  const records: Buffer[] = [];
  const id = native.ringConsumerOpen(ringView(sab), {
    deliver: true,
    batch: 50,
    onBatch(n, list) {
      batches.push(n);
      records.push(...list!);
    },
  });
  const st = cstats(id);
  t.equal(st.attached, true, 'attached');
  t.ok(st.header.wakeFd >= 0, 'eventfd published');
  t.throws(() => native.ringConsumerOpen(ringView(sab)), /already has a consumer/, 'one consumer per ring');

  const pattern = new RingPattern(1000);
  for (let seq = 0; seq < 400; seq++) producer.push(pattern.record(seq, seq % 300));
  producer.flush();
  t.ok(await until(() => records.length >= 400), 'all 400 delivered');
  t.ok(
    records.every((r, seq) => pattern.verify(r, 0, r.length, 'full') === null && pattern.lastSeq === seq),
    'every record intact and in order',
  );
  t.ok(Math.max(...batches) <= 50, `batches bounded by the limit (${Math.max(...batches)})`);
  const s = cstats(id);
  t.ok(s.rearms >= 7, `re-armed instead of hogging the loop (${s.rearms})`);
  t.equal(s.records, 400, 'records');
  t.equal(s.batches, batches.length, 'batches counted');
  t.equal(s.errors, 0, 'verify none: no errors');
  t.equal(s.header.sleeping, 1, 'drained: the reader sleeps');
  producer.push(pattern.record(400, 1));
  t.equal(producer.flush(), true, 'a TS flush wakes the sleeping reader through its eventfd');
  t.equal(producer.flush(), false, 'once per sleep');
  t.ok(await until(() => records.length === 401), 'woken');

  // Closing from inside its own callback.
  let after = 0;
  const id2 = id;
  native.ringClose(id2);
  t.equal(new Ring(sab).stats().wakeFd, -1, 'close retracts the eventfd');
  const id3 = native.ringConsumerOpen(ringView(sab), {
    onBatch() {
      after++;
      t.equal(native.ringClose(id3), true, 'ringClose from inside onBatch');
    },
  });
  producer.push(new Uint8Array(5));
  producer.flush();
  t.ok(await until(() => after === 1), 'callback ran');
  producer.push(new Uint8Array(5));
  producer.flush();
  await sleep(30);
  t.equal(after, 1, 'no callbacks after close');
  t.equal(native.ringStats(id3), undefined, 'gone');
});

t.test('the owner detaches from inside a record callback', async (t) => {
  const sab = createRingBuffer(4096);
  const producer = new RingProducer(sab);
  const pattern = new RingPattern(100);
  for (let seq = 0; seq < 10; seq++) producer.push(pattern.record(seq, 20));
  let batches = 0;
  const id = native.ringConsumerOpen(ringView(sab), { verify: 'full', startSeq: 0, stopAfter: 3, onBatch: () => batches++ });
  t.ok(await until(() => !cstats(id).attached), 'detached itself');
  await sleep(20);
  const s = cstats(id);
  t.equal(s.records, 3, 'no record delivered after the detach');
  t.equal(batches, 0, 'no onBatch after a detach from a record callback');
  t.equal(s.header.wakeFd, -1, 'eventfd retracted');
  t.equal(s.header.sleeping, 0, 'not left asleep');
  producer.push(pattern.record(10, 20));
  t.equal(producer.flush(), false, 'producers no longer wake it');
  native.ringClose(id);
  // The next consumer continues exactly after the third record.
  const id2 = native.ringConsumerOpen(ringView(sab), { verify: 'full', startSeq: 3 });
  t.ok(await until(() => cstats(id2).records === 8), 'the rest went to the next consumer');
  t.same([cstats(id2).gaps, cstats(id2).errors, cstats(id2).lastSeq], [0, 0, 10], 'in order, nothing lost');
  native.ringClose(id2);
  t.throws(() => native.ringConsumerOpen(ringView(sab), { stopAfter: 0 }), TypeError, 'stopAfter 0 refused');
});

t.test('eventfd lifetime: closed on detach, leaked (never reused) if a wake is stuck', async (t) => {
  const fdTarget = (fd: number) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return null;
    }
  };
  const sab = createRingBuffer(4096);
  const ring = new Ring(sab);
  const id = native.ringConsumerOpen(ringView(sab));
  const fd = ring.stats().wakeFd;
  t.match(fdTarget(fd), /eventfd/, 'the consumer owns an eventfd');
  native.ringClose(id);
  // Checked synchronously after the close: nothing can have reused it yet.
  t.notMatch(fdTarget(fd) ?? 'closed', /eventfd/, 'closed after a normal detach');

  // A producer that died between wakers++ and wakers-- (only a terminated
  // JS producer can): the consumer waits a bounded time, then leaks the fd
  // rather than close a number a late write could still hit.
  const id2 = native.ringConsumerOpen(ringView(sab));
  const fd2 = ring.stats().wakeFd;
  Atomics.store(ring.i32, RingOffset.wakers >> 2, 1);
  const t0 = Date.now();
  native.ringClose(id2);
  const waited = Date.now() - t0;
  t.ok(waited >= 90 && waited < 1000, `close waited about 100 ms (${waited} ms)`);
  t.equal(ring.stats().wakeFd, -1, 'fd retracted from the header anyway');
  t.match(fdTarget(fd2), /eventfd/, 'and left open: leaked, not closed');
  Atomics.store(ring.i32, RingOffset.wakers >> 2, 0);
});

t.test('native reader verification and corruption', async (t) => {
  const sab = createRingBuffer(4096);
  const producer = new RingProducer(sab);
  const pattern = new RingPattern(2000);
  const id = native.ringConsumerOpen(ringView(sab), { verify: 'full', startSeq: 0 });
  producer.push(pattern.record(0, 10));
  producer.push(pattern.record(2, 10)); // 1 missing
  const bad = pattern.record(3, 10);
  bad[12] ^= 0xff;
  producer.push(bad);
  const bad2 = pattern.record(4, 10);
  bad2[5] ^= 1;
  producer.push(bad2);
  producer.push(pattern.record(1, 10)); // went back
  producer.push(new Uint8Array(3)); // no header
  producer.flush();
  t.ok(await until(() => cstats(id).records === 6), 'all delivered');
  const s = cstats(id);
  t.equal(s.gaps, 1, 'gap counted');
  t.equal(s.errors, 4, 'payload, check word, order and short record errors');
  t.match(s.firstError, /payload bytes differ/, 'first error kept');
  native.ringClose(id);

  // A scribbled length stops the reader for good; nothing out of bounds.
  const sab2 = createRingBuffer(4096);
  const p2 = new RingProducer(sab2);
  const id2 = native.ringConsumerOpen(ringView(sab2), { verify: 'header' });
  p2.push(new Uint8Array(10));
  new Uint32Array(sab2)[256 >> 2] = 100000;
  p2.flush();
  await sleep(20);
  t.match(cstats(id2).ringError, /bad record length/, 'corruption reported');
  t.equal(cstats(id2).records, 0, 'nothing delivered');
  native.ringClose(id2);
});
