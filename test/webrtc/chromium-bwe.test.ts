/**
 * A publisher's sending rate is not starved by what the agent negotiates.
 * The answer keeps transport-cc (the transport-wide sequence number and its
 * feedback), and a browser that negotiated it steers its rate by the
 * transport-wide feedback alone: without that feedback its estimate sank to
 * its floor within seconds (seen here: a 640x480 camera at 30 kbit/s, scaled
 * down to 320x240). With the agent's feedback the estimate grows.
 */
import t from 'tap';
import { openBrowser } from '../helpers/chromium';
import { controllerAgent, negotiate, publisherPage } from '../helpers/webrtc';

const CONTROLLER = 'bwe-ctl';

t.test('a Chromium publisher\'s bandwidth estimate grows, and its camera keeps its size', async (t) => {
  const { events, nodeFor } = await controllerAgent(t, CONTROLLER);
  const on = await nodeFor('room-bwe', 'p');
  const { newPage } = await openBrowser(t);
  const page = await newPage();
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
