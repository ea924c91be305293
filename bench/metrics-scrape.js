#!/usr/bin/env node
/**
 * What one Prometheus scrape of /metrics costs, with 0 and N subscriptions
 * on a node thread (default N = 1000), against the existing way to read
 * the same counters: getStats over NATS (the baseline, same run, same node).
 *
 *   node bench/metrics-scrape.js [--subs 1000] [--scrapes 100] [--media]
 *
 * The agent runs as its own process (`node dist/main.js`) against a
 * nats-server on a free loopback port. One publisher transport and track,
 * N plain transports each with one subscription of it, connected to one
 * local UDP sink (with --media a publisher sends 50 packets/s, so 50*N
 * packets/s leave the agent during the measurement). For each case:
 * sequential requests, wall time seen by the caller (p50, p99) and the
 * agent process's CPU per request (all threads, /proc, minus its idle rate
 * measured just before). Prints one JSON line per case.
 */
'use strict';
const dgram = require('node:dgram');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { connect, JSONCodec } = require('nats');
const { NatsServerProcess } = require('../dist/rpc/NatsServerProcess');
const { cpuUs } = require('./lib/proc');
const { startAgent } = require('./lib/agent');

const { values } = parseArgs({
  options: { subs: { type: 'string', default: '1000' }, scrapes: { type: 'string', default: '100' }, media: { type: 'boolean', default: false } },
});
const SUBS = Number(values.subs);
const SCRAPES = Number(values.scrapes);
const json = JSONCodec();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function startAgentFor(natsUrl, logDir) {
  const name = `metrics-bench-${process.pid}`;
  const ch = await startAgent(natsUrl, name, logDir, { AGENT_PRERUN_NODES: '1', AGENT_MAX_TASKS_PER_NODE: '0' });
  return { ch, id: name, pid: ch.pid, metrics: /metrics=(\S+)/.exec(ch.readyLine)[1] };
}

async function call(nc, subject, payload) {
  const m = await nc.request(subject, json.encode(payload), { timeout: 10_000 });
  if (m.headers?.get('Nats-Service-Error-Code')) throw new Error(`${subject}: ${m.headers.get('Nats-Service-Error')}`);
  return m.data.length ? json.decode(m.data) : null;
}

/** Runs fn n times in a row; wall per call and the agent's CPU per call above its idle rate. */
async function measure(pid, idleUsPerMs, n, fn) {
  const lat = [];
  let bytes = 0;
  const c0 = cpuUs(pid);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    bytes = await fn();
    lat.push(performance.now() - s);
  }
  const wallMs = performance.now() - t0;
  const cpu = cpuUs(pid) - c0 - idleUsPerMs * wallMs;
  lat.sort((a, b) => a - b);
  return { p50_ms: +pct(lat, 50).toFixed(2), p99_ms: +pct(lat, 99).toFixed(2), agent_cpu_ms_per_call: +(cpu / n / 1000).toFixed(2), reply_bytes: bytes };
}

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-bench-metrics-'));
  const nats = await NatsServerProcess.start({ port: 0, dataDir });
  const agent = await startAgentFor(nats.url, dataDir);
  const nc = await connect({ servers: nats.url });
  const sink = dgram.createSocket('udp4');
  await new Promise((r) => sink.bind(0, '127.0.0.1', r));
  const sinkPort = sink.address().port;
  let sender;
  let timer;
  try {
    const { nodeId } = await call(nc, `webrtc-agent.agent.${agent.id}.getNode`, { room: 'bench', task: 'pub' });
    const node = (m, a) => call(nc, `webrtc-agent.node.${nodeId}.${m}`, a);
    const pub = await node('createPlainTransport', { transportId: 'pub' });
    await node('publishTrack', { transportId: 'pub', trackId: 'cam', kind: 'video', ssrc: 1111, payloadType: 96 });

    const scrape = async () => {
      const r = await fetch(agent.metrics);
      const text = await r.text();
      if (r.status !== 200) throw new Error(`scrape ${r.status}`);
      return text.length;
    };
    const getStats = async () => {
      const m = await nc.request(`webrtc-agent.node.${nodeId}.getStats`, json.encode({}), { timeout: 10_000 });
      return m.data.length;
    };
    const idleRate = async () => {
      const c0 = cpuUs(agent.pid);
      const t0 = performance.now();
      await sleep(2000);
      return (cpuUs(agent.pid) - c0) / (performance.now() - t0);
    };
    const run = async (subs) => {
      const idle = await idleRate();
      const base = { subscriptions: subs, scrapes: SCRAPES, media: values.media, idle_cpu_pct: +(idle / 10).toFixed(2) };
      await scrape(); // warm
      console.log(JSON.stringify({ case: 'scrape /metrics', ...base, ...(await measure(agent.pid, idle, SCRAPES, scrape)) }));
      console.log(JSON.stringify({ case: 'baseline: getStats over NATS', ...base, ...(await measure(agent.pid, idle, SCRAPES, getStats)) }));
    };

    if (values.media) {
      sender = dgram.createSocket('udp4');
      await new Promise((r) => sender.bind(0, '127.0.0.1', r));
      let seq = 0;
      timer = setInterval(() => {
        const b = Buffer.alloc(1012, 1);
        b[0] = 0x80;
        b[1] = 96;
        b.writeUInt16BE(seq & 0xffff, 2);
        b.writeUInt32BE((seq * 1800) >>> 0, 4);
        b.writeUInt32BE(1111, 8);
        seq++;
        sender.send(b, pub.port, '127.0.0.1');
      }, 20);
    }
    await run(0);
    for (let i = 0; i < SUBS; i++) {
      await node('createPlainTransport', { transportId: `s${i}` });
      await node('connectPlainTransport', { transportId: `s${i}`, ip: '127.0.0.1', port: sinkPort });
      await node('subscribeTrack', { transportId: `s${i}`, trackId: 'cam', subscriptionId: `s${i}` });
    }
    await run(SUBS);
  } finally {
    if (timer) clearInterval(timer);
    sender?.close();
    sink.close();
    await nc.close();
    await agent.ch.stop();
    await nats.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
