#!/usr/bin/env node
/**
 * Fanout bench: how many RTP packets per second a forwarder delivers to N
 * subscribers, and what each delivered packet costs in CPU.
 *
 *   node bench/fanout.js [--quick] [--configs d,e,a,b,c] [--n 1,10,50,100,200]
 *                        [--srtp] (= --configs d,ds,a,as,bs --by-n)
 *                        [--by-n] [--no-srtp-bench]
 *                        [--runs 3] [--step-ms 2000] [--max-minutes 90] [--docs]
 *                        [--out bench/out] [--deadline-ms 50] [--help]
 *
 * Configurations (one forwarding process each; its CPU is what is counted):
 *   d  c_forwarder (bench/tools/c_forwarder.c): recvmmsg + one sendto per
 *      destination, single thread, rewrites the SSRC per destination.
 *      The physical limit of this machine's loopback.
 *   e  the plain Node.js dgram relay (bench/lib/dgram-relay.js).
 *   a  the agent, all N subscriber transports on the publisher's node thread.
 *   b  the agent, subscribers split over two node threads (the second node
 *      reaches the track through the agent's shared-memory ring).
 *   c  the agent, the same split, the two nodes linked by a loopback UDP plain
 *      transport hop (X on node A subscribes, R on node B republishes).
 *   al a, with an audio track whose RFC 6464 level is read from every packet
 *      (rtp_gen --audio-level): run with a (`--configs a,al --by-n`) for the
 *      cost of that read ("bench":"fanout-audio-level" lines).
 *   (a)-(c) need the node media API; when it does not answer (404/503) they
 *   are skipped with a message and the rest runs.
 * With SRTP on both sides (bench/tools/webrtc_peer.cc is the publisher and
 * the N subscribers; AEAD_AES_128_GCM):
 *   ds c_forwarder_srtp: d, but it unprotects each packet once and protects
 *      it per destination with that destination's own key (keys given on
 *      the command line, no DTLS): the minimal cost of an SRTP SFU.
 *   as the agent, one node, WebRTC transports on both sides, laid out
 *      through the OWT node API (createTransport, publish/subscribe,
 *      onTransportSignaling); webrtc_peer does ICE, DTLS and SRTP for every
 *      peer against the answers.
 *   bs as, the subscribers split over two node threads (the ring), as b.
 *   at as, but the subscribers offer transport-cc (the transport-wide
 *      sequence number and its feedback) and send feedback every 50 ms
 *      (webrtc_peer --twcc-ext): the agent's send-side bandwidth estimator
 *      runs on every subscriber transport (each packet numbered, its
 *      feedback parsed and matched, the estimate kept). Summary lines
 *      ("bench":"fanout-bwe") give at/as CPU per packet (target 1.10).
 * --by-n measures N by N (every configuration at N = 1, then at 10 ...)
 * rather than configuration by configuration, so that the two sides of a
 * ratio are measured minutes apart under the same load of the machine.
 * Run them with their plain counterparts in the same invocation: the summary
 * lines ("bench":"fanout-srtp") give ds/d and as/a (bs/b) CPU per packet and
 * the SRTP share, (CPU/pkt with SRTP - plain) / with SRTP, of the same go,
 * and the protect cost alone (bench/srtp.js, 1200 B, GCM).
 *
 * For each configuration and N, a bounded search over the INPUT packet rate r
 * (rtp_gen -> forwarder -> N ports of one rtp_sink) finds the highest output
 * rate r x N at which >= 99.5 % of the r x N expected packets reach the sink
 * within --deadline-ms (50 ms) of being sent. The deadline makes it a test of
 * a sustained rate: without it, a forwarder's receive buffer (thousands of
 * packets) would hide an overload for a whole step at large N, where the
 * input rate is low. Start at 20k output packets/s, double while a step
 * passes, halve while it fails, then bisect between the best pass and the
 * lowest fail (4 steps). Each step sends for --step-ms, then waits for the
 * sink to be idle for 200 ms (and for any backlog to drain, so the next step
 * starts from empty queues; the sink counts only the current step's stream).
 * At most 16 steps (retries included) per search, --search-s per (config, N) search and
 * --max-minutes for the whole run. A failing step during which other
 * processes used more than --noisy-pct (25 %) of a core is measured again
 * (up to --noisy-retries, 2) after the machine is quiet (this machine is
 * shared). This is repeated
 * --runs times (later runs start at 0.75x the previous result) and the run
 * with the median output rate is reported, with what was measured at its best
 * step: CPU microseconds of the forwarding process per delivered packet
 * (utime+stime from /proc/<pid>/stat over the step, drain included), one-way
 * latency p50/p99 (all packets, generator send -> sink read), delivery ratio.
 *
 * Prints one JSON line per (config, N); writes bench/out/fanout.json (results
 * of (config, N) pairs not run this time are kept from the previous file, so
 * `--configs a,b,c` alone adds to an earlier d/e run), charts bench/out/fanout-rate.svg and
 * bench/out/fanout-cpu.svg (the plain configurations) and fanout-srtp-rate.svg,
 * fanout-srtp-cpu.svg (d, ds, a, as, b, bs), and copies them to docs/ with
 * --docs (only then, and the plain pair only when this run measured all of
 * d, e, a, b, c: a partial run never replaces the published charts). The C
 * tools are compiled here with `cc -O2` into bench/out/bin/; webrtc_peer and
 * c_forwarder_srtp with g++ against the addon's sources and Debian's OpenSSL
 * (bench/lib/webrtc-peer.js).
 */
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const proc = require('./lib/proc');
const { writeChart } = require('./lib/chart');
const { Child, buildCTools } = require('./lib/child');
const peerTool = require('./lib/webrtc-peer');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bench/out/bin');
const TOOLS = ['rtp_gen', 'rtp_sink', 'c_forwarder'];
const CONFIGS = ['d', 'ds', 'e', 'a', 'al', 'as', 'at', 'b', 'bs', 'c']; // also the output order
const SRTP_CONFIGS = new Set(['ds', 'as', 'at', 'bs']);
const AGENT_CONFIGS = new Set(['a', 'al', 'b', 'c', 'as', 'at', 'bs']);
// The transport-wide sequence number's id in the 'at' subscribers' offers.
const TWCC_EXT = 3;
const CONTROLLER = 'fanout-bench';
const KEYFRAME_HOLD_MS = 3200; // addon/router: kKeyframeWaitMs (3 s) and a margin

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    srtp: { type: 'boolean', default: false },
    'by-n': { type: 'boolean' },
    'no-srtp-bench': { type: 'boolean', default: false },
    configs: { type: 'string' },
    n: { type: 'string' },
    runs: { type: 'string' },
    'step-ms': { type: 'string' },
    'bisect-steps': { type: 'string' },
    'max-steps': { type: 'string', default: '16' },
    'search-s': { type: 'string' },
    'max-minutes': { type: 'string' },
    'start-output-pps': { type: 'string', default: '20000' },
    threshold: { type: 'string', default: '0.995' },
    'deadline-ms': { type: 'string', default: '50' },
    'noisy-pct': { type: 'string', default: '25' },
    'noisy-retries': { type: 'string', default: '2' },
    size: { type: 'string', default: '1200' },
    'tick-us': { type: 'string', default: '500' },
    rcvbuf: { type: 'string', default: String(4 << 20) },
    // Large: the sink shares 2 cores with the forwarder and must never be what drops.
    'sink-rcvbuf': { type: 'string', default: String(16 << 20) },
    out: { type: 'string', default: 'bench/out' },
    docs: { type: 'boolean', default: false },
    'no-charts': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  process.stdout.write(fs.readFileSync(__filename, 'utf8').split('*/')[0]);
  process.exit(0);
}
const QUICK = opt.quick;
const OUT = path.resolve(ROOT, opt.out);
const P = {
  configs: (opt.configs ?? (opt.srtp ? 'd,ds,a,as,bs' : 'd,e,a,b,c')).split(',').map((s) => s.trim()).filter(Boolean),
  ns: (opt.n ?? (QUICK ? '1,50,200' : '1,10,50,100,200')).split(',').map(Number),
  runs: Number(opt.runs ?? (QUICK ? 1 : 3)),
  stepMs: Number(opt['step-ms'] ?? (QUICK ? 1000 : 2000)),
  bisectSteps: Number(opt['bisect-steps'] ?? (QUICK ? 2 : 4)),
  maxSteps: Number(opt['max-steps']),
  searchS: Number(opt['search-s'] ?? (QUICK ? 30 : 120)),
  maxMinutes: Number(opt['max-minutes'] ?? (QUICK ? 10 : 90)),
  startOutputPps: Number(opt['start-output-pps']),
  threshold: Number(opt.threshold),
  deadlineMs: Number(opt['deadline-ms']),
  noisyPct: Number(opt['noisy-pct']),
  noisyRetries: Number(opt['noisy-retries']),
  size: Number(opt.size),
  tickUs: Number(opt['tick-us']),
  rcvbuf: Number(opt.rcvbuf),
  sinkRcvbuf: Number(opt['sink-rcvbuf']),
  minInputPps: 20,
  maxInputPps: 1_000_000, // rtp_gen with GSO reaches ~1.2 M/s here
  genSsrc: 0x5eed0001,
  payloadType: 96,
};
for (const c of P.configs) if (!CONFIGS.includes(c)) usageExit(`unknown config ${c}`);
if (P.ns.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) usageExit('--n: integers 1..1000');

