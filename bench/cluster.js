#!/usr/bin/env node
/**
 * Cluster bench: schedule latency with 3 agents on a 3-server NATS cluster
 * (JetStream R3), and the time from kill -9 of an agent to the lost event.
 *
 *   node bench/cluster.js [--calls 1000] [--interval 1000] [--kills 3]
 *
 * Agents run as separate processes (`node dist/main.js`), each connected to a
 * different nats-server. Prints one JSON line per measurement.
 */
'use strict';
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const net = require('node:net');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { connect, JSONCodec, ServiceError } = require('nats');
const { NatsServerProcess } = require('../dist/rpc/NatsServerProcess');
const { agentsBucket, roomsBucket, ClusterSubjects } = require('../dist/cluster/layout');
const { AGENTS_MAX_AGE_INTERVALS } = require('../dist/cluster/Cluster');

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000' },
    interval: { type: 'string', default: '1000' },
    kills: { type: 'string', default: '3' },
  },
});
const CALLS = Number(values.calls);
const INTERVAL = Number(values.interval);
const KILLS = Number(values.kills);
const json = JSONCodec();
const root = path.resolve(__dirname, '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, median: +pct(s, 50).toFixed(3), p99: +pct(s, 99).toFixed(3), max: +s[s.length - 1].toFixed(3) };
}
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function startAgent(id, natsUrl, cluster) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'dist/main.js')], {
      env: {
        PATH: process.env.PATH,
        METRICS_PORT: '0',
        NATS_URL: natsUrl,
        NATS_EMBEDDED: 'never',
        LOG_LEVEL: 'warn',
        AGENT_ID: id,
        AGENT_PRERUN_NODES: '1',
        CLUSTER_NAME: cluster,
        CLUSTER_REPORT_INTERVAL_MS: String(INTERVAL),
        CLUSTER_KV_REPLICAS: '3',
        // Schedulability must not depend on other traffic on this machine.
        CLUSTER_LOAD_METRIC: 'memory',
        CLUSTER_MAX_LOAD_PERCENT: '100',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('webrtc-agent ready:')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${id} exited ${code}`)));
  });
}

async function request(nc, subject, payload) {
  const m = await nc.request(subject, json.encode(payload), { timeout: 5000 });
  const err = ServiceError.toServiceError(m);
  if (err) throw err;
  return json.decode(m.data);
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'wa-bench-cluster-'));
  const cports = [await freePort(), await freePort(), await freePort()];
  const routes = cports.map((p) => `nats://127.0.0.1:${p}`).join(',');
  const servers = await Promise.all(
    cports.map((cp, i) =>
      NatsServerProcess.start({
        port: 0,
        dataDir: path.join(dir, `s${i}`),
        args: ['-n', `s${i}`, '--cluster_name', 'bench', '--cluster', `nats://127.0.0.1:${cp}`, '--routes', routes],
      }),
    ),
  );
  const urls = servers.map((s) => s.url);
  const nc = await connect({ servers: urls });
  const children = new Set();
  try {
    let round = 0;
    for (let k = 0; k < Math.max(1, KILLS); k++) {
      const cluster = `bench${k}`;
      const js = nc.jetstream();
      for (;;) {
        try {
          await js.views.kv(agentsBucket(cluster), { history: 1, ttl: AGENTS_MAX_AGE_INTERVALS * INTERVAL, replicas: 3 });
          await js.views.kv(roomsBucket(cluster), { history: 1, replicas: 3, allow_direct: false });
          break;
        } catch {
          await sleep(250);
        }
      }
      const subjects = new ClusterSubjects('webrtc-agent', cluster);
      const agents = await Promise.all(['a0', 'a1', 'a2'].map((id, i) => startAgent(`${cluster}-${id}`, urls[i], cluster)));
      agents.forEach((c) => children.add(c));
      // Schedulable once every agent has reported.
      const end = Date.now() + 10_000;
      const seen = new Set();
      while (seen.size < 3 && Date.now() < end) {
        try {
          seen.add((await request(nc, subjects.schedule(), { purpose: 'webrtc', task: `warm-${seen.size}-${Date.now()}`, strategy: 'round-robin' })).id);
        } catch {
          await sleep(50);
        }
      }
      if (k === 0) {
        for (const [name, mk] of [
          ['task, no room', (i) => ({ purpose: 'webrtc', task: `t${i}` })],
          ['task in a room (10 tasks a room)', (i) => ({ purpose: 'webrtc', task: `rt${i}`, room: `room${Math.floor(i / 10)}` })],
          ['new room each time', (i) => ({ purpose: 'webrtc', task: `nt${i}`, room: `new${i}` })],
        ]) {
          const lat = [];
          for (let i = 0; i < CALLS; i++) {
            const t0 = process.hrtime.bigint();
            await request(nc, subjects.schedule(), mk(i));
            lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
          }
          console.log(JSON.stringify({ what: 'schedule latency ms (sequential)', case: name, ...stats(lat) }));
        }
        const t0 = Date.now();
        const conc = await Promise.all(
          Array.from({ length: 200 }, (_, i) => {
            const s = process.hrtime.bigint();
            return request(nc, subjects.schedule(), { purpose: 'webrtc', task: `c${i}`, room: 'hot' }).then((r) => [r.id, Number(process.hrtime.bigint() - s) / 1e6]);
          }),
        );
        console.log(JSON.stringify({
          what: '200 concurrent schedules of one room', agents: new Set(conc.map((c) => c[0])).size, wall_ms: Date.now() - t0, ...stats(conc.map((c) => c[1])),
        }));
      }
      // kill -9 one agent -> lost event
      const placed = await request(nc, subjects.schedule(), { purpose: 'webrtc', task: 'victim-task', room: 'victim-room', strategy: 'last-used' });
      const sub = nc.subscribe(subjects.lost(), { max: 1 });
      const got = (async () => {
        for await (const m of sub) return json.decode(m.data);
      })();
      round++;
      const victim = agents[Number(placed.id.slice(-1))]; // the agent holding victim-room
      await sleep(Math.random() * INTERVAL); // a random phase against the report timer
      const t0 = Date.now();
      victim.kill('SIGKILL');
      const ev = await Promise.race([got, sleep(10 * INTERVAL + 5000).then(() => null)]);
      console.log(JSON.stringify({ what: 'kill -9 -> lost event', interval_ms: INTERVAL, ms: ev ? Date.now() - t0 : null, id: ev && ev.id, rooms: ev && ev.rooms.length }));
      for (const c of agents) {
        c.kill('SIGTERM');
        children.delete(c);
      }
      await sleep(300);
    }
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await nc.close();
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
