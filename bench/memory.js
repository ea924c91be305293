#!/usr/bin/env node
/**
 * Memory bench: resident memory of an idle agent with 1 and with 13 node
 * threads, and what one node thread costs (the difference / 12); what one
 * node thread's modules cost, each loaded in bare worker threads; and what
 * one connected WebRTC subscriber costs.
 *
 *   node bench/memory.js [--runs 3] [--baseline <dir of another checkout, built>]
 *                        [--subscribers 100] [--only subscribers] [--chart docs/memory.svg]
 *   node bench/memory.js --from <its JSON lines, saved> --chart docs/memory.svg
 *
 * --chart draws the idle agent's medians (1 and 13 node threads, 1.5 s after
 * READY and settled, each side) against the 160 MiB target; --from redraws
 * it from a saved run without measuring.
 *
 * Subscribers: one node, one WebRTC publisher and N WebRTC subscribers of
 * its video, all bench/tools/webrtc_peer (ICE, DTLS, SRTP: the repo's own
 * load client, bench/lib/webrtc-peer.js), negotiated through the OWT node
 * API. The agent's RSS is read with the publisher alone, with the N
 * subscribers connected, and after 600 packets (1200 B) have gone to each,
 * so every subscriber's send buffer (the last 512 packets, for NACKs) is
 * full: (RSS - RSS with the publisher alone) / N per subscriber.
 *
 * Starts a nats-server on a free loopback port and the agent as a separate
 * process (`node dist/main.js`, cluster off), as in production, waits until
 * every node is READY and 1.5 s more, then reads VmRSS from /proc; and again
 * 15 s after READY, settled (see idle()); and the agent's startup_ms (start
 * to ready, from its ready line) with 13 nodes. With
 * --baseline the other checkout's agent is measured in the same go,
 * alternating run by run, so both sides see the same machine.
 */
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { NatsServerProcess } = require('../dist/rpc/NatsServerProcess');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    baseline: { type: 'string' },
    subscribers: { type: 'string', default: '100' },
    only: { type: 'string' },
    chart: { type: 'string' },
    from: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const root = path.resolve(__dirname, '..');
const emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
/** The idle figures as printed: MiB, 1.5 s after READY and settled. */
const fixed = (r) => ({
  rss_1_node_mib: +r.one.toFixed(1),
  rss_13_nodes_mib: +r.thirteen.toFixed(1),
  per_node_thread_mib: +r.perThread.toFixed(2),
  settled_rss_1_node_mib: +r.oneSettled.toFixed(1),
  settled_rss_13_nodes_mib: +r.thirteenSettled.toFixed(1),
  settled_per_node_thread_mib: +r.perThreadSettled.toFixed(2),
  startup_13_nodes_ms: Math.round(r.startup13),
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function startAgent(dir, natsUrl, nodes) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(dir, 'dist/main.js')], {
      env: { PATH: process.env.PATH, NATS_URL: natsUrl, LOG_LEVEL: 'warn', CLUSTER_ENABLED: 'false', WEBRTC_LISTEN_IP: '127.0.0.1', AGENT_PRERUN_NODES: String(nodes), AGENT_MAX_NODES: '13', AGENT_READY_TIMEOUT_MS: '20000', METRICS_PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error('agent not ready in 30 s')), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('webrtc-agent ready:')) {
        clearTimeout(timer);
        resolve({ child, out });
      }
    });
    child.once('exit', (c) => reject(new Error(`agent exited ${c}`)));
  });
}

function stop(child) {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', resolve);
    child.kill('SIGINT');
  });
}

/**
 * RSS 1.5 s after READY, and settled: once V8's memory reducer has run in
 * every isolate (it starts ~8 s after the last full GC of an isolate that
 * allocates no more, and returns the pages start-up left behind), read at
 * SETTLE_MS after READY. An agent idles for hours; both are reported.
 */
const SETTLE_MS = 15_000;
async function idle(dir, natsUrl, nodes) {
  const { child, out } = await startAgent(dir, natsUrl, nodes);
  const t0 = Date.now();
  await sleep(1500);
  const rss = rssMiB(child.pid);
  await sleep(SETTLE_MS - (Date.now() - t0));
  const settled = rssMiB(child.pid);
  await stop(child);
  // The agent's own start-to-ready time, from its ready line.
  return { rss, settled, startupMs: Number(/startup_ms=(\d+)/.exec(out)[1]) };
}

/** Resident cost of one bare worker thread loading `code`, over 8 threads; `pre` runs in the main thread first. */
function moduleCost(dir, code, pre = '') {
  const probe = `${pre};
    const { Worker } = require('node:worker_threads');
    const fs = require('node:fs');
    const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
    (async () => {
      await new Promise((r) => setTimeout(r, 300));
      const r0 = rss();
      for (let i = 0; i < 8; i++) {
        const w = new Worker(${JSON.stringify(code)} + ";require('node:worker_threads').parentPort.postMessage(1);setInterval(()=>{},1000)", { eval: true });
        await new Promise((r) => w.once('message', r));
      }
      await new Promise((r) => setTimeout(r, 1000));
      process.stdout.write(String((rss() - r0) / 8));
      process.exit(0);
    })();`;
  return Number(execFileSync(process.execPath, ['-e', probe], { cwd: dir, encoding: 'utf8' }));
}