const LABELS = {
  d: 'd: C forwarder (reference)',
  e: 'e: Node dgram relay',
  a: 'a: agent, 1 node',
  al: 'al: agent, 1 node, audio levels read',
  b: 'b: agent, 2 nodes, ring',
  c: 'c: agent, 2 nodes, UDP hop',
  ds: 'ds: C forwarder, SRTP',
  as: 'as: agent, 1 node, SRTP',
  at: 'at: agent, 1 node, SRTP, transport-cc estimator',
  bs: 'bs: agent, 2 nodes, ring, SRTP',
};

function usageExit(msg) {
  process.stderr.write(`fanout: ${msg}\n`);
  process.exit(2);
}
const emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const note = (msg) => process.stderr.write(`fanout: ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nowMs = () => Number(process.hrtime.bigint() / 1000000n);
const round = (x, d = 0) => (x == null || !Number.isFinite(x) ? null : +x.toFixed(d));

// ---------------------------------------------------------------- tools

function buildTools() {
  buildCTools(BIN, TOOLS);
  if (P.configs.some((c) => SRTP_CONFIGS.has(c))) {
    peerTool.buildSrtpForwarder(BIN);
    peerTool.buildWebrtcPeer(BIN);
  }
}

// ---------------------------------------------------------------- forwarders

/** Common shape: {pid, ip, port, label, close(): Promise<object|null>, info}. */
async function startCForwarder(sinkPorts) {
  const ch = new Child(path.join(BIN, 'c_forwarder'), [
    '--dst-list', sinkPorts.join(','), '--rcvbuf', String(P.rcvbuf), '--duration', String(Math.ceil(P.searchS * P.runs + 120)),
  ]);
  const ready = await ch.nextJson(5000);
  return {
    pid: ch.pid, ip: '127.0.0.1', port: ready.port, info: { rcvbuf: ready.rcvbuf, rewrite_ssrc: true }, child: ch,
    async close() {
      await ch.stop();
      return ch.lines.length ? JSON.parse(ch.lines.pop()) : null;
    },
  };
}

/** ds: c_forwarder_srtp, keyed from `master` (srtp_c.h), the publisher keyed likewise. */
async function startSrtpForwarder(sinkPorts, master) {
  const ch = new Child(path.join(BIN, 'c_forwarder_srtp'), [
    '--dst-list', sinkPorts.join(','), '--rcvbuf', String(P.rcvbuf), '--duration', String(Math.ceil(P.searchS * P.runs + 120)),
    '--srtp-master', master,
  ]);
  const ready = await ch.nextJson(5000);
  const pub = startPublisher(['--srtp-master', master, '--dst', `127.0.0.1:${ready.port}`]);
  await pub.nextJson(5000);
  return {
    pid: ch.pid, ip: '127.0.0.1', port: ready.port, info: { rcvbuf: ready.rcvbuf, rewrite_ssrc: true, srtp: 'AEAD_AES_128_GCM, keys on the command line' }, child: ch, pub,
    async close() {
      pub.send('quit');
      await Promise.race([pub.exited, sleep(2000)]);
      await pub.stop();
      await ch.stop();
      return ch.lines.length ? JSON.parse(ch.lines.pop()) : null;
    },
  };
}

/** The long-lived SRTP publisher (webrtc_peer --role pub): one `send` per step. */
function startPublisher(extra) {
  return new Child(path.join(BIN, 'webrtc_peer'), [
    '--role', 'pub', '--size', String(P.size), '--ssrc', String(P.genSsrc), '--pt', String(P.payloadType),
    '--tick-us', String(P.tickUs), '--duration', String(Math.ceil(P.searchS * P.runs + 300)), ...extra,
  ], { name: 'webrtc_peer pub' });
}

async function startDgramRelay(sinkPorts) {
  const ch = new Child(process.execPath, [
    path.join(__dirname, 'lib/dgram-relay.js'), '--dests', sinkPorts.join(','), '--rcvbuf', String(P.rcvbuf),
    '--duration', String(Math.ceil(P.searchS * P.runs + 120)),
  ], { name: 'dgram-relay' });
  const ready = await ch.nextJson(10000);
  return {
    pid: ch.pid, ip: '127.0.0.1', port: ready.port, info: { rcvbuf: ready.rcvbuf, rewrite_ssrc: false }, child: ch,
    async close() {
      await ch.stop();
      return ch.lines.length ? JSON.parse(ch.lines.pop()) : null;
    },
  };
}

// ---------------------------------------------------------------- the agent (a)-(c)

class ApiUnavailable extends Error {}

const agentEnv = {
  shared: null, // {nats, nc, json, ServiceError}
  unavailable: null, // message once the media API was found missing
};

async function agentShared() {
  if (agentEnv.shared) return agentEnv.shared;
  const distNats = path.join(ROOT, 'dist/rpc/NatsServerProcess.js');
  if (!fs.existsSync(path.join(ROOT, 'dist/main.js')) || !fs.existsSync(distNats)) {
    throw new ApiUnavailable('dist/ is not built (npm run build)');
  }
  const { NatsServerProcess } = require(distNats);
  const { connect, JSONCodec, ServiceError } = require('nats');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-fanout-'));
  const nats = await NatsServerProcess.start({ port: 0, dataDir });
  const nc = await connect({ servers: nats.url });
  agentEnv.shared = { nats, nc, json: JSONCodec(), ServiceError, dataDir };
  return agentEnv.shared;
}

async function closeAgentShared() {
  const s = agentEnv.shared;
  if (!s) return;
  agentEnv.shared = null;
  await s.nc.close().catch(() => {});
  await s.nats.stop().catch(() => {});
  fs.rmSync(s.dataDir, { recursive: true, force: true });
}

async function request(subject, payload, timeout = 5000) {
  const { nc, json, ServiceError } = agentEnv.shared;
  const method = subject.slice(subject.lastIndexOf('.') + 1);
  let msg;
  try {
    msg = await nc.request(subject, json.encode(payload), { timeout });
  } catch (e) {
    const err = new Error(`${method}: ${e.code === '503' ? 'no responders (503)' : e.message}`);
    err.code = Number(e.code) || 0;
    throw err;
  }
  const serr = ServiceError.toServiceError(msg);
  if (serr) {
    const err = new Error(`${method}: ${serr.code} ${serr.message}`);
    err.code = serr.code;
    throw err;
  }
  return msg.data.length ? json.decode(msg.data) : null;
}

function startAgentProcess(natsUrl, logFile) {
  const ch = new Child(process.execPath, [path.join(ROOT, 'dist/main.js')], {
    name: 'agent',
    stderrFile: logFile,
    env: {
      PATH: process.env.PATH,
      METRICS_PORT: '0',
      NATS_URL: natsUrl,
      LOG_LEVEL: 'warn',
      AGENT_PRERUN_NODES: '2',
      AGENT_MAX_NODES: '2', // exactly two node threads on this 2-core machine
      WEBRTC_LISTEN_IP: '127.0.0.1',
      // Off the kernel's ephemeral range (32768-60999), where the sink's ports are.
      WEBRTC_PORT_MIN: '21000',
      WEBRTC_PORT_MAX: '22999',
      // A same-go comparison of two builds of the addon (docs/bench.md).
      ...(process.env.WEBRTC_AGENT_ADDON_PATH ? { WEBRTC_AGENT_ADDON_PATH: process.env.WEBRTC_AGENT_ADDON_PATH } : {}),
    },
  });
  return (async () => {
    const deadline = nowMs() + 20000;
    for (;;) {
      const left = deadline - nowMs();
      if (left <= 0) break;
      let line;
      try {
        line = await ch.nextLine(left);
      } catch (e) {
        await ch.stop();
        throw new Error(`agent not ready: ${e.message}; log: ${logFile}`);
      }
      const m = /^webrtc-agent ready: id=(\S+)/.exec(line);
      if (m) return { child: ch, id: m[1] };
    }
    await ch.stop();
    throw new Error(`agent not ready within 20 s; log: ${logFile}`);
  })();
}

/**
 * Starts a fresh agent and lays out config a, b or c for N subscribers whose
 * transports send to sinkPorts. Throws ApiUnavailable if the node media API
 * does not answer.
 */
async function startAgentConfig(config, sinkPorts) {
  const shared = await agentShared();
  const logFile = path.join(OUT, `agent-${config}-${sinkPorts.length}.log`);
  fs.writeFileSync(logFile, '');
  const agent = await startAgentProcess(shared.nats.url, logFile);
  const created = []; // [nodeId, transportId]
  const subs = []; // [nodeId, subscriptionId]
  const node = (nodeId, method, payload) => request(`webrtc-agent.node.${nodeId}.${method}`, payload);
  const close = async () => {
    let teardownErrors = 0;
    const stats = {};
    for (const n of new Set([nodeA, nodeB])) {
      if (n) stats[n] = await node(n, 'getStats', {}).catch((e) => ({ error: e.message }));
    }
    for (const [n, id] of subs) await node(n, 'unsubscribeTrack', { subscriptionId: id }).catch(() => teardownErrors++);
    for (const [n, id] of created.reverse()) await node(n, 'destroyTransport', { transportId: id }).catch(() => teardownErrors++);
    await agent.child.stop(8000);
    return { teardown_errors: teardownErrors, stats };
  };
  let nodeA;
  let nodeB;
  try {
    const agentCall = (m, p) => request(`webrtc-agent.agent.${agent.id}.${m}`, p);
    nodeA = (await agentCall('getNode', { room: 'fanout-A', task: 'pub' })).nodeId;
    nodeB = nodeA;
    if (config !== 'a' && config !== 'al') {
      nodeB = (await agentCall('getNode', { room: 'fanout-B', task: 'sub' })).nodeId;
      if (nodeB === nodeA) throw new Error(`getNode gave the same node ${nodeA} for two rooms`);
    }
    let pub;
    try {
      pub = await node(nodeA, 'createPlainTransport', { transportId: 'pub', comedia: false });
    } catch (e) {
      if (e.code === 404 || e.code === 503) throw new ApiUnavailable(`node media API not available (${e.message})`);
      throw e;
    }
    created.push([nodeA, 'pub']);
    // al: an audio track whose RFC 6464 level the agent reads from every
    // packet (rtp_gen --audio-level puts it there): against a, the cost of
    // that read on the packet path.
    const levels = config === 'al' ? { kind: 'audio', audioLevelExt: 1 } : { kind: 'video' };
    await node(nodeA, 'publishTrack', { transportId: 'pub', trackId: 'track', ...levels, ssrc: P.genSsrc, payloadType: P.payloadType });

    let trackOnB = 'track';
    if (config === 'c') {
      // X on A sends the track to R on B; B republishes it as track-relay.
      const r = await node(nodeB, 'createPlainTransport', { transportId: 'link-r', comedia: false });
      created.push([nodeB, 'link-r']);
      await node(nodeA, 'createPlainTransport', { transportId: 'link-x' });
      created.push([nodeA, 'link-x']);
      await node(nodeA, 'connectPlainTransport', { transportId: 'link-x', ip: r.ip, port: r.port });
      const xs = await node(nodeA, 'subscribeTrack', { transportId: 'link-x', trackId: 'track', subscriptionId: 'link-sub', payloadType: P.payloadType });
      subs.push([nodeA, 'link-sub']);
      await node(nodeB, 'publishTrack', { transportId: 'link-r', trackId: 'track-relay', kind: 'video', ssrc: xs.ssrc, payloadType: P.payloadType });
      trackOnB = 'track-relay';
    }
    // a: all on A. b, c: the first floor(N/2) on A, the rest on B (N = 1: on B).
    const onA = config === 'a' || config === 'al' ? sinkPorts.length : Math.floor(sinkPorts.length / 2);
    for (let i = 0; i < sinkPorts.length; i++) {
      const n = i < onA ? nodeA : nodeB;
      const tid = `sub-${i}`;
      await node(n, 'createPlainTransport', { transportId: tid });
      created.push([n, tid]);
      await node(n, 'connectPlainTransport', { transportId: tid, ip: '127.0.0.1', port: sinkPorts[i] });
      await node(n, 'subscribeTrack', { transportId: tid, trackId: n === nodeA ? 'track' : trackOnB, subscriptionId: tid, payloadType: P.payloadType });
      subs.push([n, tid]);
    }
    return {
      pid: agent.child.pid, ip: pub.ip, port: pub.port, child: agent.child,
      info: { agentId: agent.id, nodeA, nodeB, subscribersOnA: onA, subscribersOnB: sinkPorts.length - onA, log: path.relative(ROOT, logFile) },
      close,
    };
  } catch (e) {
    await agent.child.stop(8000);
    throw e;
  }
}

/**
 * as / bs: a fresh agent; the publisher and the N subscribers are
 * webrtc_peer peers (the publisher its own process, the subscribers the
 * sink's peers), each with a WebRTC transport laid out through the OWT node
 * API: createTransport, publish / subscribe, onTransportSignaling {offer},
 * the answer from onTransportProgress on the controller's subject; then ICE
 * + DTLS for all of them at once (webrtc_peer's `connect`).
 */
async function startAgentWebrtc(config, sink, n, sinkFingerprint) {
  const shared = await agentShared();
  const logFile = path.join(OUT, `agent-${config}-${n}.log`);
  fs.writeFileSync(logFile, '');
  const agent = await startAgentProcess(shared.nats.url, logFile);
  const answers = new Map(); // transportId -> {resolve, reject, timer}
  const states = new Map(); // transportId -> last status type (ready / failed)
  const events = shared.nc.subscribe(`webrtc-agent.controller.${CONTROLLER}.onTransportProgress`);
  void (async () => {
    for await (const m of events) {
      const ev = shared.json.decode(m.data);
      const type = ev.status?.type;
      if (type === 'answer') answers.get(ev.transportId)?.resolve(ev.status.sdp);
      else if (type) states.set(ev.transportId, type === 'failed' ? `failed: ${ev.status.reason}` : type);
    }
  })();
  await shared.nc.flush();
  const waitAnswer = (tid) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${tid}: no answer within 10 s`)), 10_000);
    answers.set(tid, { resolve: (sdp) => { clearTimeout(timer); answers.delete(tid); resolve(sdp); }, reject });
  });
  const created = []; // [nodeId, transportId]
  const node = (nodeId, method, payload) => request(`webrtc-agent.node.${nodeId}.${method}`, payload);
  let pub = null;
  let nodeA;
  let nodeB;
  const close = async () => {
    let teardownErrors = 0;
    const stats = {};
    for (const x of new Set([nodeA, nodeB])) {
      if (x) stats[x] = await node(x, 'getStats', {}).catch((e) => ({ error: e.message }));
    }
    for (const [x, id] of created.reverse()) await node(x, 'destroyTransport', { transportId: id }).catch(() => teardownErrors++);
    events.unsubscribe();
    if (pub) {
      pub.send('quit');
      await Promise.race([pub.exited, sleep(2000)]);
      await pub.stop();
    }
    await agent.child.stop(8000);
    return { teardown_errors: teardownErrors, stats };
  };
  /** createTransport + publish/subscribe + offer -> the `peer` command's arguments. */
  const negotiate = async (nodeId, tid, op, fingerprint, direction) => {
    const ice = peerTool.iceCredentials();
    await node(nodeId, 'createTransport', { transportId: tid, controller: CONTROLLER });
    created.push([nodeId, tid]);
    const track = direction === 'sendonly' ? { mid: '0', type: 'video' } : { mid: '0', type: 'video', from: 'pub-0' };
    await node(nodeId, direction === 'sendonly' ? 'publish' : 'subscribe', {
      operationId: op, connectionType: 'webrtc', options: { transportId: tid, controller: CONTROLLER, tracks: [track] },
    });
    const answered = waitAnswer(tid);
    const twccExt = config === 'at' && direction === 'recvonly' ? TWCC_EXT : 0;
    const sdp = peerTool.offerSdp({ ice, fingerprint, direction, ssrc: P.genSsrc, payloadType: P.payloadType, twccExt });
    await node(nodeId, 'onTransportSignaling', { transportId: tid, message: { type: 'offer', sdp } });
    return peerTool.peerArgs(await answered, ice);
  };
  const connect = async (ch, count, what) => {
    const ms = 15_000 + 50 * count;
    ch.send(`connect ${ms}`);
    const r = await ch.nextJson(ms + 10_000);
    if (r.connected !== r.peers) throw new Error(`${what}: ${r.connected}/${r.peers} peers connected in ${r.ms} ms: ${JSON.stringify(r.failed).slice(0, 400)}`);
    return r;
  };
  try {
    const agentCall = (m, p) => request(`webrtc-agent.agent.${agent.id}.${m}`, p);
    nodeA = (await agentCall('getNode', { room: 'fanout-A', task: 'pub' })).nodeId;
    nodeB = nodeA;
    if (config === 'bs') {
      nodeB = (await agentCall('getNode', { room: 'fanout-B', task: 'sub' })).nodeId;
      if (nodeB === nodeA) throw new Error(`getNode gave the same node ${nodeA} for two rooms`);
    }
    pub = startPublisher([]);
    const pready = await pub.nextJson(5000);
    let pubArgs;
    try {
      pubArgs = await negotiate(nodeA, 'pub', 'pub-op', pready.fingerprint, 'sendonly');
    } catch (e) {
      if (e.code === 404 || e.code === 503) throw new ApiUnavailable(`node WebRTC API not available (${e.message})`);
      throw e;
    }
    pub.send(`peer 0 ${pubArgs}`);
    if (!(await pub.nextJson(5000)).peer) throw new Error(`publisher refused: peer 0 ${pubArgs}`);
    const pubConnect = await connect(pub, 1, 'publisher');
    const [ip, port] = pubArgs.split(' ')[0].split(':');
    // as: all on A. bs: the first floor(N/2) on A, the rest on B (N = 1: on B).
    const onA = config === 'as' || config === 'at' ? n : Math.floor(n / 2);
    const t0 = nowMs();
    // Bounded concurrency: the node thread answers one request at a time anyway.
    const argsOf = new Array(n);
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(16, n) }, async () => {
      while (next < n) {
        const i = next++;
        argsOf[i] = await negotiate(i < onA ? nodeA : nodeB, `sub-${i}`, `sub-op-${i}`, sinkFingerprint, 'recvonly');
      }
    }));
    for (let i = 0; i < n; i++) {
      sink.send(`peer ${i} ${argsOf[i]}`);
      if (!(await sink.nextJson(5000)).peer) throw new Error(`sink refused: peer ${i} ${argsOf[i]}`);
    }
    const negotiateMs = nowMs() - t0;
    const lastSubscribe = nowMs();
    const subConnect = await connect(sink, n, 'subscribers');
    // The agent's side of it: every transport said ready.
    await (async () => {
      const end = nowMs() + 5000;
      const all = ['pub', ...Array.from({ length: n }, (_, i) => `sub-${i}`)];
      while (nowMs() < end && !all.every((id) => states.get(id) === 'ready')) await sleep(50);
      const notReady = all.filter((id) => states.get(id) !== 'ready');
      if (notReady.length) throw new Error(`transports not ready on the agent: ${notReady.slice(0, 5).map((id) => `${id} (${states.get(id) ?? 'no event'})`).join(', ')}`);
    })();
    // The router holds a new video subscriber back until a key frame, 3 s at
    // most; the bench's payload is never a VP8 key frame, so wait the hold
    // out before the first step rather than have that step fail.
    await sleep(Math.max(0, lastSubscribe + KEYFRAME_HOLD_MS - nowMs()));
    return {
      pid: agent.child.pid, ip, port: Number(port), child: agent.child, pub,
      info: {
        agentId: agent.id, nodeA, nodeB, subscribersOnA: onA, subscribersOnB: n - onA, log: path.relative(ROOT, logFile),
        negotiate_ms: negotiateMs, pub_connect: pubConnect, sub_connect: { ms: subConnect.ms, stun_retries: subConnect.stun_retries, dtls_retransmissions: subConnect.dtls_retransmissions },
      },
      close,
    };
  } catch (e) {
    await close().catch(() => {});
    throw e;
  }
}

