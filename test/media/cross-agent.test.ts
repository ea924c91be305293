/**
 * Media between two agents on one real nats-server: a plain-RTP publisher on
 * agent A, subscribers on agent B reached through linkup over the internal
 * transport (real UDP on loopback). Rewritten SSRCs, PLI and NACK flowing
 * back to A, cutoff, unpublish on A ending B's subscription, an agent lost,
 * hostile datagrams on the internal port, and bad payloads.
 */
import t, { type Test } from 'tap';
import type { Agent } from '../../src/Agent';
import { natsClient, startNats } from '../helpers/nats';
import { CallError, request, startAgent, testConfig, waitFor } from '../helpers/agent';
import { buildNack, buildPli, buildRtp, findPli, isPli, UdpPeer } from '../helpers/rtp';
import { startAgentProcess } from '../cluster/helpers';

// Plain RTP between agents here (the SRTP tests turn it on; it is the default).
const ENV = { AGENT_INTERNAL_SRTP: 'false', AGENT_PRERUN_NODES: '1', AGENT_INTERNAL_KEEPALIVE_MS: '300', AGENT_INTERNAL_RPC_TIMEOUT_MS: '1000' };

async function setup(t: Test, extra: Record<string, string> = {}) {
  const nats = await startNats(t);
  const a: Agent = await startAgent(t, testConfig({ NATS_URL: nats.url, ...ENV, ...extra }));
  const b: Agent = await startAgent(t, testConfig({ NATS_URL: nats.url, ...ENV, ...extra }));
  const nc = await natsClient(t, nats.url);
  const nodeOf = async (agent: Agent, room: string) => {
    const { nodeId } = await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room, task: `${room}-task` });
    return (method: string, args: unknown = {}) => request(nc, agent.subjects.node(nodeId, method), args);
  };
  const na = await nodeOf(a, 'ra');
  const nb = await nodeOf(b, 'rb');
  // The publisher on A, its transport connected back to it so PLIs reach it.
  const publisher = await UdpPeer.open(t);
  const pub = await na('createPlainTransport', { transportId: 'pub' });
  await na('connectPlainTransport', { transportId: 'pub', ip: '127.0.0.1', port: publisher.port });
  await na('publishTrack', { transportId: 'pub', trackId: 'cam', kind: 'video', ssrc: 5555, payloadType: 96 });
  const addrA = await na('getInternalAddress');
  // The subscriber on B.
  const sink = await UdpPeer.open(t);
  const sub = await nb('createPlainTransport', { transportId: 'out' });
  await nb('connectPlainTransport', { transportId: 'out', ip: '127.0.0.1', port: sink.port });
  let seq = 100;
  const send = async (count: number) => {
    for (let i = 0; i < count; i++) {
      await publisher.send(buildRtp({ ssrc: 5555, seq: seq, ts: seq * 3000, pt: 96, payload: Buffer.from(`p${seq}`) }), pub.port);
      seq++;
    }
  };
  return { a, b, nc, na, nb, publisher, sink, sub, addrA, send };
}

const statsOf = async (n: (m: string, a?: unknown) => Promise<any>) => n('getStats');

t.test('getInternalAddress: the node internal ip and port', async (t) => {
  const { addrA } = await setup(t);
  t.match(addrA, { ip: '127.0.0.1', port: Number });
  t.ok(addrA.port >= 40000 && addrA.port <= 49999, 'from the media port range');
});

