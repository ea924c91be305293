/**
 * What the Chromium tests share: the controller's view of events, the
 * offer/answer dance between a page and the agent, and the pages' roles
 * (publisher of the fake camera and microphone, subscriber) and stats.
 */
import type { Test } from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { JSONCodec, type NatsConnection } from 'nats';
import type { Page } from 'playwright-core';
import { request, startAgent, testConfig, waitFor } from './agent';
import { natsClient, startNats } from './nats';

const json = JSONCodec();

export interface ControllerEvent {
  name: string;
  payload: any;
}

/** Collects every event published on `subject` (a controller's `<prefix>.controller.<id>.*`). */
export async function controllerEvents(nc: NatsConnection, subject: string): Promise<ControllerEvent[]> {
  const events: ControllerEvent[] = [];
  const sub = nc.subscribe(subject);
  void (async () => {
    for await (const m of sub) events.push({ name: m.subject.split('.').at(-1)!, payload: json.decode(m.data) });
  })();
  await nc.flush();
  return events;
}

/**
 * A nats-server, an agent on it (env: config overrides) and a connection
 * that plays the controller `controller`: its events are collected, and
 * `nodeFor` places a room's task with getNode and returns a caller of that
 * node's methods.
 */
export async function controllerAgent(t: Test, controller: string, env: Record<string, string> = {}) {
  const nats = await startNats(t);
  const nc = await natsClient(t, nats.url);
  const agent = await startAgent(t, testConfig({ NATS_URL: nats.url, ...env }));
  const events = await controllerEvents(nc, agent.subjects.controller(controller, '*'));
  const nodeFor = async (room: string, task: string): Promise<Call> => {
    const { nodeId } = await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room, task });
    return (method, args) => request(nc, agent.subjects.node(nodeId, method), args);
  };
  return { nats, nc, agent, events, nodeFor };
}

export type Call = (method: string, args: unknown) => Promise<any>;

/** Waits for the transport's event matching pred, and returns its payload. */
export async function nextEvent(events: ControllerEvent[], name: string, pred: (p: any) => boolean, what: string): Promise<any> {
  await waitFor(() => events.some((e) => e.name === name && pred(e.payload)), 10_000, what);
  return events.find((e) => e.name === name && pred(e.payload))!.payload;
}

/** The page makes its offer; the agent answers through onTransportProgress; the page applies it. */
export async function negotiate(t: Test, page: Page, call: Call, events: ControllerEvent[], transportId: string): Promise<void> {
  const offer = await page.evaluate(async () => {
    const pc = (window as any).pc as RTCPeerConnection;
    const o = await pc.createOffer();
    await pc.setLocalDescription(o);
    return o.sdp!;
  });
  t.same(await call('onTransportSignaling', { transportId, message: { type: 'offer', sdp: offer } }), { ok: true });
  const answer = await nextEvent(events, 'onTransportProgress', (p) => p.transportId === transportId && p.status.type === 'answer', `${transportId} answer`);
  await page.evaluate(async (sdp) => {
    await ((window as any).pc as RTCPeerConnection).setRemoteDescription({ type: 'answer', sdp });
  }, answer.status.sdp as string);
  await nextEvent(events, 'onTransportProgress', (p) => p.transportId === transportId && p.status.type === 'ready', `${transportId} ready`);
}

export async function publisherPage(page: Page, video = { width: 160, height: 120, frameRate: 10 }): Promise<void> {
  await page.evaluate(async (video) => {
    const s = await navigator.mediaDevices.getUserMedia({ audio: true, video });
    const pc = new RTCPeerConnection();
    pc.addTransceiver(s.getAudioTracks()[0]!, { direction: 'sendonly' });
    pc.addTransceiver(s.getVideoTracks()[0]!, { direction: 'sendonly' });
    (window as any).pc = pc;
  }, video);
}

export async function subscriberPage(page: Page): Promise<void> {
  await page.evaluate(() => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    (window as any).pc = pc;
  });
}

export async function inbound(page: Page): Promise<{ framesDecoded: number; audioPackets: number; videoPackets: number }> {
  return page.evaluate(async () => {
    const stats = await ((window as any).pc as RTCPeerConnection).getStats();
    const out = { framesDecoded: 0, audioPackets: 0, videoPackets: 0 };
    stats.forEach((r: any) => {
      if (r.type !== 'inbound-rtp') return;
      if (r.kind === 'video') {
        out.framesDecoded += r.framesDecoded ?? 0;
        out.videoPackets += r.packetsReceived ?? 0;
      } else if (r.kind === 'audio') out.audioPackets += r.packetsReceived ?? 0;
    });
    return out;
  });
}

/**
 * A transport that publishes audio and video, answered for a recorded
 * Chromium offer (test/fixtures/sdp/chromium-publish.sdp): for tests that
 * play the client by hand. Returns the offer, the answer and the ICE
 * USERNAME a client's checks carry.
 */
