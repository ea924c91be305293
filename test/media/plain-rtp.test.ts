/**
 * Plain RTP through the agent, over real UDP sockets and a real nats-server:
 * fan-out with per-subscriber rewriting, source switching, key-frame
 * requests merged per track, hostile datagrams dropped and counted, the close
 * cascade, and the same across two node threads linked by rings.
 */
import t, { type Test } from 'tap';
import type { NatsConnection } from 'nats';
import type { Agent } from '../../src/Agent';
import { natsClient, startNats } from '../helpers/nats';
import { request, startAgent, testConfig, waitFor } from '../helpers/agent';
import { buildFir, buildPli, buildRr, buildRtp, buildSr, findNacks, findPli, findRrs, findSrs, isPli, ntpFromMs, UdpPeer } from '../helpers/rtp';

async function setup(t: Test, env: Record<string, string> = {}) {
  const nats = await startNats(t);
  const agent: Agent = await startAgent(t, testConfig({ NATS_URL: nats.url, WEBRTC_LISTEN_IP: '127.0.0.1', ...env }));
  const nc = await natsClient(t, nats.url);
  const node = (nodeId: string) => (method: string, args: unknown) => request(nc, agent.subjects.node(nodeId, method), args);
  const getNode = async (room: string, task: string) =>
    (await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room, task })).nodeId;
  return { agent, nc, node, getNode };
}

async function sendStream(from: UdpPeer, port: number, o: { ssrc: number; count: number; seq0?: number; ts0?: number; pt?: number }) {
  for (let i = 0; i < o.count; i++) {
    await from.send(buildRtp({ ssrc: o.ssrc, seq: (o.seq0 ?? 1000) + i, ts: (o.ts0 ?? 5000) + i * 3000, pt: o.pt ?? 96, payload: Buffer.from(`pkt-${i}`) }), port);
  }
}

t.test('one publisher, two subscribers on one node: every packet, rewritten per subscriber', async (t) => {
  const { node, getNode } = await setup(t);
  const n = node(await getNode('room', 'pub'));
  const pub = await n('createPlainTransport', { transportId: 'pub' });
  t.match(pub, { transportId: 'pub', ip: '127.0.0.1', port: Number });
  t.same(await n('publishTrack', { transportId: 'pub', trackId: 'cam', kind: 'video' }), { trackId: 'cam' });
  const sinks = [await UdpPeer.open(t), await UdpPeer.open(t)];
  const ssrcs: number[] = [];
  for (const [i, sink] of sinks.entries()) {
    await n('createPlainTransport', { transportId: `sub${i}` });
    await n('connectPlainTransport', { transportId: `sub${i}`, ip: '127.0.0.1', port: sink.port });
    const r = await n('subscribeTrack', { transportId: `sub${i}`, trackId: 'cam', subscriptionId: `s${i}`, ...(i === 1 ? { ssrc: 4242, payloadType: 100 } : {}) });
    ssrcs.push(r.ssrc);
  }
  t.equal(ssrcs[1], 4242, 'asked-for SSRC');
  const sender = await UdpPeer.open(t);
  await sendStream(sender, pub.port, { ssrc: 777, count: 50 });
  await waitFor(() => sinks.every((s) => s.rtp().length === 50), 5000, 'all packets at both sinks');
  for (const [i, sink] of sinks.entries()) {
    const pkts = sink.rtp();
    t.ok(pkts.every((p) => p.ssrc === ssrcs[i]), `sink ${i}: its own SSRC`);
    t.ok(pkts.every((p, k) => p.seq === 1000 + k), `sink ${i}: sequence continuous`);
    t.same(pkts.map((p) => p.payload.toString()), Array.from({ length: 50 }, (_, k) => `pkt-${k}`), `sink ${i}: payload intact, in order`);
    t.ok(pkts.every((p) => p.pt === (i === 1 ? 100 : 96)), `sink ${i}: payload type`);
  }
  const stats = await n('getStats', {});
  const track = stats.tracks.find((x: { id: string }) => x.id === 'cam');
  t.match(track, { packets: 50, ssrc: 777, subscribers: 2 });
  t.match(stats.subscriptions.find((s: { id: string }) => s.id === 's0'), { packets: 50, dropped: 0 });
});

