/**
 * Layered subscriptions across node threads, with real Chromium peers on
 * loopback: an agent with a pool of 2 node threads, the publisher on one,
 * the subscribers on the other (a room larger than one thread). The layer
 * tracks come over the ring links; the subscriber's node chooses and
 * switches the layer, and its key-frame requests go back over the link to
 * the publisher.
 * - A 3-layer VP8 simulcast publisher at 1280x720 (q, h, f); S subscribes
 *   to the whole publication and gets the top layer; held at layer 0 by
 *   setLayerPreference it is moved to q at a key frame the publisher was
 *   asked for (decoded width 1280 -> 320), and the publisher's controller
 *   is told that f has no reader (onLayerUsage: the readers of every node
 *   count); let go, back to 1280 (f used again). U
 *   subscribes to `<t>-<mid>:h` (a ceiling) and gets h.
 * - A VP9 L3T3_KEY publisher: V subscribes to the whole stream (SVC), gets
 *   1280 wide, and is held at spatial layer 0 (320 wide).
 */
import t from 'tap';
import { request, waitFor } from '../helpers/agent';
import { openBrowser } from '../helpers/chromium';
import { controllerAgent, decodedVideo, negotiate, nextEvent, publicationSubscriber, simulcastPublisher, svcPublisher, type Call } from '../helpers/webrtc';

const CONTROLLER = 'xnode-ctl';

