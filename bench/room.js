#!/usr/bin/env node
/**
 * Room bench: N conference participants, each a real WebRTC client of the
 * repo's own (bench/tools/webrtc_peer.cc --role room, webrtc_peer_room.h:
 * ICE, DTLS, SRTP per transport, one process driving many), joined through
 * the agent's NATS API as a conference controller would, all in one room.
 *
 *   node bench/room.js --scenario webinar|meeting|meeting-subs [--n 300]
 *        [--seconds 20] [--nodes 2] [--procs 2] [--videos 9] [--speakers 3]
 *        [--muted 0] [--talk-s 4] [--warmup-s 4] [--json-out FILE]
 *
 * Scenarios (docs/bench.md "Room"):
 *   webinar       1 presenter (audio + one VP8 video, 30 fps x 4 packets,
 *                 a key frame every 2 s) to N viewers, each subscribing to
 *                 both (fixed subscriptions).
 *   meeting       N participants, each publishing audio (Opus-like, 50
 *                 packets/s, RFC 6464 level; --speakers of them speaking at
 *                 a time, changing every --talk-s, the rest silent: level
 *                 127 at 50 packets/s, or sending nothing when --muted of
 *                 them are muted), --videos of them also publishing VP8
 *                 simulcast (l 15 fps x 1, m 30 x 1, h 30 x 3 packets), each
 *                 receiving 3 speaker slots (`slot: "speaker"`) and the
 *                 low layer of every other video (pinned).
 *   meeting-subs  the same, with one plain subscription per other
 *                 participant's audio (dropSilence) instead of slots.
 * A participant is one transport for what it publishes and one for what it
 * receives (as an OWT client: a PeerConnection per publication and per
 * subscription); each transport is a getNode task of the one room, so the
 * room spills over node threads by itself (agent.maxTasksPerNode = the
 * tasks / --nodes).
 *
 * Measured over one window of --seconds (after everyone joined, connected
 * and --warmup-s passed): every packet carries its send epoch, source and
 * send time; receivers count what they got per source (fixed subscriptions:
 * delivered = received / what the source sent in the window; with
 * dropSilence only voiced packets count as sent) and the gaps in each run
 * of one source on one SSRC (slots: the slot changes source, so delivered
 * there is received / the span of each run), and one-way latency (send to
 * receive, both on this machine's monotonic clock). Also: the agent's CPU
 * (all its threads, /proc) per delivered packet, each of its busiest
 * threads, the load clients' CPU, the machine's busy share, the agent's
 * resident memory per participant (after joining against before), and
 * which node thread each transport went to.
 *
 * Starts its own nats-server (free loopback port) and agent (dist/main.js;
 * `npm run build` first). Prints one JSON line; run it with no
 * other benchmark on the machine.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { connect, JSONCodec } = require('nats');
const { Child } = require('./lib/child');
const { startAgent } = require('./lib/agent');
const { cpuUs, rssKiB, machineCpu } = require('./lib/proc');
const peerTool = require('./lib/webrtc-peer');

const ROOT = path.resolve(__dirname, '..');
const { values: a } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'meeting' },
    n: { type: 'string', default: '300' },
    chart: { type: 'string' },
    seconds: { type: 'string', default: '20' },
    nodes: { type: 'string', default: '2' },
    procs: { type: 'string', default: '2' },
    videos: { type: 'string', default: '9' },
    speakers: { type: 'string', default: '3' },
    muted: { type: 'string', default: '0' },
    'talk-s': { type: 'string', default: '4' },
    'warmup-s': { type: 'string', default: '4' },
    'json-out': { type: 'string' },
  },
});
const SCEN = a.scenario;
if (!['webinar', 'meeting', 'meeting-subs'].includes(SCEN)) throw new Error(`unknown --scenario ${SCEN}`);
const NS = a.n.split(',').map(Number);
let N = NS[0];
const SECONDS = Number(a.seconds);
const NODES = Number(a.nodes);
const PROCS = Number(a.procs);
const videosOf = (n) => (SCEN === 'webinar' ? 0 : Math.min(Number(a.videos), n));
const SPEAKERS = Number(a.speakers);
const MUTED = Number(a.muted);
const CONTROLLER = `room-${process.pid}`;
const ROOM = 'room';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const json = JSONCodec();
const log = (m) => process.stderr.write(`room: ${m}\n`);

// Simulcast layers of a meeting's video publishers: [rid, fps, packets a frame, bytes].
const LAYERS = [
  ['l', 15, 1, 700],
  ['m', 30, 1, 1000],
  ['h', 30, 3, 1100],
];
const KEYINT_MS = 2000;
const src = (i, k) => i * 4 + k; // a stream's SOURCE: participant i, 0 audio, 1.. video (layer)
const ssrcOf = (i, k) => 0x10000000 + i * 4 + k;

/**
 * The participants: who publishes what and what each transport receives.
 * p{i} publishes (audio, maybe video), s{i} receives. In the webinar only
 * participant 0 (the presenter) publishes and only 1..N receive.
 */
