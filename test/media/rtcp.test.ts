/**
 * RTCP over plain RTP, with real UDP sockets and a real nats-server: the
 * agent's Receiver Reports and NACKs towards a publisher (a test sender with
 * deliberate gaps), its Sender Reports towards a subscriber (checked against
 * the packets that subscriber receives), and the subscriber's own reports
 * read back as RTT, loss and jitter in getStats.
 */
import t, { type Test } from 'tap';
import type { Agent } from '../../src/Agent';
import { natsClient, startNats } from '../helpers/nats';
import { request, startAgent, testConfig, waitFor } from '../helpers/agent';
import { buildRr, buildRtp, buildSr, findNacks, findRrs, findSrs, isPli, ntpFromMs, UdpPeer, type SenderReportFields } from '../helpers/rtp';

async function setup(t: Test) {
  const nats = await startNats(t);
  const agent: Agent = await startAgent(t, testConfig({ NATS_URL: nats.url, WEBRTC_LISTEN_IP: '127.0.0.1' }));
  const nc = await natsClient(t, nats.url);
  const node = (nodeId: string) => (method: string, args: unknown) => request<any>(nc, agent.subjects.node(nodeId, method), args);
  const getNode = async (room: string, task: string) =>
    (await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room, task })).nodeId;
  return { node: node(await getNode('room', 'rtcp')) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nacked = (p: UdpPeer) => p.rtcp().flatMap((b) => findNacks(b));
const rrBlocks = (p: UdpPeer, ssrc: number) =>
  p.rtcp().flatMap((b) => findRrs(b)).flatMap((rr) => rr.blocks.filter((x) => x.ssrc === ssrc).map((x) => ({ ...x, senderSsrc: rr.senderSsrc })));

t.test('publisher with gaps: NACKs for exactly the missing numbers when enabled, RRs with the loss either way', async (t) => {
  const { node: n } = await setup(t);
  // Two publishers, one with NACK and one without, both on comedia plain
  // transports so the agent's RTCP goes back to the sender's socket.
  const withNack = await UdpPeer.open(t);
  const without = await UdpPeer.open(t);
  const a = await n('createPlainTransport', { transportId: 'a', comedia: true });
  const b = await n('createPlainTransport', { transportId: 'b', comedia: true });
  await n('publishTrack', { transportId: 'a', trackId: 'va', kind: 'video', ssrc: 1111, payloadType: 96, nack: true });
  await n('publishTrack', { transportId: 'b', trackId: 'vb', kind: 'video', ssrc: 2222, payloadType: 96 });
  const sink = await UdpPeer.open(t);
  await n('createPlainTransport', { transportId: 'sub' });
  await n('connectPlainTransport', { transportId: 'sub', ip: '127.0.0.1', port: sink.port });
  await n('subscribeTrack', { transportId: 'sub', trackId: 'va', subscriptionId: 's' });

  const missing = new Set([1010, 1011, 1030]);
  // A Sender Report first, so the RRs can echo it (LSR) with a delay (DLSR).
  const srNtp = ntpFromMs(Date.now());
  await withNack.send(buildSr({ ssrc: 1111, ntp: srNtp, rtpTimestamp: 5000, packetCount: 0, octetCount: 0 }), a.port);
  for (let i = 0; i < 50; i++) {
    const seq = 1000 + i;
    if (missing.has(seq)) continue;
    const pkt = (ssrc: number) => buildRtp({ ssrc, seq, ts: 5000 + i * 3000, pt: 96, payload: Buffer.from(`pkt-${i}`) });
    await withNack.send(pkt(1111), a.port);
    await without.send(pkt(2222), b.port);
  }
  await waitFor(() => new Set(nacked(withNack).flatMap((x) => x.seqs)).size >= 3, 3000, 'NACKs for the gaps');
  const nacks = nacked(withNack);
  t.same([...new Set(nacks.flatMap((x) => x.seqs))].sort(), [...missing].sort(), 'exactly the missing numbers are NACKed');
  t.ok(nacks.every((x) => x.mediaSsrc === 1111), 'NACKs name the publisher SSRC');

  // Repair 1010 on the same SSRC: it is forwarded to the subscriber too.
  await withNack.send(buildRtp({ ssrc: 1111, seq: 1010, ts: 5000 + 10 * 3000, pt: 96, payload: Buffer.from('pkt-10') }), a.port);
  await waitFor(() => sink.rtp().some((p) => p.payload.toString() === 'pkt-10'), 3000, 'the retransmission reaches the subscriber');
  // A copy of a packet already received is counted (not as received) and
  // forwarded: on the media SSRC it may be a repair asked for downstream.
  await withNack.send(buildRtp({ ssrc: 1111, seq: 1020, ts: 5000 + 20 * 3000, pt: 96, payload: Buffer.from('pkt-20') }), a.port);
  await waitFor(async () => (await n('getStats', {})).tracks.find((x: { id: string }) => x.id === 'va').duplicates === 1, 3000, 'duplicate counted');
  await waitFor(() => sink.rtp().filter((p) => p.payload.toString() === 'pkt-20').length === 2, 3000, 'the copy forwarded');

  await waitFor(() => rrBlocks(withNack, 1111).some((x) => x.highestSeq === 1049 && x.cumulativeLost === 2), 3000, 'an RR after the repair');
  await waitFor(() => rrBlocks(without, 2222).some((x) => x.highestSeq === 1049), 3000, 'an RR to the publisher without NACK');
  const rrA = rrBlocks(withNack, 1111).find((x) => x.cumulativeLost === 2)!;
  const rrB = rrBlocks(without, 2222).at(-1)!;
  t.equal(rrB.cumulativeLost, 3, 'RR: 3 lost without repair');
  t.equal(rrB.highestSeq, 1049, 'RR: extended highest sequence');
  t.equal(rrA.lsr, Number((srNtp >> 16n) & 0xffffffffn), 'RR echoes the SR (LSR = middle 32 bits of its NTP time)');
  t.ok(rrA.dlsr > 0 && rrA.dlsr < 65536 * 10, `DLSR is the time the SR was held (${rrA.dlsr / 65.536} ms)`);
  t.equal(rrB.lsr, 0, 'no SR from that publisher: LSR 0');
  t.ok(nacks.every((x) => x.senderSsrc === rrA.senderSsrc), 'NACKs and RRs come from the transport\'s one RTCP SSRC');
  const transportA = (await n('getStats', {})).transports.find((x: { id: string }) => x.id === 'a');
  t.ok(transportA.rtcpOut >= 2, 'RTCP counted out');

  // No NACK when it is not enabled; retries towards the NACK publisher are
  // bounded and stop once the numbers age out (500 ms).
  t.equal(nacked(without).length, 0, 'no NACK to a publisher that did not enable it');
  await sleep(700);
  const settled = nacked(withNack).length;
  await sleep(300);
  t.equal(nacked(withNack).length, settled, 'no more NACKs once the missing numbers aged out');
  const retries = nacked(withNack).flatMap((x) => x.seqs).filter((s) => s === 1011).length;
  t.ok(retries >= 2 && retries <= 10, `1011 asked for ${retries} times (retried, at most 10)`);

  const va = (await n('getStats', {})).tracks.find((x: { id: string }) => x.id === 'va');
  t.match(va, { nack: true, packetsLost: 2, packetsExpected: 50, srReceived: 1, retransmissionsReceived: 1, nackMissing: 3 });
  t.ok(va.nacksSent >= 3 && va.nackedPackets >= 5, `NACK counters (${va.nacksSent} messages, ${va.nackedPackets} numbers)`);
  t.ok(va.nackExpired >= 2, 'the two never repaired expired');
  t.ok(va.rrSent >= 1, 'RR blocks counted');
  t.type(va.jitter, 'number');
  t.type(va.jitterMs, 'number');
  t.type(va.bitrate, 'number');
  const vb = (await n('getStats', {})).tracks.find((x: { id: string }) => x.id === 'vb');
  t.match(vb, { nack: false, packetsLost: 3, nacksSent: 0, nackedPackets: 0, srReceived: 0 });
});

t.test('a large gap asks for a key frame instead of NACKs', async (t) => {
  const { node: n } = await setup(t);
  const sender = await UdpPeer.open(t);
  const a = await n('createPlainTransport', { transportId: 'a', comedia: true });
  await n('publishTrack', { transportId: 'a', trackId: 'v', kind: 'video', ssrc: 3333, nack: true });
  await sender.send(buildRtp({ ssrc: 3333, seq: 100, ts: 0, pt: 96 }), a.port);
  await sender.send(buildRtp({ ssrc: 3333, seq: 1100, ts: 90000, pt: 96 }), a.port);
  await waitFor(async () => (await n('getStats', {})).tracks[0].nackKeyframes === 1, 3000, 'key-frame fallback');
  const v = (await n('getStats', {})).tracks[0];
  t.equal(v.keyframeRequestsSent, 1, 'one key-frame request upstream');
  t.equal(v.nacksSent, 0, 'no NACK for 999 missing packets');
  await waitFor(() => sender.rtcp().some(isPli), 3000, 'PLI reached the sender');
});

t.test('plain subscriber: SRs consistent with its packets, its RRs give RTT, loss and jitter', async (t) => {
  const { node: n } = await setup(t);
  const sender = await UdpPeer.open(t);
  const pub = await n('createPlainTransport', { transportId: 'pub', comedia: true });
  await n('publishTrack', { transportId: 'pub', trackId: 'cam', kind: 'video', ssrc: 4444 });
  const sink = await UdpPeer.open(t);
  const sub = await n('createPlainTransport', { transportId: 'sub' });
  await n('connectPlainTransport', { transportId: 'sub', ip: '127.0.0.1', port: sink.port });
  const { ssrc } = await n('subscribeTrack', { transportId: 'sub', trackId: 'cam', subscriptionId: 's', ssrc: 9999 });
  t.equal(ssrc, 9999);

  // Arrival time of every datagram at the sink.
  const arrivals: Array<{ at: number; b: Buffer }> = [];
  sink.socket.on('message', (b) => arrivals.push({ at: performance.now(), b }));
  const isSr = (b: Buffer) => b[1] === 200;
  const isRtp = (b: Buffer) => (b[1]! & 0x7f) < 64 || (b[1]! & 0x7f) > 95;

  // Real-time pacing: 30 ms per packet, 2700 ticks at 90 kHz.
  let i = 0;
  const ts0 = 123456;
  const sendOne = async () => {
    await sender.send(buildRtp({ ssrc: 4444, seq: 500 + i, ts: ts0 + i * 2700, pt: 96, payload: Buffer.alloc(200, i) }), pub.port);
    i++;
  };
  const pace = async (until: () => boolean, maxMs: number) => {
    const end = Date.now() + maxMs;
    while (!until() && Date.now() < end) {
      await sendOne();
      await sleep(30);
    }
  };
  await pace(() => arrivals.filter((x) => isSr(x.b)).length >= 2, 4000);

  // Extrapolated from the newest packet: SR time = that packet's timestamp
  // plus the time between their arrivals, at 90 kHz.
  const check = (label: string, expectFrom: (last: { at: number; ts: number }, sr: { at: number }) => number) => {
    const srIdx = arrivals.findIndex((x) => isSr(x.b));
    const srA = arrivals[srIdx]!;
    const sr = findSrs(srA.b)[0]!;
    const before = arrivals.slice(0, srIdx).filter((x) => isRtp(x.b));
    const last = before.at(-1)!;
    const lastTs = last.b.readUInt32BE(4);
    const want = expectFrom({ at: last.at, ts: lastTs }, { at: srA.at });
    const diffMs = (((sr.rtpTimestamp - want) | 0) / 90);
    t.ok(Math.abs(diffMs) < 25, `${label}: SR RTP time within ${diffMs.toFixed(1)} ms of the packets'`);
    t.equal(sr.ssrc, 9999, `${label}: from the subscription's SSRC`);
    t.equal(sr.packetCount, before.length, `${label}: packet count = packets received before it`);
    t.equal(sr.octetCount, before.length * 200, `${label}: octet count = payload bytes`);
    arrivals.splice(0, srIdx + 1);
    return sr;
  };
  const sr1 = check('from the last packet', (last, s) => last.ts + (s.at - last.at) * 90);
  t.ok(Math.abs(Number(sr1.ntp >> 32n) - 2208988800 - Date.now() / 1000) < 5, 'NTP time is the wall clock');

  // The publisher's own SR, deliberately 1 s (90000 ticks) ahead of its
  // packets: from now on the agent maps through it, shifted into the
  // subscriber's timestamp space (here the same: the first source).
  const pubSr: SenderReportFields = { ssrc: 4444, ntp: ntpFromMs(Date.now()), rtpTimestamp: ts0 + i * 2700 + 90000, packetCount: i, octetCount: 0 };
  const pubSrAt = performance.now();
  await sender.send(buildSr(pubSr), pub.port);
  arrivals.length = 0;
  await pace(() => arrivals.some((x) => isSr(x.b)), 4000);
  const srAt = arrivals.find((x) => isSr(x.b))!;
  const sr2 = findSrs(srAt.b)[0]!;
  const want2 = pubSr.rtpTimestamp + (srAt.at - pubSrAt) * 90;
  const diff2 = ((sr2.rtpTimestamp - want2) | 0) / 90;
  t.ok(Math.abs(diff2) < 25, `mapped through the publisher's SR: within ${diff2.toFixed(1)} ms`);

  // The subscriber reports: 7 lost, fraction 64/256, jitter 900 ticks
  // (10 ms), and echoes the SR after holding it 50 ms.
  const srReceivedAt = Date.now();
  await sleep(150);
  const heldMs = 50;
  await sink.send(
    buildRr(77, {
      ssrc: 9999,
      fractionLost: 64,
      cumulativeLost: 7,
      highestSeq: 500 + i,
      jitter: 900,
      lsr: Number((sr2.ntp >> 16n) & 0xffffffffn),
      dlsr: Math.round(heldMs * 65.536),
    }),
    sub.port,
  );
  const elapsed = Date.now() - srReceivedAt;
  await waitFor(async () => (await n('getStats', {})).subscriptions[0].rrReceived === 1, 3000, 'RR read');
  const s = (await n('getStats', {})).subscriptions[0];
  t.ok(s.rtt >= elapsed - heldMs - 30 && s.rtt <= elapsed - heldMs + 60, `RTT ${s.rtt} ms = now - LSR - DLSR (about ${elapsed - heldMs})`);
  t.match(s, { fractionLost: 0.25, packetsLost: 7, jitter: 900, jitterMs: 10 });
  t.ok(s.srSent >= 3, `${s.srSent} SRs counted`);
  t.ok(s.bitrate > 0, `bitrate ${s.bitrate} bit/s`);
  const tr = (await n('getStats', {})).transports.find((x: { id: string }) => x.id === 'sub');
  t.equal(tr.rtt, s.rtt, 'the transport keeps the newest RTT');
});

t.test('a subscriber on another node thread: its SRs map through the publisher\'s SR, relayed by the ring', async (t) => {
  const nats = await startNats(t);
  const agent: Agent = await startAgent(t, testConfig({ NATS_URL: nats.url, WEBRTC_LISTEN_IP: '127.0.0.1', AGENT_PRERUN_NODES: '2' }));
  const nc = await natsClient(t, nats.url);
  const on = (nodeId: string) => (method: string, args: unknown) => request<any>(nc, agent.subjects.node(nodeId, method), args);
  const getNode = async (room: string, task: string) => (await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room, task })).nodeId;
  const idA = await getNode('roomA', 'pub');
  const idB = await getNode('roomB', 'sub');
  t.not(idA, idB, 'two nodes');
  const A = on(idA);
  const B = on(idB);
  const sender = await UdpPeer.open(t);
  const pub = await A('createPlainTransport', { transportId: 'pub', comedia: true });
  await A('publishTrack', { transportId: 'pub', trackId: 'cam', kind: 'video', ssrc: 6666 });
  const sink = await UdpPeer.open(t);
  await B('createPlainTransport', { transportId: 'subB' });
  await B('connectPlainTransport', { transportId: 'subB', ip: '127.0.0.1', port: sink.port });
  await B('subscribeTrack', { transportId: 'subB', trackId: 'cam', subscriptionId: 'sb' });
  const arrivals: Array<{ at: number; b: Buffer }> = [];
  sink.socket.on('message', (b) => arrivals.push({ at: performance.now(), b }));

  let i = 0;
  const ts0 = 777;
  const sendOne = () => sender.send(buildRtp({ ssrc: 6666, seq: 10 + i, ts: ts0 + 2700 * i++, pt: 96, payload: Buffer.alloc(100) }), pub.port);
  for (let k = 0; k < 10; k++) {
    await sendOne();
    await sleep(30);
  }
  // The publisher's SR, 2 s (180000 ticks) ahead of its packets: an SR from
  // node B that followed only the packets would be 2 s off.
  const pubSr: SenderReportFields = { ssrc: 6666, ntp: ntpFromMs(Date.now()), rtpTimestamp: ts0 + 2700 * i + 180000, packetCount: i, octetCount: 0 };
  const pubSrAt = performance.now();
  await sender.send(buildSr(pubSr), pub.port);
  await waitFor(async () => ((await B('getStats', {})).tracks as any[]).find((x) => x.id === 'cam').srReceived === 1, 3000, 'the SR relayed to node B');
  arrivals.length = 0;
  const end = Date.now() + 4000;
  while (!arrivals.some((x) => x.b[1] === 200) && Date.now() < end) {
    await sendOne();
    await sleep(30);
  }
  const srAt = arrivals.find((x) => x.b[1] === 200)!;
  t.ok(srAt, 'an SR from node B');
  const sr = findSrs(srAt.b)[0]!;
  const want = pubSr.rtpTimestamp + (srAt.at - pubSrAt) * 90;
  const diff = ((sr.rtpTimestamp - want) | 0) / 90;
  t.ok(Math.abs(diff) < 25, `mapped through the relayed SR: within ${diff.toFixed(1)} ms`);
});
