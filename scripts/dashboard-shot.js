#!/usr/bin/env node
/**
 * A picture of docs/grafana-dashboard.json fed by a real run, without
 * Grafana (not packaged for Debian, and nothing is downloaded here):
 *
 *   node scripts/dashboard-shot.js [--seconds 90] [--out docs/grafana-dashboard]
 *
 * Starts a nats-server, the agent as a process (`node dist/main.js`, test
 * hooks on) and Debian's Prometheus (`apt-get install prometheus`) scraping
 * the agent's /metrics every second. Drives a workload for --seconds: plain
 * RTP into a room spanning two node threads (20 subscribers, some across
 * the ring), subscribers answering SRs with receiver reports, publisher loss
 * (NACKs to the publisher), PLIs, garbage datagrams, controller RPCs (some
 * invalid), schedule requests, and a node thread hung for 2.2 s. Then runs
 * every panel's PromQL from the dashboard JSON against that Prometheus
 * ($agent = all, $__rate_interval = 5s) and draws the panels in the same
 * grid with Vega-Lite: <out>.svg, and <out>.png through headless Chromium.
 */
'use strict';
const { spawn } = require('node:child_process');
const dgram = require('node:dgram');
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const net = require('node:net');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { connect, JSONCodec } = require('nats');
const { NatsServerProcess } = require('../dist/rpc/NatsServerProcess');
const { renderChart } = require('../bench/lib/chart');
const { startAgent } = require('../bench/lib/agent');

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '90' }, out: { type: 'string', default: 'docs/grafana-dashboard' } } });
const SECONDS = Number(values.seconds);
const root = path.resolve(__dirname, '..');
const json = JSONCodec();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startAgentFor(natsUrl, logDir) {
  const name = `shot-${process.pid}`;
  const ch = await startAgent(natsUrl, name, logDir, {
    AGENT_TEST_HOOKS: 'true',
    AGENT_PRERUN_NODES: '2',
    AGENT_MAX_TASKS_PER_NODE: '12',
    CLUSTER_ENABLED: 'true',
    CLUSTER_NAME: `shot${process.pid}`,
  });
  return { ch, id: name, metrics: new URL(/metrics=(\S+)/.exec(ch.readyLine)[1]) };
}