// ---------------------------------------------------------------- measurement

let streamId = (Date.now() & 0xffff) << 12;

/** One step: rtp_gen at `rate` input packets/s for stepMs into the forwarder. */
async function measureStep(ctx, rate) {
  const { fwd, sink, n } = ctx;
  const watchPorts = [fwd.port, ...ctx.sinkPorts];
  const drops0 = proc.udpDrops(watchPorts);
  const softnet0 = proc.softnetDrops();
  const ksoft0 = proc.ksoftirqdUs();
  const mach0 = proc.machineCpu();
  const cpu0 = proc.cpuUs(fwd.pid);
  const t0 = nowMs();
  const stream = ++streamId;
  sink.send(`expect ${stream}`);
  await sink.nextJson(5000); // {"expect": stream}: packets of earlier steps no longer count
  let g;
  if (fwd.pub) {
    // SRTP: the publisher lives across steps (its stream must continue).
    fwd.pub.send(`send ${rate} ${P.stepMs / 1000} ${stream}`);
    g = await fwd.pub.nextJson(P.stepMs + 10000);
    if (g.error) throw new Error(`publisher: ${g.error}`);
  } else {
    const gen = new Child(path.join(BIN, 'rtp_gen'), [
      '--dst', `${fwd.ip}:${fwd.port}`, '--rate', String(rate), '--duration', String(P.stepMs / 1000),
      '--size', String(P.size), '--ssrc', String(P.genSsrc), '--pt', String(P.payloadType),
      '--stream', String(stream), '--tick-us', String(P.tickUs),
      ...(ctx.config === 'al' ? ['--audio-level', '1'] : []),
    ]);
    g = await gen.nextJson(P.stepMs + 10000);
    await gen.exited;
  }
  sink.send('report 200 3000');
  const s = await sink.nextJson(10000);
  const cpuUs = proc.cpuUs(fwd.pid) - cpu0;
  const wallMs = nowMs() - t0;
  const mach1 = proc.machineCpu();
  const ksoftUs = proc.ksoftirqdUs() - ksoft0;
  // CPU used by anything but this bench (other jobs on a shared machine), in % of one core.
  const othersUs = mach1.busyUs - mach0.busyUs - cpuUs - g.cpu_us - s.cpu_us - ksoftUs;
  // An overloaded forwarder may still hold a backlog: let it drain (and
  // discard it) so that the next step starts from empty queues.
  let drainMs = 0;
  for (let i = 0, last = s; i < 4 && last.why !== 'report'; i++) {
    const d0 = nowMs();
    sink.send('report 300 5000');
    last = await sink.nextJson(10000);
    drainMs += nowMs() - d0;
  }
  const drops1 = proc.udpDrops(watchPorts);
  const inDrops = (drops1[fwd.port] ?? 0) - (drops0[fwd.port] ?? 0);
  let sinkDrops = 0;
  for (const p of ctx.sinkPorts) sinkDrops += (drops1[p] ?? 0) - (drops0[p] ?? 0);
  const expected = g.sent * n;
  // Delivered: packets of this step that reached a sink port within the deadline.
  const delivered = s.received - s.over_deadline;
  const delivery = expected ? delivered / expected : 0;
  const genLimited = g.achieved_pps < 0.98 * rate;
  return {
    rate_target: rate,
    input_pps: round(g.achieved_pps, 1),
    output_pps: round(g.achieved_pps * n, 0),
    sent: g.sent,
    expected,
    delivered,
    delivery: round(delivery, 5),
    pass: delivery >= P.threshold,
    gen_limited: genLimited,
    cpu_us: Math.round(cpuUs),
    cpu_us_per_pkt: s.received ? round(cpuUs / s.received, 3) : null,
    fwd_cpu_pct: round((cpuUs / (wallMs * 1000)) * 100, 1),
    lat_p50_us: s.lat_us.p50,
    lat_p99_us: s.lat_us.p99,
    lat_max_us: s.lat_us.max,
    gen_cpu_pct: g.cpu_pct,
    gen_late_skipped: g.late_skipped,
    gen_errors: g.errors,
    // The sink's CPU since its previous report (idle in between), over this step's window.
    sink_cpu_pct: round((s.cpu_us / (wallMs * 1000)) * 100, 1),
    sink_received: s.received,
    over_deadline: s.over_deadline,
    sink_bad: s.bad,
    sink_stale: s.stale,
    sink_seq_lost: s.seq_lost,
    fwd_in_drops: inDrops,
    sink_drops: sinkDrops,
    softnet_drops: proc.softnetDrops() - softnet0,
    ksoftirqd_us: Math.round(ksoftUs),
    others_cpu_pct: round(Math.max(0, othersUs) / (wallMs * 10), 1),
    wall_ms: wallMs,
    drain_ms: drainMs,
  };
}

