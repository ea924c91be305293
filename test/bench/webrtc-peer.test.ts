/**
 * The fanout bench's WebRTC load client (bench/tools/webrtc_peer.cc) against
 * a real agent, a real nats-server and real UDP sockets on loopback: one
 * publisher and two subscribers negotiated through the OWT node API, ICE +
 * DTLS done by the client's own code, SRTP packets sent for a second and
 * decrypted at both sinks; a peer given a forged agent fingerprint must not
 * connect. If the client's STUN, DTLS or SRTP path breaks, the bench's SRTP
 * figures would be meaningless: this is what says they are not. The second
 * subscriber offers transport-cc and its sink peer returns feedback
 * (--twcc-ext, the fanout bench's `at`): the agent's estimator must get it.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JSONCodec } from 'nats';
import { natsClient, startNats } from '../helpers/nats';
import { request, startAgent, testConfig, waitFor } from '../helpers/agent';
import { Peer, peerTool } from '../helpers/webrtc-peer';

const json = JSONCodec();
const CONTROLLER = 'bench-ctl';
const SSRC = 0x5eed0001;

t.test('webrtc_peer: 1 publisher, 2 subscribers through the agent, SRTP decrypted at the sinks', async (t) => {
  const binDir = mkdtempSync(path.join(tmpdir(), 'wa-webrtc-peer-'));
  t.teardown(() => rmSync(binDir, { recursive: true, force: true }));
  const bin = peerTool.buildWebrtcPeer(binDir);

  const nats = await startNats(t);
  const agent = await startAgent(t, testConfig({ NATS_URL: nats.url, WEBRTC_LISTEN_IP: '127.0.0.1' }));
  const nc = await natsClient(t, nats.url);
  const progress: any[] = [];
  const sub = nc.subscribe(agent.subjects.controller(CONTROLLER, 'onTransportProgress'));
  void (async () => {
    for await (const m of sub) progress.push(json.decode(m.data));
  })();
  await nc.flush();
  const { nodeId } = await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room: 'r', task: 't' });
  const call = (method: string, args: unknown) => request(nc, agent.subjects.node(nodeId, method), args);
  const status = (tid: string, type: string) => progress.find((p) => p.transportId === tid && p.status.type === type);

  /** Transport + publish/subscribe + offer; the answer -> `peer` arguments. */
  const negotiate = async (tid: string, fingerprint: string, direction: 'sendonly' | 'recvonly', twccExt = 0) => {
    const ice = peerTool.iceCredentials();
    await call('createTransport', { transportId: tid, controller: CONTROLLER });
    const track = direction === 'sendonly' ? { mid: '0', type: 'video' } : { mid: '0', type: 'video', from: 'pub-0' };
    await call(direction === 'sendonly' ? 'publish' : 'subscribe', {
      operationId: `op-${tid}`,
      connectionType: 'webrtc',
      options: { transportId: tid, controller: CONTROLLER, tracks: [track] },
    });
    const sdp = peerTool.offerSdp({ ice, fingerprint, direction, ssrc: SSRC, twccExt });
    t.same(await call('onTransportSignaling', { transportId: tid, message: { type: 'offer', sdp } }), { ok: true }, `${tid}: offer taken`);
    await waitFor(() => !!status(tid, 'answer'), 10_000, `${tid} answer`);
    return peerTool.peerArgs(status(tid, 'answer').status.sdp, ice);
  };

  const pub = new Peer(bin, ['--role', 'pub', '--ssrc', String(SSRC), '--duration', '60']);
  const sink = new Peer(bin, ['--role', 'sink', '--peers', '2', '--late-ms', '1000', '--duration', '60', '--twcc-ext', '3']);
  t.teardown(() => {
    pub.stop();
    sink.stop();
  });
  const pready = await pub.next();
  const sready = await sink.next();
  t.match(pready.fingerprint, /^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/, 'the client prints its certificate fingerprint');
  t.equal(sready.ports.length, 2, 'one socket per subscriber peer');

  t.same(await pub.ask(`peer 0 ${await negotiate('pub', pready.fingerprint, 'sendonly')}`), { peer: true });
  const pc = await pub.ask('connect 8000', 15_000);
  t.match(pc, { connected: 1, peers: 1, failed: [] }, 'publisher: ICE and DTLS done');
  for (let i = 0; i < 2; i++) {
    t.same(await sink.ask(`peer ${i} ${await negotiate(`sub-${i}`, sready.fingerprint, 'recvonly', i === 1 ? 3 : 0)}`), { peer: true });
  }
  const sc = await sink.ask('connect 8000', 15_000);
  t.match(sc, { connected: 2, peers: 2, failed: [] }, 'both subscribers: ICE and DTLS done');
  await waitFor(() => ['pub', 'sub-0', 'sub-1'].every((id) => status(id, 'ready')), 5000, 'the agent reports the three transports ready');

  // The router holds new video subscribers back until a key frame, 3 s at
  // most, and these packets are none: wait the hold out.
  await new Promise((r) => setTimeout(r, 3200));
  // One second of SRTP at 500 packets/s; the sink counts what it decrypted.
  t.same(await sink.ask('expect 77'), { expect: 77 });
  const sent = await pub.ask('send 500 1 77', 10_000);
  t.ok(sent.sent >= 450, `publisher sent ${sent.sent} SRTP packets`);
  t.equal(sent.srtp_size, 1216, '1200-byte RTP + the 16-byte GCM tag');
  const r = await sink.ask('report 300 3000', 10_000);
  t.equal(r.bad, 0, 'nothing failed to decrypt or parse');
  t.same(r.srtp_failed, { auth_failed: 0, replay: 0, malformed: 0, too_short: 0, stream_limit: 0 });
  for (let i = 0; i < 2; i++) {
    t.ok(r.per_port[i] >= 0.98 * sent.sent, `sink peer ${i} decrypted ${r.per_port[i]} of ${sent.sent}`);
  }
  t.equal(r.seq_lost, 0, 'no gap in the generator sequence at either sink');
  t.ok(r.lat_us.n === r.received && r.lat_us.p50 > 0, `latency taken for every packet (p50 ${r.lat_us.p50} us)`);
  const stats = await call('getStats', {});
  t.match(stats.tracks.find((x: { id: string }) => x.id === 'pub-0'), { packets: sent.sent }, 'the agent decrypted every packet of the publisher');
  // transport-cc only towards sub-1: its packets numbered, the sink's
  // feedback read back and matched.
  t.equal(stats.transports.find((x: { id: string }) => x.id === 'sub-0').bwe, null, 'sub-0 did not offer transport-cc: no estimator');
  const bwe = stats.transports.find((x: { id: string }) => x.id === 'sub-1').bwe;
  t.ok(bwe.packetsNumbered >= sent.sent, `sub-1: ${bwe.packetsNumbered} packets numbered`);
  t.ok(bwe.feedback.received >= 5, `sub-1: ${bwe.feedback.received} feedback packets from the sink`);
  t.ok(bwe.feedback.packetsReceived >= 0.98 * sent.sent, `sub-1: ${bwe.feedback.packetsReceived} packets reported received`);
  t.equal(bwe.feedback.malformed + bwe.feedback.unknown, 0, 'every feedback parsed and about numbers the agent sent');

  // A forged agent fingerprint: DTLS must fail on the client's side.
  const bad = new Peer(bin, ['--role', 'sink', '--peers', '1', '--duration', '30']);
  t.teardown(() => bad.stop());
  const bready = await bad.next();
  const args = (await negotiate('sub-bad', bready.fingerprint, 'recvonly')).split(' ');
  args[6] = args[6]!.replace(/^[0-9A-F]/, (c) => (c === '0' ? '1' : '0'));
  t.same(await bad.ask(`peer 0 ${args.join(' ')}`), { peer: true });
  const bc = await bad.ask('connect 5000', 12_000);
  t.match(bc, { connected: 0, peers: 1, failed: [{ peer: 0, why: /DTLS failed: .*fingerprint/i }] }, 'a forged fingerprint does not connect');
});
