/**
 * Congestion control with Chromium on both sides of the agent.
 *
 * A publisher's sending rate is not starved by what the agent negotiates.
 * The answer keeps transport-cc (the transport-wide sequence number and its
 * feedback), and a browser that negotiated it steers its rate by the
 * transport-wide feedback alone: without that feedback its estimate sank to
 * its floor within seconds (seen here: a 640x480 camera at 30 kbit/s, scaled
 * down to 320x240). With the agent's feedback the estimate grows.
 *
 * Towards a subscriber, the agent estimates: transport-cc is answered on the
 * m-lines it sends, every packet it sends is numbered, Chromium's feedback
 * comes back and is matched, probes of padding on the RTX stream are sent
 * (and do not disturb the picture), and the estimate grows from its start.
 * One agent and browser for the file.
 */
import t from 'tap';
import { waitFor } from '../helpers/agent';
import { openBrowser } from '../helpers/chromium';
import { controllerAgent, inbound, negotiate, publisherPage, subscriberPage } from '../helpers/webrtc';

const CONTROLLER = 'bwe-ctl';

let shared: ReturnType<typeof setup> | undefined;
async function setup() {
  const agent = await controllerAgent(t, CONTROLLER);
  const browser = await openBrowser(t);
  return { ...agent, ...browser };
}
const env = () => (shared ??= setup());