t.test('linkup across agents: rewritten SSRC, PLI and NACK back to A, cutoff stops the flow', async (t) => {
  const { a, b, na, nb, publisher, sink, sub, addrA, send } = await setup(t);
  const r = await nb('linkup', { subscriptionId: 'sub-1', transportId: 'out', video: { id: 'cam', ip: addrA.ip, port: addrA.port, ssrc: 4242 } });
  t.match(r, { ok: true, video: { subscriptionId: 'sub-1-video', ssrc: 4242 } });

  // The new subscriber's key-frame request crosses to the publisher on A.
  await waitFor(() => publisher.rtcp().filter(isPli).length >= 1, 5000, 'PLI from the new subscription on B at the publisher');
  t.equal(findPli(publisher.rtcp().find(isPli)!)!.mediaSsrc, 5555, 'the PLI names the publisher SSRC');

  await send(30);
  await waitFor(() => sink.rtp().length >= 30, 5000, '30 packets at the sink on B');
  const pkts = sink.rtp();
  t.ok(pkts.every((p) => p.ssrc === 4242), 'every packet carries the SSRC B gave its subscriber');
  t.same(pkts.map((p) => p.payload.toString()), Array.from({ length: 30 }, (_, k) => `p${100 + k}`), 'in order, intact');

  const sa = await statsOf(na);
  const exp = sa.subscriptions.find((s: any) => s.transportId.startsWith('internal:'));
  t.match(exp, { trackId: 'cam', packets: 30 }, 'A exports the track over an internal transport');
  t.match(sa.transports.find((x: any) => x.type === 'internal'), { remote: { ip: '127.0.0.1' } });
  const sb = await statsOf(nb);
  t.match(sb.tracks.find((x: any) => x.id === 'cam'), { packets: 30, subscribers: 1, transportId: String }, 'the stand-in on B');
  t.equal(sb.tracks.find((x: any) => x.id === 'cam').ssrc, exp.ssrc, 'B demultiplexes by the SSRC it chose');

  // A NACK from B's subscriber: B keeps no packets for a plain subscriber, so it
  // asks A, whose export answers from its send buffer (which keeps a packet for
  // 1 s: asked before the PLI's wait below); the packet comes again.
  const lost = pkts[10]!;
  await sink.send(buildNack(1, 4242, lost.seq), sub.port);
  await waitFor(() => sink.rtp().filter((p) => p.seq === lost.seq).length === 2, 5000, 'the NACKed packet again at the sink');
  t.same(sink.rtp().filter((p) => p.seq === lost.seq)[1]!.payload, lost.payload, 'the same packet');
  const sa2 = await statsOf(na);
  t.match(sa2.subscriptions.find((s: any) => s.id === exp.id), { nackPackets: 1, retransmitted: 1 }, 'answered by the export on A');

  // A subscriber's PLI, after the one-a-second merge window: one more PLI upstream.
  await new Promise((res) => setTimeout(res, 1100));
  const before = publisher.rtcp().filter(isPli).length;
  await sink.send(buildPli(1, 4242), sub.port);
  await waitFor(() => publisher.rtcp().filter(isPli).length === before + 1, 5000, 'the subscriber PLI reaches the publisher');

  t.same(await nb('cutoff', { subscriptionId: 'sub-1' }), { ok: true });
  const got = sink.rtp().length;
  await waitFor(async () => !(await statsOf(na)).subscriptions.some((s: any) => s.id === exp.id), 5000, 'the export on A ends');
  await send(20);
  await new Promise((res) => setTimeout(res, 300));
  t.equal(sink.rtp().length, got, 'nothing after cutoff');
  const sb2 = await statsOf(nb);
  t.notOk(sb2.tracks.some((x: any) => x.id === 'cam'), 'the stand-in on B is gone');
  t.equal(sb2.subscriptions.length, 0);
  await t.rejects(nb('cutoff', { subscriptionId: 'sub-1' }), { code: 404 }, 'a second cutoff: 404');
  await waitFor(() => a.remote.summary().exports === 0, 3000, 'A keeps no export record');
  t.same(b.remote.summary(), { exports: 0, imports: 0, linkups: 0 }, 'B keeps no link record');
});