function plan() {
  const parts = [];
  const total = SCEN === 'webinar' ? N + 1 : N;
  const videoPubs = [...Array(videosOf(N)).keys()];
  for (let i = 0; i < total; i++) {
    const p = { i, proc: i % PROCS, owner: `u${i}` };
    if (SCEN === 'webinar') {
      if (i === 0) p.pub = [{ kind: 'audio', direction: 'sendonly', ssrc: ssrcOf(0, 0) }, { kind: 'video', direction: 'sendonly', ssrc: ssrcOf(0, 1) }];
      else p.sub = [{ kind: 'audio', from: 'p0-0', source: src(0, 0) }, { kind: 'video', from: 'p0-1', source: src(0, 1) }];
    } else {
      p.pub = [{ kind: 'audio', direction: 'sendonly', ssrc: ssrcOf(i, 0) }];
      if (videoPubs.includes(i)) p.pub.push({ kind: 'video', direction: 'sendonly', rids: LAYERS.map((l) => l[0]) });
      p.sub = [];
      if (SCEN === 'meeting') for (let k = 0; k < 3; k++) p.sub.push({ kind: 'audio', slot: 'speaker' });
      else for (let j = 0; j < total; j++) if (j !== i) p.sub.push({ kind: 'audio', from: `p${j}-0`, source: src(j, 0), dropSilence: true });
      for (const v of videoPubs) if (v !== i) p.sub.push({ kind: 'video', from: `p${v}-1:l`, source: src(v, 1) });
    }
    // A subscribe takes 16 tracks at most: more are more receiving
    // transports (as an OWT client opens a PeerConnection per subscription).
    if (p.sub) {
      p.subs = [];
      for (let c = 0; c * 16 < p.sub.length; c++) p.subs.push({ tid: c ? `s${i}x${c}` : `s${i}`, mlines: p.sub.slice(c * 16, c * 16 + 16) });
    }
    parts.push(p);
  }
  return parts;
}

/** Per-child command queue: one question at a time, its answer the next line. */
function asker(child) {
  let chain = Promise.resolve();
  return (cmd, timeoutMs = 20_000) => {
    const p = chain.then(async () => {
      child.send(cmd);
      return child.nextJson(timeoutMs);
    });
    chain = p.catch(() => {});
    return p;
  };
}

/** Runs fn over items, `limit` at a time. */
async function pool(items, limit, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** Merges [[us, count], ...] histograms; returns the value at quantile q (us). */
function quantile(bins, q) {
  const m = new Map();
  for (const [us, c] of bins) m.set(us, (m.get(us) ?? 0) + c);
  const sorted = [...m].sort((x, y) => x[0] - y[0]);
  const total = sorted.reduce((s, [, c]) => s + c, 0);
  if (!total) return null;
  let acc = 0;
  for (const [us, c] of sorted) {
    acc += c;
    if (acc >= q * total) return us + 25; // the bin's middle (50 us bins)
  }
  return null;
}

/** CPU us of every thread of pid: [{tid, name, us}]. */
function threadCpu(pid) {
  const out = [];
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out.push({ tid: Number(tid), name, us: (Number(f[11]) + Number(f[12])) * 10_000 });
    } catch {
      /* gone */
    }
  }
  return out;
}