/** Wait (at most maxMs) until the machine is below --noisy-pct of one core busy over 0.5 s. */
async function waitQuiet(maxMs = 10_000) {
  const end = nowMs() + maxMs;
  while (nowMs() < end) {
    const a = proc.machineCpu();
    await sleep(500);
    const b = proc.machineCpu();
    if (((b.busyUs - a.busyUs) / 500_000) * 100 < P.noisyPct) return true;
  }
  return false;
}

/** Where the packets of a failing step were lost. */
function limitOf(step) {
  if (!step) return null;
  const where = [];
  if (step.gen_limited) where.push('generator');
  if (step.fwd_in_drops > 0) where.push('forwarder input socket');
  if (step.sink_drops > 0) where.push('sink sockets');
  if (step.softnet_drops > 0) where.push('kernel backlog');
  if (step.over_deadline > 0.5 * (step.expected - step.delivered)) where.push(`queueing (over ${P.deadlineMs} ms)`);
  const missing = step.expected - step.sink_received - step.sink_drops - step.fwd_in_drops * step.expected / Math.max(1, step.sent);
  if (missing > 0.001 * step.expected) where.push('inside the forwarder');
  return where.join(' + ') || 'none seen';
}

/** The bounded search for one run: doubling/halving to a bracket, then bisection. */
async function search(ctx, startRate, deadline) {
  const steps = [];
  let best = null;
  let lowestFail = null;
  let rate = Math.max(P.minInputPps, Math.round(startRate));
  let stopReason = 'bisected';
  const stepCost = P.stepMs + 1500;
  const canStep = () => {
    if (steps.length >= P.maxSteps) {
      stopReason = 'max steps';
      return false;
    }
    if (nowMs() + stepCost > deadline) {
      stopReason = 'time cap';
      return false;
    }
    return true;
  };
  const run = async (r) => {
    if (!ctx.fwd.child.alive) throw new Error(`forwarder exited (${ctx.fwd.child.exitCode}): ${ctx.fwd.child.stderr.slice(-300)}`);
    let s = await measureStep(ctx, r);
    for (let retry = 1; retry <= P.noisyRetries && !s.pass && s.others_cpu_pct > P.noisyPct && canStep(); retry++) {
      // Something else loaded the machine during a failing step: wait for
      // quiet and measure this rate again.
      note(`${ctx.config} N=${ctx.n} rate ${r}: failed while other processes used ${s.others_cpu_pct} % of a core; waiting for quiet, retry ${retry}`);
      await waitQuiet();
      const again = await measureStep(ctx, r);
      again.retry_of_noisy = { others_cpu_pct: s.others_cpu_pct, delivery: s.delivery };
      again.noisy_retry = true;
      steps.push(s);
      s = again;
    }
    steps.push(s);
    if (s.pass) {
      if (!best || s.output_pps > best.output_pps) best = s;
    } else if (!lowestFail || r < lowestFail.rate_target) {
      lowestFail = s;
    }
    return s;
  };
  // Phase 1: a bracket [pass, fail].
  let prevPass = null;
  for (;;) {
    if (!canStep()) break;
    const s = await run(rate);
    if (s.pass) {
      if (lowestFail) break;
      // The generator fell short of the target and got no further than the
      // previous pass: its own ceiling (a loaded machine only delays it).
      if (s.gen_limited && prevPass && s.input_pps < 1.2 * prevPass.input_pps) {
        stopReason = 'generator limit';
        break;
      }
      prevPass = s;
      if (rate >= P.maxInputPps) {
        stopReason = 'input cap';
        break;
      }
      rate = Math.min(P.maxInputPps, rate * 2);
    } else {
      if (best) break;
      if (rate <= P.minInputPps) {
        stopReason = 'fails at the lowest rate';
        break;
      }
      rate = Math.max(P.minInputPps, Math.round(rate / 2));
    }
  }
  // Phase 2: bisection.
  if (best && lowestFail && stopReason === 'bisected') {
    for (let i = 0; i < P.bisectSteps; i++) {
      const lo = best.rate_target;
      const hi = lowestFail.rate_target;
      if (hi - lo <= Math.max(1, lo * 0.02)) break;
      if (!canStep()) break;
      await run(Math.round((lo + hi) / 2));
    }
  }
  return { best, lowestFail, steps, stopReason };
}