async function startPrometheus(dir, target) {
  const port = await freePort();
  const cfg = path.join(dir, 'prometheus.yml');
  writeFileSync(
    cfg,
    ['global:', '  scrape_interval: 1s', 'scrape_configs:', '  - job_name: webrtc-agent', '    static_configs:', `      - targets: ['${target}']`, ''].join('\n'),
  );
  const child = spawn('prometheus', [`--config.file=${cfg}`, `--storage.tsdb.path=${path.join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return { child, url };
    } catch {
      /* not yet */
    }
    await sleep(200);
  }
  child.kill();
  throw new Error('prometheus not ready in 20 s');
}

function rtp(seq, ssrc) {
  const b = Buffer.alloc(1012, 7);
  b[0] = 0x80;
  b[1] = 96 | (seq % 3 === 2 ? 0x80 : 0);
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((Math.floor(seq / 3) * 3000) >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

/** A receiver report answering the sender report `sr` (RFC 3550 LSR/DLSR), with this loss and jitter. */
function rrFor(sr, heldMs, fraction, jitter) {
  const b = Buffer.alloc(32);
  b[0] = 0x81;
  b[1] = 201;
  b.writeUInt16BE(7, 2);
  b.writeUInt32BE(0x5eed, 4);
  b.writeUInt32BE(sr.readUInt32BE(4), 8); // the SR's sender SSRC
  b[12] = fraction;
  b.writeUInt32BE(0, 16);
  b.writeUInt32BE(jitter, 20);
  b.writeUInt32BE((((sr.readUInt32BE(8) & 0xffff) << 16) | (sr.readUInt32BE(12) >>> 16)) >>> 0, 24);
  b.writeUInt32BE(Math.round(heldMs * 65.536), 28);
  return b;
}

function pli(mediaSsrc) {
  const b = Buffer.alloc(12);
  b[0] = 0x81;
  b[1] = 206;
  b.writeUInt16BE(2, 2);
  b.writeUInt32BE(0x5eed, 4);
  b.writeUInt32BE(mediaSsrc, 8);
  return b;
}

async function workload(nc, agent) {
  const call = async (subject, payload) => {
    const m = await nc.request(subject, json.encode(payload), { timeout: 5000 });
    if (m.headers?.get('Nats-Service-Error-Code')) throw Object.assign(new Error(m.headers.get('Nats-Service-Error')), { code: m.headers.get('Nats-Service-Error-Code') });
    return m.data.length ? json.decode(m.data) : null;
  };
  const agentCall = (m, p) => call(`webrtc-agent.agent.${agent.id}.${m}`, p);
  const node = (id) => (m, p) => call(`webrtc-agent.node.${id}.${m}`, p);
  const sockets = [];
  const udp = async () => {
    const s = dgram.createSocket('udp4');
    await new Promise((r) => s.bind(0, '127.0.0.1', r));
    sockets.push(s);
    return s;
  };
  const timers = [];
  try {
    const pubNode = (await agentCall('getNode', { room: 'demo', task: 'pub' })).nodeId;
    const P = node(pubNode);
    const pub = await P('createPlainTransport', { transportId: 'pub', comedia: true });
    await P('publishTrack', { transportId: 'pub', trackId: 'cam', kind: 'video', ssrc: 1111, payloadType: 96, nack: true });
    const nodes = new Set([pubNode]);
    for (let i = 0; i < 20; i++) {
      const id = (await agentCall('getNode', { room: 'demo', task: `sub${i}` })).nodeId;
      nodes.add(id);
      const N = node(id);
      const sink = await udp();
      const t = await N('createPlainTransport', { transportId: `sub${i}` });
      await N('connectPlainTransport', { transportId: `sub${i}`, ip: '127.0.0.1', port: sink.address().port });
      const { ssrc } = await N('subscribeTrack', { transportId: `sub${i}`, trackId: 'cam', subscriptionId: `s${i}` });
      // Each subscriber answers SRs after a delay of its own, reporting its own loss and jitter.
      sink.on('message', (m) => {
        if (m.length >= 28 && m[1] === 200) {
          const held = 5 + i * 3;
          setTimeout(() => sink.send(rrFor(m, held, (i * 3) % 40, 90 * (1 + (i % 7))), t.port, '127.0.0.1'), held);
        }
      });
      if (i % 5 === 0) timers.push(setInterval(() => sink.send(pli(ssrc), t.port, '127.0.0.1'), 7000 + i * 100));
    }
    const sender = await udp();
    let seq = 0;
    // 50 packets/s; about 1 in 60 never sent (the agent NACKs them).
    timers.push(
      setInterval(() => {
        const s = seq++;
        if (s % 60 !== 59) sender.send(rtp(s, 1111), pub.port, '127.0.0.1');
      }, 20),
    );
    timers.push(setInterval(() => sender.send(Buffer.from('garbage, not RTP'), pub.port, '127.0.0.1'), 3000));
    // A controller polling, with a bad request now and then.
    let k = 0;
    timers.push(
      setInterval(() => {
        const n = [...nodes][k % nodes.size];
        void node(n)('getStats', {}).catch(() => undefined);
        if (k % 5 === 0) void agentCall('getNode', { room: 7 }).catch(() => undefined);
        if (k % 3 === 0) void call(`webrtc-agent.cluster.shot${process.pid}.schedule`, { purpose: 'webrtc', task: `task${k}`, room: `r${k % 4}` }).catch(() => undefined);
        if (k % 10 === 0) void agentCall('getNode', { room: `short${k}`, task: 't' }).then((r) => agentCall('recycleNode', { nodeId: r.nodeId, room: `short${k}`, task: 't' })).catch(() => undefined);
        k++;
      }, 500),
    );
    const t0 = Date.now();
    const hangAt = Math.min(40, SECONDS / 2) * 1000;
    await sleep(hangAt);
    const other = [...nodes].find((n) => n !== pubNode) ?? pubNode;
    await node(other)('testHang', { ms: 2200 });
    await sleep(Math.max(0, SECONDS * 1000 - (Date.now() - t0)));
  } finally {
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.close();
  }
}

async function queryRange(promUrl, expr, start, end) {
  const u = new URL(`${promUrl}/api/v1/query_range`);
  u.searchParams.set('query', expr);
  u.searchParams.set('start', String(start));
  u.searchParams.set('end', String(end));
  u.searchParams.set('step', '1');
  const r = await (await fetch(u)).json();
  if (r.status !== 'success') throw new Error(`${expr}: ${r.error}`);
  return r.data.result;
}

function legend(format, metric) {
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k) => metric[k] ?? '');
}

async function draw(promUrl, dash, start, end, out) {
  const cells = [];
  for (const p of dash.panels) {
    const rows = [];
    for (const t of p.targets) {
      const expr = t.expr.replaceAll('$agent', '.*').replaceAll('$__rate_interval', '5s');
      for (const s of await queryRange(promUrl, expr, start, end)) {
        const name = legend(t.legendFormat, s.metric).trim() || expr;
        for (const [ts, v] of s.values) {
          const y = Number(v);
          if (Number.isFinite(y)) rows.push({ t: ts - start, y, series: name });
        }
      }
    }
    const unit = p.fieldConfig.defaults.unit;
    cells.push({
      title: { text: p.title, fontSize: 12 },
      width: 300,
      height: 150,
      data: { values: rows },
      mark: { type: 'line', strokeWidth: 1.2, clip: true },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'seconds into the run', scale: { domain: [0, end - start] } },
        y: { field: 'y', type: 'quantitative', title: unit },
        color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 2, labelLimit: 170, symbolLimit: 12, labelFontSize: 9 } },
      },
    });
  }
  const rowsOf3 = [];
  for (let i = 0; i < cells.length; i += 3) rowsOf3.push({ hconcat: cells.slice(i, i + 3), resolve: { scale: { color: 'independent' } } });
  const svg = await renderChart({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${dash.title}: the panels of docs/grafana-dashboard.json over a ${end - start} s run (Prometheus 2.42, 1 s scrapes)`, fontSize: 14 },
    background: 'white',
    vconcat: rowsOf3,
    resolve: { scale: { color: 'independent' } },
    config: { font: 'sans-serif', view: { stroke: '#ddd' } },
  });
  writeFileSync(`${out}.svg`, svg);
  try {
    const { chromium } = require('playwright-core');
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
      await page.setContent(`<html><body style="margin:0;background:white">${svg}</body></html>`);
      await page.locator('svg').first().screenshot({ path: `${out}.png` });
    } finally {
      await browser.close();
    }
  } catch (err) {
    console.error(`no PNG (${err.message}); the SVG is written`);
  }
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'wa-shot-'));
  const nats = await NatsServerProcess.start({ port: 0, dataDir: path.join(dir, 'nats') });
  let agent;
  let prom;
  let nc;
  try {
    agent = await startAgentFor(nats.url, dir);
    prom = await startPrometheus(dir, agent.metrics.host);
    nc = await connect({ servers: nats.url });
    const start = Math.floor(Date.now() / 1000);
    await workload(nc, agent);
    await sleep(2000); // the last scrapes
    const end = Math.floor(Date.now() / 1000);
    const dash = JSON.parse(readFileSync(path.join(root, 'docs/grafana-dashboard.json'), 'utf8'));
    await draw(prom.url, dash, start, end, path.resolve(root, values.out));
    console.log(JSON.stringify({ wrote: [`${values.out}.svg`, `${values.out}.png`], seconds: end - start, agent: agent.id }));
  } finally {
    await nc?.close();
    if (agent) await agent.ch.stop();
    if (prom) await new Promise((r) => (prom.child.once('exit', r), prom.child.kill('SIGTERM')));
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
