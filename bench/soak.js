#!/usr/bin/env node
/**
 * Soak: a bounded churn of WebRTC joins and leaves plus plain transports
 * against one agent process, to show that what a client leaves behind goes
 * away: the agent's RSS, open file descriptors, threads and the native
 * object counts of `dump` return to their idle baseline. Not in CI.
 *
 *   node bench/soak.js [--minutes 10] [--subs 4] [--plain 4] [--rate 300]
 *
 * One cycle, all through the OWT node API over NATS, the clients being the
 * repo's own WebRTC load client (bench/tools/webrtc_peer.cc: ICE, DTLS-SRTP):
 *   1. a publisher joins (createTransport, publish, offer/answer, ICE + DTLS);
 *   2. --subs subscribers join (one webrtc_peer sink process, one transport
 *      each) and --plain plain transports subscribe to the same track;
 *   3. the publisher sends 1 s of SRTP at --rate packets/s;
 *   4. everyone leaves: unsubscribe, unpublish, destroyTransport for every
 *      transport, the client processes end.
 * Two warm-up cycles, then the idle baseline (after 3 s): RSS, fds, threads
 * and dump's media counts; cycles until --minutes have passed; 3 s idle,
 * the same figures again. One JSON line per sample and a summary line.
 */
'use strict';
const { mkdtempSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { connect, JSONCodec } = require('nats');
const { Child } = require('./lib/child');
const { buildWebrtcPeer, iceCredentials, offerSdp, peerArgs } = require('./lib/webrtc-peer');
const { NatsServerProcess } = require('../dist/rpc/NatsServerProcess');
const { startAgent } = require('./lib/agent');

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    subs: { type: 'string', default: '4' },
    plain: { type: 'string', default: '4' },
    rate: { type: 'string', default: '300' },
  },
});
const MINUTES = Number(values.minutes);
const SUBS = Number(values.subs);
const PLAIN = Number(values.plain);
const RATE = Number(values.rate);
const root = path.resolve(__dirname, '..');
const BIN = path.join(root, 'bench/out/bin');
const CONTROLLER = 'soak-ctl';
const json = JSONCodec();
const emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The agent process as seen by the kernel. */
function procFigures(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    rss_mib: +(Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024).toFixed(1),
    threads: Number(/Threads:\s+(\d+)/.exec(status)[1]),
    fds: readdirSync(`/proc/${pid}/fd`).length,
  };
}

/** dump's media counts, flattened ({transports, ..., webrtc.operations, ...}). */
function flatten(o, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(o ?? {})) {
    if (typeof v === 'number') out[prefix + k] = v;
    else if (v && typeof v === 'object') flatten(v, `${prefix}${k}.`, out);
  }
  return out;
}

