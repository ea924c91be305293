/**
 * A room of 33 of the repo's own WebRTC peers (bench/tools/webrtc_peer.cc:
 * real ICE, DTLS and SRTP) over two node threads: 3 publishers and 30
 * subscribers, each subscribing to one publisher, placed by getNode with
 * agent.maxTasksPerNode = 17 so the room spills onto a second node thread
 * (tracks reach it through the shared-memory rings). Every subscriber must
 * receive and decrypt what it subscribed to, and nothing else.
 */
import t from 'tap';
import { request, waitFor } from '../helpers/agent';
import { Peer, peerAgent, peerTool } from '../helpers/webrtc-peer';

const CONTROLLER = 'room-ctl';
const PUBLISHERS = 3;
const SUBSCRIBERS = 30;

t.test('a room of 33 WebRTC peers over two node threads: each receives what it subscribed to', async (t) => {
  const { bin, agent, nc, status } = await peerAgent(t, CONTROLLER, { AGENT_MAX_TASKS_PER_NODE: '17' });
  const nodeOf = new Map<string, string>();
  const call = (tid: string, method: string, args: unknown) => request(nc, agent.subjects.node(nodeOf.get(tid)!, method), args);

  /** A participant: its node (getNode), transport, operation and offer; the answer -> `peer` arguments. */
  const join = async (tid: string, fingerprint: string, from?: string, ssrc?: number): Promise<string> => {
    const { nodeId } = await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room: 'big-room', task: tid });
    nodeOf.set(tid, nodeId);
    const ice = peerTool.iceCredentials();
    await call(tid, 'createTransport', { transportId: tid, controller: CONTROLLER });
    await call(tid, from ? 'subscribe' : 'publish', {
      operationId: `op-${tid}`,
      connectionType: 'webrtc',
      options: { transportId: tid, controller: CONTROLLER, owner: tid, tracks: [from ? { mid: '0', type: 'video', from } : { mid: '0', type: 'video' }] },
    });
    const sdp = peerTool.offerSdp({ ice, fingerprint, direction: from ? 'recvonly' : 'sendonly', ...(ssrc ? { ssrc } : {}) });
    await call(tid, 'onTransportSignaling', { transportId: tid, message: { type: 'offer', sdp } });
    await waitFor(() => !!status(tid, 'answer'), 10_000, `${tid} answer`);
    return peerTool.peerArgs(status(tid, 'answer').status.sdp, ice);
  };

  const pubs: Peer[] = [];
  for (let i = 0; i < PUBLISHERS; i++) {
    const p = new Peer(bin, ['--role', 'pub', '--ssrc', String(0x5eed0001 + i), '--duration', '60']);
    t.teardown(() => p.stop());
    const ready = await p.next();
    t.same(await p.ask(`peer 0 ${await join(`p${i}`, ready.fingerprint, undefined, 0x5eed0001 + i)}`), { peer: true });
    t.match(await p.ask('connect 8000', 15_000), { connected: 1, failed: [] }, `publisher p${i} connected`);
    pubs.push(p);
  }
  const sink = new Peer(bin, ['--role', 'sink', '--peers', String(SUBSCRIBERS), '--late-ms', '1000', '--duration', '60']);
  t.teardown(() => sink.stop());
  const sready = await sink.next();
  t.equal(sready.ports.length, SUBSCRIBERS);
  for (let i = 0; i < SUBSCRIBERS; i++) {
    t.same(await sink.ask(`peer ${i} ${await join(`s${i}`, sready.fingerprint, `p${i % PUBLISHERS}-0`)}`), { peer: true });
  }
  t.match(await sink.ask('connect 10000', 20_000), { connected: SUBSCRIBERS, peers: SUBSCRIBERS, failed: [] }, 'all 30 subscribers: ICE and DTLS done');
  const nodes = [...new Set(nodeOf.values())];
  t.equal(nodes.length, 2, `the room spans two node threads (${nodes.join(', ')})`);
  const subsOn = (n: string) => [...nodeOf].filter(([tid, id]) => tid.startsWith('s') && id === n).length;
  t.ok(nodes.every((n) => subsOn(n) > 0), `subscribers on both: ${nodes.map(subsOn).join(' + ')}`);

  // New video subscribers are held until a key frame (3 s at most); these packets are none.
  await new Promise((r) => setTimeout(r, 3200));
  t.same(await sink.ask('expect 91'), { expect: 91 });
  const sent = await Promise.all(pubs.map((p) => p.ask('send 200 1 91', 10_000)));
  const r = await sink.ask('report 300 3000', 10_000);
  t.equal(r.bad, 0, 'nothing failed to decrypt or parse');
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const want = sent[i % PUBLISHERS].sent;
    t.ok(r.per_port[i] >= 0.98 * want && r.per_port[i] <= want, `s${i} (node ${nodeOf.get(`s${i}`)}) decrypted ${r.per_port[i]} of p${i % PUBLISHERS}'s ${want}`);
  }
  t.equal(r.seq_lost, 0, 'no gap in any stream');
  // Tracks crossed between the threads through the rings.
  const stats = await Promise.all(nodes.map((n) => request<any>(nc, agent.subjects.node(n, 'getStats'), {})));
  const ringRecords = stats.flatMap((s) => s.peers).reduce((a: number, p: any) => a + p.inRecords, 0);
  t.ok(ringRecords > 0, `packets crossed node threads through the rings (${ringRecords})`);
});
