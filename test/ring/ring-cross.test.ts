// The SPSC ring across threads and across implementations: C++ and TS
// producers and consumers, each in its own worker thread, on rings small
// enough that every run wraps the data area thousands of times and crosses
// the u32 index wrap. Every record is a RingPattern record with a random
// size; consumers check every byte, the order, and count gaps (sequence
// numbers the producer dropped), which must equal the drop counter exactly.
//
// Needs: npx node-gyp rebuild && npx tsc -p tsconfig.json
import t, { type Test } from 'tap';
import { Ring, createRingBuffer } from '../kit/ring';
import { RingWorker, sleep, until } from '../helpers/ring-worker';

const CAPACITY = 8192; // maxRecord 4092: records up to half the ring
const MAX_PAYLOAD = 4092 - 8; // minus the pattern header
const RECORDS = 20_000;
// Both indices start 64 KiB below 2^32: the u32 wrap comes early in a run.
const START_INDEX = 0xffff0000;

function newRing(capacity = CAPACITY): { sab: SharedArrayBuffer; ring: Ring } {
  const sab = createRingBuffer(capacity, { startIndex: START_INDEX });
  return { sab, ring: new Ring(sab) };
}

async function stopAll(t: Test, ...workers: RingWorker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.worker.terminate()));
  for (const w of workers) t.same(w.errors.map((e) => e.message), [], 'no worker errors');
}

// Index wrap: with 20k records of ~2 KiB the head ran far past 2^32.
function wrapped(head: number): boolean {
  return head < START_INDEX;
}

t.test('C++ producer thread -> TS consumer thread', async (t) => {
  const { sab, ring } = newRing();
  const [prod, cons] = await Promise.all([RingWorker.start(), RingWorker.start()]);
  try {
    await prod.call('nativeProducerOpen', { sab });
    await cons.call('tsConsumerOpen', { sab, verify: 'full', startSeq: 0 });
    // The TS consumer loops in its thread (drain, bounded Atomics.wait when
    // empty) while the C++ producer pushes, lossless (waits for room). A C++
    // producer cannot end that wait, so keep it short (50 us): with 1 ms the
    // consumer slept a whole millisecond per 8 KiB ring-full.
    const consumed = cons.call('tsConsumeUntil', { records: RECORDS, timeoutMs: 15_000, waitMs: 0.05 });
    const burst = await prod.call('nativeBurst', { count: RECORDS, min: 0, max: MAX_PAYLOAD, seed: 11, flushEvery: 32, waitMs: 5000 });
    const c = await consumed;
    t.equal(burst.pushed, RECORDS, 'producer pushed every record');
    t.equal(burst.dropped, 0, 'no drops (lossless mode)');
    t.equal(c.records, RECORDS, 'consumer got every record');
    t.equal(c.errors, 0, `every byte verified (${c.firstError ?? 'ok'})`);
    t.equal(c.gaps, 0, 'no sequence gaps');
    t.equal(c.lastSeq, RECORDS - 1, 'in order up to the last one');
    t.equal(c.ringError, null, 'no corruption');
    const s = ring.stats();
    t.ok(c.bytes > 100 * CAPACITY, `many laps of the data area (${Math.round(c.bytes / CAPACITY)})`);
    t.ok(wrapped(s.head), `u32 index wrapped (head ${s.head})`);
    t.equal(s.used, 0, 'ring drained');
    t.equal(s.drops, 0, 'header drop counter 0');
  } finally {
    await stopAll(t, prod, cons);
  }
});

t.test('TS producer thread -> C++ consumer thread, woken by eventfd', async (t) => {
  const { sab, ring } = newRing();
  const [prod, cons] = await Promise.all([RingWorker.start(), RingWorker.start()]);
  try {
    await cons.call('nativeConsumerOpen', { sab, verify: 'full', startSeq: 0 });
    t.ok(ring.stats().wakeFd >= 0, 'consumer published its eventfd');
    await prod.call('tsProducerOpen', { sab });
    const burst = await prod.call('tsBurst', { count: RECORDS, min: 0, max: MAX_PAYLOAD, seed: 12, flushEvery: 16, lossless: true });
    t.equal(burst.pushed, RECORDS, 'producer pushed every record');
    let c: any;
    t.ok(
      await until(async () => (c = await cons.call('consumerStats')).records >= RECORDS, 15_000),
      `consumer got every record (${c.records})`,
    );
    t.equal(c.errors, 0, `every byte verified (${c.firstError ?? 'ok'})`);
    t.equal(c.gaps, 0, 'no sequence gaps');
    t.equal(c.lastSeq, RECORDS - 1, 'in order');
    t.ok(c.header.wakes > 0, `producer woke the consumer through the eventfd (${c.header.wakes} wakes)`);
    t.ok(wrapped(c.header.head), 'u32 index wrapped');

    // Asleep and not polling: nothing happens on its loop while idle.
    await sleep(30);
    const idle1 = await cons.call('consumerStats');
    await sleep(150);
    const idle2 = await cons.call('consumerStats');
    t.equal(idle1.header.sleeping, 1, 'idle consumer is asleep (sleeping=1)');
    t.equal(idle2.wakeups, idle1.wakeups, 'no wakeups while idle (no polling)');

    // One flush to a sleeping consumer = exactly one eventfd write.
    const more = await prod.call('tsBurst', { count: 10, min: 0, max: 100, seed: 13, flushEvery: 0, lossless: true });
    t.equal(more.pushed, 10, '10 more pushed');
    t.ok(await until(async () => (c = await cons.call('consumerStats')).records >= RECORDS + 10, 5000), 'consumer woke for them');
    t.equal(c.header.wakes, idle2.header.wakes + 1, 'exactly one wake for one sleep');
    t.ok(c.wakeups > idle2.wakeups, 'the wake reached the loop');
    t.equal(c.errors, 0, 'still no errors');
    const p = await prod.call('producerStats');
    t.equal(p.wakes, c.header.wakes, "producer's wake count matches the header");
  } finally {
    await stopAll(t, prod, cons);
  }
  t.equal(ring.stats().wakeFd, -1, 'terminated consumer retracted its eventfd');
});