async function measureConfig(config, n, deadline) {
  const t0 = nowMs();
  const srtp = SRTP_CONFIGS.has(config);
  // ds: one random master for the forwarder, the publisher and the sink (srtp_c.h).
  const master = config === 'ds' ? crypto.randomBytes(28).toString('hex') : null;
  const sinkArgs = ['--rcvbuf', String(P.sinkRcvbuf), '--late-ms', String(P.deadlineMs), '--duration', String(Math.ceil(P.searchS * P.runs + 300))];
  const sink = srtp
    ? new Child(path.join(BIN, 'webrtc_peer'), ['--role', 'sink', '--peers', String(n), ...sinkArgs, ...(master ? ['--srtp-master', master] : []), ...(config === 'at' ? ['--twcc-ext', String(TWCC_EXT)] : [])], { name: 'webrtc_peer sink' })
    : new Child(path.join(BIN, 'rtp_sink'), ['--count', String(n), '--control', ...sinkArgs]);
  let fwd = null;
  const record = { bench: 'fanout', config, label: LABELS[config], n };
  if (!(await waitQuiet(60_000))) note(`the machine is busy with other work (> ${P.noisyPct} % of a core): figures will be noisy`);
  try {
    const ready = await sink.nextJson(5000);
    const sinkPorts = ready.ports;
    if (config === 'd') fwd = await startCForwarder(sinkPorts);
    else if (config === 'ds') fwd = await startSrtpForwarder(sinkPorts, master);
    else if (config === 'e') fwd = await startDgramRelay(sinkPorts);
    else if (config === 'as' || config === 'at' || config === 'bs') fwd = await startAgentWebrtc(config, sink, n, ready.fingerprint);
    else fwd = await startAgentConfig(config, sinkPorts);
    const rssStart = proc.rssKiB(fwd.pid);
    const ctx = { fwd, sink, n, sinkPorts, config };
    const runs = [];
    let start = P.startOutputPps / n;
    for (let r = 0; r < P.runs; r++) {
      const searchDeadline = Math.min(deadline, nowMs() + P.searchS * 1000);
      const res = await search(ctx, start, searchDeadline);
      runs.push(res);
      note(`${config} N=${n} run ${r}: ${res.best ? `${res.best.output_pps} out/s (in ${res.best.input_pps}/s)` : 'nothing passed'}, ${res.steps.length} steps, ${res.stopReason}; first fail lost at: ${limitOf(res.lowestFail)}`);
      if (res.best) start = res.best.rate_target * 0.75;
      if (nowMs() > deadline) break;
    }
    const ok = runs.filter((x) => x.best).sort((x, y) => x.best.output_pps - y.best.output_pps);
    const med = ok.length ? ok[Math.floor((ok.length - 1) / 2)] : null;
    const b = med?.best;
    // Latency at about half load: of all runs' passing steps at 25-60 % of
    // that best, the highest one measured while the machine was quiet (any,
    // if none was).
    const below = b
      ? runs.flatMap((x) => x.steps).filter((x) => x.pass && x.output_pps <= 0.6 * b.output_pps && x.output_pps >= 0.25 * b.output_pps)
      : [];
    const quiet = below.filter((x) => x.others_cpu_pct <= P.noisyPct);
    const half = (quiet.length ? quiet : below).sort((x, y) => y.output_pps - x.output_pps)[0] ?? null;
    Object.assign(record, {
      runs: runs.length,
      output_pps: b?.output_pps ?? null,
      input_pps: b?.input_pps ?? null,
      delivery: b?.delivery ?? null,
      cpu_us_per_pkt: b?.cpu_us_per_pkt ?? null,
      // What one fully busy core would forward at that cost: less sensitive
      // than output_pps to other load on a shared machine.
      pps_per_core: b?.cpu_us_per_pkt ? Math.round(1e6 / b.cpu_us_per_pkt) : null,
      best_run_output_pps: ok.length ? ok[ok.length - 1].best.output_pps : null,
      fwd_cpu_pct: b?.fwd_cpu_pct ?? null,
      lat_p50_us: b?.lat_p50_us ?? null,
      lat_p99_us: b?.lat_p99_us ?? null,
      half_load_output_pps: half?.output_pps ?? null,
      half_load_lat_p50_us: half?.lat_p50_us ?? null,
      half_load_lat_p99_us: half?.lat_p99_us ?? null,
      half_load_others_cpu_pct: half?.others_cpu_pct ?? null,
      gen_cpu_pct: b?.gen_cpu_pct ?? null,
      sink_cpu_pct: b?.sink_cpu_pct ?? null,
      others_cpu_pct: b?.others_cpu_pct ?? null,
      sink_drops: b?.sink_drops ?? null,
      noisy_retries: runs.reduce((a, x) => a + x.steps.filter((st) => st.noisy_retry).length, 0),
      limit: limitOf(med?.lowestFail),
      stop: med?.stopReason ?? runs.map((x) => x.stopReason).join(','),
      runs_output_pps: runs.map((x) => x.best?.output_pps ?? null),
      runs_cpu_us_per_pkt: runs.map((x) => x.best?.cpu_us_per_pkt ?? null),
      steps: runs.reduce((a, x) => a + x.steps.length, 0),
      search_s: round((nowMs() - t0) / 1000, 1),
      rss_mib: round(Math.max(rssStart, proc.rssKiB(fwd.pid)) / 1024, 1),
      fwd_info: fwd.info,
    });
    record.detail = { runs: runs.map((x) => ({ stop: x.stopReason, best: x.best, first_fail: x.lowestFail, steps: x.steps })) };
  } finally {
    if (fwd) {
      const fin = await fwd.close().catch((e) => ({ error: e.message }));
      if (fin) record.fwd_exit = fin;
      // What the estimator did over the whole run, summed over the
      // subscriber transports (null where it did not run).
      const bwes = Object.values(fin?.stats ?? {}).flatMap((st) => st?.transports ?? []).map((x) => x.bwe).filter(Boolean);
      record.bwe = bwes.length
        ? {
            transports: bwes.length,
            packets_numbered: bwes.reduce((a, b) => a + b.packetsNumbered, 0),
            feedback_received: bwes.reduce((a, b) => a + b.feedback.received, 0),
            feedback_malformed: bwes.reduce((a, b) => a + b.feedback.malformed, 0),
            packets_reported_received: bwes.reduce((a, b) => a + b.feedback.packetsReceived, 0),
            estimate_bps_median: bwes.map((b) => b.estimateBps).sort((x, y) => x - y)[Math.floor(bwes.length / 2)],
          }
        : null;
    }
    sink.send('quit');
    await Promise.race([sink.exited, sleep(2000)]);
    await sink.stop();
  }
  return record;
}