t.test('hostile datagrams are dropped and counted; the node keeps forwarding', async (t) => {
  const { node, getNode } = await setup(t);
  const n = node(await getNode('room', 'pub'));
  const pub = await n('createPlainTransport', { transportId: 'pub' });
  await n('publishTrack', { transportId: 'pub', trackId: 'cam', kind: 'video', ssrc: 1111, payloadType: 96 });
  const sink = await UdpPeer.open(t);
  await n('createPlainTransport', { transportId: 'sub' });
  await n('connectPlainTransport', { transportId: 'sub', ip: '127.0.0.1', port: sink.port });
  await n('subscribeTrack', { transportId: 'sub', trackId: 'cam', subscriptionId: 's' });
  const evil = await UdpPeer.open(t);
  const garbage = [
    Buffer.from('hello, not rtp'), // first byte out of the RTP range
    Buffer.from([0x80]), // one byte
    Buffer.from([0x80, 96, 0, 1, 0, 0]), // truncated header
    Buffer.concat([Buffer.from([0x8f, 96]), Buffer.alloc(20)]), // 15 CSRCs that are not there
    Buffer.alloc(3000, 0x80), // oversized
    buildRtp({ ssrc: 999, seq: 1, ts: 1, pt: 96 }), // unknown SSRC
    buildRtp({ ssrc: 1111, seq: 1, ts: 1, pt: 97 }), // wrong payload type
    Buffer.from([0x81, 206, 0, 200, 0, 0, 0, 0]), // RTCP whose length lies
    Buffer.alloc(0),
  ];
  for (let round = 0; round < 20; round++) for (const g of garbage) await evil.send(g, pub.port);
  for (let i = 0; i < 256; i++) await evil.send(Buffer.from(Array.from({ length: 1 + ((i * 37) % 1400) }, (_, k) => (k * 31 + i) & 0xff)), pub.port);
  await sendStream(evil, pub.port, { ssrc: 1111, count: 10 });
  await waitFor(() => sink.rtp().length === 10, 5000, 'good packets still forwarded');
  const stats = await n('getStats', {});
  const tp = stats.transports.find((x: { id: string }) => x.id === 'pub');
  t.ok(tp.drops.notRtp >= 20, `notRtp ${tp.drops.notRtp}`);
  t.ok(tp.drops.truncated >= 40, `truncated ${tp.drops.truncated}`);
  t.ok(tp.drops.oversized >= 20, `oversized ${tp.drops.oversized}`);
  t.ok(tp.drops.unknownSsrc >= 20, `unknownSsrc ${tp.drops.unknownSsrc}`);
  t.ok(tp.drops.badRtcp >= 20, `badRtcp ${tp.drops.badRtcp}`);
  t.equal(stats.tracks[0].wrongPayloadType, 20);
  t.equal(stats.tracks[0].packets, 10);
});

t.test('key-frame requests: on subscribe, and subscribers PLI/FIR merged to one per second per track', async (t) => {
  const { node, getNode } = await setup(t);
  const n = node(await getNode('room', 'pub'));
  const publisher = await UdpPeer.open(t);
  const pub = await n('createPlainTransport', { transportId: 'pub' });
  await n('connectPlainTransport', { transportId: 'pub', ip: '127.0.0.1', port: publisher.port });
  await n('publishTrack', { transportId: 'pub', trackId: 'cam', kind: 'video', ssrc: 5555 });
  const sinks = [await UdpPeer.open(t), await UdpPeer.open(t)];
  const subs: Array<{ port: number; ssrc: number }> = [];
  for (const [i, sink] of sinks.entries()) {
    const tr = await n('createPlainTransport', { transportId: `sub${i}` });
    await n('connectPlainTransport', { transportId: `sub${i}`, ip: '127.0.0.1', port: sink.port });
    const r = await n('subscribeTrack', { transportId: `sub${i}`, trackId: 'cam', subscriptionId: `s${i}` });
    subs.push({ port: tr.port, ssrc: r.ssrc });
  }
  await waitFor(() => publisher.rtcp().filter(isPli).length >= 1, 3000, 'PLI on subscribe');
  t.equal(publisher.rtcp().filter(isPli).length, 1, 'two joins within a second: one PLI');
  t.equal(findPli(publisher.rtcp().find(isPli)!)!.mediaSsrc, 5555, 'PLI names the publisher SSRC');
  await new Promise((r) => setTimeout(r, 1100));
  for (let i = 0; i < 5; i++) {
    await sinks[0]!.send(buildPli(1, subs[0]!.ssrc), subs[0]!.port);
    await sinks[1]!.send(buildFir(2, subs[1]!.ssrc, i), subs[1]!.port);
  }
  await waitFor(() => publisher.rtcp().filter(isPli).length >= 2, 3000, 'second PLI');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(publisher.rtcp().filter(isPli).length, 2, '10 requests in a burst: one PLI upstream');
  const stats = await n('getStats', {});
  const track = stats.tracks.find((x: { id: string }) => x.id === 'cam');
  t.equal(track.keyframeRequestsSent, 2);
  t.equal(track.keyframeRequestsMerged, 10);
  t.equal(stats.subscriptions.find((s: { id: string }) => s.id === 's0').keyframeRequests, 5);
  t.equal(stats.subscriptions.find((s: { id: string }) => s.id === 's1').keyframeRequests, 5);
});