t.test('a Chromium publisher\'s bandwidth estimate grows, and its camera keeps its size', async (t) => {
  const { events, nodeFor, newPage } = await env();
  const on = await nodeFor('room-bwe', 'p');
  const page = await newPage();
  t.teardown(() => page.close());
  await publisherPage(page, { width: 640, height: 480, frameRate: 30 });
  await on('createTransport', { transportId: 'b', controller: CONTROLLER });
  await on('publish', {
    operationId: 'b-pub',
    connectionType: 'webrtc',
    options: { transportId: 'b', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video' }] },
  });
  await negotiate(t, page, on, events, 'b');
  const answer = await page.evaluate(() => ((window as any).pc as RTCPeerConnection).remoteDescription!.sdp);
  const media = answer.split(/\r?\nm=/).slice(1);
  t.equal(media.length, 2);
  for (const m of media) {
    t.match(m, /a=extmap:\d+ http:\/\/www\.ietf\.org\/id\/draft-holmer-rmcat-transport-wide-cc-extensions-01/, `${m.slice(0, 5)}: transport-wide sequence numbers negotiated`);
    t.match(m, /a=rtcp-fb:\d+ transport-cc/, `${m.slice(0, 5)}: transport-cc feedback negotiated`);
  }
  const sender = () =>
    page.evaluate(async () => {
      const stats = await ((window as any).pc as RTCPeerConnection).getStats();
      const out = { target: 0, width: 0, limitation: '', available: 0 };
      stats.forEach((r: any) => {
        if (r.type === 'outbound-rtp' && r.kind === 'video') {
          out.target = r.targetBitrate ?? 0;
          out.width = r.frameWidth ?? 0;
          out.limitation = r.qualityLimitationReason ?? '';
        }
        if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') out.available = r.availableOutgoingBitrate ?? 0;
      });
      return out;
    });
  const start = await sender();
  // Chromium starts its estimate at 300 kbit/s; starved, it was at 36 kbit/s
  // after 8 s and at its 30 kbit/s floor after 10 s.
  await new Promise((r) => setTimeout(r, 10_000));
  const later = await sender();
  t.ok(later.target >= 300_000, `the estimate did not sink (${start.target} -> ${later.target} bit/s)`);
  t.ok(later.available > start.available && later.available > 300_000, `availableOutgoingBitrate grew (${start.available} -> ${later.available} bit/s)`);
  t.not(later.limitation, 'bandwidth', `not limited by bandwidth (${later.limitation})`);
  const track = (await on('getStats', {})).tracks.find((x: { id: string }) => x.id === 'b-1');
  t.match(track, { resolution: { width: 640, height: 480 } }, 'the camera is still sent at 640x480');
  t.ok(track.bitrate > 150_000, `the agent receives ${track.bitrate} bit/s of video`);
  const transport = (await on('getStats', {})).transports.find((x: { id: string }) => x.id === 'b');
  // ~20 per second at the 50 ms interval; 10 s of media.
  t.ok(transport.twccFeedbackSent > 100, `the agent sent ${transport.twccFeedbackSent} transport-cc feedback packets`);
  t.ok(transport.twccPackets > 500, `for ${transport.twccPackets} numbered packets`);
  t.match(transport, { twccDuplicates: 0, twccResets: 0 }, 'one numbering, no repeats, on loopback');
  t.ok(transport.twccTooOld <= 2, `numbers behind the history: ${transport.twccTooOld}`);
  await on('destroyTransport', { transportId: 'b' });
});

t.test('towards a Chromium subscriber: every packet numbered, its feedback read, probes sent, the estimate grows', async (t) => {
  const { events, nodeFor, newPage } = await env();
  const on = await nodeFor('room-bwe-sub', 'p');
  const pub = await newPage();
  t.teardown(() => pub.close());
  await publisherPage(pub, { width: 640, height: 480, frameRate: 30 });
  await on('createTransport', { transportId: 'bp', controller: CONTROLLER });
  await on('publish', {
    operationId: 'bp-pub',
    connectionType: 'webrtc',
    options: { transportId: 'bp', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video' }] },
  });
  await negotiate(t, pub, on, events, 'bp');
  const sub = await newPage();
  t.teardown(() => sub.close());
  await subscriberPage(sub);
  await on('createTransport', { transportId: 'bs', controller: CONTROLLER });
  await on('subscribe', {
    operationId: 'bs-sub',
    connectionType: 'webrtc',
    options: { transportId: 'bs', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio', from: 'bp-0' }, { mid: '1', type: 'video', from: 'bp-1' }] },
  });
  await negotiate(t, sub, on, events, 'bs');
  const answer = await sub.evaluate(() => ((window as any).pc as RTCPeerConnection).remoteDescription!.sdp);
  for (const m of answer.split(/\r?\nm=/).slice(1)) {
    t.match(m, /a=extmap:\d+ http:\/\/www\.ietf\.org\/id\/draft-holmer-rmcat-transport-wide-cc-extensions-01/, `${m.slice(0, 5)}: transport-wide numbers answered towards the subscriber`);
    t.match(m, /a=rtcp-fb:\d+ transport-cc/, `${m.slice(0, 5)}: transport-cc feedback answered`);
  }
  await waitFor(async () => (await inbound(sub)).framesDecoded > 0, 20_000, 'the subscriber decodes a frame');
  const bwe = async () => (await on('getStats', {})).transports.find((x: { id: string }) => x.id === 'bs').bwe;
  const first = await bwe();
  t.ok(first, 'getStats has the transport\'s estimate');
  // The start probes (3x and 6x the initial 1 Mbit/s) come back at what
  // they asked on loopback: the estimate leaves its start well behind.
  await waitFor(async () => (await bwe()).probes.results >= 1, 10_000, 'a probe result');
  const framesBefore = (await inbound(sub)).framesDecoded;
  await new Promise((r) => setTimeout(r, 4000));
  const s = await bwe();
  const framesAfter = (await inbound(sub)).framesDecoded;
  t.ok(s.estimateBps > 2_000_000, `estimate ${s.estimateBps} bit/s after probing (start 1 Mbit/s)`);
  t.ok(s.packetsNumbered > 500, `${s.packetsNumbered} packets numbered`);
  t.ok(s.feedback.received > 50, `${s.feedback.received} transport-cc feedback packets from Chromium`);
  t.equal(s.feedback.malformed, 0, 'every feedback parsed');
  // Chromium's feedback names what we numbered: nearly every number is
  // reported received (loopback), none it could not have seen.
  t.ok(s.feedback.packetsReceived > 0.9 * (s.packetsNumbered - 200), `${s.feedback.packetsReceived} of ${s.packetsNumbered} reported received`);
  t.ok(s.feedback.unknown <= 2, `statuses about numbers never sent: ${s.feedback.unknown}`);
  t.ok(s.probes.clusters >= 2 && s.probes.paddingPackets > 10, `${s.probes.clusters} probe clusters, ${s.probes.paddingPackets} padding packets`);
  t.equal(s.probing, 'idle', 'the start probes are over');
  t.equal(s.delayState, 'normal', 'no queue on loopback');
  // Padding on the RTX stream does not disturb the picture: ~30 fps go on.
  t.ok(framesAfter - framesBefore > 60, `${framesAfter - framesBefore} frames decoded in 4 s while probing ended`);
  await on('destroyTransport', { transportId: 'bs' });
  await on('destroyTransport', { transportId: 'bp' });
});
