/**
 * A constrained subscriber gets smooth video without help from the
 * controller. A Chromium publisher sends 3-layer VP8 simulcast of a
 * 1280x720 camera (q 320x180, h 640x360, f 1280x720, three temporal layers
 * each) on loopback; subscriber A (loopback, unconstrained) and subscriber
 * B (a second Chromium in a network namespace of the test's own, behind a
 * veth pair whose host end is shaped with `tc tbf`) subscribe to the whole
 * publication (`from: "p-1"`, enableBWE by default). B's link steps
 * 3 Mbit/s -> 400 kbit/s -> 3 Mbit/s: B's send-side estimate falls, the
 * allocator moves B down to a layer that fits at its full frame rate (>= 15
 * frames/s, a new frame every second after the first 5 s; across the move
 * down no 0.4 s without a new frame), A stays on the
 * top layer (one second off it allowed under load), B comes back up, and the agent re-sent a bounded
 * number of packets per media packet lost (no NACK storm).
 * The agent listens on, and announces, the host end's address (Chromium on
 * loopback reaches it too). Run as root (it makes the namespace). The
 * scene (namespace, agent, pages, stats) is test/helpers/shaped-link.ts.
 */
import t from 'tap';
import { decodedVideo, simulcastPublisher } from '../helpers/webrtc';
import { shapedLink, sleep } from '../helpers/shaped-link';

t.test('behind a link that steps 3 Mbit/s -> 400 kbit/s -> 3 Mbit/s, a subscriber is moved down and back up; an unconstrained one stays on top', async (t) => {
  const { ns, a, b, setRate, stats, layers, bwe, until, framesEachSecond, close } = await shapedLink(t, {
    controller: 'shaped-layers-ctl',
    room: 'room-shaped-layers',
    rate: '3mbit',
    publish: simulcastPublisher,
  });
  // Media packets B's transport-cc feedback reported lost, and what the
  // agent re-sent to B (audio and video).
  const mediaLost = async () => (await bwe()).feedback.mediaLost;
  const resent = async () =>
    (await stats()).subscriptions.filter((x: { id: string }) => x.id.startsWith('b-')).reduce((n: number, x: { retransmitted: number }) => n + x.retransmitted, 0);

  // 3 Mbit/s: both on the top layer once the publisher sends it.
  await until(async () => (await layers('a')).currentSpatial === 2 && (await layers('b')).currentSpatial === 2, 30_000, 'both on the top layer at 3 Mbit/s');
  // A few seconds there first: a link does not usually fail the moment a
  // subscriber got onto the top layer (a step up undone within 3 s makes
  // the allocator wait longer before the next).
  await sleep(3000);
  const aSwitches = (await layers('a')).switches;
  const resentBefore = await resent();
  const lostBefore = await mediaLost();
  const dropsBefore = ns.shaperDrops();
  t.comment(`at 3 Mbit/s: b's estimate ${(await bwe()).estimateBps} bit/s`);

  // B's decoded frames every 25 ms on its page: the longest time without a
  // new frame across the move down.
  await b.evaluate(() => {
    const log: [number, number][] = ((window as any).frameLog = []);
    const timer = setInterval(async () => {
      let frames = 0;
      (await ((window as any).pc as RTCPeerConnection).getStats()).forEach((r: any) => {
        if (r.type === 'inbound-rtp' && r.kind === 'video') frames = r.framesDecoded ?? 0;
      });
      log.push([Date.now(), frames]);
      if (log.length > 2000) clearInterval(timer);
    }, 25);
  });

  // 400 kbit/s: B's estimate falls and B is moved down.
  const stepDown = setRate('400kbit');
  await until(async () => {
    const l = await layers('b');
    return l.currentSpatial >= 0 && l.currentSpatial < 2;
  }, 10_000, 'b switched down');
  t.comment(`down: switched after ${Date.now() - stepDown} ms; b's estimate ${(await bwe()).estimateBps} bit/s`);

  // From 5 s after the step: >= 15 frames/s, a new frame every second.
  await sleep(Math.max(0, 5000 - (Date.now() - stepDown)));
  // No freeze over 0.4 s in those 5 s (issue 9's target: 0.5 s; 125-151 ms
  // in bench/adaptation.js, 376-700 ms before the old layer stopped at the
  // move down and the key frame was asked for at once).
  const frameLog: [number, number][] = await b.evaluate(() => (window as any).frameLog);
  let maxGap = 0;
  let lastNew: number | null = null;
  let lastFrames = -1;
  for (const [at, frames] of frameLog) {
    if (at < stepDown) {
      lastFrames = frames;
      continue;
    }
    if (lastNew === null) lastNew = at;
    if (frames > lastFrames) {
      maxGap = Math.max(maxGap, at - lastNew);
      lastNew = at;
      lastFrames = frames;
    }
  }
  if (lastNew !== null) maxGap = Math.max(maxGap, frameLog.at(-1)![0] - lastNew);
  t.ok(frameLog.length > 100 && maxGap <= 400, `longest time without a new frame across the move down: ${maxGap} ms (<= 400)`);
  const aLayer: number[] = [];
  const { perSecond, fps, last } = await framesEachSecond(b, 6, async () => {
    aLayer.push((await layers('a')).currentSpatial);
  });
  const lb = await layers('b');
  t.comment(`b at 400 kbit/s: ${JSON.stringify(perSecond)} frames per second, width ${last.width}, layer ${lb.currentSpatial} (${lb.reason}), estimate ${(await bwe()).estimateBps} bit/s`);
  t.ok(fps >= 15, `b decodes ${fps.toFixed(1)} frames/s at 400 kbit/s`);
  t.ok(perSecond.every((n) => n > 0), 'no second without a new frame');
  t.ok(lb.currentSpatial < 2 && last.width <= 640, `b on a lower layer (${lb.currentSpatial}, ${last.width} wide)`);
  // A on the top layer meanwhile. (A's own estimate, on loopback, may dip
  // for a moment when the machine is loaded, as with two test files at
  // once on two cores: one second off the top is allowed, not B's fate.)
  const la = await layers('a');
  t.comment(`a's layer each second: ${JSON.stringify(aLayer)}, switches ${la.switches - aSwitches}`);
  t.ok(aLayer.filter((l) => l === 2).length >= 5, 'a stays on the top layer');
  t.equal(la.currentSpatial, 2, 'a on the top layer');
  t.equal((await decodedVideo(a)).width, 1280, 'a decodes 1280 wide');

  // 3 Mbit/s again: B back on the top layer (probing finds the room).
  const stepUp = setRate('3mbit');
  await until(async () => (await layers('b')).currentSpatial === 2, 20_000, 'b back on the top layer');
  t.comment(`up: back on the top layer after ${Date.now() - stepUp} ms; b's estimate ${(await bwe()).estimateBps} bit/s`);
  t.equal((await layers('a')).currentSpatial, 2, 'a on the top layer, still');

  // No NACK storm: B's NACKs are answered about once per media packet
  // lost. (The shaper's drops are no measure: they include re-sends and
  // probe padding, so a storm of re-sends, dropped too, would read as
  // "one per drop".)
  const lost = (await mediaLost()) - lostBefore;
  const again = (await resent()) - resentBefore;
  t.comment(`re-sent ${again} packets for ${lost} media packets lost (${ns.shaperDrops() - dropsBefore} dropped by the shaper)`);
  t.ok(again <= 2 * lost + 10, `re-sends bounded: ${again} for ${lost} media packets lost`);

  await close();
});
