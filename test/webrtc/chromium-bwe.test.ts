/**
 * A publisher's sending rate is not starved by what the agent negotiates.
 * A browser that negotiates transport-cc steers its rate by transport-wide
 * feedback alone; an agent that sends none (as this one) must not negotiate
 * it, or the browser's estimate sinks to its floor within seconds (seen
 * here: a 640x480 camera at 30 kbit/s, scaled down to 320x240). Without it
 * the browser's loss-based estimate, fed by our receiver reports, grows.
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
  const sender = () =>
    page.evaluate(async () => {
      const stats = await ((window as any).pc as RTCPeerConnection).getStats();
      const out = { target: 0, width: 0, limitation: '' };
      stats.forEach((r: any) => {
        if (r.type === 'outbound-rtp' && r.kind === 'video') {
          out.target = r.targetBitrate ?? 0;
          out.width = r.frameWidth ?? 0;
          out.limitation = r.qualityLimitationReason ?? '';
        }
      });
      return out;
    });
  const start = await sender();
  // Chromium starts its estimate at 300 kbit/s; starved, it was at 36 kbit/s
  // after 8 s and at its 30 kbit/s floor after 10 s.
  await new Promise((r) => setTimeout(r, 10_000));
  const later = await sender();
  t.ok(later.target >= 300_000, `the estimate did not sink (${start.target} -> ${later.target} bit/s)`);
  t.not(later.limitation, 'bandwidth', `not limited by bandwidth (${later.limitation})`);
  const track = (await on('getStats', {})).tracks.find((x: { id: string }) => x.id === 'b-1');
  t.match(track, { resolution: { width: 640, height: 480 } }, 'the camera is still sent at 640x480');
  t.ok(track.bitrate > 150_000, `the agent receives ${track.bitrate} bit/s of video`);
  await on('destroyTransport', { transportId: 'b' });
});
