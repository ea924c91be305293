/**
 * Audio levels on plain RTP, over real UDP: the RFC 6464 byte read per
 * packet (getStats), and silence dropped for the subscriber that asks,
 * with its numbering continuous across what was dropped.
 */
import t from 'tap';
import { natsClient, startNats } from '../helpers/nats';
import { request, startAgent, testConfig, waitFor } from '../helpers/agent';
import { UdpPeer } from '../helpers/rtp';

/** An Opus-like packet with a one-byte header extension: id 1, the audio level (V flag set when loud). */
function levelPacket(seq: number, ts: number, level: number): Buffer {
  const b = Buffer.alloc(12 + 8 + 40, 0x11);
  b[0] = 0x90; // version 2, X
  b[1] = 111;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(ts >>> 0, 4);
  b.writeUInt32BE(555, 8);
  b.writeUInt16BE(0xbede, 12);
  b.writeUInt16BE(1, 14);
  b[16] = (1 << 4) | 0; // id 1, one byte
  b[17] = (level < 127 ? 0x80 : 0) | level;
  b[18] = 0;
  b[19] = 0;
  return b;
}

t.test('levels are read per packet; silence is dropped for who asked, numbering continuous', async (t) => {
  const nats = await startNats(t);
  const agent = await startAgent(t, testConfig({ NATS_URL: nats.url }));
  const nc = await natsClient(t, nats.url);
  const { nodeId } = await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room: 'r', task: 'a' });
  const n = (method: string, args: unknown) => request(nc, agent.subjects.node(nodeId, method), args);

  const pub = await n('createPlainTransport', { transportId: 'pub' });
  await t.rejects(n('publishTrack', { transportId: 'pub', trackId: 'v', kind: 'video', audioLevelExt: 1 }), { code: 400, message: /audioLevelExt/ }, 'audio only');
  await t.rejects(n('publishTrack', { transportId: 'pub', trackId: 'm', kind: 'audio', audioLevelExt: 0 }), { code: 400, message: /audioLevelExt/ });
  await n('publishTrack', { transportId: 'pub', trackId: 'mic', kind: 'audio', ssrc: 555, payloadType: 111, audioLevelExt: 1 });
  const sinks = [await UdpPeer.open(t), await UdpPeer.open(t)];
  for (const [i, sink] of sinks.entries()) {
    await n('createPlainTransport', { transportId: `sub${i}` });
    await n('connectPlainTransport', { transportId: `sub${i}`, ip: '127.0.0.1', port: sink.port });
    await n('subscribeTrack', { transportId: `sub${i}`, trackId: 'mic', subscriptionId: `s${i}`, ...(i === 0 ? { dropSilence: true } : {}) });
  }
  const sender = await UdpPeer.open(t);
  // 20 packets of speech, 30 of silence, 20 of speech, 5 ms apart.
  const levels = [...Array(20).fill(20), ...Array(30).fill(127), ...Array(20).fill(20)] as number[];
  for (const [i, level] of levels.entries()) {
    await sender.send(levelPacket(65520 + i, 1000 + i * 960, level), pub.port);
    await new Promise((r) => setTimeout(r, 5));
  }
  await waitFor(() => sinks[1]!.rtp().length === 70 && sinks[0]!.rtp().length === 40, 5000, 'all but the silence at the dropping subscriber');
  const dropping = sinks[0]!.rtp();
  t.ok(dropping.every((p, k) => k === 0 || p.seq === ((dropping[k - 1]!.seq + 1) & 0xffff)), 'its numbering goes on by one across the dropped silence (and the wrap)');
  t.ok(dropping.every((p, k) => k === 0 || ((p.ts - dropping[k - 1]!.ts) >>> 0) > 0), 'its timestamps move forward');
  const gap = (dropping[20]!.ts - dropping[19]!.ts) >>> 0;
  t.ok(gap >= 960, `the silence shows as a pause in time (${gap} ticks)`);
  t.same(sinks[1]!.rtp().map((p) => p.seq), levels.map((_, i) => (65520 + i) & 0xffff), 'the other subscriber gets everything');

  const stats = await n('getStats', {});
  const track = stats.tracks.find((x: { id: string }) => x.id === 'mic');
  t.match(track.audioLevel, { packets: 70, silent: 30, voice: 40, missing: 0, lastLevel: 20 });
  t.ok(track.audioLevel.level >= 20 && track.audioLevel.level < 30, `smoothed level back near speech: ${track.audioLevel.level}`);
  t.match(stats.subscriptions.find((x: { id: string }) => x.id === 's0'), { dropSilence: true, silenceDropped: 30, packets: 40 });
  t.match(stats.subscriptions.find((x: { id: string }) => x.id === 's1'), { dropSilence: false, silenceDropped: 0, packets: 70 });
});

t.test('a room spilled over two node threads: silence is dropped on the far thread too', async (t) => {
  const nats = await startNats(t);
  const agent = await startAgent(t, testConfig({ NATS_URL: nats.url, AGENT_MAX_TASKS_PER_NODE: '1' }));
  const nc = await natsClient(t, nats.url);
  const nodeOf = async (task: string) => (await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room: 'r', task })).nodeId;
  const [home, far] = [await nodeOf('pub'), await nodeOf('sub')];
  t.not(far, home, 'the subscriber is on another node thread');
  const A = (method: string, args: unknown) => request(nc, agent.subjects.node(home, method), args);
  const B = (method: string, args: unknown) => request(nc, agent.subjects.node(far, method), args);
  const pub = await A('createPlainTransport', { transportId: 'pub' });
  await A('publishTrack', { transportId: 'pub', trackId: 'mic', kind: 'audio', ssrc: 555, payloadType: 111, audioLevelExt: 1 });
  const sink = await UdpPeer.open(t);
  await B('createPlainTransport', { transportId: 'sub' });
  await B('connectPlainTransport', { transportId: 'sub', ip: '127.0.0.1', port: sink.port });
  await B('subscribeTrack', { transportId: 'sub', trackId: 'mic', subscriptionId: 's', dropSilence: true });
  const sender = await UdpPeer.open(t);
  const levels = [...Array(10).fill(20), ...Array(15).fill(127), ...Array(10).fill(20)] as number[];
  for (const [i, level] of levels.entries()) {
    await sender.send(levelPacket(100 + i, 1000 + i * 960, level), pub.port);
    await new Promise((r) => setTimeout(r, 5));
  }
  await waitFor(async () => (await B('getStats', {})).subscriptions[0]?.packets === 20, 5000, 'the speech crossed the ring');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(sink.rtp().length, 20, 'only the speech reached the far subscriber');
  t.match((await B('getStats', {})).subscriptions[0], { dropSilence: true, silenceDropped: 15, packets: 20 });
});