t.test('SRTP on the internal transport: keys over the RPC, media encrypted on the wire, PLI back', async (t) => {
  const { na, nb, publisher, sink, sub, addrA, send } = await setup(t, { AGENT_INTERNAL_SRTP: 'true' });
  await nb('linkup', { subscriptionId: 's1', transportId: 'out', video: { id: 'cam', ip: addrA.ip, port: addrA.port, ssrc: 4343 } });
  await waitFor(() => publisher.rtcp().filter(isPli).length >= 1, 5000, 'the encrypted PLI from B decrypted on A and passed on');
  await send(20);
  await waitFor(() => sink.rtp().length >= 20, 5000, '20 packets at the sink on B');
  t.same(sink.rtp().map((p) => p.payload.toString()), Array.from({ length: 20 }, (_, k) => `p${100 + k}`), 'decrypted intact, in order');
  t.ok(sink.rtp().every((p) => p.ssrc === 4343));
  const sa = await statsOf(na);
  const ta = sa.transports.find((x: any) => x.type === 'internal');
  const exp = sa.subscriptions.find((x: any) => x.transportId === ta.id);
  t.equal(ta.srtp, true, 'A encrypts towards B');
  t.equal(exp.packets, 20);
  // Each RTP packet grows by the 16-byte GCM tag on the wire.
  t.ok(ta.bytesOut >= exp.bytes + 16 * exp.packets, `bytes on the wire ${ta.bytesOut} >= ${exp.bytes} clear + ${16 * exp.packets} of tags`);
  const tb = (await statsOf(nb)).transports.find((x: any) => x.type === 'internal');
  t.match(tb, { srtp: true, drops: { srtpFailed: 0, unknownSsrc: 0 } }, 'B decrypts all of it');
  t.equal(tb.rtpIn, 20);
});

t.test('SRTP on one agent and not the other: linkup refused with 400 naming srtp', async (t) => {
  const nats = await startNats(t);
  const nc = await natsClient(t, nats.url);
  const a: Agent = await startAgent(t, testConfig({ NATS_URL: nats.url, ...ENV, AGENT_INTERNAL_SRTP: 'true' }));
  const b: Agent = await startAgent(t, testConfig({ NATS_URL: nats.url, ...ENV }));
  const nodeOf = async (agent: Agent) => {
    const { nodeId } = await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room: 'r', task: 't' });
    return (method: string, args: unknown = {}) => request(nc, agent.subjects.node(nodeId, method), args);
  };
  const na = await nodeOf(a);
  const nb = await nodeOf(b);
  await na('createPlainTransport', { transportId: 'pub' });
  await na('publishTrack', { transportId: 'pub', trackId: 'cam', kind: 'video' });
  const addrA = await na('getInternalAddress');
  await nb('createPlainTransport', { transportId: 'out' });
  await t.rejects(nb('linkup', { subscriptionId: 's', transportId: 'out', video: { id: 'cam', ip: addrA.ip, port: addrA.port } }), { code: 400, message: /^srtp: this agent sends media to other agents only with SRTP/ });
  t.equal((await nb('getStats')).tracks.length, 0, 'nothing left behind on B');
  t.notOk((await na('getStats')).subscriptions.length, 'nothing exported from A');
});

t.test('two subscribers on B share one stand-in; unpublish on A ends them', async (t) => {
  const { na, nb, sink, addrA, send } = await setup(t);
  const sink2 = await UdpPeer.open(t);
  await nb('createPlainTransport', { transportId: 'out2' });
  await nb('connectPlainTransport', { transportId: 'out2', ip: '127.0.0.1', port: sink2.port });
  await nb('linkup', { subscriptionId: 's1', transportId: 'out', video: { id: 'cam', ip: addrA.ip, port: addrA.port } });
  await nb('linkup', { subscriptionId: 's2', transportId: 'out2', video: { id: 'cam', ip: addrA.ip, port: addrA.port } });
  const sa = await statsOf(na);
  t.equal(sa.subscriptions.filter((s: any) => s.transportId.startsWith('internal:')).length, 1, 'one export for both');
  await send(10);
  await waitFor(() => sink.rtp().length >= 10 && sink2.rtp().length >= 10, 5000, 'both sinks fed');

  await na('unpublishTrack', { trackId: 'cam' });
  await waitFor(async () => (await statsOf(nb)).subscriptions.length === 0, 5000, 'B subscriptions end');
  t.notOk((await statsOf(nb)).tracks.some((x: any) => x.id === 'cam'), 'the stand-in went with them');
  await t.resolves(nb('cutoff', { subscriptionId: 's1' }), 'cutoff after the source went still answers');
});

