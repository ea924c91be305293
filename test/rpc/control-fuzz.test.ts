/**
 * A structure-aware fuzzer of the control plane, bounded in time (FUZZ_MS,
 * default 15 s, at most 20 s) and seeded (FUZZ_SEED reproduces a run): a real agent on a
 * real nats-server gets, over NATS, mutations of a valid payload of every
 * agent method, node method and internal (agent-to-agent) method, payloads
 * that are not JSON at all, method names that do not exist, and offers
 * mutated from real Chromium, Firefox ESR and GStreamer webrtcbin offers
 * (test/fixtures/sdp) through onTransportSignaling, on transports with
 * operations that match them so the mutations reach the negotiation.
 *
 * Every request must be answered within 5 s with a value or a 400, 404, 409
 * or 503: a 500 or no answer fails the run, and the offending subject and
 * payload are printed. Afterwards the agent must still serve, its node must
 * be the one it started with (no crash, no hang), every object the fuzzer
 * made must be gone from the node's dump once its transports are destroyed,
 * and the main thread's heap, measured after a forced collection, must not
 * have kept growing. (RSS is no measure here: the run's transports live
 * until its end, and freed memory is not handed back to the kernel, so RSS
 * climbs under any load; it is only bounded from above.)
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { NatsConnection } from 'nats';
import { nodeMethods } from '../../src/node/methods';
import { AGENT_METHODS } from '../../src/rpc/subjects';
import { request } from '../helpers/agent';
import { controllerAgent, nextEvent } from '../helpers/webrtc';

// The baseline's WebRTC transport ('src') never gets an ICE check, so
// consent ends it 30 s after it is made (webrtc.consentTimeoutMs, at most
// 30 s): the fuzz and the clean-up must be over well before then, or the
// baseline comparison sees it gone. Hence 15 s, and a parallel clean-up.
const FUZZ_MS = Math.min(Number(process.env.FUZZ_MS ?? 15_000), 20_000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const ALLOWED = new Set([400, 404, 409, 503]);
const CTL = 'fuzz-ctl';

// A forced collection, so heap figures mean live objects, not garbage.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const liveHeap = (): number => { gc(); return process.memoryUsage().heapUsed; };

// mulberry32: a small seeded generator, so a failing run can be replayed.
let state = SEED >>> 0;
function rnd(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let x = state;
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
}
const int = (n: number) => Math.floor(rnd() * n);
const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
const chance = (p: number) => rnd() < p;

const ids = ['f1', 'f2', 'f3', 'fz-a', 'fz-b'];
const randomId = () => (chance(0.8) ? pick(ids) : pick(['', 'x'.repeat(129), 'a b', 'ü', '..', 'f1\n', `r${int(1e6)}`]));
const weird: unknown[] = [
  null, true, false, 0, -1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 63), 1e308, '', ' ', '0', '123', '63 11', 'x'.repeat(300),
  '\u0000', '\ud800', 'é', '../..', [], [1, 'a'], {}, { a: 1 }, [[[[[[]]]]]], { __proto__: { polluted: 1 } }, { constructor: 1 },
];
function weirdValue(): unknown {
  return chance(0.5) ? pick(weird) : chance(0.5) ? randomId() : int(2 ** 32) - 2 ** 16;
}

/** A valid payload of each public method (ids from a small pool so calls meet each other's objects). */
const templates: Record<string, () => Record<string, unknown>> = {
  getInternalAddress: () => ({}),
  dump: () => ({}),
  getStats: () => ({}),
  echo: () => ({ data: weirdValue() }),
  createPlainTransport: () => ({ transportId: randomId(), comedia: chance(0.5) }),
  connectPlainTransport: () => ({ transportId: randomId(), ip: '127.0.0.1', port: 1 + int(65535) }),
  destroyTransport: () => ({ transportId: randomId() }),
  publishTrack: () => ({ transportId: randomId(), trackId: randomId(), kind: pick(['audio', 'video']), ssrc: 1 + int(2 ** 31), payloadType: int(128), clockRate: 90000, codec: pick(['vp8', 'opus', 'h264']), nack: chance(0.5) }),
  unpublishTrack: () => ({ trackId: randomId() }),
  subscribeTrack: () => ({ transportId: randomId(), trackId: pick(['src-0', 'src-1', randomId()]), subscriptionId: randomId(), ssrc: 1 + int(2 ** 31), payloadType: int(128) }),
  unsubscribeTrack: () => ({ subscriptionId: randomId() }),
  requestKeyframe: () => ({ trackId: pick(['src-1', randomId()]) }),
  createTransport: () => ({ transportId: randomId(), controller: CTL }),
  publish: () => ({ operationId: randomId(), connectionType: 'webrtc', options: { transportId: randomId(), tracks: [{ mid: pick(['0', '1']), type: pick(['audio', 'video']) }], controller: CTL, owner: 'o' } }),
  subscribe: () => ({ operationId: randomId(), connectionType: 'webrtc', options: { transportId: randomId(), tracks: [{ mid: '0', type: 'video', from: pick(['src-1', randomId()]), ...(chance(0.3) ? { source: { ip: '127.0.0.1', port: 1 + int(65535) } } : {}), formatPreference: { preferred: { codec: 'VP8' } } }], controller: CTL } }),
  unpublish: () => ({ operationId: randomId() }),
  unsubscribe: () => ({ operationId: randomId() }),
  mediaOnOff: () => ({ operationId: randomId(), tracks: [pick(['src-0', 'src-1', randomId()])], direction: pick(['in', 'out']), action: pick(['on', 'off']) }),
  setVideoBitrate: () => ({ operationId: randomId(), ...(chance(0.5) ? { trackId: randomId() } : {}), bitrate: int(5000) }),
  createLayerStreams: () => ({ trackId: pick(['src-1', randomId()]), spatial: pick([true, false, -1, 0, 2]), temporal: pick([true, false, -1, 1]) }),
  setLayerPreference: () => ({ operationId: randomId(), ...(chance(0.5) ? { trackId: randomId() } : {}), maxSpatialLayer: pick([null, 0, 1, 2, 3]), maxTemporalLayer: pick([null, 0, 1, 2, 3]), priority: int(201) - 100 }),
  onTransportSignaling: () => ({ transportId: randomId(), message: pick([
    { type: 'candidate', candidate: { sdpMid: '0', sdpMLineIndex: 0, candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host' } },
    { type: 'removed-candidates', candidates: [] },
    { type: 'offer', sdp: 'v=0\r\n' },
  ]) }),
  linkup: () => ({ subscriptionId: randomId(), transportId: randomId(), video: { id: pick(['src-1', randomId()]), ip: '127.0.0.1', port: 1 + int(65535) } }),
  cutoff: () => ({ subscriptionId: randomId() }),
};
const agentTemplates: Record<string, () => Record<string, unknown>> = {
  getNode: () => ({ room: pick(['fz-room-1', 'fz-room-2']), task: pick(['t1', 't2', 't3']) }),
  recycleNode: () => ({ nodeId: 'x', room: pick(['fz-room-1', 'fz-room-2']), task: pick(['t1', 't2', 't3']) }),
  queryNode: () => ({ room: pick(['fz-room-1', 'fz-pin']) }),
  listNodes: () => ({}),
  // Quiet levels only: a valid call really changes the levels of the agent under test.
  setLogLevel: () => ({ level: pick(['silent', 'fatal']), module: pick(['agent', 'pool', 'cluster', 'links', 'node']), ...(chance(0.3) ? { nodeId: randomId() } : {}) }),
};
const internalTemplates: Record<string, () => Record<string, unknown>> = {
  exportTrack: () => ({ trackId: pick(['src-1', randomId()]), ip: '127.0.0.1', port: 1 + int(65535), ssrc: 1 + int(2 ** 31), agentId: randomId() }),
  unexportTrack: () => ({ exportId: randomId() }),
  sourceGone: () => ({ trackId: randomId(), ssrc: 1 + int(2 ** 31) }),
  ping: () => ({}),
};

/** One structural mutation of a payload (in place, on a copy). */
function mutate(p: unknown): unknown {
  if (chance(0.05) || !p || typeof p !== 'object') return weirdValue();
  const o = structuredClone(p) as Record<string, unknown>;
  // Walk to a random object inside the payload.
  let at: Record<string, unknown> = o;
  for (let depth = 0; depth < 4; depth++) {
    const inner = Object.values(at).filter((v) => v && typeof v === 'object') as Array<Record<string, unknown>>;
    if (!inner.length || chance(0.4)) break;
    at = pick(inner);
  }
  const keys = Object.keys(at);
  switch (int(5)) {
    case 0: if (keys.length) delete at[pick(keys)]; break;
    case 1: at[pick(['extra', '__proto__', 'constructor', 'toString'])] = weirdValue(); break;
    case 2: if (Array.isArray(at) && at.length) at.push(...Array.from({ length: int(40) }, () => structuredClone(at[0]))); break;
    default: if (keys.length) at[pick(keys)] = weirdValue();
  }
  return o;
}

function payloadFor(tmpl: () => Record<string, unknown>): Uint8Array {
  const r = rnd();
  if (r < 0.05) return new Uint8Array(Buffer.from(pick(['{', '[1,', '\u0000\u0001', 'null', '"x"', '{"a":' + '['.repeat(5000)])));
  let v: unknown = tmpl();
  if (r < 0.3) return new Uint8Array(Buffer.from(JSON.stringify(v)));
  for (let n = 1 + int(3); n > 0; n--) v = mutate(v);
  return new Uint8Array(Buffer.from(JSON.stringify(v) ?? 'null'));
}

// --- SDP ---

const fixtures = ['chromium-publish.sdp', 'chromium-simulcast.sdp', 'chromium-subscribe.sdp', 'firefox-publish.sdp', 'firefox-simulcast.sdp', 'firefox-subscribe.sdp', 'webrtcbin-publish.sdp'].map((name) => {
  const sdp = readFileSync(path.join(__dirname, '../fixtures/sdp', name), 'utf8');
  const media = sdp.split(/\r?\n(?=m=)/).slice(1).map((block) => ({
    type: block.slice(2, 7) as 'audio' | 'video',
    mid: /a=mid:(\S+)/.exec(block)?.[1] ?? '',
    send: /a=(sendonly|sendrecv)/.test(block),
  }));
  return { name, sdp, media };
});

const attrs = ['fmtp:63 11', 'fmtp:96 123', 'rtpmap:96 VP8/', 'rtpmap: opus/48000/2', 'rtpmap:999999999999 VP8/90000', 'rtpmap:96 VP8/99999999999999999999',
  'rtcp-fb:96 1', 'rtcp-fb: nack', 'extmap:0 urn:ietf:params:rtp-hdrext:sdes:mid', 'extmap:4096 urn:ietf:params:rtp-hdrext:sdes:mid', 'extmap:4 1',
  'ssrc-group:FID 1', 'ssrc-group:FID', 'ssrc-group:FID 99999999999 1', 'ssrc:0 cname:x', 'ssrc:99999999999 cname:x', 'ssrc: cname:1',
  'mid:1', 'mid:99999', 'mid:', 'ice-ufrag:1234', 'ice-pwd:12345678901234567890123', 'fingerprint:1 1', 'fingerprint:sha-256 1', 'setup:1', 'setup:holdconn',
  'rid:1 send', 'rid:h send', 'rid:' + 'x'.repeat(40) + ' send', 'simulcast:send 1;2', 'group:BUNDLE 1', 'group:BUNDLE', 'sendonly', 'recvonly', 'inactive', 'rtcp-mux', 'bundle-only'];
const tokens = ['1', '0', '63', '11', '', '99999999999999999999', '-1', '1.5', 'x', '%%', '\u0000', '*'];

function mutateSdp(sdp: string): string {
  let lines = sdp.split('\r\n');
  for (let n = 1 + int(4); n > 0; n--) {
    const i = int(lines.length);
    switch (int(7)) {
      case 0: lines.splice(i, 1); break;
      case 1: lines.splice(i, 0, lines[i] ?? ''); break;
      case 2: lines.splice(i, 0, `a=${pick(attrs)}`); break;
      case 3: { // one token of a line becomes a number (sdp-transform's coercion) or garbage
        const parts = (lines[i] ?? '').split(/([ :/=;])/);
        const j = int(parts.length);
        parts[j] = pick(tokens);
        lines[i] = parts.join('');
        break;
      }
      case 4: lines[i] = (lines[i] ?? '').slice(0, int((lines[i] ?? '').length + 1)); break;
      case 5: lines.splice(i, 0, ...Array.from({ length: 20 + int(200) }, () => `a=${pick(attrs)}`)); break;
      default: { const j = int(lines.length); [lines[i], lines[j]] = [lines[j]!, lines[i]!]; }
    }
  }
  if (chance(0.05)) lines = lines.map((l) => l.replace(/\d+/g, () => pick(tokens)));
  return lines.join(pick(['\r\n', '\r\n', '\n']));
}

// --- the run ---

interface Outcome { ok: number; codes: Map<number, number>; failures: string[] }

async function send(nc: NatsConnection, subject: string, data: Uint8Array, out: Outcome): Promise<{ code: number; body?: any }> {
  try {
    const msg = await nc.request(subject, data, { timeout: 5000 });
    const code = Number(msg.headers?.get('Nats-Service-Error-Code') || 0);
    if (code === 0) {
      out.ok++;
      return { code, body: msg.data.length ? JSON.parse(Buffer.from(msg.data).toString()) : null };
    }
    out.codes.set(code, (out.codes.get(code) ?? 0) + 1);
    if (!ALLOWED.has(code)) {
      out.failures.push(`${code} ${msg.headers?.get('Nats-Service-Error')} <- ${subject} ${Buffer.from(data).toString().slice(0, 400)}`);
    }
    return { code };
  } catch (err) {
    out.failures.push(`no reply (${(err as Error).message}) <- ${subject} ${Buffer.from(data).toString().slice(0, 400)}`);
    return { code: -1 };
  }
}

t.test(`control-plane fuzz (seed ${SEED}, ${FUZZ_MS} ms): no 500, no missing reply, agent up, state bounded`, async (t) => {
  const { nc, agent, events, nodeFor } = await controllerAgent(t, CTL, { AGENT_TEST_HOOKS: 'false', AGENT_MAX_NODES: '3', AGENT_PRERUN_NODES: '1' });
  const call = await nodeFor('fz-pin', 'pin');
  const nodeId = (await request(nc, agent.subjects.agent('queryNode'), { room: 'fz-pin' })).nodeId as string;
  const nodeSubject = (m: string) => agent.subjects.node(nodeId, m);
  const internal = await call('getInternalAddress', {});
  const objectsOf = async () => ((await call('dump', {})).media as Record<string, unknown>);

  // Every public node method has a template, so a new one is fuzzed too.
  const publicMethods = Object.entries(nodeMethods).filter(([, m]) => !m.testOnly && !m.internal).map(([k]) => k);
  t.same(publicMethods.filter((m) => !templates[m]), [], 'every public node method is fuzzed');
  // drain takes the whole agent out of service by design (a valid mutation
  // would end the run); its payload errors are checked in test/drain.test.ts.
  const NOT_FUZZED = ['drain'];
  t.same(AGENT_METHODS.filter((m) => !agentTemplates[m] && !NOT_FUZZED.includes(m)), [], 'every agent method but drain is fuzzed');

  // A real publication on the node, so subscriptions in the fuzz meet a track with a format.
  await call('createTransport', { transportId: 'src', controller: CTL });
  await call('publish', { operationId: 'src-op', connectionType: 'webrtc', options: { transportId: 'src', tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video' }], controller: CTL } });
  await call('onTransportSignaling', { transportId: 'src', message: { type: 'offer', sdp: fixtures[0]!.sdp } });
  await nextEvent(events, 'onTrackUpdate', (p) => p.update.type === 'tracks-complete', 'the source published');
  const baseline = await objectsOf();
  const abnormal: unknown[] = [];
  const abnormalSub = nc.subscribe(agent.subjects.event('abnormal'), { callback: (_e, m) => abnormal.push(m.string()) });
  t.teardown(() => abnormalSub.unsubscribe());

  const out: Outcome = { ok: 0, codes: new Map(), failures: [] };
  let sdpRuns = 0;
  const end = Date.now() + FUZZ_MS;
  let heapMid = 0;

  const sdpRound = async (k: number) => {
    const f = pick(fixtures);
    const tid = `sdp-${k}`;
    await send(nc, nodeSubject('createTransport'), Buffer.from(JSON.stringify({ transportId: tid, controller: CTL })), out);
    const pub = f.media.filter((m) => m.send);
    const sub = f.media.filter((m) => !m.send);
    if (pub.length) {
      await send(nc, nodeSubject('publish'), Buffer.from(JSON.stringify({ operationId: `${tid}-p`, connectionType: 'webrtc', options: { transportId: tid, tracks: pub.map((m) => ({ mid: m.mid, type: m.type })), controller: CTL } })), out);
    }
    if (sub.length) {
      await send(nc, nodeSubject('subscribe'), Buffer.from(JSON.stringify({ operationId: `${tid}-s`, connectionType: 'webrtc', options: { transportId: tid, tracks: sub.map((m) => ({ mid: m.mid, type: m.type, from: m.type === 'audio' ? 'src-0' : 'src-1' })), controller: CTL } })), out);
    }
    // A valid offer first half the time (a renegotiation is then fuzzed), then mutated ones.
    if (chance(0.5)) await send(nc, nodeSubject('onTransportSignaling'), Buffer.from(JSON.stringify({ transportId: tid, message: { type: 'offer', sdp: f.sdp } })), out);
    for (let n = 1 + int(3); n > 0; n--) {
      await send(nc, nodeSubject('onTransportSignaling'), Buffer.from(JSON.stringify({ transportId: tid, message: { type: 'offer', sdp: mutateSdp(f.sdp) } })), out);
      sdpRuns++;
    }
    await send(nc, nodeSubject('destroyTransport'), Buffer.from(JSON.stringify({ transportId: tid })), out);
  };

  const payloadRound = async () => {
    const r = rnd();
    if (r < 0.7) {
      const m = pick(Object.keys(templates));
      const data = payloadFor(templates[m]!);
      const r = await send(nc, nodeSubject(m), data, out);
      if (r.code === 0 && (m === 'createTransport' || m === 'createPlainTransport')) made.add(JSON.parse(Buffer.from(data).toString()).transportId);
    } else if (r < 0.8) {
      const m = pick(Object.keys(agentTemplates));
      await send(nc, agent.subjects.agent(m as (typeof AGENT_METHODS)[number]), payloadFor(agentTemplates[m]!), out);
    } else if (r < 0.92) {
      const m = pick(Object.keys(internalTemplates));
      const r = await send(nc, agent.subjects.internal(internal.ip, internal.port, m), payloadFor(internalTemplates[m]!), out);
      if (r.code === 0 && m === 'exportTrack') exported.add(r.body.exportId);
    } else {
      // Methods that do not exist, internal ones, test hooks (off here), odd subjects.
      const m = pick(['nope', '_attachPeer', '_exportTrack', '_setTrackFormat', 'testThrow', 'testExit', 'testHang', 'constructor', '__proto__', 'hasOwnProperty']);
      await send(nc, nodeSubject(m), payloadFor(() => ({})), out);
    }
  };

  // Four clients at once: concurrency is part of what is fuzzed.
  let k = 0;
  const made = new Set<string>();
  const exported = new Set<string>();
  const worker = async () => {
    while (Date.now() < end && out.failures.length < 20) {
      if (chance(0.3)) await sdpRound(k++);
      else await payloadRound();
      if (!heapMid && Date.now() > end - FUZZ_MS / 2) heapMid = liveHeap();
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);

  const total = out.ok + [...out.codes.values()].reduce((a, b) => a + b, 0);
  t.comment(`seed ${SEED}: ${total} requests (${sdpRuns} mutated offers): ${out.ok} ok, codes ${JSON.stringify(Object.fromEntries(out.codes))}`);
  t.same(out.failures.slice(0, 20), [], 'every request answered with a value or 400/404/409/503');
  t.ok(total > 200, `enough requests ran (${total})`);

  // Still up, still the same node (no crash, no hang).
  const list = await request(nc, agent.subjects.agent('listNodes'), {});
  t.ok(list.nodes.some((n: { id: string }) => n.id === nodeId), 'the fuzzed node is still there');
  t.same(abnormal, [], 'no abnormal quit');

  // Everything the fuzz made goes with its transports; the node is back to its baseline.
  const leftovers = [...ids, ...made, ...Array.from({ length: k }, (_, i) => `sdp-${i}`)];
  for (let i = 0; i < leftovers.length; i += 64) {
    await Promise.all(leftovers.slice(i, i + 64).map((id) => call('destroyTransport', { transportId: id }).catch(() => undefined)));
  }
  for (const exportId of exported) await request(nc, agent.subjects.internal(internal.ip, internal.port, 'unexportTrack'), { exportId }).catch(() => undefined);
  const after = await objectsOf();
  // `transports` also counts the internal transports towards other agents'
  // addresses (one per address an export or a linkup named), which live on
  // after their exports end; every other count must be back where it was.
  const { transports: tBefore, ...before } = baseline;
  const { transports: tAfter, ...rest } = after;
  t.same(rest, before, 'the node holds what it held before the fuzz (tracks, subscriptions, send buffers, WebRTC tables and bookkeeping)');
  t.comment(`transports: ${String(tBefore)} before, ${String(tAfter)} after (internal peers included)`);
  const heapEnd = liveHeap();
  const rss = process.memoryUsage().rss;
  t.ok(heapEnd - heapMid < 32 * 2 ** 20, `live heap bounded: ${Math.round(heapMid / 2 ** 20)} MB at half time, ${Math.round(heapEnd / 2 ** 20)} MB after the clean-up`);
  t.ok(rss < 1536 * 2 ** 20, `rss under 1.5 GB (${Math.round(rss / 2 ** 20)} MB)`);
});