/** A webrtc_peer process spoken to in JSON lines. */
function peerProcess(bin, args) {
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  let wake;
  require('node:readline').createInterface({ input: child.stdout }).on('line', (l) => {
    lines.push(l);
    wake?.();
  });
  const next = async (timeoutMs = 20_000) => {
    const end = Date.now() + timeoutMs;
    while (!lines.length) {
      if (Date.now() > end) throw new Error('webrtc_peer: no answer');
      await new Promise((r) => {
        wake = r;
        setTimeout(r, 100);
      });
    }
    return JSON.parse(lines.shift());
  };
  return { child, next, ask: (cmd, ms) => (child.stdin.write(`${cmd}\n`), next(ms)) };
}

async function subscribers(dir, natsUrl, n) {
  const { connect, JSONCodec } = require('nats');
  const peerTool = require('./lib/webrtc-peer');
  const json = JSONCodec();
  const binDir = mkdtempSync(path.join(tmpdir(), 'wa-mem-peer-'));
  const bin = peerTool.buildWebrtcPeer(binDir);
  const agent = await startAgent(dir, natsUrl, 1);
  const nc = await connect({ servers: natsUrl });
  const peers = [];
  try {
    const info = await new Promise((resolve) => {
      const sub = nc.subscribe('webrtc-agent.controller.mem.onTransportProgress');
      const answers = new Map();
      (async () => {
        for await (const m of sub) {
          const p = json.decode(m.data);
          if (p.status.type === 'answer') answers.set(p.transportId, p.status.sdp);
        }
      })();
      resolve(answers);
    });
    await nc.flush();
    const req = async (subject, p) => {
      const m = await nc.request(subject, json.encode(p), { timeout: 10_000 });
      if (m.headers?.get('Nats-Service-Error-Code')) throw new Error(`${subject}: ${m.headers.get('Nats-Service-Error')}`);
      return json.decode(m.data);
    };
    const agentId = /id=(\S+)/.exec(agent.out)?.[1];
    const { nodeId } = await req(`webrtc-agent.agent.${agentId}.getNode`, { room: 'mem', task: 't' });
    const call = (m, p) => req(`webrtc-agent.node.${nodeId}.${m}`, p);
    const negotiate = async (tid, fingerprint, direction) => {
      const ice = peerTool.iceCredentials();
      await call('createTransport', { transportId: tid, controller: 'mem' });
      const track = direction === 'sendonly' ? { mid: '0', type: 'video' } : { mid: '0', type: 'video', from: 'pub-0' };
      await call(direction === 'sendonly' ? 'publish' : 'subscribe', { operationId: `op-${tid}`, connectionType: 'webrtc', options: { transportId: tid, controller: 'mem', tracks: [track] } });
      await call('onTransportSignaling', { transportId: tid, message: { type: 'offer', sdp: peerTool.offerSdp({ ice, fingerprint, direction, ssrc: 0x5eed0001 }) } });
      const end = Date.now() + 10_000;
      while (!info.has(tid) && Date.now() < end) await sleep(5);
      return peerTool.peerArgs(info.get(tid), ice);
    };
    const pub = peerProcess(bin, ['--role', 'pub', '--ssrc', String(0x5eed0001), '--duration', '300']);
    const sink = peerProcess(bin, ['--role', 'sink', '--peers', String(n), '--duration', '300']);
    peers.push(pub, sink);
    const pr = await pub.next();
    const sr = await sink.next();
    await pub.ask(`peer 0 ${await negotiate('pub', pr.fingerprint, 'sendonly')}`);
    const pc = await pub.ask('connect 15000', 20_000);
    if (pc.connected !== 1) throw new Error(`publisher did not connect: ${JSON.stringify(pc)}`);
    await sleep(1500);
    const base = rssMiB(agent.child.pid);
    for (let i = 0; i < n; i++) await sink.ask(`peer ${i} ${await negotiate(`sub-${i}`, sr.fingerprint, 'recvonly')}`);
    const sc = await sink.ask('connect 30000', 40_000);
    if (sc.connected !== n) throw new Error(`subscribers connected: ${JSON.stringify(sc)}`);
    await sleep(1500);
    const connected = rssMiB(agent.child.pid);
    await sleep(3200); // the key-frame hold of new subscribers (3 s at most)
    await sink.ask('expect 7');
    const sent = await pub.ask('send 300 2 7', 15_000);
    await sink.ask('report 300 3000', 10_000);
    await sleep(1000);
    const flowing = rssMiB(agent.child.pid);
    return { n, sent: sent.sent, base, connected, flowing };
  } finally {
    for (const p of peers) p.child.kill('SIGTERM');
    await nc.close();
    await stop(agent.child);
    rmSync(binDir, { recursive: true, force: true });
  }
}

