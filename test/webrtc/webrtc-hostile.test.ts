/**
 * Hostile datagrams on a node's WebRTC port, over real UDP against a real
 * agent: garbage, STUN for nobody, checks with a wrong password or a broken
 * FINGERPRINT, media and DTLS from addresses no check validated, SRTP before
 * any keys. Each is dropped (or answered with the right STUN error) and
 * counted where an operator looks (getStats), and the transport still
 * answers a good check afterwards. The STUN requests are built here from
 * RFC 5389/8445, independently of the agent's own code.
 */
import t from 'tap';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from '../helpers/agent';
import { buildRtp, UdpPeer } from '../helpers/rtp';
import { controllerAgent, nextEvent, type Call, type ControllerEvent } from '../helpers/webrtc';
import { bindingRequest, COOKIE } from '../helpers/stun';

const CONTROLLER = 'hostile-ctl';

/** The STUN response to `txid` among what `peer` received: its class and error code. */
function responseTo(peer: UdpPeer, txid: Buffer): { success: boolean; error?: number } | undefined {
  for (const m of peer.received) {
    if (m.length < 20 || m.readUInt32BE(4) !== COOKIE || !m.subarray(8, 20).equals(txid)) continue;
    const type = m.readUInt16BE(0);
    if (type === 0x0101) return { success: true };
    if (type !== 0x0111) continue;
    for (let p = 20; p + 4 <= m.length; ) {
      const at = m.readUInt16BE(p);
      const len = m.readUInt16BE(p + 2);
      if (at === 0x0009 && len >= 4) return { success: false, error: (m[p + 6]! & 0x07) * 100 + m[p + 7]! };
      p += 4 + len + ((4 - (len % 4)) % 4);
    }
    return { success: false };
  }
  return undefined;
}

/**
 * A transport answered for a recorded Chromium offer: its credentials and
 * port, read from the answer, and the STUN USERNAME a client would use.
 */
