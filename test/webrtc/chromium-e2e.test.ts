/**
 * WebRTC end to end with real Chromium pages, a real nats-server and the
 * agent: the test is the controller (it calls the node API over NATS and
 * listens to <prefix>.controller.<controller>.*). Page A publishes the fake
 * camera and microphone; page B subscribes on the publisher's node, page C
 * on another node (linked by rings); both must decode video and receive audio.
 * Then: simulcast layers as tracks and a renegotiated transport that both
 * publishes and subscribes; H264 and VP9 chosen by formatPreference; a
 * forged fingerprint ending in 'failed' and the close cascade.
 */
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { natsClient, startNats } from '../helpers/nats';
import { request, startAgent, testConfig, waitFor } from '../helpers/agent';
import { openBrowser } from '../helpers/chromium';
import { controllerEvents, inbound, negotiate, nextEvent, publisherPage, subscriberPage, type Call } from '../helpers/webrtc';

const CONTROLLER = 'e2e-ctl';

async function setup(t: Test) {
  const nats = await startNats(t);
  const agent = await startAgent(t, testConfig({ NATS_URL: nats.url, WEBRTC_LISTEN_IP: '127.0.0.1' }));
  const nc = await natsClient(t, nats.url);
  const events = await controllerEvents(nc, agent.subjects.controller(CONTROLLER, '*'));
  const getNode = async (room: string, task: string) =>
    (await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room, task })).nodeId;
  const node = (nodeId: string) => (method: string, args: unknown) => request(nc, agent.subjects.node(nodeId, method), args);
  return { agent, nc, events, getNode, node };
}

// One nats-server, agent and browser for the whole file (a Chromium launch
// costs a CPU-second or more: this file must not starve the other tests).
type Env = Awaited<ReturnType<typeof setup>> & { newPage: (t: Test) => Promise<Page> };
let shared: Promise<Env> | undefined;
function env(): Promise<Env> {
  shared ??= (async () => {
    const s = await setup(t);
    const b = await openBrowser(t);
    const newPage = async (sub: Test) => {
      const page = await b.newPage();
      sub.teardown(() => page.close());
      return page;
    };
    return { ...s, newPage };
  })();
  return shared;
}

/** The page's RTCP-derived stats: what our SRs (remote-outbound-rtp) and RRs (remote-inbound-rtp) gave it. */
async function remoteStats(page: Page): Promise<Array<{ type: string; kind: string; roundTripTime?: number; packetsLost?: number; remoteTimestamp?: number }>> {
  return page.evaluate(async () => {
    const stats = await ((window as any).pc as RTCPeerConnection).getStats();
    const out: any[] = [];
    stats.forEach((r: any) => {
      if (r.type === 'remote-outbound-rtp' || r.type === 'remote-inbound-rtp') {
        out.push({ type: r.type, kind: r.kind, roundTripTime: r.roundTripTime, packetsLost: r.packetsLost, remoteTimestamp: r.remoteTimestamp });
      }
    });
    return out;
  });
}