/** Bars of the idle medians (the 'median' lines), per side, with the 13-node target as a rule. */
async function chart(medians, file) {
  const { writeChart } = require('./lib/chart');
  const rows = [];
  for (const m of medians) {
    for (const [key, what] of [
      ['rss_1_node_mib', '1 node thread, 1.5 s'],
      ['settled_rss_1_node_mib', '1 node thread, settled'],
      ['rss_13_nodes_mib', '13 node threads, 1.5 s'],
      ['settled_rss_13_nodes_mib', '13 node threads, settled'],
    ]) {
      rows.push({ side: m.side === 'this' ? 'this tree' : 'baseline', what, mib: m[key], target: what.startsWith('13') ? 160 : null });
    }
  }
  await writeChart(file, {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Idle agent, resident memory (medians); dashed: the 13-thread target, 160 MiB',
    background: 'white',
    data: { values: rows },
    facet: { field: 'what', type: 'nominal', title: null, sort: rows.map((r) => r.what), header: { labelFontSize: 11 } },
    spacing: 12,
    spec: {
      width: { step: 44 },
      height: 260,
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'side', type: 'nominal', title: null, sort: ['baseline', 'this tree'], axis: { labelAngle: 0 } },
            y: { field: 'mib', type: 'quantitative', title: 'RSS, MiB', scale: { domain: [0, 200] } },
            color: { field: 'side', type: 'nominal', title: null, scale: { domain: ['baseline', 'this tree'] } },
          },
        },
        { mark: { type: 'text', dy: -6 }, encoding: { x: { field: 'side', type: 'nominal', sort: ['baseline', 'this tree'] }, y: { field: 'mib', type: 'quantitative' }, text: { field: 'mib', type: 'quantitative', format: '.1f' } } },
        { transform: [{ filter: 'datum.target != null' }], mark: { type: 'rule', strokeDash: [4, 3], color: 'firebrick' }, encoding: { y: { field: 'target', type: 'quantitative', aggregate: 'max' } } },
      ],
    },
    config: { font: 'sans-serif' },
  });
}

async function main() {
  if (values.from) {
    const medians = readFileSync(values.from, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((o) => o.bench === 'memory' && o.what === 'median');
    if (!values.chart || medians.length === 0) throw new Error('--from needs --chart and a saved run with median lines');
    await chart(medians, values.chart);
    return;
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-mem-'));
  const nats = await NatsServerProcess.start({ port: 0, dataDir });
  const sides = [['this', root], ...(values.baseline ? [['baseline', path.resolve(values.baseline)]] : [])];
  try {
    const n = Number(values.subscribers);
    if (n > 0) {
      for (const [name, dir] of sides) {
        const r = await subscribers(dir, nats.url, n);
        emit({
          bench: 'memory',
          side: name,
          what: `${n} WebRTC subscribers of one video publisher, one node`,
          packets_each: r.sent,
          rss_publisher_only_mib: +r.base.toFixed(1),
          rss_connected_mib: +r.connected.toFixed(1),
          rss_after_media_mib: +r.flowing.toFixed(1),
          per_subscriber_connected_kib: Math.round(((r.connected - r.base) * 1024) / n),
          per_subscriber_after_media_kib: Math.round(((r.flowing - r.base) * 1024) / n),
        });
      }
    }
    if (values.only === 'subscribers') return;
    const got = {};
    for (let r = 0; r < RUNS; r++) {
      for (const [name, dir] of sides) {
        const a = await idle(dir, nats.url, 1);
        const b = await idle(dir, nats.url, 13);
        const row = { one: a.rss, thirteen: b.rss, perThread: (b.rss - a.rss) / 12, oneSettled: a.settled, thirteenSettled: b.settled, perThreadSettled: (b.settled - a.settled) / 12, startup13: b.startupMs };
        (got[name] ??= []).push(row);
        emit({ bench: 'memory', side: name, run: r, ...fixed(row) });
      }
    }
    const medians = [];
    for (const [name] of sides) {
      const g = got[name];
      const med = Object.fromEntries(Object.keys(g[0]).map((k) => [k, median(g.map((x) => x[k]))]));
      const line = { bench: 'memory', side: name, what: 'median', ...fixed(med) };
      medians.push(line);
      emit(line);
    }
    if (values.chart) await chart(medians, values.chart);
    for (const [name, dir] of sides) {
      for (const [what, code, pre] of [
        ['bare worker thread', ''],
        ['+ zod', "require('zod')"],
        ['+ pino', "require('pino')"],
        ['+ sdp-transform, h264-profile-level-id', "require('sdp-transform');require('h264-profile-level-id')"],
        ['+ the node thread entry (dist/node/worker.js), before init', "require('./dist/node/worker.js')"],
        ["bare worker thread, the agent's V8 flags set (dist/util/heapFlags.js)", '', "try { require('./dist/util/heapFlags.js') } catch {}"],
      ]) {
        emit({ bench: 'memory', side: name, what: `module cost per thread: ${what}`, mib: +moduleCost(dir, code, pre).toFixed(2) });
      }
    }
  } finally {
    await nats.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