export async function answeredFixture(call: Call, events: ControllerEvent[], controller: string, transportId: string) {
  const offer = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'sdp', 'chromium-publish.sdp'), 'utf8');
  await call('createTransport', { transportId, controller });
  await call('publish', {
    operationId: `${transportId}-pub`,
    connectionType: 'webrtc',
    options: { transportId, controller, tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video' }] },
  });
  await call('onTransportSignaling', { transportId, message: { type: 'offer', sdp: offer } });
  const answer = (await nextEvent(events, 'onTransportProgress', (p) => p.transportId === transportId && p.status.type === 'answer', 'answer')).status.sdp as string;
  const ufrag = /a=ice-ufrag:(\S+)/.exec(answer)![1]!;
  const pwd = /a=ice-pwd:(\S+)/.exec(answer)![1]!;
  const clientUfrag = /a=ice-ufrag:(\S+)/.exec(offer)![1]!;
  return { offer, answer, pwd, clientUfrag, username: `${ufrag}:${clientUfrag}` };
}

/**
 * A Chromium page that publishes its fake camera as 3-layer simulcast
 * (rids q, h, f at 1/4, 1/2 and full size, VP8) with its microphone, on a
 * new transport `transportId` of the node `call` reaches: its layer tracks
 * are `<transportId>-1:q|h|f`, its audio `<transportId>-0`.
 */
export async function simulcastPublisher(t: Test, page: Page, call: Call, events: ControllerEvent[], controller: string, transportId: string, video = { width: 1280, height: 720, frameRate: 20 }): Promise<void> {
  await page.evaluate(async (video) => {
    const s = await navigator.mediaDevices.getUserMedia({ audio: true, video });
    const pc = new RTCPeerConnection();
    pc.addTransceiver(s.getAudioTracks()[0]!, { direction: 'sendonly' });
    pc.addTransceiver(s.getVideoTracks()[0]!, {
      direction: 'sendonly',
      sendEncodings: [{ rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'h', scaleResolutionDownBy: 2 }, { rid: 'f' }],
    });
    (window as any).pc = pc;
  }, video);
  await call('createTransport', { transportId, controller });
  await call('publish', {
    operationId: `${transportId}-pub`,
    connectionType: 'webrtc',
    options: { transportId, controller, tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video', formatPreference: { preferred: { codec: 'vp8' } } }] },
  });
  await negotiate(t, page, call, events, transportId);
}

/**
 * A receiving page (subscriberPage) on a new transport `transportId`,
 * subscribed to the audio `<publisher>-0` and the whole video publication
 * `<publisher>-1` (a layered subscription when it is simulcast), negotiated.
 */
export async function publicationSubscriber(t: Test, page: Page, call: Call, events: ControllerEvent[], controller: string, transportId: string, publisher = 'p'): Promise<void> {
  await subscriberPage(page);
  await call('createTransport', { transportId, controller });
  await call('subscribe', {
    operationId: `${transportId}-sub`,
    connectionType: 'webrtc',
    options: { transportId, controller, tracks: [{ mid: '0', type: 'audio', from: `${publisher}-0` }, { mid: '1', type: 'video', from: `${publisher}-1` }] },
  });
  await negotiate(t, page, call, events, transportId);
}

/**
 * A Chromium page that publishes its fake camera at 1280x720 as one VP9
 * stream with scalabilityMode L3T3_KEY (spatial layers 320x180, 640x360,
 * 1280x720, three temporal layers each, one SSRC), with its microphone, on
 * a new transport `transportId`: its video track is `<transportId>-1`,
 * published with the scalability mode the sender took, which is returned.
 */
export async function svcPublisher(t: Test, page: Page, call: Call, events: ControllerEvent[], controller: string, transportId: string): Promise<string> {
  const mode = await page.evaluate(async () => {
    const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 1280, height: 720, frameRate: 20 } });
    const pc = new RTCPeerConnection();
    pc.addTransceiver(s.getAudioTracks()[0]!, { direction: 'sendonly' });
    const tr = pc.addTransceiver(s.getVideoTracks()[0]!, { direction: 'sendonly', sendEncodings: [{ scalabilityMode: 'L3T3_KEY' } as RTCRtpEncodingParameters] });
    tr.setCodecPreferences(RTCRtpSender.getCapabilities('video')!.codecs.filter((c) => c.mimeType === 'video/VP9'));
    (window as any).pc = pc;
    // (TypeScript's DOM types do not know scalabilityMode yet.)
    return (tr.sender.getParameters().encodings[0] as { scalabilityMode?: string } | undefined)?.scalabilityMode ?? '';
  });
  await call('createTransport', { transportId, controller });
  await call('publish', {
    operationId: `${transportId}-pub`,
    connectionType: 'webrtc',
    options: {
      transportId,
      controller,
      // The mode the sender took, as an OWT client tells it (createLayerStreams counts the layers by it).
      tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video', formatPreference: { preferred: { codec: 'vp9' } }, ...(mode ? { scalabilityMode: mode } : {}) }],
    },
  });
  await negotiate(t, page, call, events, transportId);
  return mode;
}

/** A receiving page's video: frames decoded, the picture width and Chromium's frames per second. */
export async function decodedVideo(page: Page): Promise<{ frames: number; width: number; fps: number }> {
  return page.evaluate(async () => {
    const out = { frames: 0, width: 0, fps: 0 };
    (await ((window as any).pc as RTCPeerConnection).getStats()).forEach((r: any) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') {
        out.frames = r.framesDecoded ?? 0;
        out.width = r.frameWidth ?? 0;
        out.fps = r.framesPerSecond ?? 0;
      }
    });
    return out;
  });
}