async function answeredTransport(on: Call, events: ControllerEvent[], id: string) {
  const offer = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'sdp', 'chromium-publish.sdp'), 'utf8');
  await on('createTransport', { transportId: id, controller: CONTROLLER });
  await on('publish', { operationId: `${id}-pub`, connectionType: 'webrtc', options: { transportId: id, controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video' }] } });
  await on('onTransportSignaling', { transportId: id, message: { type: 'offer', sdp: offer } });
  const answer = (await nextEvent(events, 'onTransportProgress', (p) => p.transportId === id && p.status.type === 'answer', 'answer')).status.sdp as string;
  const clientUfrag = /a=ice-ufrag:(\S+)/.exec(offer)![1]!;
  return {
    username: `${/a=ice-ufrag:(\S+)/.exec(answer)![1]}:${clientUfrag}`,
    password: /a=ice-pwd:(\S+)/.exec(answer)![1]!,
    port: Number(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host/.exec(answer)![1]),
    clientUfrag,
  };
}

t.test('hostile datagrams on the WebRTC port are dropped, answered as STUN says, and counted', async (t) => {
  const { events, nodeFor } = await controllerAgent(t, CONTROLLER);
  const on = await nodeFor('room-h', 'h');

  const { username, password: pwd, port, clientUfrag } = await answeredTransport(on, events, 'h');

  const stats = async () => {
    const s = await on('getStats', {});
    return { port: s.webrtcPort, transport: s.transports.find((x: { id: string }) => x.id === 'h') };
  };
  const before = await stats();
  t.equal(before.port.port, port, 'the port in the answer is the node\'s WebRTC port');

  const attacker = await UdpPeer.open(t);
  // Neither STUN, DTLS nor RTP (RFC 7983's first byte).
  await attacker.send(Buffer.from([0x55, 1, 2, 3, 4, 5, 6, 7]), port);
  // STUN for a ufrag nobody has.
  await attacker.send(bindingRequest({ username: `nobody:${clientUfrag}`, password: pwd }).packet, port);
  // Media and DTLS from an address no check validated.
  await attacker.send(buildRtp({ ssrc: 1, seq: 1, ts: 1, pt: 111, payload: Buffer.alloc(100) }), port);
  await attacker.send(Buffer.concat([Buffer.from([22, 0xfe, 0xfd]), crypto.randomBytes(60)]), port);
  // The right ufrag with the wrong password: 401, and no validation.
  const wrong = bindingRequest({ username, password: 'not-the-password-at-all', useCandidate: true });
  await attacker.send(wrong.packet, port);
  // A broken FINGERPRINT: not STUN at all (RFC 5389 §8), not answered.
  const broken = bindingRequest({ username, password: pwd, useCandidate: true, badFingerprint: true });
  await attacker.send(broken.packet, port);
  await waitFor(() => responseTo(attacker, wrong.txid) !== undefined, 3000, '401 for the wrong password');
  t.same(responseTo(attacker, wrong.txid), { success: false, error: 401 });
  await waitFor(async () => (await stats()).transport.stunDropped >= 1, 3000, 'broken fingerprint counted');
  t.equal(responseTo(attacker, broken.txid), undefined, 'no answer to a broken FINGERPRINT');
  // Still unvalidated: its RTP goes nowhere.
  await attacker.send(buildRtp({ ssrc: 1, seq: 2, ts: 2, pt: 111, payload: Buffer.alloc(100) }), port);

  await waitFor(async () => (await stats()).port.unknownTuple >= before.port.unknownTuple + 3, 3000, 'drops counted');
  const mid = await stats();
  t.match(mid.port, { notWebrtc: before.port.notWebrtc + 1, unknownUfrag: before.port.unknownUfrag + 1, unknownTuple: before.port.unknownTuple + 3 });
  t.match(mid.transport, { iceState: 'new', stunOk: 0, stunRejected: 1, stunDropped: 1, remote: null });

  // A good check: 200, the address is validated and selected.
  const good = bindingRequest({ username, password: pwd, useCandidate: true });
  await attacker.send(good.packet, port);
  await waitFor(() => responseTo(attacker, good.txid) !== undefined, 3000, 'answer to a good check');
  t.same(responseTo(attacker, good.txid), { success: true });
  // SRTP before any DTLS keys, and DTLS garbage from the validated address.
  await attacker.send(buildRtp({ ssrc: 1, seq: 3, ts: 3, pt: 111, payload: Buffer.alloc(100) }), port);
  for (let i = 0; i < 5; i++) await attacker.send(Buffer.concat([Buffer.from([22, 0xfe, 0xfd]), crypto.randomBytes(80)]), port);
  await waitFor(async () => (await stats()).transport.dtlsIn >= 5, 3000, 'DTLS records reached the transport');
  const after = await stats();
  t.match(after.transport, { iceState: 'connected', stunOk: 1, remote: { ip: '127.0.0.1', port: attacker.port }, drops: { beforeKeys: 1 } });
  t.not(after.transport.dtlsState, 'connected', 'garbage never completes a handshake');
  t.equal(after.transport.rtpIn, 0, 'no RTP was taken from anyone');

  // The node is none the worse: the transport answers the next check, and
  // the node answers requests.
  const again = bindingRequest({ username, password: pwd });
  await attacker.send(again.packet, port);
  await waitFor(() => responseTo(attacker, again.txid) !== undefined, 3000, 'still answering');
  t.same(responseTo(attacker, again.txid), { success: true });
  const closed = await on('destroyTransport', { transportId: 'h' });
  t.same([...closed.removed.tracks].sort(), ['h-0', 'h-1']);
});

t.test('a 5-tuple bound by a check goes with its ICE pair: expired pairs are pruned from the port\'s table and counted', async (t) => {
  // Consent at its shortest (2 s), so a pair nobody checks expires quickly.
  const { events, nodeFor } = await controllerAgent(t, CONTROLLER, { WEBRTC_CONSENT_TIMEOUT_MS: '2000' });
  const on = await nodeFor('room-p', 'p');
  const { username, password, port } = await answeredTransport(on, events, 'p');
  const tuples = async () => (await on('dump', {})).media.webrtcTuples as number;

  // Three addresses pass a check; the first is nominated and kept alive.
  const peers = [await UdpPeer.open(t), await UdpPeer.open(t), await UdpPeer.open(t)];
  for (const [i, p] of peers.entries()) {
    const check = bindingRequest({ username, password, useCandidate: i === 0 });
    await p.send(check.packet, port);
    await waitFor(() => responseTo(p, check.txid)?.success === true, 3000, `check ${i} answered`);
  }
  t.equal(await tuples(), 3, 'three 5-tuples bound');
  const keepAlive = setInterval(() => void peers[0]!.send(bindingRequest({ username, password }).packet, port), 300);
  t.teardown(() => clearInterval(keepAlive));
  await waitFor(async () => (await tuples()) === 1, 8000, 'the two unchecked pairs pruned');
  const s = await on('getStats', {});
  t.equal(s.webrtcPort.tuplesPruned, 2, 'the pruning is counted');
  t.match(s.transports.find((x: { id: string }) => x.id === 'p'), { iceState: 'connected', remote: { port: peers[0]!.port } }, 'the selected pair stays');
  clearInterval(keepAlive);
  await on('destroyTransport', { transportId: 'p' });
  t.equal(await tuples(), 0);
});
