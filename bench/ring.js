'use strict';
// Packets between two threads: the native SPSC ring (C++ producer thread ->
// C++ consumer woken by eventfd on its own loop), the same ring driven from
// JavaScript on both sides, and postMessage. Results in docs/bench.md
// ("Rings").
//
//   bash test/addon/build.sh && node bench/ring.js
//
// The rings' JS face (ring* functions, the TS producer/consumer/pattern) is
// test and bench code, not in the product: test/addon/build.sh builds the
// ring test addon and compiles the kit (test/kit) into dist-test/.
//
// Options: --sizes 100,300,600,1200  --runs 3  --capacity 4194304
//          --only native,js,postMessage,pingpong  --verify header,full
//          --packets-native N --packets-js N --packets-pm N --pings N
//          --no-out (no bench/out/ring.{json,svg})  --docs (copy the chart
//          to docs/ring-bench.svg)
//
// Every configuration prints one JSON line: the median of `runs` runs of
// packets/s and ns/packet; all of them also go to bench/out/ring.json, and a
// chart (bench/lib/chart.js) to bench/out/ring.svg. A packet is `size` payload bytes plus the
// 8-byte test header {seq, check} (docs/ring.md, "Test pattern"), pushed as
// one record; every consumer checks the sequence (order, no loss) and, at
// verify level `full`, every byte (`header`: the 8-byte header only, so the
// consumer does not read the payload). The time of a run is from the producer's first
// push to the consumer's last record (process.hrtime: one clock for all
// threads). The producer waits for room rather than dropping: this measures
// how many packets the ring carries, not how many it sheds.
//
// `pingpong` (in --only; run by default) measures the wake path instead of
// throughput: two threads, two native rings, one packet bouncing; every hop
// finds the other side asleep, so each hop is one eventfd write, one epoll
// wake-up of the other thread's loop and one onBatch call into its JS.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Worker, isMainThread, parentPort, workerData, MessageChannel } = require('node:worker_threads');

const ROOT = path.join(__dirname, '..');
const RING_KIT = path.join(ROOT, 'dist-test', 'test', 'kit', 'ring', 'index.js');
const SEED = 0x5eed;

if (!isMainThread) {
  runWorker(workerData);
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

// ------------------------------------------------------------------ main

function parseArgs(argv) {
  const opts = {
    sizes: [100, 300, 600, 1200],
    runs: 3,
    capacity: 1 << 22, // the agent's default agent.linkRingBytes
    only: ['native', 'js', 'postMessage', 'pingpong'],
    verify: ['header', 'full'],
    out: true,
    docs: false,
    packets: { native: 2_000_000, js: 500_000, postMessage: 100_000 },
    pings: 20_000,
  };
  const flags = { '--no-out': () => (opts.out = false), '--docs': () => (opts.docs = true) };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (flags[a]) {
      flags[a]();
      continue;
    }
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--sizes') opts.sizes = v.split(',').map(Number);
    else if (a === '--runs') opts.runs = Number(v);
    else if (a === '--capacity') opts.capacity = Number(v);
    else if (a === '--only') opts.only = v.split(',');
    else if (a === '--verify') opts.verify = v.split(',');
    else if (a === '--packets-native') opts.packets.native = Number(v);
    else if (a === '--packets-js') opts.packets.js = Number(v);
    else if (a === '--packets-pm') opts.packets.postMessage = Number(v);
    else if (a === '--pings') opts.pings = Number(v);
    else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

function startWorker(data, transferList) {
  const w = new Worker(__filename, {
    workerData: data,
    transferList,
    // Keep loaders/hooks given to the main process out of the threads.
    execArgv: [],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const inbox = [];
  const waiters = [];
  let failure = null;
  const fail = (err) => {
    failure = err;
    while (waiters.length) waiters.shift().reject(err);
  };
  w.on('message', (m) => {
    const i = waiters.findIndex((x) => x.type === m.type);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
    else inbox.push(m);
  });
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`${data.role} worker exited (${code})`)));
  return {
    worker: w,
    next(type, timeoutMs = 60_000) {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0]);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${data.role}: no '${type}' in ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          type,
          resolve: (m) => (clearTimeout(t), resolve(m)),
          reject: (e) => (clearTimeout(t), reject(e)),
        });
      });
    },
  };
}

