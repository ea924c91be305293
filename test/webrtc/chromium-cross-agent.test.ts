/**
 * WebRTC across agents with real Chromium: page A publishes the fake camera
 * and microphone on agent A; page B subscribes on agent B, naming A's node's
 * internal address in `tracks[].source`. B's page must decode the video and
 * receive the audio that crossed the internal transport; when A's transport
 * goes, B's subscriber is told track-removed. One browser, two pages.
 */
import t from 'tap';
import { JSONCodec } from 'nats';
import type { Page } from 'playwright-core';
import { natsClient, startNats } from '../helpers/nats';
import { request, startAgent, testConfig, waitFor } from '../helpers/agent';
import { openBrowser } from '../helpers/chromium';

const json = JSONCodec();
const CONTROLLER = 'x-ctl';

interface ControllerEvent {
  name: string;
  payload: any;
}
type Call = (method: string, args?: unknown) => Promise<any>;

async function nextEvent(events: ControllerEvent[], name: string, pred: (p: any) => boolean, what: string): Promise<any> {
  await waitFor(() => events.some((e) => e.name === name && pred(e.payload)), 15_000, what);
  return events.find((e) => e.name === name && pred(e.payload))!.payload;
}

async function negotiate(page: Page, call: Call, events: ControllerEvent[], transportId: string): Promise<void> {
  const offer = await page.evaluate(async () => {
    const pc = (window as any).pc as RTCPeerConnection;
    const o = await pc.createOffer();
    await pc.setLocalDescription(o);
    return o.sdp!;
  });
  await call('onTransportSignaling', { transportId, message: { type: 'offer', sdp: offer } });
  const answer = await nextEvent(events, 'onTransportProgress', (p) => p.transportId === transportId && p.status.type === 'answer', `${transportId} answer`);
  await page.evaluate(async (sdp) => {
    await ((window as any).pc as RTCPeerConnection).setRemoteDescription({ type: 'answer', sdp });
  }, answer.status.sdp as string);
  await nextEvent(events, 'onTransportProgress', (p) => p.transportId === transportId && p.status.type === 'ready', `${transportId} ready`);
}

async function inbound(page: Page): Promise<{ framesDecoded: number; audioPackets: number }> {
  return page.evaluate(async () => {
    const stats = await ((window as any).pc as RTCPeerConnection).getStats();
    const out = { framesDecoded: 0, audioPackets: 0 };
    stats.forEach((r: any) => {
      if (r.type !== 'inbound-rtp') return;
      if (r.kind === 'video') out.framesDecoded += r.framesDecoded ?? 0;
      else if (r.kind === 'audio') out.audioPackets += r.packetsReceived ?? 0;
    });
    return out;
  });
}