t.test('an agent that stops says so: the stand-ins fed from it end at once', async (t) => {
  // Keep-alive far beyond the wait below: only the announcement can end the link in time.
  const { a, nb, sink, addrA, send } = await setup(t, { AGENT_INTERNAL_KEEPALIVE_MS: '60000' });
  await nb('linkup', { subscriptionId: 's1', transportId: 'out', video: { id: 'cam', ip: addrA.ip, port: addrA.port } });
  await send(5);
  await waitFor(() => sink.rtp().length >= 5, 5000, 'flowing');
  await a.stop('test');
  await waitFor(async () => (await statsOf(nb)).subscriptions.length === 0, 3000, 'B ends the link on A\'s sourceGone');
});

t.test('an agent killed (kill -9): the stand-ins fed from it end', async (t) => {
  const nats = await startNats(t);
  const nc = await natsClient(t, nats.url);
  // A is a separate process, so it can die the hard way.
  const a = await startAgentProcess(t, 'agent-a', { NATS_URL: nats.url, WEBRTC_LISTEN_IP: '127.0.0.1', ...ENV });
  const b: Agent = await startAgent(t, testConfig({ NATS_URL: nats.url, ...ENV }));
  const call = async (agentId: string, room: string) => {
    const { nodeId } = await request<{ nodeId: string }>(nc, `webrtc-agent.agent.${agentId}.getNode`, { room, task: 'x' });
    return (method: string, args: unknown = {}) => request(nc, `webrtc-agent.node.${nodeId}.${method}`, args);
  };
  const na = await call('agent-a', 'ra');
  const nb = await call(b.id, 'rb');
  const publisher = await UdpPeer.open(t);
  const pub = await na('createPlainTransport', { transportId: 'pub' });
  await na('publishTrack', { transportId: 'pub', trackId: 'cam', kind: 'video', ssrc: 5555 });
  const addrA = await na('getInternalAddress');
  const sink = await UdpPeer.open(t);
  await nb('createPlainTransport', { transportId: 'out' });
  await nb('connectPlainTransport', { transportId: 'out', ip: '127.0.0.1', port: sink.port });
  await nb('linkup', { subscriptionId: 's1', transportId: 'out', video: { id: 'cam', ip: addrA.ip, port: addrA.port } });
  for (let i = 0; i < 5; i++) await publisher.send(buildRtp({ ssrc: 5555, seq: i, ts: i, pt: 96 }), pub.port);
  await waitFor(() => sink.rtp().length >= 5, 5000, 'flowing from the A process to B');
  a.child.kill('SIGKILL');
  await waitFor(async () => (await statsOf(nb)).subscriptions.length === 0, 5000, 'B notices (no responders) and ends the link');
  t.notOk((await statsOf(nb)).tracks.some((x: any) => x.id === 'cam'), 'the stand-in is gone');
  await t.resolves(nb('cutoff', { subscriptionId: 's1' }), 'cutoff after the loss still answers');
});

t.test('hostile datagrams on the internal port are dropped and counted', async (t) => {
  const { na, nb, sink, addrA, send } = await setup(t);
  await nb('linkup', { subscriptionId: 's1', transportId: 'out', video: { id: 'cam', ip: addrA.ip, port: addrA.port } });
  const evil = await UdpPeer.open(t);
  const addrB = await nb('getInternalAddress');
  for (const to of [addrA.port, addrB.port]) {
    await evil.send(buildRtp({ ssrc: 5555, seq: 1, ts: 1, pt: 96 }), to); // media from nobody we were told about
    await evil.send(Buffer.from('garbage'), to);
    await evil.send(Buffer.alloc(3000, 0x80), to);
    await evil.send(Buffer.alloc(0), to);
  }
  // The empty datagram never reaches the transport: the socket layer skips it.
  await waitFor(async () => (await statsOf(nb)).internal.drops.unknownPeer === 3, 3000, 'B counts 3 from an unknown peer');
  t.equal((await statsOf(na)).internal.drops.unknownPeer, 3, 'A too');
  await send(5);
  await waitFor(() => sink.rtp().length >= 5, 5000, 'media still flows');
});

