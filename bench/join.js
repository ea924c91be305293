#!/usr/bin/env node
/**
 * Join time: a late subscriber's subscribe request -> its first decoded
 * video frame, with Debian's Chromium on loopback, and where the time goes.
 *
 *   node bench/join.js [--runs 15] [--baseline-addon path/to/webrtc_agent.node] [--json]
 *
 * One agent (with --baseline-addon, a second one loading that addon build
 * instead, e.g. one without a fix, so both are measured in the same go).
 * A Chromium page publishes the fake camera (640x480, 30 fps, VP8) into
 * each agent. Then, run by run (the agents taking turns), a fresh page
 * joins as a subscriber of that video: the bench (the controller) calls
 * createTransport + subscribe, the page makes its offer, the agent
 * answers, the page applies it, and the page notes when its ICE connection
 * state becomes connected, when its connection state does (DTLS done) and
 * when getStats (polled every 5 ms) first counts a decoded frame. Times are
 * on one clock (epoch ms: performance.timeOrigin + now() in the page).
 *
 *   answer       subscribe request -> the answer at the controller
 *                (createTransport, subscribe, the page's createOffer, the
 *                agent's answer, NATS both ways)
 *   ice          answer -> iceConnectionState connected (the page applies
 *                the answer, checks, nomination)
 *   dtls         ICE connected -> connectionState connected
 *   key frame    DTLS done -> the first frame decoded (the subscription
 *                waits for a key frame; the agent asks the publisher)
 *
 * Each run's page is closed before the next. Prints one JSON line per run
 * and a table of medians (and p90) per agent; --json prints only JSON.
 */
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { startAgent } = require('./lib/agent');

const ROOT = path.resolve(__dirname, '..');

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    'baseline-addon': { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  process.stdout.write(fs.readFileSync(__filename, 'utf8').split('*/')[0]);
  process.exit(0);
}
const RUNS = Number(opt.runs);
const log = (...a) => {
  if (!opt.json) console.log(...a);
};

// The flags of test/helpers/chromium.ts (CHROMIUM_ARGS).
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
];