t.test('a layered subscription on another node thread than its publication', async (t) => {
  const { nc, agent, events, nodeFor } = await controllerAgent(t, CONTROLLER, { AGENT_MAX_NODES: '2', AGENT_PRERUN_NODES: '2' });
  const nodeId = async (room: string) => (await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room, task: 'x' })).nodeId;
  t.not(await nodeId('room-pub'), await nodeId('room-sub'), 'two node threads');
  const P = await nodeFor('room-pub', 'x');
  const S = await nodeFor('room-sub', 'x');
  const { newPage } = await openBrowser(t);
  const stats = async (call: Call, id: string) => (await call('getStats', {})).subscriptions.find((x: { id: string }) => x.id === id);
  const homeTrack = async (id: string) => (await P('getStats', {})).tracks.find((x: { id: string }) => x.id === id);

  await t.test('VP8 simulcast', async (t) => {
    const pub = await newPage();
    await simulcastPublisher(t, pub, P, events, CONTROLLER, 'p');
    const s = await newPage();
    await publicationSubscriber(t, s, S, events, CONTROLLER, 's', 'p');

    await waitFor(async () => (await stats(S, 's-1')).layers?.currentSpatial === 2, 30_000, 'S on the top layer');
    await waitFor(async () => (await decodedVideo(s)).width === 1280, 10_000, 'S decodes 1280 wide');
    t.match((await stats(S, 's-1')).layers, { tracks: ['p-1:q', 'p-1:h', 'p-1:f'], adaptive: true, ceiling: 2, targetSpatial: 2 });

    // Held at layer 0: moved to q at a key frame asked of the publisher
    // across the link.
    const asked = (await homeTrack('p-1:q')).keyframeRequestsSent as number;
    const switches = (await stats(S, 's-1')).layers.switches as number;
    t.same(await S('setLayerPreference', { operationId: 's-sub', maxSpatialLayer: 0 }), { ok: true });
    await nextEvent(events, 'onLayerUpdate', (p) => p.trackId === 's-1' && p.spatial === 0 && p.reason === 'preference', 'S moved to q');
    await waitFor(async () => (await decodedVideo(s)).width === 320, 10_000, 'S decodes 320 wide');
    const low = await stats(S, 's-1');
    t.match(low, { trackId: 'p-1:q', layers: { currentSpatial: 0 } });
    t.ok(low.layers.switches > switches, `switched at a key frame (${low.layers.switches - switches})`);
    const sent = (await homeTrack('p-1:q')).keyframeRequestsSent as number;
    t.ok(sent > asked, `q's publisher was asked for a key frame on its node (${sent - asked})`);
    const before = await decodedVideo(s);
    await new Promise((r) => setTimeout(r, 2000));
    const after = await decodedVideo(s);
    t.ok(after.frames - before.frames >= 10, `frames keep coming on q (${after.frames - before.frames} in 2 s)`);

    // f is linked to S's node but read by nobody there: the publisher's
    // controller is told it is unused (the stand-in's node says so).
    const usage = (used: boolean, since: number) =>
      waitFor(() => events.slice(since).some((e) => e.name === 'onLayerUsage' && e.payload.trackId === 'p-1:f' && e.payload.used === used), 10_000, `p-1:f used: ${used}`);
    let mark = events.length;
    await usage(false, mark);

    // Let go: back to the top layer, f in use again.
    mark = events.length;
    t.same(await S('setLayerPreference', { operationId: 's-sub', maxSpatialLayer: null }), { ok: true });
    await waitFor(async () => (await decodedVideo(s)).width === 1280, 10_000, 'S back at 1280 wide');
    await usage(true, mark);

    // One layer as the ceiling, on the same node as S: the layers are shared.
    const u = await newPage();
    await S('createTransport', { transportId: 'u', controller: CONTROLLER });
    await u.evaluate(() => {
      const pc = new RTCPeerConnection();
      pc.addTransceiver('video', { direction: 'recvonly' });
      (window as any).pc = pc;
    });
    await S('subscribe', { operationId: 'u-sub', connectionType: 'webrtc', options: { transportId: 'u', controller: CONTROLLER, tracks: [{ mid: '0', type: 'video', from: 'p-1:h' }] } });
    await negotiate(t, u, S, events, 'u');
    await waitFor(async () => (await decodedVideo(u)).width === 640, 15_000, 'U decodes 640 wide');
    t.match((await stats(S, 'u-0')).layers, { ceiling: 1, currentSpatial: 1 });
    for (const id of ['p-1:q', 'p-1:h', 'p-1:f']) t.equal((await homeTrack(id)).exports, 1, `${id} crossed once`);

    // The publication ends: both subscribers there are told.
    await P('destroyTransport', { transportId: 'p' });
    await nextEvent(events, 'onTrackUpdate', (p) => p.transportId === 's' && p.update.type === 'track-removed' && p.update.trackId === 's-1', 'S: track-removed');
    await nextEvent(events, 'onTrackUpdate', (p) => p.transportId === 'u' && p.update.type === 'track-removed' && p.update.trackId === 'u-0', 'U: track-removed');
    await S('destroyTransport', { transportId: 's' });
    await S('destroyTransport', { transportId: 'u' });
    await pub.close();
    await s.close();
    await u.close();
  });

  await t.test('VP9 SVC', async (t) => {
    const pub = await newPage();
    t.equal(await svcPublisher(t, pub, P, events, CONTROLLER, 'v'), 'L3T3_KEY');
    const v = await newPage();
    await publicationSubscriber(t, v, S, events, CONTROLLER, 'w', 'v');
    await waitFor(async () => (await stats(S, 'w-1')).layers?.currentSpatial === 2, 30_000, 'W on spatial layer 2');
    await waitFor(async () => (await decodedVideo(v)).width === 1280, 10_000, 'W decodes 1280 wide');
    t.match((await stats(S, 'w-1')).layers, { svc: true, tracks: ['v-1'] });
    t.same(await S('setLayerPreference', { operationId: 'w-sub', maxSpatialLayer: 0 }), { ok: true });
    await waitFor(async () => (await decodedVideo(v)).width === 320, 10_000, 'W decodes 320 wide');
    t.ok((await stats(S, 'w-1')).layers.spatialDrops > 0, 'the higher spatial layers left out');
    await P('destroyTransport', { transportId: 'v' });
    await nextEvent(events, 'onTrackUpdate', (p) => p.transportId === 'w' && p.update.type === 'track-removed', 'W: track-removed');
  });
});