async function runOnce(impl, size, opts) {
  const packets = opts.packets[impl];
  let consumerData;
  let producerData;
  let transfer = [];
  if (impl === 'postMessage') {
    const { port1, port2 } = new MessageChannel();
    const credit = new SharedArrayBuffer(8);
    consumerData = { role: 'pm-consumer', port: port1, credit, packets };
    producerData = { role: 'pm-producer', port: port2, credit, packets, size };
    transfer = [[port1], [port2]];
  } else {
    const { createRingBuffer } = require(RING_KIT);
    const sab = createRingBuffer(opts.capacity);
    const side = impl === 'native' ? 'native' : 'js';
    consumerData = { role: `${side}-consumer`, sab, packets, verify: opts.verify };
    producerData = { role: `${side}-producer`, sab, packets, size };
    transfer = [[], []];
  }
  const consumer = startWorker(consumerData, transfer[0]);
  await consumer.next('ready');
  const producer = startWorker(producerData, transfer[1]);
  await producer.next('ready');
  producer.worker.postMessage('go');
  const done = await consumer.next('done');
  const sent = await producer.next('sent');
  await Promise.all([consumer.worker.terminate(), producer.worker.terminate()]);
  const ns = Number(BigInt(done.t1) - BigInt(sent.t0));
  if (done.errors !== 0 || done.gaps !== 0 || done.records !== packets) {
    throw new Error(`${impl} ${size}: bad run ${JSON.stringify({ done, sent })}`);
  }
  return { ns, done, sent };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function pingPongOnce(opts) {
  const { createRingBuffer } = require(RING_KIT);
  const ab = createRingBuffer(1 << 16);
  const ba = createRingBuffer(1 << 16);
  const b = startWorker({ role: 'pong', inbound: ab, outbound: ba });
  await b.next('ready');
  const a = startWorker({ role: 'ping', inbound: ba, outbound: ab, pings: opts.pings });
  await a.next('ready');
  a.worker.postMessage('go');
  const done = await a.next('done');
  await Promise.all([a.worker.terminate(), b.worker.terminate()]);
  if (done.errors !== 0 || done.gaps !== 0) throw new Error(`pingpong: bad run ${JSON.stringify(done)}`);
  return done;
}

async function pingPong(opts) {
  const runs = [];
  for (let r = 0; r < opts.runs; r++) runs.push(await pingPongOnce(opts));
  const rtts = runs.map((d) => d.ns / d.pings);
  const rtt = median(rtts);
  const last = runs[runs.length - 1];
  const row = {
    bench: 'ring',
    impl: 'pingpong',
    size: 100,
    pings: opts.pings,
    runs: opts.runs,
    rttUs: Number((rtt / 1000).toFixed(2)),
    hopUs: Number((rtt / 2000).toFixed(2)),
    all: rtts.map((x) => Number((x / 1000).toFixed(2))),
    wakesPerHop: Number((last.wakes / (2 * opts.pings)).toFixed(2)),
  };
  console.log(JSON.stringify(row));
  return row;
}

async function main() {
  const opts = parseArgs(process.argv);
  const rows = [];
  for (const impl of opts.only) {
    if (impl === 'pingpong') {
      rows.push(await pingPong(opts));
      continue;
    }
    // postMessage's structured clone reads every byte anyway: header check.
    const verifies = impl === 'postMessage' ? ['header'] : opts.verify;
    for (const verify of verifies) {
      for (const size of opts.sizes) {
        const rates = [];
        let extra = {};
        for (let r = 0; r < opts.runs; r++) {
          const { ns, done, sent } = await runOnce(impl, size, { ...opts, verify });
          rates.push((opts.packets[impl] * 1e9) / ns);
          if (done.wakeups !== undefined) {
            extra = { wakeups: done.wakeups, sleeps: done.sleeps, producerWakes: sent.wakes };
          }
        }
        const pps = median(rates);
        const row = {
          bench: 'ring',
          impl,
          size,
          record: size + 8,
          packets: opts.packets[impl],
          runs: opts.runs,
          verify,
          capacity: impl === 'postMessage' ? null : opts.capacity,
          pps: Math.round(pps),
          nsPerPacket: Number((1e9 / pps).toFixed(1)),
          gbps: Number(((pps * size * 8) / 1e9).toFixed(2)),
          all: rates.map((x) => Math.round(x)),
          ...extra,
        };
        console.log(JSON.stringify(row));
        rows.push(row);
      }
    }
  }
  if (opts.out) {
    const out = path.join(ROOT, 'bench', 'out');
    fs.mkdirSync(out, { recursive: true });
    const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, load: os.loadavg() };
    fs.writeFileSync(path.join(out, 'ring.json'), `${JSON.stringify({ date: new Date().toISOString(), machine, rows }, null, 1)}\n`);
    await chart(rows, opts);
  }
}

