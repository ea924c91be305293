#!/usr/bin/env node
/**
 * Control-plane bench: agent start time, RPC round trips over NATS, idle memory,
 * getNode under churn.
 *
 *   node bench/control-plane.js [--calls 1000] [--runs 3] [--pairs 200] [--only churn]
 *
 * Churn: a controller ends a room (recycleNode of the node's last task) and at
 * once asks getNode for a new room, `--pairs` times, as when rooms end and
 * start at the top of the hour. Steady state: the same pairs, with a pause
 * after each recycle until the pool has its prerunNodes idle nodes READY, so
 * getNode never waits for a thread. Only getNode is timed.
 *
 * Starts a nats-server on a free loopback port and the agent as a separate
 * process (`node dist/main.js`), exactly as it runs in production. Prints one
 * JSON line per measurement. The baseline is a bare NATS request/reply echo
 * served by a plain subscriber in the same run, so the agent's own cost is the
 * difference between the two.
 */
'use strict';
const { spawn } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { connect, JSONCodec } = require('nats');
const { NatsServerProcess } = require('../dist/rpc/NatsServerProcess');

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
    pairs: { type: 'string', default: '200' },
    only: { type: 'string' },
  },
});
const CALLS = Number(values.calls);
const RUNS = Number(values.runs);
const PAIRS = Number(values.pairs);
const json = JSONCodec();
const root = path.resolve(__dirname, '..');

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function startAgent(natsUrl, env) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [path.join(root, 'dist/main.js')], {
      env: { PATH: process.env.PATH, NATS_URL: natsUrl, LOG_LEVEL: 'warn', METRICS_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error('agent not ready in 20 s')), 20_000);
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('webrtc-agent ready:'));
      if (line) {
        clearTimeout(timer);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        resolve({ child, id: /id=(\S+)/.exec(line)[1], readyMs: ms });
      }
    });
    child.once('exit', (c) => reject(new Error(`agent exited ${c}`)));
  });
}

function stopAgent(child) {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

async function timeCalls(nc, n, subjectOf, payloadOf) {
  const lat = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await nc.request(subjectOf(i), json.encode(payloadOf(i)), { timeout: 5000 });
    lat.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  lat.sort((a, b) => a - b);
  return { calls: n, p50_us: +pct(lat, 50).toFixed(1), p99_us: +pct(lat, 99).toFixed(1), max_us: +lat[lat.length - 1].toFixed(1) };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** recycleNode of the last room's task, then (settled: once prerunNodes idle nodes are READY) getNode for a new room. */
async function churn(nc, id, run, settled, prerun) {
  const s = (m) => `webrtc-agent.agent.${id}.${m}`;
  const req = async (m, p) => json.decode((await nc.request(s(m), json.encode(p), { timeout: 10_000 })).data);
  const lat = [];
  let prev;
  let ended = 0;
  for (let i = 0; i < PAIRS; i++) {
    if (prev) {
      await req('recycleNode', prev);
      if (settled) {
        const end = Date.now() + 10_000;
        for (;;) {
          const { nodes } = await req('listNodes', {});
          if (nodes.filter((n) => n.list === 'idle' && n.state === 'ready').length >= prerun || Date.now() > end) break;
          await sleep(5);
        }
      }
    }
    const room = `churn-${settled ? 's' : 'c'}-${run}-${i}`;
    const t0 = process.hrtime.bigint();
    const { nodeId } = await req('getNode', { room, task: 't' });
    lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (prev && prev.nodeId !== nodeId) ended++;
    prev = { nodeId, room, task: 't' };
  }
  lat.sort((a, b) => a - b);
  return {
    pairs: PAIRS,
    p50_ms: +pct(lat, 50).toFixed(2),
    p99_ms: +pct(lat, 99).toFixed(2),
    max_ms: +lat[lat.length - 1].toFixed(2),
    other_node: ended,
  };
}

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-bench-'));
  const nats = await NatsServerProcess.start({ port: 0, dataDir });
  const nc = await connect({ servers: nats.url });
  const emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const onlyChurn = values.only === 'churn';
  try {
    if (!onlyChurn) {
      // Baseline: NATS request/reply through a plain echo subscriber.
      const echo = nc.subscribe('bench.echo', { callback: (_e, m) => m.respond(m.data) });
      await nc.flush();
      for (let r = 0; r < RUNS; r++) emit({ bench: 'rpc', what: 'baseline nats echo', run: r, ...(await timeCalls(nc, CALLS, () => 'bench.echo', (i) => ({ room: 'r', task: `t${i}` }))) });
      echo.unsubscribe();
    }

    for (const nodes of onlyChurn ? [2] : [2, 13]) {
      const starts = [];
      for (let r = 0; r < RUNS; r++) {
        const a = await startAgent(nats.url, { AGENT_PRERUN_NODES: String(nodes), AGENT_MAX_NODES: '13' });
        starts.push(a.readyMs);
        await new Promise((res) => setTimeout(res, 1500)); // settle before reading memory
        emit({ bench: 'agent', what: 'start and idle memory', prerunNodes: nodes, run: r, ready_ms: +a.readyMs.toFixed(0), rss_mib: +rssMiB(a.child.pid).toFixed(1) });
        if (nodes === 2) {
          const s = (m) => `webrtc-agent.agent.${a.id}.${m}`;
          if (!onlyChurn) {
            emit({ bench: 'rpc', what: 'getNode same room', run: r, ...(await timeCalls(nc, CALLS, () => s('getNode'), (i) => ({ room: 'bench-room', task: `t${i}` }))) });
            emit({ bench: 'rpc', what: 'getNode new room each call', run: r, ...(await timeCalls(nc, CALLS, () => s('getNode'), (i) => ({ room: `room-${r}-${i}`, task: 't' }))) });
            const { nodeId } = json.decode((await nc.request(s('queryNode'), json.encode({ room: 'bench-room' }))).data);
            emit({ bench: 'rpc', what: 'node dump (inside the node thread)', run: r, ...(await timeCalls(nc, CALLS, () => `webrtc-agent.node.${nodeId}.dump`, () => ({}))) });
            await stopAgent(a.child);
            const b = await startAgent(nats.url, { AGENT_PRERUN_NODES: '2', AGENT_MAX_NODES: '13' });
            a.child = b.child;
            a.id = b.id;
          }
          emit({ bench: 'churn', what: 'getNode, steady state (pool refilled before each)', run: r, ...(await churn(nc, a.id, r, true, 2)) });
          emit({ bench: 'churn', what: 'getNode right after recycleNode of the last room', run: r, ...(await churn(nc, a.id, r, false, 2)) });
        }
        await stopAgent(a.child);
      }
      emit({ bench: 'agent', what: 'start median', prerunNodes: nodes, ready_ms_median: +median(starts).toFixed(0) });
    }
  } finally {
    await nc.close();
    await nats.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