t.test('linkup of a track this agent holds takes the agent own path (a ring between its nodes)', async (t) => {
  const { a, nc, addrA, send } = await setup(t);
  const { nodeId } = await request<{ nodeId: string }>(nc, a.subjects.agent('getNode'), { room: 'ra2', task: 'x' });
  const na2 = (method: string, args: unknown = {}) => request(nc, a.subjects.node(nodeId, method), args);
  const sink = await UdpPeer.open(t);
  await na2('createPlainTransport', { transportId: 'o2' });
  await na2('connectPlainTransport', { transportId: 'o2', ip: '127.0.0.1', port: sink.port });
  await na2('linkup', { subscriptionId: 'l2', transportId: 'o2', video: { id: 'cam', ip: addrA.ip, port: addrA.port } });
  await send(10);
  await waitFor(() => sink.rtp().length >= 10, 5000, '10 packets through the ring');
  const st = await na2('getStats');
  t.match(st.tracks.find((x: any) => x.id === 'cam'), { importedFrom: String }, 'the stand-in on the second node is fed by a ring');
  t.notOk(st.transports.some((x: any) => x.type === 'internal'), 'no internal transport within one agent');
  t.same(await na2('cutoff', { subscriptionId: 'l2' }), { ok: true });
});

t.test('an agent that does not answer: 504 within agent.internalRpcTimeoutMs', async (t) => {
  const { nc, nb } = await setup(t);
  // Somebody serves the subject but never replies.
  const mute = nc.subscribe('webrtc-agent.internal.127-0-0-1-9.>');
  t.teardown(() => mute.unsubscribe());
  await nc.flush();
  const t0 = Date.now();
  await t.rejects(nb('linkup', { subscriptionId: 's', transportId: 'out', video: { id: 'cam', ip: '127.0.0.1', port: 9 } }), { code: 504, message: /did not answer within 1000 ms/ });
  t.ok(Date.now() - t0 < 3000, 'bounded');
  t.equal((await statsOf(nb)).tracks.length, 0);
});

t.test("B's node thread dies: A stops sending to it", async (t) => {
  const { na, nb, addrA } = await setup(t);
  await nb('linkup', { subscriptionId: 's1', transportId: 'out', video: { id: 'cam', ip: addrA.ip, port: addrA.port } });
  t.equal((await statsOf(na)).subscriptions.length, 1, 'exporting');
  await nb('testExit', { code: 3 });
  await waitFor(async () => (await statsOf(na)).subscriptions.length === 0, 5000, 'the export on A ends');
});

t.test('a WebRTC subscribe naming a source on another agent: errors name options.tracks.N', async (t) => {
  const { nb, addrA } = await setup(t);
  await nb('createTransport', { transportId: 'w', controller: 'c' });
  const sub = (tracks: unknown[]) => nb('subscribe', { operationId: 'o', connectionType: 'webrtc', options: { transportId: 'w', controller: 'c', tracks } });
  await t.rejects(sub([{ mid: '0', type: 'video', from: 'nope', source: addrA }]), { code: 404, message: /^options\.tracks\.0\.from: no track nope/ });
  await t.rejects(sub([{ mid: '0', type: 'audio', from: 'cam', source: addrA }]), { code: 400, message: /^options\.tracks\.0\.type: cam is a video track/ });
  await t.rejects(sub([{ mid: '0', type: 'video', from: 'cam', source: { ip: addrA.ip, port: 9 } }]), { code: 503, message: /no agent serves the internal address/ });
  await t.rejects(sub([{ mid: '0', type: 'video', from: 'cam', source: { ip: 'x', port: 1 } }]), { code: 400, message: /^options\.tracks\.0\.source\.ip: / });
  t.equal((await statsOf(nb)).tracks.length, 0, 'nothing brought in stays');
});

