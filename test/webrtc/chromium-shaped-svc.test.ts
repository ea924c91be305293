/**
 * A constrained subscriber of a VP9 SVC publication gets smooth video
 * without help from the controller. A Chromium publisher sends its
 * 1280x720 camera as VP9 L3T3_KEY (one SSRC, three spatial layers with
 * three temporal layers each) on loopback; subscriber A (loopback,
 * unconstrained) and subscriber B (a second Chromium in a network namespace
 * of the test's own, behind a veth pair whose host end is shaped with
 * `tc tbf`) subscribe to the whole publication (`from: "p-1"`). B's link
 * steps 3 Mbit/s -> 400 kbit/s -> 3 Mbit/s: B's estimate falls, the
 * allocator moves B down to spatial layers that fit (the higher ones' packets
 * left out of the one stream), B decodes >= 15 frames/s with a new frame
 * every second after the first 5 s, A stays on the top layer, and B comes
 * back up. As chromium-shaped-layers.test.ts for simulcast, in the same
 * scene (test/helpers/shaped-link.ts). Run as root.
 */
import t from 'tap';
import { decodedVideo, svcPublisher } from '../helpers/webrtc';
import { shapedLink, sleep } from '../helpers/shaped-link';

t.test('VP9 L3T3_KEY: behind a link that steps 3 Mbit/s -> 400 kbit/s -> 3 Mbit/s, a subscriber drops spatial layers and gets them back', async (t) => {
  const { published, a, b, setRate, layers, bwe, until, framesEachSecond, close } = await shapedLink(t, {
    controller: 'shaped-svc-ctl',
    room: 'room-shaped-svc',
    rate: '3mbit',
    publish: svcPublisher,
  });
  t.equal(published, 'L3T3_KEY');
  const estimate = async () => (await bwe())?.estimateBps;

  // 3 Mbit/s: both get all three spatial layers.
  await until(async () => (await layers('a')).currentSpatial === 2 && (await layers('b')).currentSpatial === 2, 30_000, 'both on spatial layer 2 at 3 Mbit/s');
  t.ok((await layers('b')).svc, 'an SVC subscription');
  await sleep(3000);
  const aSwitches = (await layers('a')).switches;

  // 400 kbit/s: B is moved down within the one stream. (B on the top
  // layer right before the step: its estimate at 3 Mbit/s was seen to move
  // it down for a while once, and the step must be what moves it.)
  await until(async () => (await layers('b')).currentSpatial === 2, 15_000, 'b on spatial layer 2 before the step');
  const stepDown = setRate('400kbit');
  await until(async () => {
    const l = await layers('b');
    return l.currentSpatial >= 0 && l.currentSpatial < 2;
  }, 10_000, 'b moved down');
  t.comment(`down: after ${Date.now() - stepDown} ms; b's estimate ${await estimate()} bit/s`);

  await sleep(Math.max(0, 5000 - (Date.now() - stepDown)));
  const { perSecond, fps, last } = await framesEachSecond(b, 6);
  const lb = await layers('b');
  t.comment(`b at 400 kbit/s: ${JSON.stringify(perSecond)} frames per second, width ${last.width}, spatial ${lb.currentSpatial} temporal ${lb.currentTemporal} (${lb.reason}), ${lb.spatialDrops} packets of higher layers left out, estimate ${await estimate()} bit/s`);
  t.ok(fps >= 15, `b decodes ${fps.toFixed(1)} frames/s at 400 kbit/s`);
  t.ok(perSecond.every((n) => n > 0), 'no second without a new frame');
  t.ok(lb.currentSpatial < 2 && last.width <= 640, `b on a lower spatial layer (${lb.currentSpatial}, ${last.width} wide)`);
  t.ok(lb.spatialDrops > 0, 'higher spatial layers left out');
  const la = await layers('a');
  t.equal(la.currentSpatial, 2, 'a stays on the top layer');
  t.equal(la.switches, aSwitches, 'a was not moved');
  t.equal((await decodedVideo(a)).width, 1280, 'a decodes 1280 wide');

  // 3 Mbit/s again: B back on the top layer.
  const stepUp = setRate('3mbit');
  await until(async () => (await layers('b')).currentSpatial === 2, 25_000, 'b back on spatial layer 2');
  t.comment(`up: after ${Date.now() - stepUp} ms; b's estimate ${await estimate()} bit/s`);
  await until(async () => (await decodedVideo(b)).width === 1280, 5000, 'b decodes 1280 wide again');

  await close();
});