t.test('C++ producer thread -> C++ consumer thread', async (t) => {
  const { sab, ring } = newRing();
  const [prod, cons] = await Promise.all([RingWorker.start(), RingWorker.start()]);
  try {
    // A small batch limit: the reader must re-arm (come back next loop
    // turn) many times without losing or reordering anything.
    await cons.call('nativeConsumerOpen', { sab, verify: 'full', startSeq: 0, batch: 16 });
    await prod.call('nativeProducerOpen', { sab });
    const burst = await prod.call('nativeBurst', { count: RECORDS, min: 0, max: MAX_PAYLOAD, seed: 14, flushEvery: 32, waitMs: 5000 });
    t.equal(burst.pushed, RECORDS, 'producer pushed every record');
    let c: any;
    t.ok(await until(async () => (c = await cons.call('consumerStats')).records >= RECORDS, 15_000), `consumer got every record (${c.records})`);
    t.equal(c.errors, 0, `every byte verified (${c.firstError ?? 'ok'})`);
    t.equal(c.gaps, 0, 'no sequence gaps');
    t.equal(c.lastSeq, RECORDS - 1, 'in order');
    t.equal(c.ringError, null, 'no corruption');
    t.ok(wrapped(c.header.head), 'u32 index wrapped');

    await sleep(30);
    const idle1 = await cons.call('consumerStats');
    await sleep(150);
    const idle2 = await cons.call('consumerStats');
    t.equal(idle2.wakeups, idle1.wakeups, 'no wakeups while idle (no polling)');
    const more = await prod.call('nativeBurst', { count: 10, min: 0, max: 100, seed: 15, flushEvery: 0, waitMs: 0 });
    t.equal(more.wakes, 1, 'one burst to a sleeping consumer: one eventfd write');
    t.ok(await until(async () => (c = await cons.call('consumerStats')).records >= RECORDS + 10, 5000), 'consumer woke for them');
    t.equal(c.errors + c.gaps, 0, 'still exact');
  } finally {
    await stopAll(t, prod, cons);
  }
  t.equal(ring.stats().wakeFd, -1, 'terminated consumer retracted its eventfd');
});