function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const { connect, JSONCodec, ServiceError } = require('nats');
  const { chromium } = require('playwright-core');
  const { NatsServerProcess } = require(path.join(ROOT, 'dist/rpc/NatsServerProcess.js'));
  const json = JSONCodec();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-join-'));
  const outDir = path.join(ROOT, 'bench/out');
  fs.mkdirSync(outDir, { recursive: true });
  const nats = await NatsServerProcess.start({ port: 0, dataDir });
  const nc = await connect({ servers: nats.url });
  const request = async (subject, payload) => {
    const msg = await nc.request(subject, json.encode(payload), { timeout: 10000 });
    const err = ServiceError.toServiceError(msg);
    if (err) throw new Error(`${subject}: ${err.code} ${err.message}`);
    return msg.data.length ? json.decode(msg.data) : null;
  };
  // The controller's events, with the time each arrived.
  const events = [];
  const sub = nc.subscribe('webrtc-agent.controller.join-bench.*');
  void (async () => {
    for await (const m of sub) events.push({ at: Date.now(), name: m.subject.split('.').at(-1), payload: json.decode(m.data) });
  })();
  const waitEvent = async (pred, what, ms = 10000) => {
    for (const end = Date.now() + ms; Date.now() < end;) {
      const e = events.find(pred);
      if (e) return e;
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`no ${what} within ${ms} ms`);
  };

  const server = http.createServer((_q, res) => res.end('<!doctype html><title>join</title><body></body>'));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const pageUrl = `http://localhost:${server.address().port}/`;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 30000 });

  const agents = [];
  const children = [];
  try {
    const variants = [{ name: 'join-new', env: {} }];
    if (opt['baseline-addon']) variants.push({ name: 'join-baseline', env: { WEBRTC_AGENT_ADDON_PATH: path.resolve(opt['baseline-addon']) } });
    for (const v of variants) {
      const ch = await startAgent(nats.url, v.name, outDir, { AGENT_PRERUN_NODES: '1', AGENT_MAX_NODES: '1', ...v.env });
      children.push(ch);
      const { nodeId } = await request(`webrtc-agent.agent.${v.name}.getNode`, { room: 'r', task: 'pub' });
      const call = (m, a) => request(`webrtc-agent.node.${nodeId}.${m}`, a);
      agents.push({ name: v.name, call, runs: [] });
    }

    // The publishers: one page per agent.
    let seq = 0;
    const negotiate = async (page, call, transportId) => {
      const t0 = Date.now();
      const offer = await page.evaluate(async () => {
        const o = await window.pc.createOffer();
        await window.pc.setLocalDescription(o);
        return o.sdp;
      });
      await call('onTransportSignaling', { transportId, message: { type: 'offer', sdp: offer } });
      const answer = await waitEvent((e) => e.name === 'onTransportProgress' && e.payload.transportId === transportId && e.payload.status.type === 'answer', 'answer');
      await page.evaluate(async (sdp) => window.pc.setRemoteDescription({ type: 'answer', sdp }), answer.payload.status.sdp);
      return { t0, answerAt: answer.at };
    };
    for (const a of agents) {
      const page = await browser.newPage();
      await page.goto(pageUrl);
      await page.evaluate(async () => {
        const s = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, frameRate: 30 } });
        window.pc = new RTCPeerConnection();
        window.pc.addTransceiver(s.getVideoTracks()[0], { direction: 'sendonly' });
      });
      const tid = `pub-${a.name}`;
      await a.call('createTransport', { transportId: tid, controller: 'join-bench' });
      await a.call('publish', {
        operationId: tid,
        connectionType: 'webrtc',
        options: { transportId: tid, controller: 'join-bench', tracks: [{ mid: '0', type: 'video', formatPreference: { preferred: { codec: 'vp8' } } }] },
      });
      await negotiate(page, a.call, tid);
      await waitEvent((e) => e.name === 'onTransportProgress' && e.payload.transportId === tid && e.payload.status.type === 'ready', 'publisher ready');
      a.trackId = `${tid}-0`;
      a.publisherPage = page;
    }
    await new Promise((r) => setTimeout(r, 2000)); // the publishers' estimates settle

    for (let run = 0; run < RUNS; run++) {
      for (const a of agents) {
        const page = await browser.newPage();
        await page.goto(pageUrl);
        // The page is ready before the clock starts: what is timed is the join.
        await page.evaluate(() => {
          const now = () => performance.timeOrigin + performance.now();
          const pc = new RTCPeerConnection();
          pc.addTransceiver('video', { direction: 'recvonly' });
          const marks = (window.marks = {});
          pc.addEventListener('iceconnectionstatechange', () => {
            if (pc.iceConnectionState === 'connected' && !marks.ice) marks.ice = now();
          });
          pc.addEventListener('connectionstatechange', () => {
            if (pc.connectionState === 'connected' && !marks.dtls) marks.dtls = now();
          });
          const poll = async () => {
            const stats = await pc.getStats();
            let frames = 0;
            stats.forEach((r) => {
              if (r.type === 'inbound-rtp' && r.kind === 'video') frames += r.framesDecoded ?? 0;
            });
            if (frames > 0) marks.frame = now();
            else setTimeout(poll, 5);
          };
          setTimeout(poll, 5);
          window.pc = pc;
        });
        const tid = `sub-${a.name}-${seq++}`;
        const t0 = Date.now();
        await a.call('createTransport', { transportId: tid, controller: 'join-bench' });
        await a.call('subscribe', {
          operationId: tid,
          connectionType: 'webrtc',
          options: { transportId: tid, controller: 'join-bench', tracks: [{ mid: '0', type: 'video', from: a.trackId }] },
        });
        const { answerAt } = await negotiate(page, a.call, tid);
        let marks;
        for (const end = Date.now() + 10000; Date.now() < end;) {
          marks = await page.evaluate(() => window.marks);
          if (marks.frame) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        if (!marks.frame) throw new Error(`${tid}: no frame decoded within 10 s`);
        const stats = (await a.call('getStats', {})).transports.find((x) => x.id === tid);
        const r = {
          agent: a.name,
          run,
          totalMs: marks.frame - t0,
          answerMs: answerAt - t0,
          iceMs: marks.ice - answerAt,
          dtlsMs: marks.dtls - marks.ice,
          keyFrameMs: marks.frame - marks.dtls,
          dtlsRetransmissions: stats?.dtlsRetransmissions,
        };
        for (const k of ['totalMs', 'answerMs', 'iceMs', 'dtlsMs', 'keyFrameMs']) r[k] = Math.round(r[k] * 10) / 10;
        a.runs.push(r);
        if (opt.json) console.log(JSON.stringify(r));
        else log(JSON.stringify(r));
        await a.call('destroyTransport', { transportId: tid });
        await page.close();
      }
    }

    const summary = agents.map((a) => {
      const col = (k) => a.runs.map((r) => r[k]);
      return {
        agent: a.name,
        runs: a.runs.length,
        totalMedianMs: median(col('totalMs')),
        totalP90Ms: quantile(col('totalMs'), 0.9),
        answerMedianMs: median(col('answerMs')),
        iceMedianMs: median(col('iceMs')),
        dtlsMedianMs: median(col('dtlsMs')),
        keyFrameMedianMs: median(col('keyFrameMs')),
      };
    });
    if (opt.json) console.log(JSON.stringify({ summary }));
    else {
      log('\nagent          runs  total median  p90    answer  ICE    DTLS   key frame   (ms, medians)');
      for (const s of summary) {
        log(
          `${s.agent.padEnd(14)} ${String(s.runs).padStart(4)}  ${s.totalMedianMs.toFixed(0).padStart(12)}  ${s.totalP90Ms.toFixed(0).padStart(5)}  ${s.answerMedianMs.toFixed(0).padStart(6)}  ${s.iceMedianMs.toFixed(0).padStart(5)}  ${s.dtlsMedianMs.toFixed(0).padStart(5)}  ${s.keyFrameMedianMs.toFixed(0).padStart(9)}`,
        );
      }
    }
  } finally {
    await browser.close().catch(() => {});
    server.close();
    for (const ch of children) await ch.stop().catch(() => {});
    await nc.close().catch(() => {});
    await nats.stop?.().catch?.(() => {});
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
