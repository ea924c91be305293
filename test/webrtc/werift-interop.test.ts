/**
 * Interoperability with a WebRTC stack that is not a browser: werift (a
 * WebRTC implementation in TypeScript, from the npm registry) publishes VP8
 * to the agent, and Chromium watches it through the agent. Nothing is shared
 * between the two but the standards: werift does full ICE against our
 * ICE-lite, its own DTLS and SRTP. The VP8 itself comes from GStreamer
 * (werift sends RTP it is given; it has no encoder).
 */
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { waitFor } from '../helpers/agent';
import { openBrowser } from '../helpers/chromium';
import { controllerAgent, inbound, negotiate, nextEvent, subscriberPage } from '../helpers/webrtc';

const CONTROLLER = 'werift-ctl';

/** GStreamer's VP8, as RTP on a local UDP port: handed to `onRtp`. Stopped at teardown. */
async function vp8Source(t: Test, onRtp: (pkt: Buffer) => void): Promise<void> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', onRtp);
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = (sock.address() as AddressInfo).port;
  const child = spawn(
    'gst-launch-1.0',
    [
      '-q',
      'videotestsrc', 'is-live=true', 'pattern=ball',
      '!', 'video/x-raw,width=320,height=240,framerate=15/1',
      // werift's path back to the encoder is not wired here: a key frame
      // every second lets a subscriber start without asking.
      '!', 'vp8enc', 'deadline=1', 'keyframe-max-dist=15',
      '!', 'rtpvp8pay', 'pt=96', 'mtu=1200',
      '!', 'udpsink', 'host=127.0.0.1', `port=${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  t.teardown(() => {
    child.kill('SIGKILL');
    sock.close();
  });
}

t.test('werift publishes VP8 through the agent; Chromium decodes it', async (t) => {
  const { events, nodeFor } = await controllerAgent(t, CONTROLLER);
  const on = await nodeFor('room-w', 'pub');

  // werift: a send-only VP8 transceiver fed with GStreamer's packets.
  const pc = new RTCPeerConnection({
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/VP8',
          clockRate: 90000,
          payloadType: 96,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
        }),
      ],
    },
    // Loopback only: this machine's other interfaces are not for tests.
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceFilterCandidatePair: (pair) => pair.localCandidate.host === '127.0.0.1' && pair.remoteCandidate.host === '127.0.0.1',
  });
  t.teardown(() => pc.close());
  const track = new MediaStreamTrack({ kind: 'video' });
  pc.addTransceiver(track, { direction: 'sendonly' });
  let written = 0;
  await vp8Source(t, (pkt) => {
    if (pc.connectionState !== 'connected') return;
    track.writeRtp(pkt);
    written++;
  });

  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  await waitFor(() => pc.iceGatheringState === 'complete', 10_000, 'werift gathered');
  const sdp = pc.localDescription!.sdp;
  const mid = /a=mid:(\S+)/.exec(sdp)?.[1];
  t.ok(mid, `werift's video mid (${mid})`);

  await on('createTransport', { transportId: 'w', controller: CONTROLLER });
  await on('publish', { operationId: 'w-pub', connectionType: 'webrtc', options: { transportId: 'w', controller: CONTROLLER, tracks: [{ mid, type: 'video' }] } });
  t.same(await on('onTransportSignaling', { transportId: 'w', message: { type: 'offer', sdp } }), { ok: true });
  const answer = await nextEvent(events, 'onTransportProgress', (p) => p.transportId === 'w' && p.status.type === 'answer', 'answer for werift');
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.status.sdp });
  await nextEvent(events, 'onTransportProgress', (p) => p.transportId === 'w' && p.status.type === 'ready', 'werift transport ready');
  const added = await nextEvent(events, 'onTrackUpdate', (p) => p.transportId === 'w' && p.update.type === 'track-added', 'werift track added');
  t.equal(added.update.mediaFormat.codec, 'vp8');
  const trackId = added.update.trackId as string;

  // Chromium subscribes through the agent.
  const { newPage } = await openBrowser(t);
  const page = await newPage();
  await subscriberPage(page);
  await on('createTransport', { transportId: 'wc', controller: CONTROLLER });
  await on('subscribe', { operationId: 'wc-sub', connectionType: 'webrtc', options: { transportId: 'wc', controller: CONTROLLER, tracks: [{ mid: '1', type: 'video', from: trackId }] } });
  await negotiate(t, page, on, events, 'wc');
  await waitFor(async () => (await inbound(page)).framesDecoded > 0, 20_000, 'Chromium decodes werift\'s video');
  const before = await inbound(page);
  await new Promise((r) => setTimeout(r, 2000));
  const after = await inbound(page);
  t.ok(after.framesDecoded > before.framesDecoded + 10, `frames keep being decoded (${before.framesDecoded} -> ${after.framesDecoded})`);
  t.ok(written > 0, `werift sent ${written} packets`);

  const stats = await on('getStats', {});
  const tr = stats.transports.find((x: { id: string }) => x.id === 'w');
  t.match(tr, { type: 'webrtc', iceState: 'connected', dtlsState: 'connected' });
  t.ok(typeof tr.srtpProfile === 'string', `SRTP profile with werift: ${tr.srtpProfile}`);
  t.match(stats.tracks.find((x: { id: string }) => x.id === trackId), { codec: 'VP8', resolution: { width: 320, height: 240 } });
  t.ok(stats.tracks.find((x: { id: string }) => x.id === trackId).packets > 0, 'the agent received werift\'s SRTP');
  await on('destroyTransport', { transportId: 'wc' });
  await on('destroyTransport', { transportId: 'w' });
});