// ---------------------------------------------------------------- output

/**
 * SRTP against plain RTP, per N, from the results of THIS invocation only
 * (the same go): CPU per output packet with SRTP / without, the SRTP share
 * of the SRTP figure, and the rate ratio; target 1.5x.
 */
function srtpSummary(results) {
  const rows = [];
  const get = (config, n) => results.find((r) => r.config === config && r.n === n && r.cpu_us_per_pkt != null);
  for (const [plain, withSrtp] of [['d', 'ds'], ['a', 'as'], ['b', 'bs']]) {
    for (const n of P.ns) {
      const p = get(plain, n);
      const s = get(withSrtp, n);
      if (!p || !s) continue;
      const ratio = s.cpu_us_per_pkt / p.cpu_us_per_pkt;
      rows.push({
        bench: 'fanout-srtp', pair: `${withSrtp}/${plain}`, n,
        cpu_us_per_pkt_plain: p.cpu_us_per_pkt, cpu_us_per_pkt_srtp: s.cpu_us_per_pkt,
        cpu_ratio: round(ratio, 3), srtp_share: round((s.cpu_us_per_pkt - p.cpu_us_per_pkt) / s.cpu_us_per_pkt, 3),
        output_pps_plain: p.output_pps, output_pps_srtp: s.output_pps, rate_ratio: round(s.output_pps / p.output_pps, 3),
        target_cpu_ratio: 1.5, met: ratio <= 1.5,
      });
    }
  }
  return rows;
}

