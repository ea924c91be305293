/**
 * A constrained subscriber gets smooth video without help from the
 * controller. A Chromium publisher sends 3-layer VP8 simulcast of a
 * 1280x720 camera (q 320x180, h 640x360, f 1280x720) on loopback;
 * subscriber A (loopback, unconstrained) and subscriber B (a second
 * Chromium in a network namespace of the test's own, behind a veth pair
 * whose host end is shaped with `tc tbf`) subscribe to the whole
 * publication (`from: "p-1"`, enableBWE by default). B's link steps
 * 3 Mbit/s -> 400 kbit/s -> 3 Mbit/s: B is moved down (and decodes >= 15
 * frames/s at the low layer with a new frame every second after the first
 * 5 s), A stays on the top layer throughout, and B comes back up.
 * The agent listens on, and announces, the host end's address (Chromium on
 * loopback reaches it too). Run as root (it makes the namespace).
 */
import t from 'tap';
import { chromium, type Page } from 'playwright-core';
import { makeNetns } from '../../bench/lib/netns';
import { waitFor } from '../helpers/agent';
import { browserEnv, CHROMIUM_ARGS, openBrowser } from '../helpers/chromium';
import { controllerAgent, decodedVideo, negotiate, simulcastPublisher, subscriberPage } from '../helpers/webrtc';

const CONTROLLER = 'shaped-layers-ctl';
const SHAPE = (rate: string) => ['tbf', 'rate', rate, 'burst', '16kb', 'latency', '300ms'];

t.test('behind a link that steps 3 Mbit/s -> 400 kbit/s -> 3 Mbit/s, a subscriber is moved down and back up; an unconstrained one stays on top', async (t) => {
  const ns = makeNetns(t, SHAPE('3mbit'));
  const { events, nodeFor } = await controllerAgent(t, CONTROLLER, { WEBRTC_LISTEN_IP: ns.hostIp, WEBRTC_ANNOUNCED_IP: ns.hostIp });
  const on = await nodeFor('room-shaped-layers', 'p');
  const { newPage } = await openBrowser(t);

  const pub = await newPage();
  await simulcastPublisher(t, pub, on, events, CONTROLLER, 'p');

  const subscribe = async (page: Page, id: string) => {
    await subscriberPage(page);
    await on('createTransport', { transportId: id, controller: CONTROLLER });
    await on('subscribe', {
      operationId: `${id}-sub`,
      connectionType: 'webrtc',
      options: { transportId: id, controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio', from: 'p-0' }, { mid: '1', type: 'video', from: 'p-1' }] },
    });
    await negotiate(t, page, on, events, id);
  };
  const a = await newPage();
  await subscribe(a, 'a');
  const browser = await chromium.launch({ executablePath: ns.chromium, args: CHROMIUM_ARGS, env: browserEnv(), timeout: 30_000 });
  t.teardown(() => browser.close());
  const b = await browser.newPage();
  await subscribe(b, 'b');

  const layers = async (id: string) => (await on('getStats', {})).subscriptions.find((x: { id: string }) => x.id === `${id}-1`).layers;
  const transport = async (id: string) => (await on('getStats', {})).transports.find((x: { id: string }) => x.id === id);

  // 3 Mbit/s: both on the top layer once the publisher sends it.
  await waitFor(async () => (await layers('a')).currentSpatial === 2 && (await layers('b')).currentSpatial === 2, 45_000, 'both on the top layer at 3 Mbit/s');
  t.comment(`at 3 Mbit/s: b's estimate ${(await transport('b')).availableBitrate} bit/s`);

  // 400 kbit/s: B down, within a few seconds.
  ns.reshape(SHAPE('400kbit'));
  const stepDown = Date.now();
  await waitFor(async () => (await layers('b')).targetSpatial < 2, 10_000, 'b moved down');
  const drop = Date.now() - stepDown;
  await waitFor(async () => {
    const l = await layers('b');
    return l.currentSpatial >= 0 && l.currentSpatial < 2;
  }, 10_000, 'b switched down');
  const switched = Date.now() - stepDown;
  t.comment(`down: target after ${drop} ms, switched after ${switched} ms; b's estimate ${(await transport('b')).availableBitrate} bit/s`);

  // From 5 s after the step: >= 15 frames/s, a new frame every second.
  await new Promise((r) => setTimeout(r, Math.max(0, 5000 - (Date.now() - stepDown))));
  const perSecond: number[] = [];
  let last = await decodedVideo(b);
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await decodedVideo(b);
    perSecond.push(now.frames - last.frames);
    last = now;
  }
  const fps = perSecond.reduce((x, y) => x + y, 0) / perSecond.length;
  const lb = await layers('b');
  t.comment(`b at 400 kbit/s: ${JSON.stringify(perSecond)} frames per second, width ${last.width}, layer ${lb.currentSpatial} (${lb.reason})`);
  t.ok(fps >= 15, `b decodes ${fps.toFixed(1)} frames/s at 400 kbit/s`);
  t.ok(perSecond.every((n) => n > 0), 'no second without a new frame');
  t.ok(lb.currentSpatial < 2 && last.width <= 640, `b on a lower layer (${lb.currentSpatial}, ${last.width} wide)`);
  const la = await layers('a');
  t.equal(la.currentSpatial, 2, 'a stays on the top layer');
  t.equal(la.switches, 1, 'a was never moved');
  t.ok((await decodedVideo(a)).width === 1280, 'a decodes 1280 wide');

  // 3 Mbit/s again: B back on the top layer.
  ns.reshape(SHAPE('3mbit'));
  const stepUp = Date.now();
  await waitFor(async () => (await layers('b')).currentSpatial === 2, 30_000, 'b back on the top layer');
  t.comment(`up: back on the top layer after ${Date.now() - stepUp} ms`);

  await on('destroyTransport', { transportId: 'b' });
  await on('destroyTransport', { transportId: 'a' });
  await on('destroyTransport', { transportId: 'p' });
});