t.test('switching a subscription to another track keeps one continuous stream', async (t) => {
  const { node, getNode } = await setup(t);
  const n = node(await getNode('room', 'pub'));
  const a = await n('createPlainTransport', { transportId: 'a' });
  const b = await n('createPlainTransport', { transportId: 'b' });
  await n('publishTrack', { transportId: 'a', trackId: 'ta', kind: 'audio', ssrc: 10 });
  await n('publishTrack', { transportId: 'b', trackId: 'tb', kind: 'audio', ssrc: 20 });
  const sink = await UdpPeer.open(t);
  await n('createPlainTransport', { transportId: 'sub' });
  await n('connectPlainTransport', { transportId: 'sub', ip: '127.0.0.1', port: sink.port });
  const { ssrc } = await n('subscribeTrack', { transportId: 'sub', trackId: 'ta', subscriptionId: 's' });
  const sender = await UdpPeer.open(t);
  await sendStream(sender, a.port, { ssrc: 10, count: 5, seq0: 100, ts0: 1000 });
  await waitFor(() => sink.rtp().length === 5);
  t.same(await n('subscribeTrack', { transportId: 'sub', trackId: 'tb', subscriptionId: 's' }), { subscriptionId: 's', ssrc });
  await sendStream(sender, b.port, { ssrc: 20, count: 5, seq0: 60000, ts0: 9_000_000 });
  await waitFor(() => sink.rtp().length === 10);
  const p = sink.rtp();
  t.ok(p.every((x) => x.ssrc === ssrc), 'one SSRC throughout');
  t.same(p.map((x) => x.seq), [100, 101, 102, 103, 104, 105, 106, 107, 108, 109], 'sequence continues across the switch');
  t.ok(p[5]!.ts > p[4]!.ts && p[5]!.ts - p[4]!.ts < 48000 * 5, 'timestamp moves forward by the pause, not to the new source');
});

t.test('close cascade: unpublish ends subscriptions; destroyTransport ends its tracks', async (t) => {
  const { node, getNode } = await setup(t);
  const n = node(await getNode('room', 'pub'));
  await n('createPlainTransport', { transportId: 'pub' });
  await n('publishTrack', { transportId: 'pub', trackId: 't1', kind: 'video' });
  await n('publishTrack', { transportId: 'pub', trackId: 't2', kind: 'audio' });
  await n('createPlainTransport', { transportId: 'sub' });
  await n('subscribeTrack', { transportId: 'sub', trackId: 't1', subscriptionId: 's1' });
  await n('subscribeTrack', { transportId: 'sub', trackId: 't2', subscriptionId: 's2' });
  t.same(await n('unpublishTrack', { trackId: 't1' }), { ok: true, removed: { tracks: ['t1'], subscriptions: ['s1'] } });
  const r = await n('destroyTransport', { transportId: 'pub' });
  t.same(r.removed, { tracks: ['t2'], subscriptions: ['s2'] });
  const stats = await n('getStats', {});
  t.same(stats.tracks, []);
  t.same(stats.subscriptions, []);
  t.same(stats.transports.map((x: { id: string }) => x.id), ['sub']);
  await t.rejects(n('unsubscribeTrack', { subscriptionId: 's1' }), { code: 404 });
});