async function main() {
  const { NatsServerProcess } = require(path.join(ROOT, 'dist/rpc/NatsServerProcess.js'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-room-'));
  const outDir = path.join(ROOT, 'bench/out');
  fs.mkdirSync(outDir, { recursive: true });
  const bin = peerTool.buildWebrtcPeer(path.join(outDir, 'bin'));
  const parts = plan();
  const transportsOf = (p) => (p.pub ? 1 : 0) + (p.subs?.length ?? 0);
  const tasks = parts.reduce((s, p) => s + transportsOf(p), 0);
  const nats = await NatsServerProcess.start({ port: 0, dataDir: work });
  const cleanup = [];
  let nc;
  try {
    const agent = await startAgent(nats.url, `room-${process.pid}`, outDir, {
      AGENT_MAX_NODES: String(NODES),
      AGENT_PRERUN_NODES: String(NODES),
      AGENT_MAX_TASKS_PER_NODE: String(Math.ceil(tasks / NODES)),
      AGENT_MAX_SUBSCRIPTIONS_PER_NODE: '100000',
      AGENT_MAX_TRACKS_PER_NODE: '100000',
      AGENT_MAX_TRANSPORTS_PER_NODE: '100000',
      AGENT_MAX_OPERATIONS_PER_NODE: '100000',
      // Another build to compare with (docs/bench.md "Room").
      ...(process.env.WEBRTC_AGENT_ADDON_PATH ? { WEBRTC_AGENT_ADDON_PATH: process.env.WEBRTC_AGENT_ADDON_PATH } : {}),
    });
    cleanup.push(() => agent.stop());
    const agentId = /id=(\S+)/.exec(agent.readyLine)?.[1];
    nc = await connect({ servers: nats.url });
    const answers = new Map();
    const failures = [];
    const sub = nc.subscribe(`webrtc-agent.controller.${CONTROLLER}.onTransportProgress`);
    void (async () => {
      for await (const m of sub) {
        const p = json.decode(m.data);
        if (p.status.type === 'answer') answers.set(p.transportId, p.status.sdp);
        if (p.status.type === 'failed') failures.push(p);
      }
    })();
    const slotSwitches = { n: 0 };
    const spk = nc.subscribe(`webrtc-agent.controller.${CONTROLLER}.onSpeakerUpdate`);
    void (async () => {
      for await (const m of spk) if (json.decode(m.data).update?.type === 'slot-switched') slotSwitches.n++;
    })();
    await nc.flush();
    const req = async (subject, payload) => {
      const m = await nc.request(subject, json.encode(payload), { timeout: 20_000 });
      if (m.headers?.get('Nats-Service-Error-Code')) throw new Error(`${subject}: ${m.headers.get('Nats-Service-Error-Code')} ${m.headers.get('Nats-Service-Error')}`);
      return json.decode(m.data);
    };
    await sleep(1500);
    const rssIdle = rssKiB(agent.pid);

    // The load clients: transports numbered per process in join order.
    const procs = [];
    for (let k = 0; k < PROCS; k++) {
      const count = parts.filter((p) => p.proc === k).reduce((s, p) => s + transportsOf(p), 0);
      const ch = new Child(bin, ['--role', 'room', '--peers', String(Math.max(count, 1)), '--duration', '900'], { name: `webrtc_peer room ${k}` });
      cleanup.push(() => ch.stop());
      const ready = await ch.nextJson(10_000);
      procs.push({ ch, ask: asker(ch), fingerprint: ready.fingerprint, next: 0 });
    }
    for (const p of parts) {
      const pr = procs[p.proc];
      if (p.pub) p.pubIdx = pr.next++;
      for (const c of p.subs ?? []) c.idx = pr.next++;
    }
    const nodeOf = new Map();

    /** One transport: getNode, createTransport, publish/subscribe, offer, answer -> the tool's `peer`. */
    const join = async (p, tid, idx, op, tracks, mlines, extra = {}) => {
      const nodeId = nodeOf.get(tid);
      const call = (method, payload) => req(`webrtc-agent.node.${nodeId}.${method}`, payload);
      const ice = peerTool.iceCredentials();
      await call('createTransport', { transportId: tid, controller: CONTROLLER });
      await call(op, { operationId: `op-${tid}`, connectionType: 'webrtc', options: { transportId: tid, controller: CONTROLLER, owner: p.owner, tracks, ...extra } });
      const pr = procs[p.proc];
      await call('onTransportSignaling', { transportId: tid, message: { type: 'offer', sdp: peerTool.roomOfferSdp({ ice, fingerprint: pr.fingerprint, mlines }) } });
      for (const end = Date.now() + 20_000; !answers.has(tid); ) {
        if (Date.now() > end) throw new Error(`${tid}: no answer`);
        await sleep(5);
      }
      const answer = answers.get(tid);
      const r = await pr.ask(`peer ${idx} ${peerTool.peerArgs(answer, ice)}`);
      if (!r.peer) throw new Error(`${tid}: peer refused`);
      return peerTool.answerMlines(answer);
    };
    // Placement first, in the order participants would come (each with its
    // publishing and its receiving transport; the webinar's presenter
    // first): getNode places a task when asked, so every scenario gets the
    // same spread, though all publications are then made before the
    // subscriptions (a plain subscription needs its source to exist).
    const tJoin = Date.now();
    for (const p of parts) {
      for (const tid of [p.pub && `p${p.i}`, ...(p.subs ?? []).map((c) => c.tid)].filter(Boolean)) {
        nodeOf.set(tid, (await req(`webrtc-agent.agent.${agentId}.getNode`, { room: ROOM, task: tid })).nodeId);
      }
    }
    await pool(parts.filter((p) => p.pub), 8, async (p) => {
      const tracks = p.pub.map((m, k) => ({ mid: String(k), type: m.kind }));
      p.pubAnswer = await join(p, `p${p.i}`, p.pubIdx, 'publish', tracks, p.pub);
    });
    await pool(parts.flatMap((p) => (p.subs ?? []).map((c) => ({ p, c }))), 8, async ({ p, c }) => {
      const tracks = c.mlines.map((m, k) => ({ mid: String(k), type: m.kind, ...(m.slot ? { slot: m.slot } : { from: m.from }), ...(m.dropSilence ? { dropSilence: true } : {}) }));
      const mlines = c.mlines.map((m) => ({ kind: m.kind, direction: 'recvonly' }));
      const answer = await join(p, c.tid, c.idx, 'subscribe', tracks, mlines, { enableBWE: false });
      const rejected = answer.filter((m) => m.rejected).length;
      if (rejected) throw new Error(`${c.tid}: ${rejected} m-lines rejected`);
    });
    const joinMs = Date.now() - tJoin;
    log(`joined ${parts.length} participants in ${joinMs} ms`);
    const tConn = Date.now();
    const conn = await Promise.all(procs.map((pr) => pr.ask('connect 30000', 60_000)));
    const connectMs = Date.now() - tConn;
    log(`connected in ${connectMs} ms`);
    for (const c of conn) if (c.failed.length) throw new Error(`connect: ${JSON.stringify(c).slice(0, 600)}`);

    // Streams, then the talk pattern, then start.
    for (const p of parts.filter((q) => q.pub)) {
      const pr = procs[p.proc];
      for (let k = 0; k < p.pub.length; k++) {
        const m = p.pub[k];
        const ext = p.pubAnswer[k].ext;
        if (m.kind === 'audio') await pr.ask(`audio ${p.pubIdx} ${m.ssrc} 111 ${ext.mid} ${ext.level} ${k} ${src(p.i, 0)}`);
        else if (!m.rids) await pr.ask(`video ${p.pubIdx} ${m.ssrc} 96 ${ext.mid} 0 ${k} - 30 4 1100 ${KEYINT_MS} ${src(p.i, 1)}`);
        else {
          for (let l = 0; l < LAYERS.length; l++) {
            const [rid, fps, pkts, size] = LAYERS[l];
            await pr.ask(`video ${p.pubIdx} ${ssrcOf(p.i, l + 1)} 96 ${ext.mid} ${ext.rid} ${k} ${rid} ${fps} ${pkts} ${size} ${KEYINT_MS} ${src(p.i, l + 1)}`);
          }
        }
      }
    }
    const talkers = parts.filter((p) => p.pub);
    const mutedSet = new Set(talkers.slice(talkers.length - Math.min(MUTED, Math.max(0, talkers.length - SPEAKERS))).map((p) => p.i));
    for (const p of talkers) if (mutedSet.has(p.i)) await procs[p.proc].ask(`mute ${p.pubIdx} 1`);
    let speaking = [];
    let round = 0;
    const talk = async () => {
      for (const p of speaking) await procs[p.proc].ask(`level ${p.pubIdx} 127`);
      const pool_ = talkers.filter((p) => !mutedSet.has(p.i));
      speaking = SCEN === 'webinar' ? [talkers[0]] : Array.from({ length: Math.min(SPEAKERS, pool_.length) }, (_, k) => pool_[(round * SPEAKERS + k) % pool_.length]);
      round++;
      for (const [k, p] of speaking.entries()) await procs[p.proc].ask(`level ${p.pubIdx} ${20 + 5 * k}`);
    };
    await talk();
    await Promise.all(procs.map((pr) => pr.ask('start')));
    await sleep(Number(a['warmup-s']) * 1000);

    // The window.
    const EPOCH = 1;
    await Promise.all(procs.map((pr) => pr.ask(`count ${EPOCH}`)));
    await Promise.all(procs.map((pr) => pr.ask(`epoch ${EPOCH}`)));
    const c0 = { agent: cpuUs(agent.pid), threads: threadCpu(agent.pid), clients: procs.map((pr) => cpuUs(pr.ch.pid)), machine: machineCpu(), t: Date.now() };
    const switches0 = slotSwitches.n;
    const rssSamples = [];
    for (const end = Date.now() + SECONDS * 1000; Date.now() < end; ) {
      await sleep(Math.min(Number(a['talk-s']) * 1000, end - Date.now()));
      rssSamples.push(rssKiB(agent.pid));
      if (Date.now() < end && SCEN !== 'webinar') await talk();
    }
    const c1 = { agent: cpuUs(agent.pid), threads: threadCpu(agent.pid), clients: procs.map((pr) => cpuUs(pr.ch.pid)), machine: machineCpu(), t: Date.now() };
    const sentLines = await Promise.all(procs.map((pr) => pr.ask(`epoch ${EPOCH + 1}`)));
    await sleep(1000);
    const reports = await Promise.all(procs.map((pr) => pr.ask('report', 60_000)));
    // getStats of a 300-participant node can exceed NATS's payload limit: counted where it fits.
    const stats = await Promise.all([...new Set(nodeOf.values())].map(async (n) => ({ n, s: await req(`webrtc-agent.node.${n}.getStats`, {}).catch(() => null) })));

    // What was sent per source, what each receiver should have had.
    const sent = new Map();
    for (const l of sentLines) for (const [, source, pk, voiced] of l.sent) sent.set(source, { pk, voiced });
    let expFixed = 0, gotFixed = 0, over = 0, rxTotal = 0, slotN = 0, slotSpan = 0, segN = 0, segSpan = 0;
    const lat = [[], []];
    for (const { p, c } of parts.flatMap((q) => (q.subs ?? []).map((c) => ({ p: q, c })))) {
      const r = reports[p.proc].peers[c.idx];
      for (const m of c.mlines) {
        if (m.slot) continue;
        const want = m.dropSilence ? sent.get(m.source)?.voiced ?? 0 : sent.get(m.source)?.pk ?? 0;
        const got = r.rx[String(m.source)] ?? 0;
        expFixed += want;
        gotFixed += Math.min(got, want);
        over += Math.max(0, got - want);
      }
      for (const v of Object.values(r.rx)) rxTotal += v;
      segN += r.n;
      segSpan += r.span;
      if (c.mlines.some((m) => m.slot)) {
        slotN += r.seg[0];
        slotSpan += r.seg[1];
      }
    }
    for (const r of reports) for (const k of [0, 1]) lat[k].push(...r.lat[k]);
    const el = (c1.t - c0.t) / 1000;
    const agentCpu = (c1.agent - c0.agent) / 1e6 / el;
    const threadDelta = c1.threads
      .map((t) => ({ name: t.tid === agent.pid ? 'main' : t.name, tid: t.tid, cores: +(((t.us - (c0.threads.find((x) => x.tid === t.tid)?.us ?? 0)) / 1e6 / el).toFixed(3)) }))
      .filter((t) => t.cores >= 0.01)
      .sort((x, y) => y.cores - x.cores);
    const perNode = {};
    for (const [tid, n] of nodeOf) {
      perNode[n] ??= { pub: 0, sub: 0 };
      perNode[n][tid[0] === 'p' ? 'pub' : 'sub']++; // transports
    }
    for (const { n, s } of stats) {
      if (!s) continue;
      perNode[n].subscriptions = s.subscriptions.length;
      perNode[n].tracks = s.tracks.length;
      perNode[n].subscriptionPackets = s.subscriptions.reduce((x, y) => x + y.packets, 0);
    }
    const rxPps = rxTotal / el;
    const result = {
      bench: 'room',
      scenario: SCEN,
      n: N,
      participants: parts.length,
      videos: videosOf(N),
      speakers: SPEAKERS,
      muted: mutedSet.size,
      nodes: NODES,
      procs: PROCS,
      seconds: +el.toFixed(2),
      join_ms: joinMs,
      connect_ms: connectMs,
      delivered_fixed_pct: expFixed ? +((100 * gotFixed) / expFixed).toFixed(3) : null,
      expected_fixed: expFixed,
      over_delivered: over,
      delivered_slots_pct: slotSpan ? +((100 * slotN) / slotSpan).toFixed(3) : null,
      delivered_runs_pct: segSpan ? +((100 * segN) / segSpan).toFixed(3) : null,
      slot_switches: slotSwitches.n - switches0,
      rx_pps: Math.round(rxPps),
      lat_audio_ms: { p50: quantile(lat[0], 0.5) / 1000, p99: quantile(lat[0], 0.99) / 1000 },
      lat_video_ms: { p50: quantile(lat[1], 0.5) / 1000, p99: quantile(lat[1], 0.99) / 1000 },
      agent_cores: +agentCpu.toFixed(3),
      agent_us_per_pkt: rxPps ? +((agentCpu * 1e6) / rxPps).toFixed(2) : null,
      agent_threads: threadDelta.slice(0, 8),
      clients_cores: c1.clients.map((c, k) => +((c - c0.clients[k]) / 1e6 / el).toFixed(3)),
      machine_busy_pct: +((100 * (c1.machine.busyUs - c0.machine.busyUs)) / (c1.machine.totalUs - c0.machine.totalUs)).toFixed(1),
      rss_idle_mib: +(rssIdle / 1024).toFixed(1),
      rss_mib: +(Math.max(...rssSamples) / 1024).toFixed(1),
      rss_per_participant_kib: +((Math.max(...rssSamples) - rssIdle) / parts.length).toFixed(1),
      per_node: perNode,
      client_errors: {
        stale: reports.reduce((s, r) => s + r.stale, 0),
        bad: reports.reduce((s, r) => s + r.bad, 0),
        srtp_failed: reports.reduce((s, r) => s + r.srtp_failed, 0),
        send_skipped: sentLines.reduce((s, l) => s + l.skipped, 0),
        send_errors: sentLines.reduce((s, l) => s + l.send_errors, 0),
      },
      transport_failures: failures.length,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (a['json-out']) fs.appendFileSync(a['json-out'], `${JSON.stringify(result)}\n`);
    await Promise.all(procs.map((pr) => pr.ch.send('quit')));
  } finally {
    await nc?.close().catch(() => {});
    for (const f of cleanup.reverse()) await f().catch(() => {});
    await nats.stop?.().catch?.(() => {});
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Charts of the runs in a --json-out file (the last run of each scenario and N). */
async function charts(file) {
  const { writeChart } = require('./lib/chart');
  const last = new Map();
  for (const l of fs.readFileSync(file, 'utf8').trim().split('\n')) {
    const r = JSON.parse(l);
    last.set(`${r.scenario}/${r.n}`, r);
  }
  const NAMES = { webinar: '(a) webinar: 1 -> N', meeting: '(b) meeting, speaker slots', 'meeting-subs': '(c) meeting, per-source subscriptions' };
  const rows = [...last.values()].map((r) => ({
    scenario: NAMES[r.scenario] ?? r.scenario,
    n: r.n,
    us: r.agent_us_per_pkt,
    cores: r.agent_cores,
    clients: r.clients_cores.reduce((x, y) => x + y, 0),
    p99: Math.max(r.lat_audio_ms.p99, r.lat_video_ms.p99 ?? 0),
    kpps: r.rx_pps / 1000,
  }));
  const common = { rows, x: 'n', color: 'scenario', xTitle: 'participants (N)', colorTitle: 'scenario', colorDomain: Object.values(NAMES) };
  await writeChart(path.join(ROOT, 'docs/room-cpu.svg'), { ...common, y: 'cores', title: 'Agent CPU (cores) in a room of N WebRTC participants', yTitle: 'agent CPU, cores (of 2)' });
  await writeChart(path.join(ROOT, 'docs/room-rate.svg'), { ...common, y: 'kpps', title: 'Media packets delivered to the participants', yTitle: 'thousand packets/s' });
  await writeChart(path.join(ROOT, 'docs/room-latency.svg'), { ...common, y: 'p99', title: 'One-way latency p99 (send to receive, audio or video, the worse)', yTitle: 'ms' });
}

async function sweep() {
  if (a.chart) return charts(a.chart);
  for (const n of NS) {
    N = n;
    await main();
  }
}

sweep().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
