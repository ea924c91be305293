/**
 * createLayerStreams over NATS (OWT's SVC call): its payload checked with
 * a 400 naming the field, an unknown track a 404, the ids of a VP9
 * publication's layers (from its scalabilityMode) and of a simulcast
 * publication's (its layer tracks), the same ids when asked again, and
 * those ids taken by subscribe as `from`: an SVC subscription up to that
 * layer, or pinned at it with enableBWE false. Publications are answered
 * for recorded Chromium offers; no media flows (chromium-svc.test.ts
 * decodes a layer stream from a real publisher).
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { request } from '../helpers/agent';
import { controllerAgent, nextEvent, type Call, type ControllerEvent } from '../helpers/webrtc';
import { layersOfMode, parseLayerStreamId, planLayerStreams } from '../../src/node/webrtc/layerStreams';

const CONTROLLER = 'ls-ctl';
const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'sdp', name), 'utf8');

async function answered(on: Call, events: ControllerEvent[], transportId: string, sdp: string): Promise<void> {
  await on('onTransportSignaling', { transportId, message: { type: 'offer', sdp } });
  await nextEvent(events, 'onTransportProgress', (p) => p.transportId === transportId && p.status.type === 'answer', `${transportId} answered`);
}

async function publish(on: Call, events: ControllerEvent[], transportId: string, video: Record<string, unknown>, sdp = fixture('chromium-publish.sdp'), mid = '1'): Promise<void> {
  await on('createTransport', { transportId, controller: CONTROLLER });
  await on('publish', { operationId: `${transportId}-pub`, connectionType: 'webrtc', options: { transportId, controller: CONTROLLER, tracks: [{ mid, type: 'video', ...video }] } });
  await answered(on, events, transportId, sdp);
}

t.test('layer stream ids and counts (pure)', async (t) => {
  t.same(layersOfMode('L3T3_KEY'), { spatial: 3, temporal: 3 });
  t.same(layersOfMode('L1T2'), { spatial: 1, temporal: 2 });
  t.same(layersOfMode('S2T3h'), { spatial: 2, temporal: 3 });
  t.equal(layersOfMode('L3T3_NOPE'), undefined);
  t.equal(layersOfMode(undefined), undefined);
  t.same(parseLayerStreamId('p-1:l2t0'), { base: 'p-1', spatial: 2, temporal: 0 });
  t.same(parseLayerStreamId('a:b-1:t1'), { base: 'a:b-1', temporal: 1 });
  for (const id of ['p-1', 'p-1:q', 'p-1:', 'p-1:l4', 'p-1:lt', ':l0']) t.equal(parseLayerStreamId(id), undefined, id);
  t.same(planLayerStreams({ spatial: true, temporal: 1 }, { spatial: 2, temporal: 3 }, 'x'), [{ spatial: 0, temporal: 1 }, { spatial: 1, temporal: 1 }]);
  t.same(planLayerStreams({ spatial: -1, temporal: 2 }, {}, 'x'), [{ temporal: 2 }]);
});

t.test('createLayerStreams: validation, unknown track, ids, and subscribe taking them', async (t) => {
  const { events, nodeFor } = await controllerAgent(t, CONTROLLER, { WEBRTC_LISTEN_IP: '127.0.0.1' });
  const on = await nodeFor('room-ls', 'x');
  const create = (args: Record<string, unknown>) => on('createLayerStreams', args);

  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{}, /^trackId: /],
    [{ trackId: 'a b', spatial: true }, /^trackId: /],
    [{ trackId: 'v9-1', spatial: 'yes' }, /^spatial: must be true, false or a layer id 0\.\.3/],
    [{ trackId: 'v9-1', temporal: 4 }, /^temporal: /],
    [{ trackId: 'v9-1', spatial: 1.5 }, /^spatial: /],
    [{ trackId: 'v9-1', spatial: true, extra: 1 }, /^extra: unknown field/],
  ];
  for (const [args, re] of bad) await t.rejects(create(args), { code: 400, message: re }, `${JSON.stringify(args)}: ${re}`);
  await t.rejects(create({ trackId: 'nope-1', spatial: true }), { code: 404, message: /^trackId: no track nope-1 on this node/ });

  await publish(on, events, 'v9', { formatPreference: { preferred: { codec: 'vp9' } }, scalabilityMode: 'L3T3_KEY' });
  await publish(on, events, 'bare', { formatPreference: { preferred: { codec: 'vp9' } } });
  await publish(on, events, 'v8', { formatPreference: { preferred: { codec: 'vp8' } } });
  await publish(on, events, 'sc', { formatPreference: { preferred: { codec: 'vp8' } } }, fixture('chromium-simulcast.sdp'), '0');

  // VP9 with scalabilityMode L3T3_KEY: per spatial layer, per temporal layer, one layer.
  t.same(await create({ trackId: 'v9-1', spatial: true, temporal: false }), { ok: true, ids: ['v9-1:l0', 'v9-1:l1', 'v9-1:l2'] });
  t.same(await create({ trackId: 'v9-1', spatial: false, temporal: true }), { ok: true, ids: ['v9-1:t0', 'v9-1:t1', 'v9-1:t2'] });
  t.same(await create({ trackId: 'v9-1', spatial: 1, temporal: 0 }), { ok: true, ids: ['v9-1:l1t0'] });
  t.same(await create({ trackId: 'v9-1', spatial: 2, temporal: -1 }), { ok: true, ids: ['v9-1:l2'] });
  t.same(await create({ trackId: 'v9-1', spatial: true, temporal: 1 }), { ok: true, ids: ['v9-1:l0t1', 'v9-1:l1t1', 'v9-1:l2t1'] });
  // Get-or-create: the same layer, the same id.
  t.same(await create({ trackId: 'v9-1', spatial: true }), { ok: true, ids: ['v9-1:l0', 'v9-1:l1', 'v9-1:l2'] });
  await t.rejects(create({ trackId: 'v9-1', spatial: 3 }), { code: 400, message: /^spatial: no spatial layer 3 in v9-1 \(scalabilityMode L3T3_KEY\)/ });
  await t.rejects(create({ trackId: 'v9-1', spatial: true, temporal: true }), { code: 400, message: /^temporal: one dimension at a time/ });
  await t.rejects(create({ trackId: 'v9-1', spatial: -1, temporal: false }), { code: 400, message: /^spatial: name a layer/ });
  // No scalabilityMode: one layer by its id works, "each layer" cannot be counted.
  t.same(await create({ trackId: 'bare-1', spatial: 0 }), { ok: true, ids: ['bare-1:l0'] });
  await t.rejects(create({ trackId: 'bare-1', spatial: true }), { code: 400, message: /^spatial: the number of spatial layers of bare-1 is not known \(publish it with scalabilityMode/ });
  // Not layered; a simulcast publication's layer streams are its layer tracks.
  await t.rejects(create({ trackId: 'v8-1', spatial: true }), { code: 400, message: /^trackId: v8-1 is not a layered publication/ });
  t.same(await create({ trackId: 'sc-0', spatial: true }), { ok: true, ids: ['sc-0:q', 'sc-0:h', 'sc-0:f'] });
  t.same(await create({ trackId: 'sc-0', spatial: 1 }), { ok: true, ids: ['sc-0:h'] });
  await t.rejects(create({ trackId: 'sc-0', temporal: true }), { code: 400, message: /^temporal: sc-0 is a simulcast publication/ });
  await t.rejects(create({ trackId: 'sc-0', spatial: 3 }), { code: 400, message: /^spatial: no spatial layer 3 in sc-0 \(simulcast, 3 layers\)/ });

  // subscribe takes the ids as `from`: an SVC subscription of v9-1 up to
  // (enableBWE) or pinned at (enableBWE false) the layer named.
  const subscribe = async (transportId: string, from: string, enableBWE?: boolean) => {
    await on('createTransport', { transportId, controller: CONTROLLER });
    await on('subscribe', {
      operationId: `${transportId}-sub`,
      connectionType: 'webrtc',
      options: { transportId, controller: CONTROLLER, ...(enableBWE !== undefined ? { enableBWE } : {}), tracks: [{ mid: '1', type: 'video', from }] },
    });
    await answered(on, events, transportId, fixture('chromium-subscribe.sdp'));
    return (await on('getStats', {})).subscriptions.find((s: { id: string }) => s.id === `${transportId}-1`);
  };
  const ceil = await subscribe('s1', 'v9-1:l1t0');
  t.match(ceil, { trackId: 'v9-1', layers: { svc: true, adaptive: true, ceiling: 1, tracks: ['v9-1'], maxTemporal: 0 } }, 'l1t0 with enableBWE: layers up to spatial 1, temporal 0');
  const pinned = await subscribe('s2', 'v9-1:l0', false);
  t.match(pinned, { layers: { svc: true, adaptive: false, ceiling: 0, maxTemporal: null } }, 'l0 with enableBWE false: pinned');
  const temporal = await subscribe('s3', 'v9-1:t1', false);
  t.match(temporal, { layers: { adaptive: false, ceiling: 7, maxTemporal: 1 } }, 't1 pinned: every spatial layer, temporal 1');
  // The temporal layer stays a ceiling under the controller's preferences.
  t.same(await on('setLayerPreference', { operationId: 's1-sub', maxTemporalLayer: 2, maxSpatialLayer: 0 }), { ok: true });
  const after = (await on('getStats', {})).subscriptions.find((s: { id: string }) => s.id === 's1-1');
  t.match(after.layers, { maxTemporal: 0, maxSpatial: 0 });
  await t.rejects(on('setLayerPreference', { operationId: 's2-sub', maxSpatialLayer: 0 }), { code: 400, message: /^operationId: / }, 'a pinned layer stream takes no preferences');
  // A layer the scalabilityMode does not have, or a layer stream of a track that is not here: 404 naming from.
  await on('createTransport', { transportId: 's4', controller: CONTROLLER });
  const sub = (from: string) => on('subscribe', { operationId: `s4-${from}`, connectionType: 'webrtc', options: { transportId: 's4', controller: CONTROLLER, tracks: [{ mid: '1', type: 'video', from }] } });
  await t.rejects(sub('v9-1:l3'), { code: 404, message: /^options\.tracks\.0\.from: no layer stream v9-1:l3: v9-1 has 3 spatial layers/ });
  await t.rejects(sub('gone-1:l0'), { code: 404, message: /^options\.tracks\.0\.from: no track gone-1:l0/ });
  await t.rejects(sub('v8-1:l0'), { code: 404, message: /^options\.tracks\.0\.from: no track v8-1:l0/ }, 'not VP9: no layer streams');

  // The track gone, its ids go with it (nothing is kept per id).
  await on('destroyTransport', { transportId: 'v9' });
  await t.rejects(create({ trackId: 'v9-1', spatial: true }), { code: 404 });
  for (const id of ['s1', 's2', 's3', 's4', 'bare', 'v8', 'sc']) await on('destroyTransport', { transportId: id });
});

t.test('a layer stream of a VP9 track on another node thread', async (t) => {
  const { nc, agent, events, nodeFor } = await controllerAgent(t, CONTROLLER, { WEBRTC_LISTEN_IP: '127.0.0.1', AGENT_MAX_NODES: '2', AGENT_PRERUN_NODES: '2' });
  const nodeId = async (room: string) => (await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room, task: 'x' })).nodeId;
  t.not(await nodeId('room-pub'), await nodeId('room-sub'), 'two node threads');
  const A = await nodeFor('room-pub', 'x');
  const B = await nodeFor('room-sub', 'x');
  await publish(A, events, 'v9', { formatPreference: { preferred: { codec: 'vp9' } }, scalabilityMode: 'L3T3_KEY' });
  // Asked of the publisher's node (as OWT's controller does), or of any other: the same ids.
  const { ids } = await A('createLayerStreams', { trackId: 'v9-1', spatial: true });
  t.same(await B('createLayerStreams', { trackId: 'v9-1', spatial: true }), { ok: true, ids }, 'the other node answers with the same ids (its home was asked)');
  await t.rejects(B('createLayerStreams', { trackId: 'v9-1', spatial: 3 }), { code: 400, message: /^spatial: no spatial layer 3 in v9-1 \(scalabilityMode L3T3_KEY\)/ });
  await t.rejects(B('createLayerStreams', { trackId: 'nope-1', spatial: true }), { code: 404, message: /^trackId: no track nope-1 on this node/ });
  await B('createTransport', { transportId: 's', controller: CONTROLLER });
  await B('subscribe', { operationId: 's-sub', connectionType: 'webrtc', options: { transportId: 's', controller: CONTROLLER, enableBWE: false, tracks: [{ mid: '1', type: 'video', from: ids[0] }] } });
  await answered(B, events, 's', fixture('chromium-subscribe.sdp'));
  const sub = ((await B('getStats', {})).subscriptions as Array<{ id: string }>).find((s) => s.id === 's-1');
  t.match(sub, { trackId: 'v9-1', layers: { svc: true, adaptive: false, ceiling: 0 } }, `${ids[0]} on the other node: pinned at spatial layer 0 of the stand-in`);
  const exported = ((await A('getStats', {})).tracks as Array<{ id: string; exports: number }>).find((x) => x.id === 'v9-1');
  t.equal(exported?.exports, 1, 'the VP9 track crossed to the subscriber node once');
  // The publication ends: the subscriber there is told.
  await A('destroyTransport', { transportId: 'v9' });
  await nextEvent(events, 'onTrackUpdate', (p) => p.transportId === 's' && p.update.type === 'track-removed' && p.update.trackId === 's-1', 's: track-removed');
  await B('destroyTransport', { transportId: 's' });
});
