/**
 * Subscriptions to a VP9 SVC publication, with real Chromium peers on
 * loopback: a publisher sends its fake camera at 1280x720 as one VP9
 * stream with scalabilityMode L3T3_KEY (three spatial layers, 320x180,
 * 640x360, 1280x720, each with three temporal layers, all on one SSRC).
 * Two subscribers of the whole publication (`<transportId>-<mid>`):
 * A gets everything and decodes 1280 wide; B is held at spatial layer 0
 * by setLayerPreference and decodes 320 wide from the same stream, then
 * at temporal layer 0 only about a quarter of the frames; let go, B steps
 * up to 1280 at the next key picture. Then OWT's createLayerStreams: a
 * subscriber of the spatial layer 0 stream decodes 320 wide, one pinned at
 * the top spatial layer's temporal layer 0 decodes 1280 wide at a quarter
 * of the frames. The link is unconstrained here.
 */
import t from 'tap';
import { waitFor } from '../helpers/agent';
import { openBrowser } from '../helpers/chromium';
import { controllerAgent, decodedVideo, negotiate, nextEvent, subscriberPage, svcPublisher } from '../helpers/webrtc';

const CONTROLLER = 'svc-ctl';

t.test('VP9 L3T3_KEY publication: each subscriber gets the spatial and temporal layers it is set to', async (t) => {
  const { events, nodeFor } = await controllerAgent(t, CONTROLLER);
  const on = await nodeFor('room-svc', 'p');
  const { newPage } = await openBrowser(t);

  const pub = await newPage();
  t.equal(await svcPublisher(t, pub, on, events, CONTROLLER, 'p'), 'L3T3_KEY', 'Chromium takes scalabilityMode L3T3_KEY');

  const subscribe = async (id: string, video = 'p-1', enableBWE?: boolean) => {
    const page = await newPage();
    await subscriberPage(page);
    await on('createTransport', { transportId: id, controller: CONTROLLER });
    await on('subscribe', {
      operationId: `${id}-sub`,
      connectionType: 'webrtc',
      options: {
        transportId: id,
        controller: CONTROLLER,
        ...(enableBWE !== undefined ? { enableBWE } : {}),
        tracks: [{ mid: '0', type: 'audio', from: 'p-0' }, { mid: '1', type: 'video', from: video }],
      },
    });
    await negotiate(t, page, on, events, id);
    return page;
  };
  const a = await subscribe('a');
  const b = await subscribe('b');
  const stats = async (id: string) => (await on('getStats', {})).subscriptions.find((x: { id: string }) => x.id === id);
  const codec = await a.evaluate(async () => {
    let out = '';
    (await ((window as any).pc as RTCPeerConnection).getStats()).forEach((r: any) => {
      if (r.type === 'codec' && r.mimeType.startsWith('video/')) out = r.mimeType;
    });
    return out;
  });

  // B at spatial layer 0 (a preference: the allocator keeps it there).
  t.same(await on('setLayerPreference', { operationId: 'b-sub', maxSpatialLayer: 0 }), { ok: true });

  // A: all three spatial layers once the publisher sends them (its own
  // estimate turns them on), decoded at the full size.
  await waitFor(async () => (await stats('a-1')).layers?.currentSpatial === 2, 30_000, 'A on spatial layer 2');
  await waitFor(async () => (await decodedVideo(a)).width === 1280, 10_000, 'A decodes 1280 wide');
  t.equal(codec, 'video/VP9', 'the subscriber was answered VP9');
  // The allocator's first decisions come before a layer's rate is measured
  // (reason no-layers: everything); then it offers the measured layers.
  await waitFor(async () => (await stats('a-1')).layers.reason === 'optimal', 5000, "A's layers measured");
  const sa = await stats('a-1');
  t.match(sa.layers, { svc: true, tracks: ['p-1'], adaptive: true, currentSpatial: 2, targetSpatial: 2, reason: 'optimal' });
  const up = await nextEvent(events, 'onLayerUpdate', (p) => p.trackId === 'a-1' && p.spatial === 2, 'onLayerUpdate for A');
  t.match(up, { transportId: 'a', operationId: 'a-sub', source: 'p-1', paused: false });

  // B: spatial layer 0 of the same stream, a quarter of the width; the
  // higher layers' packets are left out.
  await waitFor(async () => (await decodedVideo(b)).width === 320, 10_000, 'B decodes 320 wide');
  const sb = await stats('b-1');
  t.match(sb.layers, { svc: true, currentSpatial: 0, targetSpatial: 0, reason: 'preference' });
  t.ok(sb.layers.spatialDrops > 0, `B: spatial layers left out (${sb.layers.spatialDrops} packets)`);

  // Frames keep coming on both, each continuous; B costs a fraction of A.
  const a0 = await decodedVideo(a);
  const b0 = await decodedVideo(b);
  const [sa0, sb0] = [await stats('a-1'), await stats('b-1')];
  await new Promise((r) => setTimeout(r, 3000));
  const a1 = await decodedVideo(a);
  const b1 = await decodedVideo(b);
  const [sa1, sb1] = [await stats('a-1'), await stats('b-1')];
  const aBytes = sa1.bytes - sa0.bytes;
  const bBytes = sb1.bytes - sb0.bytes;
  t.ok(bBytes < aBytes / 2, `B is sent less than half of A's bytes (${bBytes} vs ${aBytes} in 3 s)`);
  const aFps = (a1.frames - a0.frames) / 3;
  const bFps = (b1.frames - b0.frames) / 3;
  t.comment(`A ${aFps.toFixed(1)} frames/s at ${a1.width}, B ${bFps.toFixed(1)} frames/s at ${b1.width}`);
  // 20 frames/s sent; a loaded machine decodes fewer.
  t.ok(aFps >= 8, `A: frames keep coming (${aFps.toFixed(1)}/s)`);
  t.ok(bFps >= 8, `B: frames keep coming (${bFps.toFixed(1)}/s)`);

  // B at temporal layer 0 only: a quarter of the pictures (L3T3: TL0 every 4th).
  t.same(await on('setLayerPreference', { operationId: 'b-sub', maxTemporalLayer: 0 }), { ok: true });
  await waitFor(async () => (await stats('b-1')).layers.currentTemporal === 0, 5000, 'B at temporal layer 0');
  await new Promise((r) => setTimeout(r, 1000));
  const t0 = await decodedVideo(b);
  const drops0 = (await stats('b-1')).layers.temporalDrops;
  await new Promise((r) => setTimeout(r, 4000));
  const t1 = await decodedVideo(b);
  const tl0fps = (t1.frames - t0.frames) / 4;
  t.ok((await stats('b-1')).layers.temporalDrops > drops0, 'temporal layers left out');
  t.ok(tl0fps >= 2 && tl0fps <= bFps * 0.5, `TL0 only: ${tl0fps.toFixed(1)} frames/s (all layers: ${bFps.toFixed(1)})`);
  t.equal(t1.width, 320, 'still 320 wide');

  // B let go: up to the top at the next key picture (asked for).
  t.same(await on('setLayerPreference', { operationId: 'b-sub', maxSpatialLayer: null, maxTemporalLayer: null }), { ok: true });
  await waitFor(async () => (await decodedVideo(b)).width === 1280, 10_000, 'B decodes 1280 wide');
  const sb2 = await stats('b-1');
  t.match(sb2.layers, { currentSpatial: 2, currentTemporal: null });
  t.ok(sb2.layers.keyframeAsks >= 1, `a key frame was asked for the step up (${sb2.layers.keyframeAsks})`);

  await on('destroyTransport', { transportId: 'a' });
  await on('destroyTransport', { transportId: 'b' });
  await a.close();
  await b.close();

  // OWT's createLayerStreams: one id per spatial layer (the publish told
  // L3T3_KEY), each a subscription's source. C: up to spatial layer 0
  // (enableBWE); D: pinned (enableBWE false) at the top spatial layer's
  // temporal layer 0.
  const { ids } = await on('createLayerStreams', { trackId: 'p-1', spatial: true, temporal: false });
  t.same(ids, ['p-1:l0', 'p-1:l1', 'p-1:l2'], 'a layer stream per spatial layer');
  const { ids: tl0 } = await on('createLayerStreams', { trackId: 'p-1', spatial: true, temporal: 0 });
  t.same(tl0, ['p-1:l0t0', 'p-1:l1t0', 'p-1:l2t0'], 'a layer stream per spatial layer, at temporal layer 0');
  const c = await subscribe('c', ids[0]);
  const d = await subscribe('d', tl0[2], false);
  await waitFor(async () => (await decodedVideo(c)).width === 320, 10_000, 'C (p-1:l0) decodes 320 wide');
  await waitFor(async () => (await decodedVideo(d)).width === 1280, 10_000, 'D (p-1:l2t0) decodes 1280 wide');
  const [c0, d0] = [await decodedVideo(c), await decodedVideo(d)];
  await new Promise((r) => setTimeout(r, 4000));
  const [c1, d1] = [await decodedVideo(c), await decodedVideo(d)];
  const cFps = (c1.frames - c0.frames) / 4;
  const dFps = (d1.frames - d0.frames) / 4;
  t.ok(c1.width === 320 && cFps >= 8, `C: 320 wide, every temporal layer (${cFps.toFixed(1)} frames/s)`);
  // TL0 is every 4th picture of 20 frames/s.
  t.ok(d1.width === 1280 && dFps >= 2 && dFps <= 8, `D: 1280 wide, temporal layer 0 only (${dFps.toFixed(1)} frames/s)`);
  t.match((await stats('c-1')).layers, { adaptive: true, ceiling: 0, currentSpatial: 0 });
  t.match((await stats('d-1')).layers, { adaptive: false, ceiling: 2, currentSpatial: 2, currentTemporal: 0 });

  for (const id of ['c', 'd', 'p']) await on('destroyTransport', { transportId: id });
});
