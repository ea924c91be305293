/**
 * Track ids are unique across the agent, atomically: concurrent publishes of
 * one id on two node threads (plain publishTrack, WebRTC publish operations
 * whose tracks are <transportId>-<mid>) over NATS against a real agent:
 * exactly one wins, the other is a 409 naming the field, and the id is free
 * again once the winner lets it go.
 */
import t, { type Test } from 'tap';
import { CallError } from '../helpers/agent';
import { controllerAgent, nextEvent } from '../helpers/webrtc';

async function twoNodes(t: Test) {
  const { nodeFor } = await controllerAgent(t, 'ids-ctl', { AGENT_PRERUN_NODES: '2' });
  const A = await nodeFor('room-a', 'x');
  const B = await nodeFor('room-b', 'x');
  return { A, B };
}

/** Both settled: which won, and the loser's error. */
async function race(a: Promise<unknown>, b: Promise<unknown>): Promise<{ won: Array<'a' | 'b'>; errors: CallError[] }> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  const won: Array<'a' | 'b'> = [];
  const errors: CallError[] = [];
  if (ra.status === 'fulfilled') won.push('a');
  else errors.push(ra.reason as CallError);
  if (rb.status === 'fulfilled') won.push('b');
  else errors.push(rb.reason as CallError);
  return { won, errors };
}

t.test('plain publishTrack of one id on two nodes at once: one wins, the other is a 409 naming trackId', async (t) => {
  const { A, B } = await twoNodes(t);
  await A('createPlainTransport', { transportId: 'pa' });
  await B('createPlainTransport', { transportId: 'pb' });
  for (let i = 0; i < 10; i++) {
    const id = `cam-${i}`;
    const r = await race(A('publishTrack', { transportId: 'pa', trackId: id, kind: 'video' }), B('publishTrack', { transportId: 'pb', trackId: id, kind: 'video' }));
    t.equal(r.won.length, 1, `${id}: exactly one publish succeeded`);
    t.match(r.errors, [{ code: 409, message: new RegExp(`^trackId: already exists on this agent: ${id}`) }]);
  }
  // Given back by unpublish: the other node may publish it now.
  const stats = await A('getStats', {});
  const onA = new Set(stats.tracks.map((x: { id: string }) => x.id));
  const id = 'cam-0';
  await (onA.has(id) ? A : B)('unpublishTrack', { trackId: id });
  t.same(await (onA.has(id) ? B : A)('publishTrack', { transportId: onA.has(id) ? 'pb' : 'pa', trackId: id, kind: 'video' }), { trackId: id }, 'free again after unpublish');
});

t.test('WebRTC publish operations claim <transportId>-<mid> on the agent: the same transport id and mid on another node is a 409', async (t) => {
  const { A, B } = await twoNodes(t);
  await A('createTransport', { transportId: 'tr', controller: 'ids-ctl' });
  await B('createTransport', { transportId: 'tr', controller: 'ids-ctl' });
  const publish = (operationId: string) => ({ operationId, connectionType: 'webrtc', options: { transportId: 'tr', tracks: [{ mid: '0', type: 'video' }], controller: 'ids-ctl' } });
  const r = await race(A('publish', publish('opA')), B('publish', publish('opB')));
  t.equal(r.won.length, 1, 'exactly one operation took tr-0');
  t.match(r.errors, [{ code: 409, message: /^options\.tracks\.0\.mid: track id tr-0 is already taken on this agent \(node / }]);
  const [winner, loser, winOp, loseOp] = r.won[0] === 'a' ? [A, B, 'opA', 'opB'] : [B, A, 'opB', 'opA'];

  // A plain track cannot take the operation's id, nor one of its simulcast layers.
  await loser('createPlainTransport', { transportId: 'plain' });
  await t.rejects(loser('publishTrack', { transportId: 'plain', trackId: 'tr-0', kind: 'video' }), { code: 409, message: /^trackId: / });
  await t.rejects(loser('publishTrack', { transportId: 'plain', trackId: 'tr-0:h', kind: 'video' }), { code: 409, message: /^trackId: / });
  t.same(await loser('publishTrack', { transportId: 'plain', trackId: 'tr-1', kind: 'video' }), { trackId: 'tr-1' }, 'another mid is free');
  await t.rejects(loser('publish', { ...publish(loseOp), options: { ...publish(loseOp).options, tracks: [{ mid: '1', type: 'video' }] } }), { code: 409, message: /track id tr-1 is already taken/ }, 'and a plain track blocks an operation the same way');

  // Given back by unpublish, then by destroyTransport.
  await winner('unpublish', { operationId: winOp });
  t.same(await loser('publish', publish(loseOp)), { ok: true }, 'free again after unpublish');
  await t.rejects(winner('publish', publish(winOp)), { code: 409 });
  await loser('destroyTransport', { transportId: 'tr' });
  t.same(await winner('publish', publish(winOp)), { ok: true }, 'free again after destroyTransport');
});

t.test('a failed publish gives its claim back', async (t) => {
  const { A } = await twoNodes(t);
  await t.rejects(A('publishTrack', { transportId: 'nope', trackId: 'x', kind: 'audio' }), { code: 404 });
  await t.rejects(A('publish', { operationId: 'o', connectionType: 'webrtc', options: { transportId: 'nope', tracks: [{ mid: '0', type: 'audio' }], controller: 'ids-ctl' } }), { code: 404 });
  await A('createPlainTransport', { transportId: 'nope' });
  t.same(await A('publishTrack', { transportId: 'nope', trackId: 'x', kind: 'audio' }), { trackId: 'x' });
  await A('createTransport', { transportId: 'w', controller: 'ids-ctl' });
  t.same(await A('publish', { operationId: 'o', connectionType: 'webrtc', options: { transportId: 'w', tracks: [{ mid: '0', type: 'audio' }], controller: 'ids-ctl' } }), { ok: true });
  t.same(await A('publish', { operationId: 'o2', connectionType: 'webrtc', options: { transportId: 'nope', tracks: [{ mid: '0', type: 'audio' }], controller: 'ids-ctl' } }).catch((e) => e.code), 404, 'a plain transport id is no WebRTC transport');
});

t.test('a transport that fails on its own (no ICE within the consent time) gives its claims back', async (t) => {
  const { events, nodeFor } = await controllerAgent(t, 'ids-ctl', { WEBRTC_CONSENT_TIMEOUT_MS: '2000' });
  const A = await nodeFor('room-a', 'x');
  const publish = { operationId: 'op', connectionType: 'webrtc', options: { transportId: 'gone', tracks: [{ mid: '0', type: 'video' }], controller: 'ids-ctl' } };
  await A('createTransport', { transportId: 'gone', controller: 'ids-ctl' });
  await A('publish', publish);
  await A('createPlainTransport', { transportId: 'plain' });
  await t.rejects(A('publishTrack', { transportId: 'plain', trackId: 'gone-0', kind: 'video' }), { code: 409 }, 'claimed while the operation lives');
  await nextEvent(events, 'onTransportProgress', (p) => p.transportId === 'gone' && p.status.type === 'failed', 'the transport fails (no ICE)');
  t.same(await A('publishTrack', { transportId: 'plain', trackId: 'gone-0', kind: 'video' }), { trackId: 'gone-0' }, 'the failed transport\'s id is free');
  await A('unpublishTrack', { trackId: 'gone-0' });
  t.same(await A('createTransport', { transportId: 'gone', controller: 'ids-ctl' }), { ok: true });
  t.same(await A('publish', publish), { ok: true }, 'the same transport id and mid again');
});
