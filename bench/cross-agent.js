#!/usr/bin/env node
/**
 * Cross-agent bench: one-way latency and CPU per packet of one RTP stream
 * through the agent, at a fixed moderate rate, in three layouts:
 *
 *   node   publisher and subscriber on one node thread (the baseline)
 *   ring   publisher on node A, subscriber on node B of the same agent
 *          (the shared-memory ring between node threads)
 *   agent  publisher on agent A, subscriber on agent B, another process,
 *          through linkup over the internal transport (loopback UDP)
 *   srtp   the same between two agents with agent.internalSrtp on (the default;
 *          agent and ring/node run with it off)
 *
 *   node bench/cross-agent.js [--rate 2000] [--seconds 5] [--runs 5] [--size 1200]
 *                             [--layouts node,ring,agent,srtp] [--json]
 *
 * rtp_gen (bench/tools) sends --rate packets/s for --seconds into the
 * publisher's plain transport; rtp_sink receives the subscriber's stream and
 * measures one-way latency (the send time is in the payload; same machine,
 * same clock) over every packet. CPU: utime + stime of the agent processes
 * involved (one for node and ring, both for agent) over the run, less their
 * idle cost (measured over 2 s just before the run: timers, heartbeats,
 * NATS), divided by the packets the sink received. /proc counts in 10 ms
 * ticks: at the default 10000 packets a run that is +-1 us per packet. The layouts take turns run by run (node,
 * ring, agent, node, ...) so a disturbance on this shared machine hits all
 * alike; the table gives the median over runs of each run's p50 and p99,
 * and of its CPU per packet.
 *
 * Every run publishes a fresh track and unpublishes it after, so nothing of
 * one run (a ring export, a stand-in) keeps costing CPU in the next.
 * Prints one JSON line per run and a summary; --json prints only JSON.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const proc = require('./lib/proc');
const { Child, buildCTools } = require('./lib/child');
const { startAgent: startAgentProcess } = require('./lib/agent');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bench/out/bin');

const { values: opt } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '5' },
    size: { type: 'string', default: '1200' },
    layouts: { type: 'string', default: 'node,ring,agent,srtp' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  process.stdout.write(fs.readFileSync(__filename, 'utf8').split('*/')[0]);
  process.exit(0);
}
const P = {
  rate: Number(opt.rate),
  seconds: Number(opt.seconds),
  runs: Number(opt.runs),
  size: Number(opt.size),
  layouts: opt.layouts.split(',').map((s) => s.trim()),
};
for (const l of P.layouts) if (!['node', 'ring', 'agent', 'srtp'].includes(l)) throw new Error(`unknown layout ${l}`);
const SSRC = 0x5eed0001;
const IDLE_MS = 2000;
const PT = 96;
const note = (m) => { if (!opt.json) process.stderr.write(`cross-agent: ${m}\n`); };
const emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const median = (xs) => {
  const v = xs.filter((x) => x != null).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const round = (x, d = 0) => (x == null ? null : +x.toFixed(d));

let nc;
let json;
let ServiceError;

async function request(subject, payload, timeout = 5000) {
  const msg = await nc.request(subject, json.encode(payload), { timeout });
  const err = ServiceError.toServiceError(msg);
  if (err) throw new Error(`${subject}: ${err.code} ${err.message}`);
  return msg.data.length ? json.decode(msg.data) : null;
}

const PORTS = { 'bench-a': 21000, 'bench-b': 23000, 'bench-c': 25000, 'bench-d': 27000 };

function startAgent(natsUrl, name, logDir, extraEnv = {}) {
  return startAgentProcess(natsUrl, name, logDir, {
    AGENT_PRERUN_NODES: '2',
    AGENT_MAX_NODES: '2',
    // Exports answer only live members of the cluster.
    CLUSTER_ENABLED: 'true',
    // Off the kernel's ephemeral range, where the sink's port is.
    WEBRTC_PORT_MIN: String(PORTS[name]),
    WEBRTC_PORT_MAX: String(PORTS[name] + 1999),
    ...extraEnv,
  });
}

async function main() {
  buildCTools(BIN, ['rtp_gen', 'rtp_sink']);
  ({ JSONCodec: json, ServiceError } = require('nats'));
  json = json();
  const { connect } = require('nats');
  const { NatsServerProcess } = require(path.join(ROOT, 'dist/rpc/NatsServerProcess.js'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-xagent-'));
  const outDir = path.join(ROOT, 'bench/out');
  fs.mkdirSync(outDir, { recursive: true });
  const nats = await NatsServerProcess.start({ port: 0, dataDir });
  nc = await connect({ servers: nats.url });
  const agents = {};
  try {
    // SRTP between agents is the default: a and b turn it off for the plain layout.
    agents.a = await startAgent(nats.url, 'bench-a', outDir, { AGENT_INTERNAL_SRTP: 'false' });
    agents.b = await startAgent(nats.url, 'bench-b', outDir, { AGENT_INTERNAL_SRTP: 'false' });
    if (P.layouts.includes('srtp')) {
      agents.c = await startAgent(nats.url, 'bench-c', outDir, { AGENT_INTERNAL_SRTP: 'true' });
      agents.d = await startAgent(nats.url, 'bench-d', outDir, { AGENT_INTERNAL_SRTP: 'true' });
    }
    const getNode = async (agent, room) => (await request(`webrtc-agent.agent.${agent}.getNode`, { room, task: 't' })).nodeId;
    const node = (n, m, a = {}) => request(`webrtc-agent.node.${n}.${m}`, a);
    const nodeA1 = await getNode('bench-a', 'r1');
    const nodeA2 = await getNode('bench-a', 'r2');
    const nodeB1 = await getNode('bench-b', 'r1');
    if (nodeA1 === nodeA2) throw new Error('one node for two rooms');
    // Per layout: where the publisher is, where the subscriber is, which processes count.
    const pubOn = async (nodeId) => ({
      node: nodeId,
      port: (await node(nodeId, 'createPlainTransport', { transportId: 'pub' })).port,
      addr: await node(nodeId, 'getInternalAddress'),
    });
    const pubA = await pubOn(nodeA1);
    const L = {
      node: { pub: pubA, sub: nodeA1, pids: [agents.a.pid], linkup: false },
      ring: { pub: pubA, sub: nodeA2, pids: [agents.a.pid], linkup: false },
      agent: { pub: pubA, sub: nodeB1, pids: [agents.a.pid, agents.b.pid], linkup: true },
    };
    if (agents.c) {
      L.srtp = { pub: await pubOn(await getNode('bench-c', 'r1')), sub: await getNode('bench-d', 'r1'), pids: [agents.c.pid, agents.d.pid], linkup: true };
    }
    for (const l of P.layouts) await node(L[l].sub, 'createPlainTransport', { transportId: `out-${l}` });

    const results = Object.fromEntries(P.layouts.map((l) => [l, []]));
    let run = 0;
    for (let r = 0; r < P.runs; r++) {
      for (const layout of P.layouts) {
        run++;
        const trackId = `t${run}`;
        const sink = new Child(path.join(BIN, 'rtp_sink'), ['--count', '1', '--bind', '127.0.0.1', '--idle-ms', '1000', '--first-timeout-ms', '8000', '--duration', String(P.seconds + 20)]);
        const ready = await sink.nextJson(5000);
        const { pub, sub: n, pids, linkup } = L[layout];
        await node(n, 'connectPlainTransport', { transportId: `out-${layout}`, ip: '127.0.0.1', port: ready.ports[0] });
        await node(pub.node, 'publishTrack', { transportId: 'pub', trackId, kind: 'video', ssrc: SSRC, payloadType: PT });
        if (linkup) {
          await node(n, 'linkup', { subscriptionId: `s${run}`, transportId: `out-${layout}`, video: { id: trackId, ip: pub.addr.ip, port: pub.addr.port } });
        } else {
          await node(n, 'subscribeTrack', { transportId: `out-${layout}`, trackId, subscriptionId: `s${run}` });
        }
        // The processes' own idle cost (timers, heartbeats, NATS) over IDLE_MS,
        // taken out of the run's CPU so that only the packets' share remains.
        const idle0 = pids.reduce((s, p) => s + proc.cpuUs(p), 0);
        await new Promise((res) => setTimeout(res, IDLE_MS));
        const idleUsPerMs = (pids.reduce((s, p) => s + proc.cpuUs(p), 0) - idle0) / IDLE_MS;
        const cpu0 = pids.reduce((s, p) => s + proc.cpuUs(p), 0);
        const mach0 = proc.machineCpu();
        const t0 = Date.now();
        const gen = new Child(path.join(BIN, 'rtp_gen'), ['--dst', `127.0.0.1:${pub.port}`, '--rate', String(P.rate), '--duration', String(P.seconds), '--size', String(P.size), '--ssrc', String(SSRC), '--pt', String(PT), '--stream', String(run)]);
        const g = await gen.nextJson(P.seconds * 1000 + 10000);
        const s = await sink.nextJson(15000);
        const wallUs = (Date.now() - t0) * 1000;
        const rawCpuUs = pids.reduce((sum, p) => sum + proc.cpuUs(p), 0) - cpu0;
        const cpuUs = Math.max(0, rawCpuUs - idleUsPerMs * (wallUs / 1000));
        const mach1 = proc.machineCpu();
        if (linkup) await node(n, 'cutoff', { subscriptionId: `s${run}` });
        else await node(n, 'unsubscribeTrack', { subscriptionId: `s${run}` });
        await node(pub.node, 'unpublishTrack', { trackId });
        await sink.stop();
        const row = {
          bench: 'cross-agent', layout, run: r + 1, rate: P.rate, sent: g.sent, received: s.received,
          lat_p50_us: s.lat_us.p50, lat_p99_us: s.lat_us.p99, lat_max_us: s.lat_us.max,
          cpu_us_per_pkt: s.received ? round(cpuUs / s.received, 2) : null,
          // Everything busy on the machine but the agents, in % of one core: the noise.
          idle_cpu_pct: round(idleUsPerMs / 10, 1),
          others_pct: round(((mach1.busyUs - mach0.busyUs - rawCpuUs) / wallUs) * 100, 1),
        };
        results[layout].push(row);
        emit(row);
      }
    }
    const summary = P.layouts.map((l) => {
      const rs = results[l];
      return {
        layout: l,
        runs: rs.length,
        delivered: round(rs.reduce((a, x) => a + x.received, 0) / Math.max(1, rs.reduce((a, x) => a + x.sent, 0)), 4),
        lat_p50_us: median(rs.map((x) => x.lat_p50_us)),
        lat_p99_us: median(rs.map((x) => x.lat_p99_us)),
        cpu_us_per_pkt: median(rs.map((x) => x.cpu_us_per_pkt)),
      };
    });
    const base = summary.find((x) => x.layout === 'node');
    for (const x of summary) {
      x.p50_vs_node = base ? round(x.lat_p50_us / base.lat_p50_us, 2) : null;
      x.cpu_vs_node = base ? round(x.cpu_us_per_pkt / base.cpu_us_per_pkt, 2) : null;
    }
    emit({ bench: 'cross-agent', summary, rate: P.rate, seconds: P.seconds, size: P.size, machine: { cpus: os.cpus().length, kernel: os.release(), node: process.version } });
    if (!opt.json) {
      note('| layout | p50 us | p99 us | CPU us/pkt | p50 vs node | CPU vs node | delivered |');
      for (const x of summary) note(`| ${x.layout} | ${x.lat_p50_us} | ${x.lat_p99_us} | ${x.cpu_us_per_pkt} | ${x.p50_vs_node} | ${x.cpu_vs_node} | ${x.delivered} |`);
    }
  } finally {
    for (const c of Object.values(agents)) await c.stop(8000);
    await nc.close().catch(() => {});
    await nats.stop().catch(() => {});
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`cross-agent: ${err.stack ?? err}\n`);
  process.exit(1);
});