t.test('Chromium publishes; three subscribers (same node, other node) decode video and receive audio', async (t) => {
  const { events, getNode, node, newPage } = await env();
  const nodeA = await getNode('room-a', 'pub');
  const nodeC = await getNode('room-c', 'sub-c');
  t.not(nodeA, nodeC, 'two node threads');
  const onA = node(nodeA);
  const onC = node(nodeC);

  // A publishes
  const pageA = await newPage(t);
  await publisherPage(pageA);
  t.same(await onA('createTransport', { transportId: 'ta', controller: CONTROLLER }), { ok: true });
  t.same(
    await onA('publish', {
      operationId: 'pub-a',
      connectionType: 'webrtc',
      options: { transportId: 'ta', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video', formatPreference: { preferred: { codec: 'vp8' } } }] },
    }),
    { ok: true },
  );
  await negotiate(t, pageA, onA, events, 'ta');
  const added = events.filter((e) => e.name === 'onTrackUpdate' && e.payload.transportId === 'ta' && e.payload.update.type === 'track-added');
  t.same(added.map((e) => [e.payload.update.trackId, e.payload.update.direction, e.payload.update.mediaFormat.codec]), [
    ['ta-0', 'in', 'opus'],
    ['ta-1', 'in', 'vp8'],
  ]);
  await nextEvent(events, 'onTrackUpdate', (p) => p.update.type === 'tracks-complete' && p.update.operationId === 'pub-a', 'tracks-complete');

  // B on A's node, C and D on another node
  const subscribers: Array<{ page: Page; call: Call; tid: string }> = [];
  for (const [name, call] of [['b', onA], ['c', onC], ['d', onC]] as const) {
    const page = await newPage(t);
    await subscriberPage(page);
    const tid = `t${name}`;
    t.same(await call('createTransport', { transportId: tid, controller: CONTROLLER }), { ok: true });
    t.same(
      await call('subscribe', {
        operationId: `sub-${name}`,
        connectionType: 'webrtc',
        options: { transportId: tid, controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio', from: 'ta-0' }, { mid: '1', type: 'video', from: 'ta-1' }] },
      }),
      { ok: true },
    );
    await negotiate(t, page, call, events, tid);
    subscribers.push({ page, call, tid });
  }

  for (const s of subscribers) {
    await waitFor(async () => (await inbound(s.page)).framesDecoded > 0, 15_000, `${s.tid}: first decoded frame`);
    const before = await inbound(s.page);
    await new Promise((r) => setTimeout(r, 2000));
    const after = await inbound(s.page);
    t.ok(after.framesDecoded > before.framesDecoded + 5, `${s.tid}: video frames keep being decoded (${before.framesDecoded} -> ${after.framesDecoded})`);
    t.ok(after.audioPackets > before.audioPackets + 20, `${s.tid}: audio packets keep arriving (${before.audioPackets} -> ${after.audioPackets})`);
  }

  // Every DTLS handshake went through on its first flights: Chromium starts
  // DTLS after its first successful check and nominates later, and the
  // agent answers on the tuple the ClientHello came from. (Waiting for the
  // nomination dropped the agent's first flight: each join then waited for
  // its 1 s retransmission.)
  for (const [call, tid] of [[onA, 'ta'], ...subscribers.map((s) => [s.call, s.tid] as const)] as const) {
    const tr = ((await call('getStats', {})).transports as any[]).find((x) => x.id === tid);
    t.match(tr, { dtlsState: 'connected', dtlsRetransmissions: 0, drops: { dtlsUnsent: 0 } }, `${tid}: DTLS answered at once, nothing retransmitted`);
  }

  // The picture size, read from the publisher's key frames (OWT's onMediaUpdate).
  const update = await nextEvent(events, 'onMediaUpdate', (p) => p.trackId === 'ta-1', 'ta-1 media update');
  t.match(update, { trackId: 'ta-1', direction: 'in', mediaUpdate: { video: { parameters: { resolution: { width: 160, height: 120 } } } } });
  const video = (await onA('getStats', {})).tracks.find((x: { id: string }) => x.id === 'ta-1');
  t.match(video, { codec: 'VP8', resolution: { width: 160, height: 120 } });
  t.ok(video.keyframes > 0, `key frames seen (${video.keyframes})`);

  // RTCP. Our SRs reach every subscriber (remote-outbound-rtp, audio and
  // video), and their RRs echo them: the agent has an RTT per subscription.
  for (const s of subscribers) {
    await waitFor(async () => (await remoteStats(s.page)).filter((r) => r.type === 'remote-outbound-rtp').length === 2, 10_000, `${s.tid}: remote-outbound-rtp from our SRs`);
    const subId = `${s.tid}-1`;
    const sub = async () => ((await s.call('getStats', {})).subscriptions as any[]).find((x) => x.id === subId);
    await waitFor(async () => (await sub())?.rtt !== null, 10_000, `${subId}: RTT from the browser's RRs`);
    const st = await sub();
    t.ok(st.rtt >= 0 && st.rtt < 1000, `${subId}: rtt ${st.rtt} ms`);
    t.ok(st.srSent >= 1 && st.rrReceived >= 1, `${subId}: ${st.srSent} SRs sent, ${st.rrReceived} report blocks received`);
    t.type(st.packetsLost, 'number');
    t.type(st.jitterMs, 'number');
  }
  // The published track: receive statistics and the publisher's SRs; NACK
  // is on (Chromium offers a=rtcp-fb nack for video).
  const published = ((await onA('getStats', {})).tracks as any[]).find((x) => x.id === 'ta-1');
  t.match(published, { nack: true, packetsLost: Number, jitter: Number, jitterMs: Number, packetsExpected: Number });
  t.ok(published.packetsExpected > 20, `ta-1: ${published.packetsExpected} packets expected`);
  await waitFor(async () => ((await onA('getStats', {})).tracks as any[]).find((x) => x.id === 'ta-1').srReceived > 0, 10_000, 'ta-1: SR from the publisher');
  // And our RRs reach the publisher with LSR/DLSR it can use: its
  // remote-inbound-rtp has a round-trip time.
  await waitFor(
    async () => (await remoteStats(pageA)).some((r) => r.type === 'remote-inbound-rtp' && r.kind === 'video' && typeof r.roundTripTime === 'number'),
    10_000,
    'publisher: remote-inbound-rtp roundTripTime from our RRs',
  );
  const ri = (await remoteStats(pageA)).find((r) => r.type === 'remote-inbound-rtp' && r.kind === 'video')!;
  t.ok(ri.roundTripTime! >= 0 && ri.roundTripTime! < 1, `publisher RTT ${ri.roundTripTime} s`);
  t.equal(ri.packetsLost, 0, 'publisher: no loss reported on loopback');

  // A goes: every subscriber, on its node and on the other, is told its tracks are gone
  const reply = await onA('destroyTransport', { transportId: 'ta' });
  t.same([...reply.removed.tracks].sort(), ['ta-0', 'ta-1']);
  for (const id of ['ta-0', 'ta-1', 'tb-0', 'tb-1', 'tc-0', 'tc-1', 'td-0', 'td-1']) {
    await nextEvent(events, 'onTrackUpdate', (p) => p.update.type === 'track-removed' && p.update.trackId === id, `${id} removed`);
  }
  await t.rejects(onA('unpublish', { operationId: 'pub-a' }), { code: 404 }, 'its operation went with it');
  t.same(await onC('unsubscribe', { operationId: 'sub-c' }), { ok: true, removed: { tracks: [], subscriptions: [] } }, 'the subscription ends cleanly');
  await t.rejects(onC('unsubscribe', { operationId: 'sub-c' }), { code: 404 });
  t.same(await onA('destroyTransport', { transportId: 'tb' }), { ok: true, removed: { tracks: [], subscriptions: [] } });
  t.same(await onC('destroyTransport', { transportId: 'td' }), { ok: true, removed: { tracks: [], subscriptions: [] } });
});

t.test('simulcast layers are tracks; one transport both publishes and subscribes (renegotiation)', async (t) => {
  const { events, getNode, node, newPage } = await env();
  const call = node(await getNode('room-a', 'pub'));

  // S publishes three simulcast layers of a 640x360 camera
  const pageS = await newPage(t);
  await pageS.evaluate(async () => {
    const s = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360, frameRate: 10 } });
    const pc = new RTCPeerConnection();
    pc.addTransceiver(s.getVideoTracks()[0]!, {
      direction: 'sendonly',
      sendEncodings: [{ rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'h', scaleResolutionDownBy: 2 }, { rid: 'f' }],
    });
    (window as any).pc = pc;
  });
  await call('createTransport', { transportId: 'ts', controller: CONTROLLER });
  await call('publish', { operationId: 'pub-s', connectionType: 'webrtc', options: { transportId: 'ts', controller: CONTROLLER, tracks: [{ mid: '0', type: 'video' }] } });
  await negotiate(t, pageS, call, events, 'ts');
  const layers = events.filter((e) => e.payload.transportId === 'ts' && e.payload.update?.type === 'track-added').map((e) => [e.payload.update.trackId, e.payload.update.rid]);
  t.same(layers, [['ts-0:q', 'q'], ['ts-0:h', 'h'], ['ts-0:f', 'f']]);

  // M publishes its microphone, then (same transport, a new offer) takes the lowest layer
  const pageM = await newPage(t);
  await pageM.evaluate(async () => {
    const s = await navigator.mediaDevices.getUserMedia({ audio: true });
    const pc = new RTCPeerConnection();
    pc.addTransceiver(s.getAudioTracks()[0]!, { direction: 'sendonly' });
    (window as any).pc = pc;
  });
  await call('createTransport', { transportId: 'tm', controller: CONTROLLER });
  await call('publish', { operationId: 'pub-m', connectionType: 'webrtc', options: { transportId: 'tm', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio' }] } });
  await negotiate(t, pageM, call, events, 'tm');
  await pageM.evaluate(() => ((window as any).pc as RTCPeerConnection).addTransceiver('video', { direction: 'recvonly' }));
  await call('subscribe', { operationId: 'sub-m', connectionType: 'webrtc', options: { transportId: 'tm', controller: CONTROLLER, tracks: [{ mid: '1', type: 'video', from: 'ts-0:q' }] } });
  const answers = () => events.filter((e) => e.payload.transportId === 'tm' && e.payload.status?.type === 'answer');
  t.equal(answers().length, 1);
  // The second offer: the page applies the second answer
  const offer = await pageM.evaluate(async () => {
    const pc = (window as any).pc as RTCPeerConnection;
    const o = await pc.createOffer();
    await pc.setLocalDescription(o);
    return o.sdp!;
  });
  await call('onTransportSignaling', { transportId: 'tm', message: { type: 'offer', sdp: offer } });
  await waitFor(() => answers().length === 2, 10_000, 'second answer');
  await pageM.evaluate(async (sdp) => {
    await ((window as any).pc as RTCPeerConnection).setRemoteDescription({ type: 'answer', sdp });
  }, answers()[1]!.payload.status.sdp as string);
  t.same(
    events.filter((e) => e.payload.transportId === 'tm' && e.payload.update?.type === 'track-added').map((e) => e.payload.update.trackId),
    ['tm-0', 'tm-1'],
    'the first mid is not set up twice',
  );
  await waitFor(async () => (await inbound(pageM)).framesDecoded > 0, 15_000, 'layer q decoded');
  const before = await inbound(pageM);
  await new Promise((r) => setTimeout(r, 2000));
  const after = await inbound(pageM);
  t.ok(after.framesDecoded > before.framesDecoded + 5, `layer q keeps being decoded (${before.framesDecoded} -> ${after.framesDecoded})`);
  const size = await pageM.evaluate(async () => {
    const stats = await ((window as any).pc as RTCPeerConnection).getStats();
    let w = 0;
    stats.forEach((r: any) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') w = r.frameWidth ?? 0;
    });
    return w;
  });
  t.ok(size > 0 && size <= 160, `the lowest layer, not the full picture (width ${size})`);
  const q = await nextEvent(events, 'onMediaUpdate', (p) => p.trackId === 'ts-0:q', 'layer q media update');
  t.same(q.mediaUpdate.video.parameters.resolution, { width: 160, height: 90 }, 'each layer reports its own size');
});

t.test('the publisher\'s codec is what subscribers get: H264 and VP9 by formatPreference', async (t) => {
  const { events, getNode, node, newPage } = await env();
  const call = node(await getNode('room-a', 'pub'));
  for (const codec of ['h264', 'vp9']) {
    const page = await newPage(t);
    await publisherPage(page);
    const pub = `p-${codec}`;
    await call('createTransport', { transportId: pub, controller: CONTROLLER });
    await call('publish', {
      operationId: pub,
      connectionType: 'webrtc',
      options: { transportId: pub, controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video', formatPreference: { preferred: { codec } } }] },
    });
    await negotiate(t, page, call, events, pub);
    const added = await nextEvent(events, 'onTrackUpdate', (p) => p.update.trackId === `${pub}-1`, `${pub}-1 added`);
    t.equal(added.update.mediaFormat.codec, codec);
    const subPage = await newPage(t);
    await subscriberPage(subPage);
    const sub = `s-${codec}`;
    await call('createTransport', { transportId: sub, controller: CONTROLLER });
    await call('subscribe', {
      operationId: sub,
      connectionType: 'webrtc',
      options: { transportId: sub, controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio', from: `${pub}-0` }, { mid: '1', type: 'video', from: `${pub}-1` }] },
    });
    await negotiate(t, subPage, call, events, sub);
    await waitFor(async () => (await inbound(subPage)).framesDecoded > 0, 15_000, `${codec}: first decoded frame`);
    const before = await inbound(subPage);
    await new Promise((r) => setTimeout(r, 2000));
    const after = await inbound(subPage);
    t.ok(after.framesDecoded > before.framesDecoded + 5, `${codec}: frames keep being decoded (${before.framesDecoded} -> ${after.framesDecoded})`);
    const codecs = await subPage.evaluate(async () => {
      const stats = await ((window as any).pc as RTCPeerConnection).getStats();
      const out: string[] = [];
      stats.forEach((r: any) => {
        if (r.type === 'codec') out.push(r.mimeType);
      });
      return out;
    });
    t.ok(codecs.some((c) => c.toLowerCase() === `video/${codec}`), `${codec}: the subscriber decodes ${codec} (${codecs.join(', ')})`);
    // The size comes from the H264 SPS, or from VP9's scalability structure.
    const update = await nextEvent(events, 'onMediaUpdate', (p) => p.trackId === `${pub}-1`, `${pub}-1 media update`);
    t.same(update.mediaUpdate.video.parameters.resolution, { width: 160, height: 120 }, `${codec}: picture size read from the stream`);
  }
});

t.test('a client whose certificate does not match its fingerprint: failed, then the transport is gone', async (t) => {
  const { events, getNode, node, newPage } = await env();
  const call = node(await getNode('room-a', 'pub'));
  const page = await newPage(t);
  await page.evaluate(async () => {
    const s = await navigator.mediaDevices.getUserMedia({ audio: true });
    const pc = new RTCPeerConnection();
    pc.addTransceiver(s.getAudioTracks()[0]!, { direction: 'sendonly' });
    (window as any).pc = pc;
  });
  await call('createTransport', { transportId: 'tf', controller: CONTROLLER });
  await call('publish', { operationId: 'pub-f', connectionType: 'webrtc', options: { transportId: 'tf', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio' }] } });
  const offer = await page.evaluate(async () => {
    const pc = (window as any).pc as RTCPeerConnection;
    const o = await pc.createOffer();
    await pc.setLocalDescription(o);
    return o.sdp!;
  });
  // The agent is told another certificate than the one the page will present.
  const forged = offer.replace(/a=fingerprint:sha-256 (\S\S)/g, (_m, b: string) => `a=fingerprint:sha-256 ${b === 'AA' ? 'BB' : 'AA'}`);
  t.not(forged, offer);
  await call('onTransportSignaling', { transportId: 'tf', message: { type: 'offer', sdp: forged } });
  const answer = await nextEvent(events, 'onTransportProgress', (p) => p.transportId === 'tf' && p.status.type === 'answer', 'answer');
  await page.evaluate(async (sdp) => {
    await ((window as any).pc as RTCPeerConnection).setRemoteDescription({ type: 'answer', sdp });
  }, answer.status.sdp as string);
  const failed = await nextEvent(events, 'onTransportProgress', (p) => p.transportId === 'tf' && p.status.type === 'failed', 'failed');
  t.match(failed, { transportId: 'tf', status: { reason: /fingerprint/ } });
  await nextEvent(events, 'onTrackUpdate', (p) => p.update.type === 'track-removed' && p.update.trackId === 'tf-0', 'track-removed');
  t.notOk(events.some((e) => e.payload.transportId === 'tf' && e.payload.status?.type === 'ready'), 'never ready');
  await t.rejects(call('destroyTransport', { transportId: 'tf' }), { code: 404 }, 'destroyed');
  await t.rejects(call('unpublish', { operationId: 'pub-f' }), { code: 404 });
  await call('createTransport', { transportId: 'tg', controller: CONTROLLER });
  await t.rejects(
    call('subscribe', { operationId: 'sub-g', connectionType: 'webrtc', options: { transportId: 'tg', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio', from: 'tf-0' }] } }),
    { code: 404, message: /options\.tracks\.0\.from/ },
    'its track is gone',
  );
});

t.test('5 % loss on the way to subscribers: NACKs are answered; 10 % from the publisher: the agent NACKs, RTX repairs; video keeps decoding; a late joiner decodes within 2 s', async (t) => {
  const { events, getNode, node, newPage } = await env();
  const nodeId = await getNode('room-loss', 'pub');
  const on = node(nodeId);
  const pub = await newPage(t);
  // Enough packets per second that 5 % of them is a steady stream of losses.
  await publisherPage(pub, { width: 640, height: 480, frameRate: 30 });
  await on('createTransport', { transportId: 'lp', controller: CONTROLLER });
  await on('publish', {
    operationId: 'lp-pub',
    connectionType: 'webrtc',
    options: { transportId: 'lp', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video', formatPreference: { preferred: { codec: 'vp8' } } }] },
  });
  await negotiate(t, pub, on, events, 'lp');
  t.same(await on('testSetSendLoss', { percent: 5 }), { ok: true });
  t.teardown(() => on('testSetSendLoss', { percent: 0 }));

  const sub = await newPage(t);
  await subscriberPage(sub);
  await on('createTransport', { transportId: 'ls', controller: CONTROLLER });
  await on('subscribe', {
    operationId: 'ls-sub',
    connectionType: 'webrtc',
    options: { transportId: 'ls', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio', from: 'lp-0' }, { mid: '1', type: 'video', from: 'lp-1' }] },
  });
  await negotiate(t, sub, on, events, 'ls');
  await waitFor(async () => (await inbound(sub)).framesDecoded > 0, 15_000, 'first decoded frame through loss');
  const before = await inbound(sub);
  await new Promise((r) => setTimeout(r, 4000));
  const after = await inbound(sub);
  t.ok(after.framesDecoded > before.framesDecoded + 30, `video keeps decoding through 5 % loss (${before.framesDecoded} -> ${after.framesDecoded})`);
  const stats = await on('getStats', {});
  const video = stats.subscriptions.find((s: { trackId: string; transportId: string }) => s.transportId === 'ls' && s.trackId === 'lp-1');
  t.ok(video.testDropped > 0, `the switch dropped packets (${video.testDropped})`);
  t.ok(video.nackPackets > 0, `the subscriber NACKed (${video.nackPackets})`);
  t.ok(video.retransmitted > 0, `NACKs answered from the send buffer (${video.retransmitted})`);
  // Chromium offers RTX: the repairs go on the answered RTX SSRC, and the
  // video above kept decoding with them.
  t.ok(video.rtxSsrc > 0 && video.rtxSent === video.retransmitted, `repairs as RTX (${video.rtxSent} on SSRC ${video.rtxSsrc})`);

  // Loss on the way in: the agent NACKs the publisher, Chromium answers with
  // RTX (tied by FID in its offer), the agent unwraps it, and the
  // subscriber keeps decoding (its gaps are filled by the same packets).
  await on('testSetSendLoss', { percent: 0 });
  t.same(await on('testSetReceiveLoss', { percent: 10 }), { ok: true });
  t.teardown(() => on('testSetReceiveLoss', { percent: 0 }));
  const track = async () => ((await on('getStats', {})).tracks as any[]).find((x) => x.id === 'lp-1');
  const inBefore = await inbound(sub);
  // The fake camera's VP8 runs at some 15 packets a second here: 10 % loss
  // gives a repair every second or so.
  await waitFor(async () => (await track()).retransmissionsReceived >= 5, 15_000, 'retransmissions from the publisher');
  await new Promise((r) => setTimeout(r, 1000));
  const inAfter = await inbound(sub);
  await on('testSetReceiveLoss', { percent: 0 });
  const lp = await track();
  t.ok(lp.testDropped > 0, `the switch dropped packets from the publisher (${lp.testDropped})`);
  t.ok(lp.nacksSent > 0 && lp.nackedPackets >= lp.nackMissing, `NACKs sent (${lp.nacksSent} messages, ${lp.nackedPackets} numbers, ${lp.nackMissing} missing)`);
  t.ok(lp.rtxPackets > 0, `RTX unwrapped (${lp.rtxPackets})`);
  t.ok(lp.retransmissionsReceived > 0.5 * lp.nackMissing - 5, `most losses repaired (${lp.retransmissionsReceived} of ${lp.nackMissing})`);
  t.ok(inAfter.framesDecoded > inBefore.framesDecoded + 10, `video keeps decoding through 10 % loss upstream (${inBefore.framesDecoded} -> ${inAfter.framesDecoded})`);

  // A subscriber that joins is sent a key frame at once: the agent asks the
  // publisher when the joiner's transport can send. Checked with the
  // publication paused, so nothing else asks on the agent's own initiative
  // (a held-back packet would make it ask again, and it is not forwarded
  // while paused): every request on the track is then either a subscriber's
  // PLI/FIR, a NACK overflow, or the join's.
  t.same(await on('mediaOnOff', { operationId: 'lp-pub', tracks: ['lp-1'], direction: 'in', action: 'off' }), { ok: true });
  const asks = async () => {
    const st = await on('getStats', {});
    const tr = (st.tracks as any[]).find((x) => x.id === 'lp-1');
    const fromSubscribers = (st.subscriptions as any[])
      .filter((x) => x.trackId === 'lp-1')
      .reduce((n, x) => n + x.keyframeRequests, 0);
    return tr.keyframeRequestsSent + tr.keyframeRequestsMerged - fromSubscribers - tr.nackKeyframes;
  };
  const asksBefore = await asks();
  const late = await newPage(t);
  await subscriberPage(late);
  await on('createTransport', { transportId: 'll', controller: CONTROLLER });
  await on('subscribe', {
    operationId: 'll-sub',
    connectionType: 'webrtc',
    options: { transportId: 'll', controller: CONTROLLER, tracks: [{ mid: '1', type: 'video', from: 'lp-1' }] },
  });
  await negotiate(t, late, on, events, 'll');
  await waitFor(async () => (await asks()) > asksBefore, 5000, 'a key frame asked for on join').catch(() => undefined);
  const joinAsks = (await asks()) - asksBefore;
  t.ok(joinAsks >= 1, `the agent asked for a key frame on join while the publication was paused (${joinAsks} of its own)`);
  // Resumed, the joiner decodes at once.
  await on('mediaOnOff', { operationId: 'lp-pub', tracks: ['lp-1'], direction: 'in', action: 'on' });
  const t0 = Date.now();
  await waitFor(async () => (await inbound(late)).framesDecoded > 0, 10_000, 'late joiner decodes');
  const ms = Date.now() - t0;
  t.ok(ms < 2000, `the late joiner decoded its first frame ${ms} ms after the publication resumed`);
  for (const id of ['ll', 'ls', 'lp']) await on('destroyTransport', { transportId: id });
});

t.test('a participant is never sent their own audio (OWT): that mid is refused, video still flows', async (t) => {
  const { events, getNode, node, newPage } = await env();
  const nodeA = await getNode('room-own', 'pub');
  const nodeB = await getNode('room-own-2', 'sub');
  const onA = node(nodeA);
  const onB = node(nodeB);
  const pub = await newPage(t);
  await publisherPage(pub);
  await onA('createTransport', { transportId: 'op', controller: CONTROLLER });
  await onA('publish', {
    operationId: 'op-pub',
    connectionType: 'webrtc',
    options: { transportId: 'op', controller: CONTROLLER, owner: 'alice', tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video' }] },
  });
  await negotiate(t, pub, onA, events, 'op');
  // Alice watches herself from another node (the owner travels with the track's home).
  const self = await newPage(t);
  await subscriberPage(self);
  await onB('createTransport', { transportId: 'os', controller: CONTROLLER });
  await onB('subscribe', {
    operationId: 'os-sub',
    connectionType: 'webrtc',
    options: { transportId: 'os', controller: CONTROLLER, owner: 'alice', tracks: [{ mid: '0', type: 'audio', from: 'op-0' }, { mid: '1', type: 'video', from: 'op-1' }] },
  });
  await negotiate(t, self, onB, events, 'os');
  const done = await nextEvent(events, 'onTrackUpdate', (p) => p.update.type === 'tracks-complete' && p.update.operationId === 'os-sub', 'tracks-complete');
  t.same(done.update.rejected, [{ mid: '0', reason: 'own audio' }], 'her own audio is refused');
  await waitFor(async () => (await inbound(self)).framesDecoded > 0, 15_000, 'her own video decodes');
  const s = await inbound(self);
  t.equal(s.audioPackets, 0, 'no audio packet reached her');
  for (const id of ['os', 'op']) await (id === 'os' ? onB : onA)('destroyTransport', { transportId: id });
});

t.test('mediaOnOff: a subscription or a publication paused sends nothing; resumed, video decodes again', async (t) => {
  const { events, getNode, node, newPage } = await env();
  const on = node(await getNode('room-onoff', 'pub'));
  const pub = await newPage(t);
  await publisherPage(pub);
  await on('createTransport', { transportId: 'mp', controller: CONTROLLER });
  await on('publish', { operationId: 'mp-pub', connectionType: 'webrtc', options: { transportId: 'mp', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video' }] } });
  await negotiate(t, pub, on, events, 'mp');
  const sub = await newPage(t);
  await subscriberPage(sub);
  await on('createTransport', { transportId: 'ms', controller: CONTROLLER });
  await on('subscribe', { operationId: 'ms-sub', connectionType: 'webrtc', options: { transportId: 'ms', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio', from: 'mp-0' }, { mid: '1', type: 'video', from: 'mp-1' }] } });
  await negotiate(t, sub, on, events, 'ms');
  await waitFor(async () => (await inbound(sub)).framesDecoded > 0, 15_000, 'decoding');
  const stalls = async (what: string) => {
    await new Promise((r) => setTimeout(r, 500)); // what was in flight lands
    const a = await inbound(sub);
    await new Promise((r) => setTimeout(r, 1500));
    const b = await inbound(sub);
    t.equal(b.videoPackets, a.videoPackets, `${what}: no video packet arrives`);
  };
  const flows = async (what: string) => {
    const a = await inbound(sub);
    await waitFor(async () => (await inbound(sub)).framesDecoded > a.framesDecoded + 5, 10_000, what).catch(() => undefined);
    const b = await inbound(sub);
    t.ok(b.framesDecoded > a.framesDecoded + 5, `${what}: video decodes again (${a.framesDecoded} -> ${b.framesDecoded})`);
  };
  t.same(await on('mediaOnOff', { operationId: 'ms-sub', tracks: ['ms-1'], direction: 'out', action: 'off' }), { ok: true });
  await stalls('subscription paused');
  await on('mediaOnOff', { operationId: 'ms-sub', tracks: ['ms-1'], direction: 'out', action: 'on' });
  await flows('subscription resumed');
  await on('mediaOnOff', { operationId: 'mp-pub', tracks: ['mp-1'], direction: 'in', action: 'off' });
  await stalls('publication paused');
  await on('mediaOnOff', { operationId: 'mp-pub', tracks: ['mp-1'], direction: 'in', action: 'on' });
  await flows('publication resumed');
  await t.rejects(on('mediaOnOff', { operationId: 'mp-pub', tracks: ['mp-1'], direction: 'out', action: 'off' }), { code: 400, message: /^direction:/ });
  await t.rejects(on('mediaOnOff', { operationId: 'mp-pub', tracks: ['ms-1'], direction: 'in', action: 'off' }), { code: 404, message: /tracks\.0/ });
  await t.rejects(on('mediaOnOff', { operationId: 'nope', tracks: ['x'], direction: 'in', action: 'off' }), { code: 404 });
  for (const id of ['ms', 'mp']) await on('destroyTransport', { transportId: id });
});
