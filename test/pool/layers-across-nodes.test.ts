/**
 * Layered subscriptions to a simulcast publication on another node thread
 * of the agent (a pool of 2 node threads, a real agent over NATS, offers
 * from recorded Chromium SDP; no media: test/webrtc/chromium-xnode-layers
 * has the real streams). The LinkManager brings the layer tracks a
 * subscription reads into the subscriber's node over the ring links, once
 * per node, and hands each stand-in the publication's layer ids; the node
 * then serves the subscription as on the publisher's node:
 * - the whole publication with enableBWE: every layer, the top as ceiling;
 * - one layer with enableBWE: every layer, that one the ceiling;
 * - the whole publication, enableBWE false: the top layer alone, pinned.
 * The publication's end (its transport destroyed, or its node gone) tells
 * every subscriber (track-removed) and takes the stand-ins with it.
 */
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { request, waitFor } from '../helpers/agent';
import { controllerAgent, nextEvent, type Call } from '../helpers/webrtc';

const CONTROLLER = 'xlayers-ctl';
const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'sdp', name), 'utf8');

/** A pool of 2 node threads; the recorded Chromium simulcast offer (p-0:q, p-0:h, p-0:f) published on A. */
async function scene(t: Test) {
  const { nc, agent, events, nodeFor } = await controllerAgent(t, CONTROLLER, { AGENT_MAX_NODES: '2', AGENT_PRERUN_NODES: '2' });
  const nodeId = async (room: string) => (await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room, task: 'x' })).nodeId;
  const pubNode = await nodeId('room-pub');
  t.not(pubNode, await nodeId('room-sub'), 'two node threads');
  const A = await nodeFor('room-pub', 'x');
  const B = await nodeFor('room-sub', 'x');

  await A('createTransport', { transportId: 'p', controller: CONTROLLER });
  await A('publish', { operationId: 'p-pub', connectionType: 'webrtc', options: { transportId: 'p', controller: CONTROLLER, tracks: [{ mid: '0', type: 'video' }] } });
  await A('onTransportSignaling', { transportId: 'p', message: { type: 'offer', sdp: fixture('chromium-simulcast.sdp') } });
  await nextEvent(events, 'onTransportProgress', (p) => p.transportId === 'p' && p.status.type === 'answer', 'publisher answered');

  const subscribe = async (call: Call, transportId: string, from: string, enableBWE?: boolean) => {
    await call('createTransport', { transportId, controller: CONTROLLER });
    await call('subscribe', {
      operationId: `${transportId}-sub`,
      connectionType: 'webrtc',
      options: { transportId, controller: CONTROLLER, tracks: [{ mid: '1', type: 'video', from }], ...(enableBWE !== undefined ? { enableBWE } : {}) },
    });
    await call('onTransportSignaling', { transportId, message: { type: 'offer', sdp: fixture('chromium-subscribe.sdp') } });
    await nextEvent(events, 'onTransportProgress', (p) => p.transportId === transportId && p.status.type === 'answer', `${transportId} answered`);
  };
  const standIns = async () => ((await B('getStats', {})).tracks as Array<{ id: string }>).map((x) => x.id).filter((id) => id.startsWith('p-0')).sort();
  const recyclePublisherNode = () => request(nc, agent.subjects.agent('recycleNode'), { nodeId: pubNode, room: 'room-pub', task: 'x' });
  return { A, B, events, subscribe, standIns, recyclePublisherNode };
}

t.test('a simulcast publication on one node, layered subscriptions on the other', async (t) => {
  const { A, B, events, subscribe, standIns } = await scene(t);
  await subscribe(B, 'whole', 'p-0');
  await subscribe(B, 'upto', 'p-0:h');
  await subscribe(B, 'pinned', 'p-0', false);
  // The same subscriptions on the publisher's node: what "as on the same node" means.
  await subscribe(A, 'local', 'p-0');

  const layers = ['p-0:q', 'p-0:h', 'p-0:f'];
  const subs = async (call: Call) => new Map(((await call('getStats', {})).subscriptions as Array<{ id: string }>).map((s) => [s.id, s as any]));
  const onB = await subs(B);
  const onA = await subs(A);
  t.match(onB.get('whole-1'), { trackId: 'p-0:f', layers: { tracks: layers, ceiling: 2, adaptive: true } }, 'the whole publication: every layer, the top one the ceiling');
  t.same(onB.get('whole-1').layers.tracks, onA.get('local-1').layers.tracks, 'the same layers as a subscriber on the publisher node');
  t.match(onB.get('upto-1'), { trackId: 'p-0:h', layers: { tracks: layers, ceiling: 1, adaptive: true } }, 'one layer with enableBWE: the ceiling');
  t.match(onB.get('pinned-1'), { trackId: 'p-0:f', layers: null }, 'enableBWE false: the top layer, pinned');

  // Each layer crossed once, shared by the three subscriptions there.
  const tracksA = new Map(((await A('getStats', {})).tracks as Array<{ id: string; exports: number }>).map((x) => [x.id, x]));
  for (const id of layers) t.equal(tracksA.get(id)?.exports, 1, `${id} exported once to the other node`);
  t.same(await standIns(), [...layers].sort(), 'three stand-ins on the subscriber node');

  // The publication ends: every subscriber there is told, the stand-ins go.
  await A('destroyTransport', { transportId: 'p' });
  for (const tr of ['whole', 'upto', 'pinned']) {
    await nextEvent(events, 'onTrackUpdate', (p) => p.transportId === tr && p.update.type === 'track-removed' && p.update.trackId === `${tr}-1`, `${tr}: track-removed`);
  }
  await waitFor(async () => (await standIns()).length === 0, 5000, 'the stand-ins gone');
  t.same((await subs(B)).size, 0, 'no subscription left on the subscriber node');
});

t.test('the publisher node gone: layered subscribers on the other node are told, the stand-ins go', async (t) => {
  const { B, events, subscribe, standIns, recyclePublisherNode } = await scene(t);
  await subscribe(B, 'whole', 'p-0');
  await subscribe(B, 'upto', 'p-0:h');
  t.equal((await standIns()).length, 3);
  // Its last room recycled while it holds media: the node is ended.
  await recyclePublisherNode();
  for (const tr of ['whole', 'upto']) {
    await nextEvent(events, 'onTrackUpdate', (p) => p.transportId === tr && p.update.type === 'track-removed' && p.update.trackId === `${tr}-1`, `${tr}: track-removed`);
  }
  await waitFor(async () => (await standIns()).length === 0, 5000, 'the stand-ins gone');
});