t.test('bad linkup and cutoff payloads: 400 naming the field, 404, 503; never a hang', async (t) => {
  const { na, nb, addrA } = await setup(t);
  const cases: Array<[unknown, RegExp]> = [
    [{ transportId: 'out', video: { id: 'cam', ip: addrA.ip, port: addrA.port } }, /^subscriptionId: /],
    [{ subscriptionId: 's', video: { id: 'cam', ip: addrA.ip, port: addrA.port } }, /^transportId: /],
    [{ subscriptionId: 's', transportId: 'out' }, /^audio: one of audio or video is required/],
    [{ subscriptionId: 's', transportId: 'out', video: { id: 'cam', ip: '300.1.1.1', port: addrA.port } }, /^video\.ip: /],
    [{ subscriptionId: 's', transportId: 'out', video: { id: 'cam', ip: addrA.ip, port: 0 } }, /^video\.port: /],
    [{ subscriptionId: 's', transportId: 'out', video: { id: 'c a m', ip: addrA.ip, port: addrA.port } }, /^video\.id: /],
    [{ subscriptionId: 's', transportId: 'out', data: {} }, /^data: unknown field/],
  ];
  for (const [payload, re] of cases) {
    const err = (await nb('linkup', payload).catch((e) => e)) as CallError;
    t.equal(err.code, 400, JSON.stringify(payload));
    t.match(err.message, re);
  }
  await t.rejects(nb('linkup', { subscriptionId: 's', transportId: 'out', video: { id: 'nope', ip: addrA.ip, port: addrA.port } }), { code: 404, message: /^video\.id: / }, 'unknown track at the source: 404');
  await t.rejects(nb('linkup', { subscriptionId: 's', transportId: 'out', audio: { id: 'cam', ip: addrA.ip, port: addrA.port } }), { code: 400, message: /^audio\.id: cam is a video track/ });
  const t0 = Date.now();
  await t.rejects(nb('linkup', { subscriptionId: 's', transportId: 'out', video: { id: 'cam', ip: '127.0.0.1', port: 9 } }), { code: 503, message: /no agent serves the internal address 127\.0\.0\.1:9/ });
  t.ok(Date.now() - t0 < 2000, 'answered at once');
  // The track is brought in, then the subscribe fails: all of it is undone, on both agents.
  await t.rejects(nb('linkup', { subscriptionId: 's', transportId: 'nope', video: { id: 'cam', ip: addrA.ip, port: addrA.port } }), { code: 404, message: /no such transport: nope/ });
  await waitFor(async () => (await na('getStats')).subscriptions.length === 0, 3000, 'the export on A undone');
  await t.rejects(nb('cutoff', { subscriptionId: 'never' }), { code: 404, message: /^subscriptionId: / });
  await t.rejects(nb('cutoff', {}), { code: 400, message: /^subscriptionId: / });
  t.equal((await statsOf(nb)).tracks.length, 0, 'no failed linkup left a stand-in behind');
});

