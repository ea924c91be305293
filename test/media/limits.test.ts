/**
 * Per-node caps (agent.max*PerNode) over NATS against a real agent: beyond
 * each, the call is a 503 whose message names the config key; what was
 * refused leaves nothing behind, and room made by an end is usable again.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { controllerAgent } from '../helpers/webrtc';

const fixture = (name: string) => readFileSync(path.join(__dirname, '../fixtures/sdp', name), 'utf8');

t.test('transports, tracks, subscriptions and operations are capped per node with a 503 naming the key', async (t) => {
  const { nodeFor } = await controllerAgent(t, 'caps-ctl', {
    AGENT_MAX_TRANSPORTS_PER_NODE: '2',
    AGENT_MAX_TRACKS_PER_NODE: '2',
    AGENT_MAX_SUBSCRIPTIONS_PER_NODE: '1',
    AGENT_MAX_OPERATIONS_PER_NODE: '1',
  });
  const n = await nodeFor('room', 'task');

  await n('createPlainTransport', { transportId: 'a' });
  await n('createPlainTransport', { transportId: 'b' });
  await t.rejects(n('createPlainTransport', { transportId: 'c' }), { code: 503, message: /^agent\.maxTransportsPerNode: the node holds 2 transports of at most 2/ });
  await t.rejects(n('createTransport', { transportId: 'w', controller: 'caps-ctl' }), { code: 503, message: /^agent\.maxTransportsPerNode: / }, 'WebRTC transports count too');

  await n('publishTrack', { transportId: 'a', trackId: 't1', kind: 'video' });
  await n('publishTrack', { transportId: 'a', trackId: 't2', kind: 'audio' });
  await t.rejects(n('publishTrack', { transportId: 'a', trackId: 't3', kind: 'video' }), { code: 503, message: /^agent\.maxTracksPerNode: / });

  await n('subscribeTrack', { transportId: 'b', trackId: 't1', subscriptionId: 's1' });
  await t.rejects(n('subscribeTrack', { transportId: 'b', trackId: 't2', subscriptionId: 's2' }), { code: 503, message: /^agent\.maxSubscriptionsPerNode: / });

  const stats = await n('getStats', {});
  t.same([stats.transports.length, stats.tracks.length, stats.subscriptions.length], [2, 2, 1], 'nothing refused was made');

  // Room made by an end is room again; the refused track id was not kept either.
  await n('unpublishTrack', { trackId: 't2' });
  t.same(await n('publishTrack', { transportId: 'a', trackId: 't3', kind: 'video' }), { trackId: 't3' });
  await n('destroyTransport', { transportId: 'b' });
  t.same(await n('createTransport', { transportId: 'w', controller: 'caps-ctl' }), { ok: true });

  const op = (operationId: string, mid: string) => ({ operationId, connectionType: 'webrtc', options: { transportId: 'w', tracks: [{ mid, type: 'video' }], controller: 'caps-ctl' } });
  t.same(await n('publish', op('op1', '0')), { ok: true });
  await t.rejects(n('publish', op('op2', '1')), { code: 503, message: /^agent\.maxOperationsPerNode: the node holds 1 operations of at most 1/ });

  // An offer whose simulcast layers (3 tracks) would go over the track cap: 503, nothing set up.
  await n('unpublishTrack', { trackId: 't3' });
  const r = await n('onTransportSignaling', { transportId: 'w', message: { type: 'offer', sdp: fixture('chromium-simulcast.sdp') } }).catch((e) => e);
  t.match(r, { code: 503, message: /^agent\.maxTracksPerNode: the node holds 1 tracks of at most 2/ }, 'three layers do not fit in one free track');
  t.same((await n('getStats', {})).tracks.map((x: { id: string }) => x.id), ['t1'], 'no layer of the refused offer stayed');
});