/**
 * The send-side estimator's cost: at (subscribers with transport-cc) against
 * as (without), per N, from this invocation only; target 1.10x CPU per
 * output packet.
 */
function bweSummary(results) {
  const rows = [];
  const get = (config, n) => results.find((r) => r.config === config && r.n === n && r.cpu_us_per_pkt != null);
  for (const n of P.ns) {
    const off = get('as', n);
    const on = get('at', n);
    if (!off || !on) continue;
    const ratio = on.cpu_us_per_pkt / off.cpu_us_per_pkt;
    rows.push({
      bench: 'fanout-bwe', pair: 'at/as', n,
      cpu_us_per_pkt_off: off.cpu_us_per_pkt, cpu_us_per_pkt_on: on.cpu_us_per_pkt, cpu_ratio: round(ratio, 3),
      output_pps_off: off.output_pps, output_pps_on: on.output_pps, rate_ratio: round(on.output_pps / off.output_pps, 3),
      feedback_received: on.bwe?.feedback_received ?? null, packets_numbered: on.bwe?.packets_numbered ?? null,
      target_cpu_ratio: 1.1, met: ratio <= 1.1,
    });
  }
  return rows;
}

/** The protect cost alone: bench/srtp.js at 1200 B, AEAD_AES_128_GCM (median of its runs). */
function srtpProtectAlone() {
  try {
    const out = execFileSync(process.execPath, [path.join(__dirname, 'srtp.js'), '--packets', '200000', '--runs', '5', '--size', String(P.size)], { encoding: 'utf8', timeout: 300_000 });
    const lines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const get = (op) => lines.find((l) => l.profile === 'SRTP_AEAD_AES_128_GCM' && l.op === op)?.ns_per_packet ?? null;
    return { bench: 'srtp-alone', size: P.size, profile: 'SRTP_AEAD_AES_128_GCM', memcpy_ns: get('memcpy'), protect_ns: get('protect'), unprotect_ns: get('unprotect'), target_protect_ns: 600 };
  } catch (e) {
    return { bench: 'srtp-alone', error: String(e.message ?? e).slice(0, 300) };
  }
}