// A consumer that is alive but not draining: the producer drops, never
// blocks, never overwrites; the consumer later sees exactly the dropped
// sequence numbers missing.
for (const variant of ['C++ -> C++', 'TS -> C++', 'C++ -> TS'] as const) {
  t.test(`drops are counted exactly while the consumer is stalled (${variant})`, async (t) => {
    const { sab, ring } = newRing(16384);
    const maxPayload = ring.maxRecord - 8;
    const [prod, cons] = await Promise.all([RingWorker.start(), RingWorker.start()]);
    const nativeProd = variant !== 'TS -> C++';
    const nativeCons = variant !== 'C++ -> TS';
    const ctrl = new SharedArrayBuffer(4);
    const burst = (count: number, seed: number, lossless: boolean) =>
      nativeProd
        ? prod.call('nativeBurst', { count, min: 0, max: maxPayload, seed, flushEvery: 8, waitMs: lossless ? 5000 : 0 })
        : prod.call('tsBurst', { count, min: 0, max: maxPayload, seed, flushEvery: 8, lossless });
    const consumed = async (n: number) => {
      let c: any;
      if (nativeCons) {
        await until(async () => (c = await cons.call('consumerStats')).records >= n, 10_000);
      } else {
        c = await cons.call('tsConsumeUntil', { records: n, timeoutMs: 10_000, waitMs: 0.05 });
      }
      return c;
    };
    try {
      if (nativeCons) await cons.call('nativeConsumerOpen', { sab, verify: 'full', startSeq: 0 });
      else await cons.call('tsConsumerOpen', { sab, verify: 'full', startSeq: 0 });
      await prod.call(nativeProd ? 'nativeProducerOpen' : 'tsProducerOpen', { sab });

      const warm = nativeCons ? null : consumed(500);
      const a = await burst(500, 21, true);
      t.equal(a.pushed, 500, 'warm-up: all pushed');
      let c = warm ? await warm : await consumed(500);
      t.equal(c.records, 500, 'warm-up: all consumed');

      // Stall: the native consumer's thread blocks in Atomics.wait (its
      // loop with it); the TS consumer simply does not drain.
      if (nativeCons) {
        const stalling = cons.next('stalling');
        cons.worker.postMessage({ cmd: 'stall', ctrl });
        await stalling;
      }
      const b = await burst(400, 22, false);
      t.ok(b.dropped > 0, `stalled: ${b.dropped} of 400 dropped`);
      t.ok(b.pushed > 0, `stalled: ${b.pushed} fitted`);
      t.equal(ring.stats().drops, b.dropped, 'header counts exactly the dropped records');
      t.ok(ring.stats().fullness > 0.5, `ring is full-ish (${ring.stats().fullness.toFixed(2)})`);

      if (nativeCons) {
        const resumed = cons.next('stall');
        Atomics.store(new Int32Array(ctrl), 0, 1);
        Atomics.notify(new Int32Array(ctrl), 0);
        await resumed;
      }
      const total = 500 + b.pushed + 500;
      const tail = nativeCons ? null : consumed(total);
      const d = await burst(500, 23, true);
      t.equal(d.pushed, 500, 'after the stall: all pushed');
      c = tail ? await tail : await consumed(total);
      t.equal(c.records, total, 'consumer got every record that was pushed');
      t.equal(c.errors, 0, `every byte verified (${c.firstError ?? 'ok'})`);
      t.equal(c.gaps, b.dropped, 'the missing sequence numbers are exactly the drops');
      t.equal(c.lastSeq, 1399, 'last record is the last pushed');
      const p = await prod.call('producerStats');
      t.equal(p.dropped, b.dropped, 'producer stats agree');
      t.equal(ring.stats().drops, b.dropped, 'header agrees');
      t.equal(ring.stats().oversize, 0, 'none of them oversize');
    } finally {
      Atomics.store(new Int32Array(ctrl), 0, 1);
      Atomics.notify(new Int32Array(ctrl), 0);
      await stopAll(t, prod, cons);
    }
  });
}

// The consumer thread dies (worker.terminate) while the producer keeps
// pushing and waking it: the process survives, the producer carries on, the
// eventfd is retracted before it is closed, wakes stop, and the next
// consumer can attach to the same ring.
for (const producerKind of ['C++', 'TS'] as const) {
  t.test(`consumer thread terminated while a ${producerKind} producer keeps pushing`, async (t) => {
    const { sab, ring } = newRing();
    const prod = await RingWorker.start();
    const CYCLES = 12;
    let attached = 0;
    let verified = 0;
    try {
      await prod.call(producerKind === 'C++' ? 'nativeProducerOpen' : 'tsProducerOpen', { sab });
      // Small chunks and frequent flushes: plenty of wakes in flight when
      // the consumer goes away.
      await prod.call('pumpStart', { chunk: 50, min: 0, max: 1500, seed: 31, flushEvery: 2 });
      for (let i = 0; i < CYCLES; i++) {
        const cons = await RingWorker.start();
        await cons.call('nativeConsumerOpen', { sab, verify: 'full' });
        attached++;
        let c: any;
        const got = await until(async () => (c = await cons.call('consumerStats')).records >= 200, 5000, 2);
        if (got && c.errors === 0) verified++;
        else t.fail(`cycle ${i}: ${JSON.stringify(c)}`);
        // Terminate at a random moment of the consumer's life.
        await sleep(Math.floor(Math.random() * 4));
        const code = await cons.worker.terminate();
        t.equal(code, 1, `cycle ${i}: consumer terminated`);
        const h = ring.stats();
        t.equal(h.wakeFd, -1, `cycle ${i}: eventfd retracted`);
        t.equal(h.wakers, 0, `cycle ${i}: no wake in flight`);
        t.same(cons.errors, [], `cycle ${i}: no consumer errors`);
      }
      t.equal(attached, CYCLES, 'a new consumer could attach every time');
      t.equal(verified, CYCLES, 'each consumer verified what it read');

      // No consumer now: the producer still runs, fills up, drops; no wakes.
      const p1 = await prod.call('producerStats');
      await sleep(100);
      const p2 = await prod.call('producerStats');
      t.ok(p2.pushed + p2.dropped > p1.pushed + p1.dropped, 'producer keeps pushing');
      t.equal(p2.header.wakes, p1.header.wakes, 'wakes stopped');
      t.ok(p2.header.drops > p1.header.drops, 'with nobody draining it drops');
    } finally {
      await prod.call('pumpStop');
      await stopAll(t, prod);
    }
  });
}
