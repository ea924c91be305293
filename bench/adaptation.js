#!/usr/bin/env node
/**
 * Adaptation: how fast and how smoothly a subscriber behind a link that
 * steps down and back up is moved between simulcast layers, by the agent
 * alone (its send-side estimate and layer allocator; no controller help).
 *
 *   node bench/adaptation.js [--cycles 3] [--json] [--no-charts] [--trace]
 *   (as root: it makes a network namespace; with no other benchmark running)
 *
 * The shaped-link scenario of test/webrtc/chromium-shaped-layers.test.ts
 * (its helpers are reused: bench/lib/ts-require.js): an agent in this
 * process, a Chromium publisher of 3-layer VP8 simulcast at 1280x720,
 * 20 fps (q 320x180, h 640x360, f 1280x720) on loopback; subscriber A on
 * loopback; subscriber B, a second Chromium in a network namespace of its
 * own behind `tc tbf rate R burst 16kb latency 300ms` on the host end of its
 * veth pair. Both subscribe to the whole publication. Then, per cycle: B on
 * the top layer for 10 s at 3 Mbit/s, the link steps to 400 kbit/s for 12 s,
 * then back to 3 Mbit/s until B is on the top layer again (60 s at most).
 * B's page logs its decoded-frame count every 25 ms. Printed per cycle:
 *
 *   down_ms       step down -> B's current layer below the top (the switch
 *                 done: the target layer's key frame forwarded)
 *   up_ms         step up -> B on the top layer again
 *   fps           B's decoded frames/s from 2 s to 12 s after the step down
 *   max_gap_ms    the longest time without a new decoded frame in the 12 s
 *                 after the step down (the longest freeze)
 *   freeze_ms     the time spent in gaps over 200 ms in those 12 s
 *   resent_per_lost  packets the agent re-sent to B per media packet B's
 *                 transport-cc feedback reported lost, over the cycle
 *   resent_bytes_per_lost_byte  the same in bytes (a lost packet counted
 *                 at the mean size of B's video packets)
 *   a_switches    layer switches of the unconstrained subscriber A (0 wanted)
 *
 * --trace writes, per cycle, bench/out/adaptation-trace-<cycle>.txt: the
 * 3 s after the step down, ms from the step, every change of B's page
 * stats (frames decoded and received, key frames decoded, packets lost,
 * NACKs, PLIs, frame width) and, every ~15 ms, the agent's view (B's
 * estimate and delay trend, B's current/target layer, key frames asked,
 * switches, the tbf's backlog, B's video rate, re-sends): where a freeze
 * comes from.
 *
 * Targets (issue 9): down within 1 s, no freeze over 0.5 s during a drop,
 * back on top within 8 s, at most 1.2 re-sends per lost packet. A chart of
 * the first cycle (link rate, B's estimate, what B received) goes to
 * bench/out/adaptation.svg and docs/adaptation.svg; the runs, one JSON line
 * each, to bench/out/adaptation-runs.jsonl.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { helperContext } = require('./lib/ts-require');
const { writeChart } = require('./lib/chart');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'bench/out');
const { values: opt } = parseArgs({
  options: {
    cycles: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
    'no-charts': { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
  },
});
const CYCLES = Math.max(1, Number(opt.cycles) || 3);
const CONTROLLER = 'adaptation-bench';
const SHAPE = (rate) => ['tbf', 'rate', rate, 'burst', '16kb', 'latency', '300ms'];
const HIGH_BPS = 3_000_000;
const LOW_BPS = 400_000;
const LOW_MS = 12_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const note = (s) => {
  if (!opt.json) console.log(s);
};
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function until(cond, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return Date.now();
    await sleep(25);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** From a page's (time, frames) log: the longest gap between new frames, and the time in gaps over 200 ms, within [from, to). */