t.test('bad media requests are 400 naming the field, unknown ids 404', async (t) => {
  const { node, getNode } = await setup(t);
  const n = node(await getNode('room', 'pub'));
  await n('createPlainTransport', { transportId: 'x' });
  const bad: Array<[string, unknown, RegExp]> = [
    ['createPlainTransport', { transportId: 'a b' }, /^transportId:/],
    ['connectPlainTransport', { transportId: 'x', ip: 'nope', port: 5 }, /^ip:/],
    ['connectPlainTransport', { transportId: 'x', ip: '127.0.0.1', port: 70000 }, /^port:/],
    ['publishTrack', { transportId: 'x', trackId: 't', kind: 'smell' }, /^kind:/],
    ['publishTrack', { transportId: 'x', trackId: 't', kind: 'audio', ssrc: 0 }, /^ssrc:/],
    ['publishTrack', { transportId: 'x', trackId: 't', kind: 'audio', payloadType: 128 }, /^payloadType:/],
    ['subscribeTrack', { transportId: 'x', trackId: 't' }, /^subscriptionId:/],
  ];
  for (const [m, args, re] of bad) {
    const err = await n(m, args).then(() => null, (e) => e);
    t.equal(err?.code, 400, `${m} ${JSON.stringify(args)}`);
    t.match(err?.message, re);
  }
  await t.rejects(n('createPlainTransport', { transportId: 'x' }), { code: 409, message: /^transportId: already exists/ });
  await t.rejects(n('publishTrack', { transportId: 'nope', trackId: 't', kind: 'audio' }), { code: 404 });
  await t.rejects(n('subscribeTrack', { transportId: 'x', trackId: 'nope', subscriptionId: 's' }), { code: 404 });
  await t.rejects(n('connectPlainTransport', { transportId: 'nope', ip: '127.0.0.1', port: 5 }), { code: 404 });
  await n('publishTrack', { transportId: 'x', trackId: 'dup', kind: 'audio' });
  const other = node(await getNode('room2', 'pub'));
  await other('createPlainTransport', { transportId: 'y' });
  await t.rejects(other('publishTrack', { transportId: 'y', trackId: 'dup', kind: 'audio' }), { code: 409, message: /^trackId: already exists on this agent: dup \(node / }, 'track ids are unique across the agent');
});

t.test('across node threads: a subscriber on another node is fed through a ring', async (t) => {
  const { node, getNode } = await setup(t, { AGENT_PRERUN_NODES: '2' });
  const idA = await getNode('roomA', 'pub');
  const idB = await getNode('roomB', 'sub');
  t.not(idA, idB, 'two nodes');
  const A = node(idA);
  const B = node(idB);
  const publisher = await UdpPeer.open(t);
  const pub = await A('createPlainTransport', { transportId: 'pub' });
  await A('connectPlainTransport', { transportId: 'pub', ip: '127.0.0.1', port: publisher.port });
  await A('publishTrack', { transportId: 'pub', trackId: 'cam', kind: 'video', ssrc: 3333 });
  const local = await UdpPeer.open(t);
  await A('createPlainTransport', { transportId: 'subA' });
  await A('connectPlainTransport', { transportId: 'subA', ip: '127.0.0.1', port: local.port });
  await A('subscribeTrack', { transportId: 'subA', trackId: 'cam', subscriptionId: 'sa' });
  const remote = await UdpPeer.open(t);
  const subB = await B('createPlainTransport', { transportId: 'subB' });
  await B('connectPlainTransport', { transportId: 'subB', ip: '127.0.0.1', port: remote.port });
  const { ssrc } = await B('subscribeTrack', { transportId: 'subB', trackId: 'cam', subscriptionId: 'sb' });
  await sendStream(publisher, pub.port, { ssrc: 3333, count: 200 });
  await waitFor(() => remote.rtp().length === 200 && local.rtp().length === 200, 5000, 'both sinks');
  const p = remote.rtp();
  t.ok(p.every((x, k) => x.ssrc === ssrc && x.seq === 1000 + k && x.payload.toString() === `pkt-${k}`), 'remote copy intact, in order');
  const statsB = await B('getStats', {});
  t.match(statsB.tracks.find((x: { id: string }) => x.id === 'cam'), { importedFrom: idA, packets: 200 });
  t.match(statsB.peers, [{ peer: idA, inRecords: Number }]);
  const statsA = await A('getStats', {});
  t.match(statsA.peers.find((x: { peer: string }) => x.peer === idB), { outRecords: Number, outDropped: 0 });

  // Key-frame requests travel back through the reverse ring.
  await new Promise((r) => setTimeout(r, 1100));
  const before = publisher.rtcp().filter(isPli).length;
  await remote.send(buildPli(9, ssrc), subB.port);
  await waitFor(() => publisher.rtcp().filter(isPli).length === before + 1, 3000, 'PLI from node B reaches the publisher on node A');

  // Unpublishing on A ends the stand-in and its subscription on B.
  await A('unpublishTrack', { trackId: 'cam' });
  await waitFor(async () => (await B('getStats', {})).subscriptions.length === 0, 3000, 'subscription on B ended');
  t.same((await B('getStats', {})).tracks, []);
});

t.test('a room that outgrows its node spills over, and its tracks are linked', async (t) => {
  const { node, getNode } = await setup(t, { AGENT_MAX_TASKS_PER_NODE: '2' });
  const idA = await getNode('big', 'pub');
  t.equal(await getNode('big', 'sub1'), idA);
  const idB = await getNode('big', 'sub2');
  t.not(idB, idA, 'the third task went to another node');
  const A = node(idA);
  const B = node(idB);
  const pub = await A('createPlainTransport', { transportId: 'pub' });
  await A('publishTrack', { transportId: 'pub', trackId: 'mic', kind: 'audio' });
  const sink = await UdpPeer.open(t);
  await B('createPlainTransport', { transportId: 'sub2' });
  await B('connectPlainTransport', { transportId: 'sub2', ip: '127.0.0.1', port: sink.port });
  await B('subscribeTrack', { transportId: 'sub2', trackId: 'mic', subscriptionId: 's2' });
  const sender = await UdpPeer.open(t);
  await sendStream(sender, pub.port, { ssrc: 42, count: 30 });
  await waitFor(() => sink.rtp().length === 30, 5000, 'spilled subscriber receives');
});

t.test('two first subscriptions across the same two nodes at once share one ring pair', async (t) => {
  const { node, getNode } = await setup(t, { AGENT_MAX_TASKS_PER_NODE: '1' });
  const A = node(await getNode('big2', 'pub'));
  const B = node(await getNode('big2', 'sub'));
  await A('createPlainTransport', { transportId: 'pub' });
  await A('publishTrack', { transportId: 'pub', trackId: 'mic1', kind: 'audio' });
  await A('publishTrack', { transportId: 'pub', trackId: 'mic2', kind: 'audio', ssrc: 43 });
  await B('createPlainTransport', { transportId: 'sub' });
  // Each is the pair's first link: both used to attach rings, the second refused (400).
  const r = await Promise.allSettled(['mic1', 'mic2'].map((trackId) => B('subscribeTrack', { transportId: 'sub', trackId, subscriptionId: `s-${trackId}` })));
  t.same(r.map((x) => x.status), ['fulfilled', 'fulfilled'], String(r.map((x) => (x as PromiseRejectedResult).reason)));
  t.equal((await B('getStats', {})).subscriptions.length, 2);
});

t.test('comedia: the remote is learnt from the first datagram, then fixed', async (t) => {
  const { node, getNode } = await setup(t);
  const n = node(await getNode('room', 'pub'));
  const pub = await n('createPlainTransport', { transportId: 'pub' });
  await n('publishTrack', { transportId: 'pub', trackId: 'cam', kind: 'audio', ssrc: 77 });
  const sub = await n('createPlainTransport', { transportId: 'sub', comedia: true });
  await n('subscribeTrack', { transportId: 'sub', trackId: 'cam', subscriptionId: 's' });
  const sender = await UdpPeer.open(t);
  const subStats = async () => (await n('getStats', {})).transports.find((x: { id: string }) => x.id === 'sub');
  await sendStream(sender, pub.port, { ssrc: 77, count: 3 });
  await waitFor(async () => (await subStats()).drops.noRemote === 3, 3000, 'nowhere to send before the peer speaks');
  const sink = await UdpPeer.open(t);
  await sink.send(buildPli(1, 12345), sub.port); // any RTCP will do; this names no SSRC of ours
  await waitFor(async () => (await subStats()).remote !== null, 3000, 'remote learnt');
  t.same((await subStats()).remote, { ip: '127.0.0.1', port: sink.port }, 'remote learnt from the first datagram');
  await sendStream(sender, pub.port, { ssrc: 77, count: 5, seq0: 2000 });
  await waitFor(() => sink.rtp().length === 5, 3000, 'media reaches the learnt remote');
  const intruder = await UdpPeer.open(t);
  await intruder.send(buildPli(1, 1), sub.port);
  await waitFor(async () => (await subStats()).drops.wrongSource === 1, 3000, 'intruder dropped');
  t.equal((await subStats()).remote.port, sink.port, 'a second sender does not take over');
});

t.test('a track whose codec is known: subscribers start at a key frame, and its picture size is read from it', async (t) => {
  const { node, getNode } = await setup(t);
  const n = node(await getNode('room-key', 'pub'));
  const pub = await n('createPlainTransport', { transportId: 'kp' });
  await n('publishTrack', { transportId: 'kp', trackId: 'vp8cam', kind: 'video', codec: 'VP8' });
  await t.rejects(n('publishTrack', { transportId: 'kp', trackId: 'x', kind: 'video', codec: 'theora' }), { code: 400, message: /codec/ });
  const sink = await UdpPeer.open(t);
  await n('createPlainTransport', { transportId: 'ks' });
  await n('connectPlainTransport', { transportId: 'ks', ip: '127.0.0.1', port: sink.port });
  await n('subscribeTrack', { transportId: 'ks', trackId: 'vp8cam', subscriptionId: 'kss' });
  const sender = await UdpPeer.open(t);
  // VP8 payloads (RFC 7741): a descriptor with S=1, then the frame tag;
  // a key frame has the inverse key bit clear, the start code and its size.
  const delta = Buffer.from([0x10, 0x31, 0x02, 0x00, 0xaa, 0xbb]);
  const key = (w: number, h: number) => Buffer.from([0x10, 0x50, 0x1f, 0x00, 0x9d, 0x01, 0x2a, w & 0xff, w >> 8, h & 0xff, h >> 8, 0x00]);
  const cont = Buffer.from([0x00, 0xcc, 0xdd]); // a later packet of the same frame (S=0)
  let seq = 100;
  const send = async (payload: Buffer) => sender.send(buildRtp({ ssrc: 31, seq: seq++, ts: seq * 3000, pt: 96, payload }), pub.port);
  for (let i = 0; i < 5; i++) await send(delta);
  await waitFor(async () => (await n('getStats', {})).subscriptions.find((s: { id: string }) => s.id === 'kss')?.keyframeWaitDrops === 5, 3000, 'deltas held back');
  t.equal(sink.rtp().length, 0, 'nothing before the first key frame');
  await send(key(320, 240));
  await send(cont);
  await send(delta);
  await waitFor(() => sink.rtp().length === 3, 3000, 'key frame and what follows');
  t.same(sink.rtp().map((p) => p.payload.subarray(0, 2).toString('hex')), ['1050', '00cc', '1031'], 'the stream starts at the key frame');
  let stats = await n('getStats', {});
  t.match(stats.tracks.find((x: { id: string }) => x.id === 'vp8cam'), { codec: 'VP8', keyframes: 1, resolution: { width: 320, height: 240 } });
  t.match(stats.subscriptions.find((s: { id: string }) => s.id === 'kss'), { waitingKeyframe: false, keyframeWaitDrops: 5, keyframeWaitTimeouts: 0 });
  // The publisher changes resolution at its next key frame.
  await send(key(640, 480));
  await waitFor(async () => (await n('getStats', {})).tracks.find((x: { id: string }) => x.id === 'vp8cam')?.resolution?.width === 640, 3000, 'new size');
  stats = await n('getStats', {});
  t.match(stats.tracks.find((x: { id: string }) => x.id === 'vp8cam'), { keyframes: 2, resolution: { width: 640, height: 480 } });

  // A track with no codec named forwards from the first packet, as before.
  await n('publishTrack', { transportId: 'kp', trackId: 'plain', kind: 'video', ssrc: 32 });
  const sink2 = await UdpPeer.open(t);
  await n('createPlainTransport', { transportId: 'ks2' });
  await n('connectPlainTransport', { transportId: 'ks2', ip: '127.0.0.1', port: sink2.port });
  await n('subscribeTrack', { transportId: 'ks2', trackId: 'plain', subscriptionId: 'kss2' });
  await sender.send(buildRtp({ ssrc: 32, seq: 1, ts: 1, pt: 96, payload: delta }), pub.port);
  await waitFor(() => sink2.rtp().length === 1, 3000, 'a delta frame forwarded at once');
  t.match((await n('getStats', {})).tracks.find((x: { id: string }) => x.id === 'plain'), { codec: null, keyframes: 0, resolution: null });
});

t.test('a subscriber waiting for a key frame that never comes is sent the stream after 3 s', async (t) => {
  const { node, getNode } = await setup(t);
  const n = node(await getNode('room-nokey', 'pub'));
  const pub = await n('createPlainTransport', { transportId: 'np', comedia: true });
  await n('publishTrack', { transportId: 'np', trackId: 'stubborn', kind: 'video', codec: 'vp8', ssrc: 41 });
  const sink = await UdpPeer.open(t);
  await n('createPlainTransport', { transportId: 'ns' });
  await n('connectPlainTransport', { transportId: 'ns', ip: '127.0.0.1', port: sink.port });
  await n('subscribeTrack', { transportId: 'ns', trackId: 'stubborn', subscriptionId: 'nss' });
  const sender = await UdpPeer.open(t);
  const plis = () => sender.received.filter((b) => isPli(b)).length;
  const start = Date.now();
  let seq = 1;
  while (sink.rtp().length === 0 && Date.now() - start < 8000) {
    await sender.send(buildRtp({ ssrc: 41, seq: seq++, ts: seq * 3000, pt: 96, payload: Buffer.from([0x10, 0x31, 0x02, 0x00]) }), pub.port);
    await new Promise((r) => setTimeout(r, 50));
  }
  const waited = Date.now() - start;
  t.ok(sink.rtp().length > 0 && waited >= 2500, `forwarded after ${waited} ms of waiting`);
  t.ok(plis() >= 2, `the publisher was asked again while the subscriber waited (${plis()} PLIs)`);
  t.match((await n('getStats', {})).subscriptions.find((s: { id: string }) => s.id === 'nss'), { waitingKeyframe: false, keyframeWaitTimeouts: 1 });
});

t.test('across node threads, a track published with its codec: the other node\'s subscriber starts at a key frame too', async (t) => {
  const { node, getNode } = await setup(t, { AGENT_PRERUN_NODES: '2' });
  const idA = await getNode('roomKA', 'pub');
  const idB = await getNode('roomKB', 'sub');
  t.not(idA, idB, 'two nodes');
  const A = node(idA);
  const B = node(idB);
  const pub = await A('createPlainTransport', { transportId: 'kpub' });
  await A('publishTrack', { transportId: 'kpub', trackId: 'kcam', kind: 'video', ssrc: 51, codec: 'VP8' });
  const remote = await UdpPeer.open(t);
  await B('createPlainTransport', { transportId: 'ksubB' });
  await B('connectPlainTransport', { transportId: 'ksubB', ip: '127.0.0.1', port: remote.port });
  await B('subscribeTrack', { transportId: 'ksubB', trackId: 'kcam', subscriptionId: 'ksb' });
  const sender = await UdpPeer.open(t);
  const delta = Buffer.from([0x10, 0x31, 0x02, 0x00, 0xaa]);
  const key = Buffer.from([0x10, 0x50, 0x1f, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00, 0x00]);
  let seq = 1;
  for (const payload of [delta, delta, delta, key, delta]) {
    await sender.send(buildRtp({ ssrc: 51, seq: seq++, ts: seq * 3000, pt: 96, payload }), pub.port);
  }
  await waitFor(() => remote.rtp().length === 2, 3000, 'key frame and the delta after it');
  t.same(remote.rtp().map((p) => p.payload[1]), [0x50, 0x31], 'the remote subscriber starts at the key frame');
  const stats = await B('getStats', {});
  t.match(stats.tracks.find((x: { id: string }) => x.id === 'kcam'), { codec: 'VP8', importedFrom: idA, resolution: { width: 320, height: 240 } });
  t.match(stats.subscriptions.find((s: { id: string }) => s.id === 'ksb'), { keyframeWaitDrops: 3 });
});