async function main() {
  const bin = buildWebrtcPeer(BIN);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-soak-'));
  const nats = await NatsServerProcess.start({ port: 0, dataDir });
  const nc = await connect({ servers: nats.url });
  const ch = await startAgent(nats.url, 'soak', tmpdir(), { AGENT_PRERUN_NODES: '1', AGENT_MAX_NODES: '1' });
  const agent = { child: ch.child, id: /id=(\S+)/.exec(ch.readyLine)[1] };
  const children = new Set();
  try {
    const req = async (subject, payload, timeout = 10_000) => {
      const m = await nc.request(subject, json.encode(payload), { timeout });
      const code = m.headers?.get('Nats-Service-Error-Code');
      if (code) throw new Error(`${subject}: ${code} ${m.headers.get('Nats-Service-Error')}`);
      return json.decode(m.data);
    };
    const answers = new Map();
    nc.subscribe(`webrtc-agent.controller.${CONTROLLER}.onTransportProgress`, {
      callback: (_e, m) => {
        const p = json.decode(m.data);
        if (p.status?.type === 'answer') answers.set(p.transportId, p.status.sdp);
      },
    });
    await nc.flush();
    const { nodeId } = await req(`webrtc-agent.agent.${agent.id}.getNode`, { room: 'soak', task: 'soak' });
    const call = (method, args) => req(`webrtc-agent.node.${nodeId}.${method}`, args);
    const dump = async () => {
      const d = await call('dump', {});
      return flatten({ media: d.media, timers: d.addon?.timers });
    };
    const waitAnswer = async (tid) => {
      const end = Date.now() + 10_000;
      while (!answers.has(tid)) {
        if (Date.now() > end) throw new Error(`no answer for ${tid}`);
        await sleep(10);
      }
      const sdp = answers.get(tid);
      answers.delete(tid);
      return sdp;
    };
    const peer = (args) => {
      const c = new Child(bin, args, { name: `webrtc_peer ${args[1]}` });
      children.add(c);
      return c;
    };
    const negotiate = async (tid, fingerprint, direction, from) => {
      const ice = iceCredentials();
      await call('createTransport', { transportId: tid, controller: CONTROLLER });
      const track = direction === 'sendonly' ? { mid: '0', type: 'video' } : { mid: '0', type: 'video', from };
      await call(direction === 'sendonly' ? 'publish' : 'subscribe', { operationId: `op-${tid}`, connectionType: 'webrtc', options: { transportId: tid, controller: CONTROLLER, tracks: [track] } });
      await call('onTransportSignaling', { transportId: tid, message: { type: 'offer', sdp: offerSdp({ ice, fingerprint, direction, ssrc: 0x50a0000 }) } });
      return peerArgs(await waitAnswer(tid), ice);
    };

    let joins = 0;
    let packets = 0;
    const cycle = async (i) => {
      const pubT = `p${i}`;
      const pub = peer(['--role', 'pub', '--ssrc', String(0x50a0000), '--duration', '120']);
      const pr = await pub.nextJson(5000);
      pub.send(`peer 0 ${await negotiate(pubT, pr.fingerprint, 'sendonly')}`);
      await pub.nextJson(5000);
      pub.send('connect 8000');
      const pc = await pub.nextJson(10_000);
      if (pc.connected !== 1) throw new Error(`publisher did not connect: ${JSON.stringify(pc)}`);
      const sink = peer(['--role', 'sink', '--peers', String(SUBS), '--duration', '120']);
      const sr = await sink.nextJson(5000);
      const subTs = [];
      for (let k = 0; k < SUBS; k++) {
        const tid = `s${i}-${k}`;
        subTs.push(tid);
        sink.send(`peer ${k} ${await negotiate(tid, sr.fingerprint, 'recvonly', `${pubT}-0`)}`);
        await sink.nextJson(5000);
      }
      sink.send('connect 8000');
      const sc = await sink.nextJson(10_000);
      if (sc.connected !== SUBS) throw new Error(`subscribers did not all connect: ${JSON.stringify(sc)}`);
      const plainTs = [];
      for (let j = 0; j < PLAIN; j++) {
        const tid = `pl${i}-${j}`;
        plainTs.push(tid);
        await call('createPlainTransport', { transportId: tid });
        await call('connectPlainTransport', { transportId: tid, ip: '127.0.0.1', port: 9 });
        await call('subscribeTrack', { transportId: tid, trackId: `${pubT}-0`, subscriptionId: `sub-${tid}` });
      }
      joins += 1 + SUBS + PLAIN;
      pub.send(`send ${RATE} 1 ${i % 1000}`);
      packets += (await pub.nextJson(10_000)).sent ?? 0;
      // Leave, in the orders clients do: some unsubscribe first, all transports go.
      for (const [k, tid] of subTs.entries()) {
        if (k % 2 === 0) await call('unsubscribe', { operationId: `op-${tid}` });
        await call('destroyTransport', { transportId: tid });
      }
      await call('unpublish', { operationId: `op-${pubT}` });
      await call('destroyTransport', { transportId: pubT });
      for (const tid of plainTs) await call('destroyTransport', { transportId: tid });
      sink.send('quit');
      pub.send('quit');
      await Promise.all([sink.stop(2000), pub.stop(2000)]);
      children.delete(sink);
      children.delete(pub);
    };

    const sample = async (what, extra = {}) => {
      const s = { what, ...procFigures(agent.child.pid), dump: await dump(), ...extra };
      emit(s);
      return s;
    };
    const idle = await sample('idle before any client');
    for (let i = 0; i < 2; i++) await cycle(-1 - i);
    await sleep(3000);
    const base = await sample('baseline: idle after 2 warm-up cycles');
    const t0 = Date.now();
    const end = t0 + MINUTES * 60_000;
    let i = 0;
    let maxRss = base.rss_mib;
    let maxFds = base.fds;
    while (Date.now() < end) {
      await cycle(i++);
      if (i % 20 === 0) {
        const s = await sample('after a cycle', { cycles: i, minutes: +((Date.now() - t0) / 60_000).toFixed(2), joins });
        maxRss = Math.max(maxRss, s.rss_mib);
        maxFds = Math.max(maxFds, s.fds);
      }
    }
    await sleep(3000);
    const fin = await sample('idle after the churn');
    const nonZero = Object.entries(fin.dump).filter(([k, v]) => k !== 'timers' && v !== 0);
    emit({
      what: 'summary',
      minutes: +((Date.now() - t0) / 60_000).toFixed(2),
      cycles: i,
      joins_and_leaves: joins,
      webrtc_transports: i * (1 + SUBS),
      plain_transports: i * PLAIN,
      srtp_packets_sent: packets,
      rss_mib: { idle: idle.rss_mib, baseline: base.rss_mib, max_sampled: maxRss, end: fin.rss_mib },
      fds: { idle: idle.fds, baseline: base.fds, max_sampled: maxFds, end: fin.fds },
      threads: { baseline: base.threads, end: fin.threads },
      dump_nonzero_at_end: Object.fromEntries(nonZero),
    });
  } finally {
    for (const c of children) await c.stop(1000).catch(() => undefined);
    agent.child.kill('SIGTERM');
    await new Promise((r) => agent.child.once('exit', r));
    await nc.close();
    await nats.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`soak failed: ${err.stack ?? err}\n`);
  process.exit(1);
});