t.test('the export path answers only live members of the cluster, to their own nodes\' internal addresses', async (t) => {
  const { a, b, na, nb, nc, addrA } = await setup(t);
  const exportTrack = (payload: Record<string, unknown>) =>
    request(nc, a.subjects.internal(addrA.ip, addrA.port, 'exportTrack'), { trackId: 'cam', ssrc: 777, ...payload });
  const addrB = await nb('getInternalAddress');
  const foreign = await UdpPeer.open(t);
  // Anyone on the bus claiming to be someone else: refused, nothing exported.
  await t.rejects(exportTrack({ agentId: 'intruder', ip: addrB.ip, port: addrB.port }), { code: 400, message: /^agentId: intruder is not a live member of the cluster/ });
  // A member asking for media to an address that is not one of its nodes: refused.
  await t.rejects(exportTrack({ agentId: b.id, ip: '127.0.0.1', port: foreign.port }), { code: 400, message: new RegExp(`^ip: 127\\.0\\.0\\.1:${foreign.port} is not an internal address of agent ${b.id}`) });
  t.equal((await statsOf(na)).subscriptions.length, 0, 'nothing exported');
  t.equal(a.remote.summary().exports, 0);
  // The member, to its own node's address: served. A linkup makes B's entry
  // list that address before it asks (ensureListed); this direct request
  // does the same; without it the request can race B's entry (one ASan CI
  // run got a 400 here).
  await b.cluster!.membership.ensureListed(`${addrB.ip}:${addrB.port}`);
  const ok = await exportTrack({ agentId: b.id, ip: addrB.ip, port: addrB.port });
  t.match(ok, { exportId: String, kind: 'video' });
  await request(nc, a.subjects.internal(addrA.ip, addrA.port, 'unexportTrack'), { exportId: ok.exportId });
});

t.test('exports are bounded per node (agent.maxExportsPerNode): 503 naming the key', async (t) => {
  const { na, nb, addrA } = await setup(t, { AGENT_MAX_EXPORTS_PER_NODE: '1' });
  await na('publishTrack', { transportId: 'pub', trackId: 'mic', kind: 'audio' });
  await nb('linkup', { subscriptionId: 's1', transportId: 'out', video: { id: 'cam', ip: addrA.ip, port: addrA.port } });
  await t.rejects(nb('linkup', { subscriptionId: 's2', transportId: 'out', audio: { id: 'mic', ip: addrA.ip, port: addrA.port } }), { code: 503, message: /^agent\.maxExportsPerNode: the node sends 1 exports of at most 1/ });
  await nb('cutoff', { subscriptionId: 's1' });
  await waitFor(async () => (await statsOf(na)).subscriptions.length === 0, 3000, 'the export ends with the cutoff');
  t.match(await nb('linkup', { subscriptionId: 's2', transportId: 'out', audio: { id: 'mic', ip: addrA.ip, port: addrA.port } }), { ok: true }, 'room again once it ended');
});

t.test('an agent outside any cluster (cluster.enabled false) exports nothing: 503', async (t) => {
  const { na, addrA, nb } = await setup(t, { CLUSTER_ENABLED: 'false' });
  await t.rejects(nb('linkup', { subscriptionId: 's1', transportId: 'out', video: { id: 'cam', ip: addrA.ip, port: addrA.port } }), { code: 503, message: /exports answer only live members of the cluster/ });
  t.equal((await statsOf(na)).subscriptions.length, 0);
});

t.test('a node started after the last cluster report: its agent lists it before asking for media to it', async (t) => {
  // Reports a minute apart: only the write before the request can list the new node.
  const { a, b, addrA } = await setup(t, { CLUSTER_REPORT_INTERVAL_MS: '60000' });
  const { nodeId } = await request<{ nodeId: string }>(b.nc, b.subjects.agent('getNode'), { room: 'late-room', task: 'late' });
  const late = (method: string, args: unknown = {}) => request(b.nc, b.subjects.node(nodeId, method), args);
  const lateAddr = await late('getInternalAddress');
  const listed = () => b.cluster!.membership.last?.internalAddresses ?? [];
  t.notOk(listed().includes(`${lateAddr.ip}:${lateAddr.port}`), 'not in the entry yet');
  await late('createPlainTransport', { transportId: 'o' });
  t.match(await late('linkup', { subscriptionId: 's', transportId: 'o', video: { id: 'cam', ip: addrA.ip, port: addrA.port } }), { ok: true, video: { subscriptionId: 's-video' } });
  t.ok(listed().includes(`${lateAddr.ip}:${lateAddr.port}`), 'listed by the write before the request');
  t.equal(a.remote.summary().exports, 1);
});