// packets/s by packet size, one line per implementation and verify level.
async function chart(rows, opts) {
  let writeChart;
  try {
    ({ writeChart } = require('./lib/chart'));
  } catch {
    console.error('bench/lib/chart.js not available: no chart');
    return;
  }
  const points = rows
    .filter((r) => r.pps !== undefined)
    .map((r) => ({ size: r.size, pps: r.pps, config: r.impl === 'postMessage' ? 'postMessage' : `${r.impl} ring, verify ${r.verify}` }));
  const file = await writeChart(path.join(ROOT, 'bench', 'out', 'ring.svg'), {
    rows: points,
    x: 'size',
    y: 'pps',
    color: 'config',
    logY: true,
    title: 'Packets between two threads (median of runs)',
    xTitle: 'packet payload bytes (+ 8-byte header)',
    yTitle: 'packets/s (log)',
  });
  console.error(`wrote ${path.relative(ROOT, file)}`);
  if (opts.docs) {
    fs.copyFileSync(file, path.join(ROOT, 'docs', 'ring-bench.svg'));
    console.error('copied it to docs/ring-bench.svg');
  }
}

// ---------------------------------------------------------------- workers

function hr() {
  return process.hrtime.bigint().toString();
}

function runWorker(d) {
  switch (d.role) {
    case 'native-consumer':
      return nativeConsumer(d);
    case 'native-producer':
      return nativeProducer(d);
    case 'js-consumer':
      return jsConsumer(d);
    case 'js-producer':
      return jsProducer(d);
    case 'pm-consumer':
      return pmConsumer(d);
    case 'pm-producer':
      return pmProducer(d);
    case 'ping':
    case 'pong':
      return pingPongSide(d);
    default:
      throw new Error(`unknown role ${d.role}`);
  }
}

function nativeAddon() {
  return require(RING_KIT).loadRingAddon();
}

function nativeConsumer(d) {
  const addon = nativeAddon();
  let id = 0;
  let total = 0;
  id = addon.ringConsumerOpen(new Uint8Array(d.sab), {
    verify: d.verify,
    startSeq: 0,
    onBatch(n) {
      total += n;
      if (total >= d.packets) {
        const t1 = hr();
        const s = addon.ringStats(id);
        addon.ringClose(id);
        parentPort.postMessage({
          type: 'done',
          t1,
          records: s.records,
          gaps: s.gaps,
          errors: s.errors,
          wakeups: s.wakeups,
          sleeps: s.sleeps,
        });
      }
    },
  });
  parentPort.on('message', () => {}); // stay alive
  parentPort.postMessage({ type: 'ready' });
}

function nativeProducer(d) {
  const addon = nativeAddon();
  const id = addon.ringProducerOpen(new Uint8Array(d.sab));
  parentPort.on('message', () => {
    const t0 = hr();
    let left = d.packets;
    let dropped = 0;
    let wakes = 0;
    while (left > 0) {
      const n = Math.min(left, 65536);
      // waitMs: lossless (wait for room); flushEvery 32: one fence per 32.
      const r = addon.ringPushBurst(id, n, d.size, d.size, SEED, { waitMs: 5000, flushEvery: 32 });
      dropped += r.dropped;
      wakes += r.wakes;
      left -= n;
    }
    parentPort.postMessage({ type: 'sent', t0, dropped, wakes });
  });
  parentPort.postMessage({ type: 'ready' });
}

