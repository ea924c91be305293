/**
 * The WebRTC node API over NATS: payloads validated with a 400 naming the
 * field, unknown ids answered with a 404 (OWT never replies to an unknown
 * operationId), destroyTransport still closing plain transports.
 */
import t from 'tap';
import { natsClient, startNats } from '../helpers/nats';
import { request, startAgent, testConfig } from '../helpers/agent';

t.test('validation and unknown ids', async (t) => {
  const nats = await startNats(t);
  const agent = await startAgent(t, testConfig({ NATS_URL: nats.url, WEBRTC_LISTEN_IP: '127.0.0.1' }));
  const nc = await natsClient(t, nats.url);
  const { nodeId } = await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room: 'r', task: 't' });
  const n = (m: string, a: unknown) => request(nc, agent.subjects.node(nodeId, m), a);
  const track = { mid: '0', type: 'audio' };
  const pub = (options: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    operationId: 'op',
    connectionType: 'webrtc',
    options: { transportId: 'tr', controller: 'ctl', tracks: [track], ...options },
    ...extra,
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['createTransport', { transportId: 'tr' }, /^controller: /],
    ['createTransport', { transportId: 'tr', controller: 'a.b' }, /^controller: must be a subject token/],
    ['publish', pub({}, { connectionType: 'quic' }), /^connectionType: /],
    ['publish', pub({ tracks: [] }), /^options\.tracks: /],
    ['publish', pub({ tracks: [{ mid: '0', type: 'data' }] }), /^options\.tracks\.0\.type: /],
    ['publish', pub({ tracks: [{ mid: 'a b', type: 'audio' }] }), /^options\.tracks\.0\.mid: /],
    ['subscribe', pub({ tracks: [track] }), /^options\.tracks\.0\.from: /],
    ['onTransportSignaling', { transportId: 'tr', message: { type: 'pranswer', sdp: '' } }, /^message\.type: /],
    ['onTransportSignaling', { transportId: 'tr', message: { type: 'offer' } }, /^message\.sdp: /],
    ['unpublish', {}, /^operationId: /],
  ];
  for (const [method, args, re] of bad) await t.rejects(n(method, args), { code: 400, message: re }, `${method}: ${re}`);

  await t.rejects(n('publish', pub({})), { code: 404, message: /transport not found: tr/ });
  await t.rejects(n('unpublish', { operationId: 'nope' }), { code: 404 });
  await t.rejects(n('unsubscribe', { operationId: 'nope' }), { code: 404 });
  await t.rejects(n('onTransportSignaling', { transportId: 'nope', message: { type: 'candidate', candidate: { sdpMid: '0', sdpMLineIndex: 0, candidate: 'x' } } }), { code: 404 });
  await t.rejects(n('_setTrackFormat', { trackId: 'x', format: { name: 'VP8', clockRate: 90000, fmtp: {} } }), { code: 404 }, 'internal methods are not on NATS');

  t.same(await n('createTransport', { transportId: 'tr', controller: 'ctl' }), { ok: true });
  await t.rejects(n('createTransport', { transportId: 'tr', controller: 'ctl' }), { code: 409, message: /^transportId: already exists/ });
  t.same(await n('publish', pub({})), { ok: true });
  await t.rejects(n('onTransportSignaling', { transportId: 'tr', message: { type: 'offer', sdp: 'v=0\r\n' } }), { code: 400, message: /^sdp: / });
  t.same(await n('onTransportSignaling', { transportId: 'tr', message: { type: 'removed-candidates', candidates: [] } }), { ok: true });
  t.same(await n('unpublish', { operationId: 'op' }), { ok: true, removed: { tracks: [], subscriptions: [] } });
  t.same(await n('destroyTransport', { transportId: 'tr' }), { ok: true, removed: { tracks: [], subscriptions: [] } });
  await t.rejects(n('destroyTransport', { transportId: 'tr' }), { code: 404 });

  // plain transports still close through the same method; unpublishTrack still works
  await n('createPlainTransport', { transportId: 'plain' });
  await n('publishTrack', { transportId: 'plain', trackId: 'cam', kind: 'video' });
  t.same(await n('unpublishTrack', { trackId: 'cam' }), { ok: true, removed: { tracks: ['cam'], subscriptions: [] } });
  t.same(await n('destroyTransport', { transportId: 'plain' }), { ok: true, removed: { tracks: [], subscriptions: [] } });
});