t.test('Chromium publishes on agent A; Chromium on agent B decodes it over the internal transport', async (t) => {
  const nats = await startNats(t);
  const env = { NATS_URL: nats.url, WEBRTC_LISTEN_IP: '127.0.0.1' };
  const a = await startAgent(t, testConfig(env));
  const b = await startAgent(t, testConfig(env));
  const nc = await natsClient(t, nats.url);
  const events: ControllerEvent[] = [];
  const sub = nc.subscribe(a.subjects.controller(CONTROLLER, '*'));
  void (async () => {
    for await (const m of sub) events.push({ name: m.subject.split('.').at(-1)!, payload: json.decode(m.data) });
  })();
  await nc.flush();
  const node = async (agent: typeof a, room: string): Promise<Call> => {
    const { nodeId } = await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room, task: 't' });
    return (method, args = {}) => request(nc, agent.subjects.node(nodeId, method), args);
  };
  const onA = await node(a, 'room-a');
  const onB = await node(b, 'room-b');
  const browser = await openBrowser(t);

  const pageA = await browser.newPage();
  await pageA.evaluate(async () => {
    const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 160, height: 120, frameRate: 10 } });
    const pc = new RTCPeerConnection();
    pc.addTransceiver(s.getAudioTracks()[0]!, { direction: 'sendonly' });
    pc.addTransceiver(s.getVideoTracks()[0]!, { direction: 'sendonly' });
    (window as any).pc = pc;
  });
  await onA('createTransport', { transportId: 'ta', controller: CONTROLLER });
  await onA('publish', {
    operationId: 'pub-a',
    connectionType: 'webrtc',
    options: { transportId: 'ta', controller: CONTROLLER, owner: 'alice', tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video', formatPreference: { preferred: { codec: 'vp8' } } }] },
  });
  await negotiate(pageA, onA, events, 'ta');
  const source = await onA('getInternalAddress');

  const pageB = await browser.newPage();
  await pageB.evaluate(() => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    (window as any).pc = pc;
  });
  await onB('createTransport', { transportId: 'tb', controller: CONTROLLER });
  t.same(
    await onB('subscribe', {
      operationId: 'sub-b',
      connectionType: 'webrtc',
      options: { transportId: 'tb', controller: CONTROLLER, owner: 'bob', tracks: [{ mid: '0', type: 'audio', from: 'ta-0', source }, { mid: '1', type: 'video', from: 'ta-1', source }] },
    }),
    { ok: true },
  );
  await negotiate(pageB, onB, events, 'tb');
  const added = events.filter((e) => e.name === 'onTrackUpdate' && e.payload.transportId === 'tb' && e.payload.update.type === 'track-added');
  t.same(added.map((e) => e.payload.update.mediaFormat.codec).sort(), ['opus', 'vp8'], 'B answered with the formats A negotiated');

  await waitFor(async () => (await inbound(pageB)).framesDecoded > 0, 15_000, 'first frame decoded on B');
  const before = await inbound(pageB);
  await new Promise((r) => setTimeout(r, 2000));
  const after = await inbound(pageB);
  t.ok(after.framesDecoded > before.framesDecoded + 5, `video keeps being decoded on B (${before.framesDecoded} -> ${after.framesDecoded})`);
  t.ok(after.audioPackets > before.audioPackets + 20, `audio keeps arriving on B (${before.audioPackets} -> ${after.audioPackets})`);
  const sa = await onA('getStats');
  t.equal(sa.subscriptions.filter((s: any) => s.transportId.startsWith('internal:')).length, 2, 'A exports both tracks over the internal transport');

  // The owner travels across agents: alice, subscribing on B, is not sent her own audio.
  const pageC = await browser.newPage();
  await pageC.evaluate(() => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('audio', { direction: 'recvonly' });
    (window as any).pc = pc;
  });
  await onB('createTransport', { transportId: 'tc', controller: CONTROLLER });
  await onB('subscribe', { operationId: 'sub-c', connectionType: 'webrtc', options: { transportId: 'tc', controller: CONTROLLER, owner: 'alice', tracks: [{ mid: '0', type: 'audio', from: 'ta-0', source }] } });
  const offerC = await pageC.evaluate(async () => {
    const pc = (window as any).pc as RTCPeerConnection;
    const o = await pc.createOffer();
    await pc.setLocalDescription(o);
    return o.sdp!;
  });
  await onB('onTransportSignaling', { transportId: 'tc', message: { type: 'offer', sdp: offerC } });
  const complete = await nextEvent(events, 'onTrackUpdate', (p) => p.update.type === 'tracks-complete' && p.update.operationId === 'sub-c', 'sub-c complete');
  t.match(complete.update.rejected, [{ mid: '0', reason: 'own audio' }], 'own audio refused across agents');

  // A goes: B's subscriber is told its tracks are gone.
  await onA('destroyTransport', { transportId: 'ta' });
  for (const id of ['tb-0', 'tb-1']) {
    await nextEvent(events, 'onTrackUpdate', (p) => p.update.type === 'track-removed' && p.update.trackId === id, `${id} removed on B`);
  }
  await waitFor(async () => !(await onB('getStats')).tracks.some((x: any) => x.id === 'ta-1'), 5000, 'the stand-ins on B end');
});
