/**
 * A subscriber behind a real 400 kbit/s link: no NACK storm. Chromium
 * publishes its fake camera at 1280x720, 30 fps (well above 400 kbit/s once
 * its estimate has grown) on loopback; a second Chromium runs in a network
 * namespace of the test's own, behind a veth pair whose host end is shaped
 * with `tc tbf rate 400kbit` (what the agent sends it queues there, then is
 * dropped), and subscribes. The agent listens on, and announces, the host
 * end's address. Before the Retransmitter, this link saw 25-29 re-sends per
 * media packet (each NACK re-sent everything it named); now the re-sends per
 * packet the shaper dropped, and per media packet, are bounded and asserted.
 *
 * The transport's send-side bandwidth estimate (getStats `bwe`) is checked
 * to be near the link's rate too.
 *
 * Run by hand, under the CPU lock, as root (it makes the namespace):
 *   npx tap bench/shaped-link.test.ts --disable-coverage
 * Not in CI yet: under scripts/asan-test.sh the publisher did not reach
 * 600 kbit/s within 30 s (one run), and there was no time left to find out
 * why and check a fix under ASan. Its figures are in docs/bench.md.
 */
import t from 'tap';
import { chromium } from 'playwright-core';
import { browserEnv, CHROMIUM_ARGS, openBrowser } from '../test/helpers/chromium';
import { waitFor } from '../test/helpers/agent';
import { makeNetns } from './lib/netns';
import { controllerAgent, inbound, negotiate, publisherPage, subscriberPage } from '../test/helpers/webrtc';

const CONTROLLER = 'shaped-ctl';
const MEASURE_MS = 12_000;

t.test('behind 400 kbit/s: re-sends per lost packet bounded, repairs as RTX, no storm', async (t) => {
  // 400 kbit/s with a queue of ~300 ms: what arrives faster waits, then drops.
  const ns = makeNetns(t, ['tbf', 'rate', '400kbit', 'burst', '16kb', 'latency', '300ms']);
  const { events, nodeFor } = await controllerAgent(t, CONTROLLER, { WEBRTC_LISTEN_IP: ns.hostIp, WEBRTC_ANNOUNCED_IP: ns.hostIp });
  const on = await nodeFor('room-shaped', 'p');

  const { newPage } = await openBrowser(t);
  const pub = await newPage();
  await publisherPage(pub, { width: 1280, height: 720, frameRate: 30 });
  await on('createTransport', { transportId: 'p', controller: CONTROLLER });
  await on('publish', {
    operationId: 'p-pub',
    connectionType: 'webrtc',
    options: { transportId: 'p', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video', formatPreference: { preferred: { codec: 'vp8' } } }] },
  });
  await negotiate(t, pub, on, events, 'p');

  // The subscriber: Chromium inside the namespace (no page origin needed
  // for a receive-only PeerConnection).
  const browser = await chromium.launch({ executablePath: ns.chromium, args: CHROMIUM_ARGS, env: browserEnv(), timeout: 30_000 });
  t.teardown(() => browser.close());
  const sub = await browser.newPage();
  await subscriberPage(sub);
  await on('createTransport', { transportId: 's', controller: CONTROLLER });
  await on('subscribe', {
    operationId: 's-sub',
    connectionType: 'webrtc',
    options: { transportId: 's', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio', from: 'p-0' }, { mid: '1', type: 'video', from: 'p-1' }] },
  });
  await negotiate(t, sub, on, events, 's');
  await waitFor(async () => (await inbound(sub)).framesDecoded > 0, 20_000, 'the shaped subscriber decodes a frame');

  // Measured once the publisher sends well above the link's rate.
  const publishedBitrate = async () => (await on('getStats', {})).tracks.find((x: { id: string }) => x.id === 'p-1').bitrate as number;
  await waitFor(async () => (await publishedBitrate()) > 600_000, 30_000, 'the publisher above 600 kbit/s');
  const video = async () => (await on('getStats', {})).subscriptions.find((s: { id: string }) => s.id === 's-1');
  const v0 = await video();
  const drops0 = ns.shaperDrops();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  const v1 = await video();
  const drops = ns.shaperDrops() - drops0;
  const media = v1.packets - v0.packets;
  const resent = v1.retransmitted - v0.retransmitted;
  const nacked = v1.nackPackets - v0.nackPackets;
  const published = (await on('getStats', {})).tracks.find((x: { id: string }) => x.id === 'p-1');
  t.comment(
    `over ${MEASURE_MS / 1000} s: ${media} media packets sent (${v1.bitrate} bit/s, publisher ${published.bitrate} bit/s), ` +
      `${drops} packets dropped by the shaper, ${nacked} numbers NACKed, ${resent} re-sent ` +
      `(${(resent / Math.max(1, drops)).toFixed(2)} per dropped packet, ${(resent / Math.max(1, media)).toFixed(3)} per media packet); ` +
      `refused: ${v1.nackTooSoon - v0.nackTooSoon} too soon, ${v1.nackTooMany - v0.nackTooMany} too many, ` +
      `${v1.nackOverBudget - v0.nackOverBudget} over budget, ${v1.nackDuplicates - v0.nackDuplicates} repeats, ` +
      `${v1.nackMissed - v0.nackMissed} missed; rtt ${v1.rtt} ms`,
  );
  t.ok(drops > 50, `the link is overloaded: ${drops} packets dropped by the shaper`);
  t.ok(nacked > 0, `the subscriber NACKs (${nacked} numbers)`);
  t.ok(resent > 0, `repairs are sent (${resent})`);
  t.ok(resent <= 1.2 * drops, `at most 1.2 re-sends per dropped packet (${resent} for ${drops})`);
  // The budget, in bytes: a quarter of the media bytes plus the 48 KB of
  // credit the subscription may have banked before the window.
  const bytesRe = v1.retransmittedBytes - v0.retransmittedBytes;
  t.ok(bytesRe <= 0.25 * (v1.bytes - v0.bytes) + 48_000, `re-sent ${bytesRe} bytes for ${v1.bytes - v0.bytes} media bytes`);
  t.ok(resent <= 0.35 * media, `at most 0.35 re-sends per media packet (${resent} for ${media}; 25-29 before)`);
  t.equal(v1.rtxSent, v1.retransmitted, 'every repair as RTX');
  // The send-side estimate towards the shaped subscriber (Chromium returns
  // transport-cc feedback): what the 400 kbit/s link carries, although the
  // agent, with no layer to switch to yet, keeps sending more.
  const bwe = (await on('getStats', {})).transports.find((x: { id: string }) => x.id === 's').bwe;
  t.comment(`estimate ${bwe.estimateBps} bit/s (delay-based ${bwe.delayBasedBps}, loss-based ${bwe.lossBasedBps}, acked ${bwe.ackedBps}, sent ${bwe.sentBps}, loss ${bwe.loss.toFixed(3)}, ${bwe.delayState}); ` +
    `${bwe.feedback.received} feedback packets, ${bwe.feedback.packetsLost} of ${bwe.packetsNumbered} numbered packets reported lost; probes ${JSON.stringify(bwe.probes)}`);
  t.ok(bwe.feedback.received > 100, `${bwe.feedback.received} transport-cc feedback packets from the shaped subscriber`);
  t.ok(bwe.estimateBps >= 0.5 * 400_000 && bwe.estimateBps <= 1.5 * 400_000, `the estimate (${bwe.estimateBps} bit/s) is near the 400 kbit/s link`);
  await on('destroyTransport', { transportId: 's' });
  await on('destroyTransport', { transportId: 'p' });
});