function gaps(log, from, to) {
  let last = null;
  let max = 0;
  let frozen = 0;
  for (const [at, frames] of log) {
    if (at < from || at >= to) continue;
    if (last === null) {
      last = [at, frames];
      continue;
    }
    if (frames > last[1]) {
      const gap = at - last[0];
      max = Math.max(max, gap);
      if (gap > 200) frozen += gap;
      last = [at, frames];
    }
  }
  if (last !== null) {
    const tail = Math.min(to, log.at(-1)[0]) - last[0];
    max = Math.max(max, tail);
    if (tail > 200) frozen += tail;
  }
  return { max, frozen };
}

function framesBetween(log, from, to) {
  const inside = log.filter(([at]) => at >= from && at < to);
  if (inside.length < 2) return NaN;
  return ((inside.at(-1)[1] - inside[0][1]) * 1000) / (inside.at(-1)[0] - inside[0][0]);
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const t = helperContext();
  const runs = [];
  let series = [];
  try {
    const { makeNetns } = require('./lib/netns.ts');
    const { openBrowser, openBrowserIn } = require('../test/helpers/chromium.ts');
    const { controllerAgent, publicationSubscriber, simulcastPublisher } = require('../test/helpers/webrtc.ts');

    const ns = makeNetns(t, SHAPE('3mbit'));
    const { events, nodeFor } = await controllerAgent(t, CONTROLLER, { WEBRTC_LISTEN_IP: ns.hostIp, WEBRTC_ANNOUNCED_IP: ns.hostIp });
    const on = await nodeFor('room-adaptation', 'p');
    const { newPage } = await openBrowser(t);
    await simulcastPublisher(t, await newPage(), on, events, CONTROLLER, 'p');
    await publicationSubscriber(t, await newPage(), on, events, CONTROLLER, 'a');
    const b = await (await openBrowserIn(t, ns.chromium)).newPage();
    await publicationSubscriber(t, b, on, events, CONTROLLER, 'b');
    // B's decoded frames, every 25 ms, on the page's clock (epoch ms).
    await b.evaluate(() => {
      const log = (window.frameLog = []);
      window.traceLog = [];
      setInterval(async () => {
        let frames = 0;
        let more = null;
        (await window.pc.getStats()).forEach((r) => {
          if (r.type === 'inbound-rtp' && r.kind === 'video') {
            frames = r.framesDecoded ?? 0;
            more = [r.framesReceived, r.keyFramesDecoded, r.packetsLost, r.nackCount, r.pliCount, r.frameWidth, r.framesDropped];
          }
        });
        const at = performance.timeOrigin + performance.now();
        log.push([at, frames]);
        window.traceLog.push([at, frames, ...(more ?? [])]);
      }, 25);
    });
    const frameLog = async () => b.evaluate(() => window.frameLog);

    const stats = () => on('getStats', {});
    const view = async () => {
      const st = await stats();
      const sub = (id) => st.subscriptions.find((x) => x.id === id);
      const tr = st.transports.find((x) => x.id === 'b');
      const bSubs = st.subscriptions.filter((x) => x.id.startsWith('b-'));
      return {
        a: sub('a-1').layers,
        b: sub('b-1').layers,
        bBitrate: sub('b-1').bitrate,
        bwe: tr.bwe,
        resent: bSubs.reduce((n, x) => n + x.retransmitted, 0),
        resentBytes: bSubs.reduce((n, x) => n + (x.retransmittedBytes ?? 0), 0),
        videoBytes: sub('b-1').bytes ?? 0,
        videoPackets: sub('b-1').packets ?? 0,
      };
    };

    await until(async () => {
      const v = await view();
      return v.a.currentSpatial === 2 && v.b.currentSpatial === 2;
    }, 40_000, 'both on the top layer at 3 Mbit/s');

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      ns.reshape(SHAPE('3mbit'));
      await until(async () => (await view()).b.currentSpatial === 2, 60_000, 'b on the top layer');
      await sleep(10_000); // settled there
      const before = await view();
      const sampling = cycle === 0;
      const samples = [];
      const stepDown = Date.now();
      let sampler = null;
      if (sampling) {
        sampler = (async () => {
          while (Date.now() - stepDown < LOW_MS + 15_000) {
            const v = await view();
            const at = (Date.now() - stepDown) / 1000;
            const link = at < LOW_MS / 1000 ? LOW_BPS : HIGH_BPS;
            samples.push({ at, link, estimate: v.bwe.estimateBps, received: v.bBitrate, layer: v.b.currentSpatial });
            await sleep(250);
          }
        })();
      }
      const trace = [];
      let tracer = null;
      if (opt.trace) {
        const { execFile } = require('node:child_process');
        const backlog = () =>
          new Promise((resolve) =>
            execFile('tc', ['-s', 'qdisc', 'show', 'dev', ns.hostIf], (err, out) => {
              const m = /backlog (\S+) (\d+)p/.exec(out ?? '');
              resolve(m ? `${m[1]}/${m[2]}p` : '?');
            }),
          );
        tracer = (async () => {
          while (Date.now() - stepDown < 3000) {
            const [st, q] = await Promise.all([stats(), backlog()]);
            const sub = st.subscriptions.find((x) => x.id === 'b-1');
            const tr = st.transports.find((x) => x.id === 'b');
            const l = sub.layers;
            trace.push([Date.now() - stepDown, `est ${Math.round(tr.bwe.estimateBps / 1000)}k trend ${tr.bwe.delayTrend?.toFixed?.(1)} L ${l.currentSpatial}/${l.currentTemporal}->${l.targetSpatial}/${l.targetTemporal} asks ${l.keyframeAsks} sw ${l.switches} tq ${q} sent ${Math.round(sub.bitrate / 1000)}k rtx ${sub.retransmitted}`]);
            await sleep(10);
          }
        })();
      }
      ns.reshape(SHAPE('400kbit'));
      let watching = opt.trace;
      const watch = (async () => {
        // The whole cycle's layer moves and their reasons, for the trace.
        const lines = [];
        let prev = '';
        let lastAt = 0;
        while (watching && Date.now() - stepDown < LOW_MS + 60_000) {
          const st = await stats();
          const l = st.subscriptions.find((x) => x.id === 'b-1').layers;
          const tr = st.transports.find((x) => x.id === 'b');
          const key = `L ${l.currentSpatial}/${l.currentTemporal}->${l.targetSpatial}/${l.targetTemporal} ${l.reason}`;
          const at = Date.now() - stepDown;
          if (key !== prev || at - lastAt >= 1000) {
            lines.push(`${String(at).padStart(6)} ms after the step down: est ${Math.round(tr.bwe.estimateBps / 1000)}k desired ${Math.round(tr.desiredBitrate / 1000)}k ${key} probes ${JSON.stringify(tr.bwe.probes)}`);
            prev = key;
            lastAt = at;
          }
          await sleep(200);
        }
        return lines;
      })();
      const down = await until(async () => {
        const l = (await view()).b;
        return l.currentSpatial >= 0 && l.currentSpatial < 2;
      }, LOW_MS, 'b switched down');
      await sleep(Math.max(0, LOW_MS - (Date.now() - stepDown)));
      const log = await frameLog();
      if (tracer) {
        await tracer;
        const page = (await b.evaluate(() => window.traceLog)).filter(([at]) => at >= stepDown - 200 && at < stepDown + 3000);
        const lines = [];
        let prev = '';
        for (const [at, ...v] of page) {
          const text = `page fr dec ${v[0]} rcv ${v[1]} key ${v[2]} lost ${v[3]} nack ${v[4]} pli ${v[5]} w ${v[6]} drop ${v[7]}`;
          const key = v.join(',');
          if (key !== prev) lines.push([Math.round(at - stepDown), text]);
          prev = key;
        }
        let prevA = '';
        for (const [at, text] of trace) {
          if (text !== prevA) lines.push([at, `agent ${text}`]);
          prevA = text;
        }
        lines.sort((x, y) => x[0] - y[0]);
        fs.writeFileSync(path.join(OUT, `adaptation-trace-${cycle}.txt`), lines.map(([at, x]) => `${String(at).padStart(5)} ${x}`).join('\n') + '\n');
        note(`trace of cycle ${cycle}: bench/out/adaptation-trace-${cycle}.txt`);
      }
      ns.reshape(SHAPE('3mbit'));
      const stepUp = Date.now();
      const up = await until(async () => (await view()).b.currentSpatial === 2, 60_000, 'b back on the top layer');
      watching = false;
      const upLines = await watch;
      if (opt.trace) fs.appendFileSync(path.join(OUT, `adaptation-trace-${cycle}.txt`), `step up at ${stepUp - stepDown} ms\n${upLines.join('\n')}\n`);
      const after = await view();
      if (sampler) {
        await sampler;
        series = samples;
      }
      const g = gaps(log, stepDown, stepDown + LOW_MS);
      const lost = after.bwe.feedback.mediaLost - before.bwe.feedback.mediaLost;
      const resent = after.resent - before.resent;
      const meanVideo = after.videoPackets > 0 ? after.videoBytes / after.videoPackets : NaN;
      const run = {
        cycle,
        down_ms: down - stepDown,
        up_ms: up - stepUp,
        fps: Number(framesBetween(log, stepDown + 2000, stepDown + LOW_MS).toFixed(1)),
        max_gap_ms: Math.round(g.max),
        freeze_ms: Math.round(g.frozen),
        media_lost: lost,
        resent,
        resent_per_lost: lost > 0 ? Number((resent / lost).toFixed(2)) : 0,
        resent_bytes_per_lost_byte: lost > 0 ? Number(((after.resentBytes - before.resentBytes) / (lost * meanVideo)).toFixed(2)) : 0,
        a_switches: after.a.switches - before.a.switches,
      };
      runs.push(run);
      fs.appendFileSync(path.join(OUT, 'adaptation-runs.jsonl'), `${JSON.stringify({ at: new Date().toISOString(), ...run })}\n`);
      if (opt.json) console.log(JSON.stringify(run));
      else note(`cycle ${cycle}: ${JSON.stringify(run)}`);
    }
  } finally {
    await t.close();
  }

  const keys = ['down_ms', 'up_ms', 'fps', 'max_gap_ms', 'freeze_ms', 'resent_per_lost', 'resent_bytes_per_lost_byte', 'a_switches'];
  const med = Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k]))]));
  if (opt.json) console.log(JSON.stringify({ median: med, cycles: runs.length }));
  else {
    note(`median of ${runs.length} cycles: ${JSON.stringify(med)}`);
    note('targets: down_ms <= 1000, max_gap_ms <= 500, up_ms <= 8000, resent_per_lost <= 1.2, a_switches 0');
  }
  if (!opt['no-charts'] && series.length > 0) {
    const rows = [];
    for (const s of series) {
      rows.push({ t: s.at, kbps: s.link / 1000, series: 'link rate (tc tbf)' });
      rows.push({ t: s.at, kbps: s.estimate / 1000, series: "B's send-side estimate" });
      rows.push({ t: s.at, kbps: s.received / 1000, series: 'video sent to B' });
    }
    const file = await writeChart(path.join(OUT, 'adaptation.svg'), {
      rows, x: 't', y: 'kbps', color: 'series', colorTitle: '',
      xTitle: 'seconds after the step down to 400 kbit/s (back to 3 Mbit/s at 12 s)', yTitle: 'kbit/s',
      title: 'Adaptation: a Chromium subscriber behind 3 Mbit/s -> 400 kbit/s -> 3 Mbit/s (first cycle)',
    });
    fs.copyFileSync(file, path.join(ROOT, 'docs/adaptation.svg'));
    note(`wrote ${path.relative(ROOT, file)}, copied to docs/adaptation.svg`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