async function renderCharts(results) {
  const rows = results.filter((r) => r.output_pps != null).map((r) => ({
    config: r.label, n: r.n, output_pps: r.output_pps, cpu_us_per_pkt: r.cpu_us_per_pkt,
  }));
  const plainLabels = ['d', 'e', 'a', 'b', 'c'].map((c) => LABELS[c]);
  const common = {
    rows: rows.filter((r) => plainLabels.includes(r.config)), x: 'n', color: 'config', colorTitle: 'configuration', colorDomain: plainLabels,
    xTitle: 'subscribers (N)', logX: true,
  };
  const srtpLabels = ['d', 'ds', 'a', 'as', 'b', 'bs'].map((c) => LABELS[c]);
  const srtpCommon = { ...common, rows: rows.filter((r) => srtpLabels.includes(r.config)), colorDomain: srtpLabels };
  const rate = await writeChart(path.join(OUT, 'fanout-rate.svg'), {
    ...common, y: 'output_pps', yTitle: 'output packets/s at >= 99.5 % delivered',
    title: `Fanout: highest output rate (${P.size} B RTP, loopback, 2 cores)`,
  });
  const cpu = await writeChart(path.join(OUT, 'fanout-cpu.svg'), {
    ...common, y: 'cpu_us_per_pkt', yTitle: 'forwarder CPU us per delivered packet',
    title: 'Fanout: CPU per output packet at that rate',
  });
  const srtpRate = await writeChart(path.join(OUT, 'fanout-srtp-rate.svg'), {
    ...srtpCommon, y: 'output_pps', yTitle: 'output packets/s at >= 99.5 % delivered',
    title: `Fanout with SRTP (AES-128-GCM) on both sides vs plain RTP (${P.size} B)`,
  });
  const srtpCpu = await writeChart(path.join(OUT, 'fanout-srtp-cpu.svg'), {
    ...srtpCommon, y: 'cpu_us_per_pkt', yTitle: 'forwarder CPU us per delivered packet',
    title: 'Fanout with SRTP vs plain RTP: CPU per output packet',
  });
  return [rate, cpu, srtpRate, srtpCpu];
}

async function main() {
  buildTools();
  fs.mkdirSync(OUT, { recursive: true });
  const started = new Date();
  const deadline = nowMs() + P.maxMinutes * 60_000;
  note(`configs ${P.configs.join(',')} N ${P.ns.join(',')} runs ${P.runs} step ${P.stepMs} ms; cap ${P.maxMinutes} min`);
  const results = [];
  const skipped = [];
  try {
    const byN = opt['by-n'] ?? opt.srtp;
    const pairs = byN ? P.ns.flatMap((n) => P.configs.map((config) => [config, n])) : P.configs.flatMap((config) => P.ns.map((n) => [config, n]));
    {
      for (const [config, n] of pairs) {
        if (agentEnv.unavailable && AGENT_CONFIGS.has(config)) {
          emit({ bench: 'fanout', config, n, skipped: agentEnv.unavailable });
          skipped.push({ config, n, reason: agentEnv.unavailable });
          continue;
        }
        if (nowMs() + 10_000 > deadline) {
          const msg = `skipped: --max-minutes ${P.maxMinutes} reached`;
          emit({ bench: 'fanout', config, n, skipped: msg });
          skipped.push({ config, n, reason: msg });
          continue;
        }
        let rec;
        try {
          rec = await measureConfig(config, n, deadline);
        } catch (e) {
          if (e instanceof ApiUnavailable) {
            agentEnv.unavailable = e.message;
            const msg = `config ${config} skipped: ${e.message}; the lead runs (a)-(c) once the node media API answers`;
            note(msg);
            emit({ bench: 'fanout', config, n, skipped: e.message });
            skipped.push({ config, n, reason: e.message });
            continue;
          }
          note(`config ${config} N=${n} failed: ${e.stack ?? e}`);
          rec = { bench: 'fanout', config, label: LABELS[config], n, error: String(e.message ?? e) };
        }
        const { detail, fwd_exit: _fe, fwd_info: _fi, ...line } = rec;
        emit(line);
        results.push(rec);
      }
    }
  } finally {
    await closeAgentShared();
  }
  const srtpRows = srtpSummary(results);
  for (const r of srtpRows) emit(r);
  for (const r of bweSummary(results)) emit(r);
  // Audio levels read per packet (al) against none (a), this invocation only.
  for (const n of P.ns) {
    const a = results.find((r) => r.config === 'a' && r.n === n && r.cpu_us_per_pkt != null);
    const al = results.find((r) => r.config === 'al' && r.n === n && r.cpu_us_per_pkt != null);
    if (!a || !al) continue;
    emit({
      bench: 'fanout-audio-level', pair: 'al/a', n,
      cpu_us_per_pkt_a: a.cpu_us_per_pkt, cpu_us_per_pkt_al: al.cpu_us_per_pkt, cpu_ratio: round(al.cpu_us_per_pkt / a.cpu_us_per_pkt, 3),
      output_pps_a: a.output_pps, output_pps_al: al.output_pps,
    });
  }
  const srtpAlone = results.some((r) => SRTP_CONFIGS.has(r.config)) && !opt['no-srtp-bench'] ? srtpProtectAlone() : null;
  if (srtpAlone) emit(srtpAlone);
  // Keep results of configurations not run this time.
  const file = path.join(OUT, 'fanout.json');
  let kept = [];
  if (fs.existsSync(file)) {
    try {
      const prev = JSON.parse(fs.readFileSync(file, 'utf8'));
      const ran = new Set(results.map((r) => `${r.config}/${r.n}`));
      kept = (prev.results ?? []).filter((r) => !ran.has(`${r.config}/${r.n}`));
    } catch {
      /* unreadable: start over */
    }
  }
  const all = [...results, ...kept].sort((x, y) => (x.config === y.config ? x.n - y.n : CONFIGS.indexOf(x.config) - CONFIGS.indexOf(y.config)));
  const out = {
    bench: 'fanout',
    date: started.toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, kernel: os.release(), node: process.version },
    params: { ...P, quick: QUICK },
    skipped,
    srtp_summary: srtpRows,
    srtp_alone: srtpAlone,
    results: all.map((r) => ({ ...r, measured_at: r.measured_at ?? started.toISOString() })),
  };
  fs.writeFileSync(file, `${JSON.stringify(out, null, 1)}\n`);
  note(`wrote ${path.relative(ROOT, file)}`);
  if (!opt['no-charts']) {
    const charts = await renderCharts(all);
    note(`wrote ${charts.map((c) => path.relative(ROOT, c)).join(', ')}`);
    // Only when asked: a partial run (some configs, another --out) would
    // otherwise replace the published charts with part of the picture.
    if (opt.docs) {
      const ran = new Set(results.filter((r) => r.output_pps != null).map((r) => r.config));
      if (['d', 'e', 'a', 'b', 'c'].every((c) => ran.has(c))) {
        fs.copyFileSync(charts[0], path.join(ROOT, 'docs/fanout-rate.svg'));
        fs.copyFileSync(charts[1], path.join(ROOT, 'docs/fanout-cpu.svg'));
        note('copied the charts to docs/fanout-rate.svg, docs/fanout-cpu.svg');
      }
      if ([...SRTP_CONFIGS].some((c) => ran.has(c))) {
        fs.copyFileSync(charts[2], path.join(ROOT, 'docs/fanout-srtp-rate.svg'));
        fs.copyFileSync(charts[3], path.join(ROOT, 'docs/fanout-srtp-cpu.svg'));
        note('copied the charts to docs/fanout-srtp-rate.svg, docs/fanout-srtp-cpu.svg');
      }
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