function jsConsumer(d) {
  const { RingConsumer, RingVerifier } = require(RING_KIT);
  const consumer = new RingConsumer(d.sab);
  const verifier = new RingVerifier(consumer.ring.maxRecord, d.verify, 0);
  parentPort.postMessage({ type: 'ready' });
  // A dedicated thread: drain, and park in Atomics.wait (bounded) when
  // empty; the TS producer's flush() notifies.
  while (verifier.records < d.packets) {
    if (consumer.drain(verifier.onRecord, 4096) === 0) consumer.waitForData(50);
  }
  parentPort.postMessage({
    type: 'done',
    t1: hr(),
    records: verifier.records,
    gaps: verifier.gaps,
    errors: verifier.errors,
  });
}

function jsProducer(d) {
  const { RingProducer, RingPattern, PushResult } = require(RING_KIT);
  const producer = new RingProducer(d.sab);
  const pattern = new RingPattern(producer.ring.maxRecord);
  const header = new Uint8Array(RingPattern.HEADER_BYTES);
  parentPort.on('message', () => {
    const t0 = hr();
    for (let seq = 0; seq < d.packets; seq++) {
      pattern.header(seq, d.size, header);
      const payload = pattern.payload(seq, d.size);
      while (producer.tryPush(payload, header) === PushResult.full) producer.flush();
      if ((seq & 31) === 31) producer.flush();
    }
    producer.flush();
    parentPort.postMessage({ type: 'sent', t0, dropped: producer.dropped, wakes: producer.wakes });
  });
  parentPort.postMessage({ type: 'ready' });
}

// postMessage: one message per packet (structured clone copies it), with a
// credit window so the queue cannot grow without bound.
const PM_WINDOW = 4096;

function pmConsumer(d) {
  const { RingPattern } = require(RING_KIT);
  const credit = new Int32Array(d.credit);
  const pattern = new RingPattern(0);
  let records = 0;
  let gaps = 0;
  let errors = 0;
  let expected = 0;
  d.port.on('message', (u8) => {
    if (pattern.verify(u8, 0, u8.length, 'header') !== null) errors++;
    const seq = pattern.lastSeq;
    if (seq !== expected) gaps++;
    expected = seq + 1;
    records++;
    if ((records & 255) === 0) {
      Atomics.store(credit, 0, records);
      Atomics.notify(credit, 0);
    }
    if (records === d.packets) {
      parentPort.postMessage({ type: 'done', t1: hr(), records, gaps, errors });
      d.port.close();
    }
  });
  parentPort.postMessage({ type: 'ready' });
}

function pmProducer(d) {
  const { RingPattern } = require(RING_KIT);
  const credit = new Int32Array(d.credit);
  const pattern = new RingPattern(d.size);
  parentPort.on('message', () => {
    const t0 = hr();
    for (let seq = 0; seq < d.packets; seq++) {
      for (;;) {
        const acked = Atomics.load(credit, 0);
        if (seq - acked < PM_WINDOW) break;
        Atomics.wait(credit, 0, acked, 5);
      }
      d.port.postMessage(pattern.record(seq, d.size));
    }
    parentPort.postMessage({ type: 'sent', t0, dropped: 0 });
  });
  parentPort.postMessage({ type: 'ready' });
}

// One side of the ping-pong: each packet that arrives (native reader, on
// this thread's loop) sends the next one back through the other ring.
function pingPongSide(d) {
  const addon = nativeAddon();
  const out = addon.ringProducerOpen(new Uint8Array(d.outbound));
  const isPing = d.role === 'ping';
  let got = 0;
  let t0 = 0n;
  const send = () => addon.ringPushBurst(out, 1, 92, 92, SEED, { flushEvery: 0 });
  const id = addon.ringConsumerOpen(new Uint8Array(d.inbound), {
    verify: 'full',
    startSeq: 0,
    onBatch(n) {
      got += n;
      if (!isPing || got < d.pings) {
        send();
        return;
      }
      const ns = Number(process.hrtime.bigint() - t0);
      const s = addon.ringStats(id);
      const p = addon.ringStats(out);
      parentPort.postMessage({
        type: 'done',
        ns,
        pings: got,
        errors: s.errors,
        gaps: s.gaps,
        // Both directions' eventfd writes: ours plus the pong side's.
        wakes: p.wakes + s.header.wakes,
      });
    },
  });
  parentPort.on('message', () => {
    t0 = process.hrtime.bigint();
    send();
  });
  parentPort.postMessage({ type: 'ready' });
}
