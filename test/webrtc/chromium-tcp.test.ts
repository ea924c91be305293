/**
 * ICE-TCP with a real client that has no UDP: Debian's Chromium runs in a
 * network namespace made here, whose UDP is dropped both ways (policy
 * routing to a blackhole), and reaches the agent in the host namespace only over
 * TCP. One page publishes the fake camera and microphone, another
 * subscribes; the selected candidate pair of both must be TCP (Chromium's
 * getStats) and the subscriber must decode video. The control: the same
 * client against an agent with ICE-TCP off (no TCP candidate in the
 * answer) never connects, so the namespace really blocks UDP.
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { waitFor } from '../helpers/agent';
import { openBrowserIn } from '../helpers/chromium';
import { makeNetns } from '../helpers/netns';
import { controllerAgent, inbound, negotiate, nextEvent, publisherPage, subscriberPage } from '../helpers/webrtc';

const CONTROLLER = 'tcp-ctl';

/** The selected candidate pair as Chromium sees it. */
async function selectedPair(page: Page): Promise<{ local?: string; remote?: string; remotePort?: number; state?: string }> {
  return page.evaluate(async () => {
    const stats = await ((window as any).pc as RTCPeerConnection).getStats();
    const byId = new Map<string, any>();
    stats.forEach((r: any) => byId.set(r.id, r));
    let pair: any;
    stats.forEach((r: any) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) pair = byId.get(r.selectedCandidatePairId);
    });
    if (!pair) return {};
    const local = byId.get(pair.localCandidateId);
    const remote = byId.get(pair.remoteCandidateId);
    return { local: local?.protocol, remote: remote?.protocol, remotePort: remote?.port, state: pair.state };
  });
}

t.test('a client whose UDP is blocked publishes and subscribes over ICE-TCP', async (t) => {
  const ns = makeNetns(t, { blockUdp: true });
  const { events, nodeFor, agent } = await controllerAgent(t, CONTROLLER, {
    WEBRTC_LISTEN_IP: ns.hostIp,
    WEBRTC_ANNOUNCED_IP: ns.hostIp,
  });
  void agent;
  const browser = await openBrowserIn(t, ns.wrapper('/usr/bin/chromium'));
  const call = await nodeFor('room-tcp', 'pub');

  const pub = await browser.newPage();
  await publisherPage(pub);
  t.same(await call('createTransport', { transportId: 'tp', controller: CONTROLLER }), { ok: true });
  t.same(
    await call('publish', {
      operationId: 'pub',
      connectionType: 'webrtc',
      options: { transportId: 'tp', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video' }] },
    }),
    { ok: true },
  );
  await negotiate(t, pub, call, events, 'tp');
  const answer = events.find((e) => e.name === 'onTransportProgress' && e.payload.transportId === 'tp' && e.payload.status.type === 'answer')!;
  const tcpLine = /a=candidate:\S+ 1 tcp \d+ (\S+) (\d+) typ host tcptype passive/.exec(answer.payload.status.sdp as string);
  t.ok(tcpLine, 'the answer has a passive TCP host candidate');
  t.equal(tcpLine?.[1], ns.hostIp, 'on the announced address');
  await nextEvent(events, 'onTrackUpdate', (p) => p.update.type === 'tracks-complete' && p.update.operationId === 'pub', 'tracks-complete');

  const sub = await browser.newPage();
  await subscriberPage(sub);
  t.same(await call('createTransport', { transportId: 'ts', controller: CONTROLLER }), { ok: true });
  t.same(
    await call('subscribe', {
      operationId: 'sub',
      connectionType: 'webrtc',
      options: { transportId: 'ts', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio', from: 'tp-0' }, { mid: '1', type: 'video', from: 'tp-1' }] },
    }),
    { ok: true },
  );
  await negotiate(t, sub, call, events, 'ts');
  await waitFor(async () => (await inbound(sub)).framesDecoded > 5, 15_000, 'frames decoded over TCP');
  const before = await inbound(sub);
  await new Promise((r) => setTimeout(r, 1500));
  const after = await inbound(sub);
  t.ok(after.framesDecoded > before.framesDecoded, `video keeps decoding (${before.framesDecoded} -> ${after.framesDecoded})`);
  t.ok(after.audioPackets > before.audioPackets, `audio keeps arriving (${before.audioPackets} -> ${after.audioPackets})`);

  const stats = await call('getStats', {});
  const tcp = stats.webrtcPort.tcp;
  for (const [name, page] of [['publisher', pub], ['subscriber', sub]] as const) {
    const pair = await selectedPair(page);
    t.match(pair, { local: 'tcp', remote: 'tcp', remotePort: tcp.port }, `${name}: the selected candidate pair is TCP, to the agent's TCP port`);
  }
  t.ok(tcp.connections >= 2, `a connection per peer connection (${tcp.connections})`);
  t.ok(tcp.framesIn > 100 && tcp.framesOut > 100, `frames both ways (${tcp.framesIn} in, ${tcp.framesOut} out)`);
  t.equal(stats.webrtcPort.datagramsIn, 0, 'no UDP reached the agent');
});

t.test('control: with ICE-TCP off, the same client never connects', async (t) => {
  const ns = makeNetns(t, { blockUdp: true });
  const { events, nodeFor } = await controllerAgent(t, CONTROLLER, {
    WEBRTC_LISTEN_IP: ns.hostIp,
    WEBRTC_ANNOUNCED_IP: ns.hostIp,
    WEBRTC_TCP: 'false',
  });
  const browser = await openBrowserIn(t, ns.wrapper('/usr/bin/chromium'));
  const call = await nodeFor('room-udp', 'pub');
  const pub = await browser.newPage();
  await publisherPage(pub);
  t.same(await call('createTransport', { transportId: 'tu', controller: CONTROLLER }), { ok: true });
  t.same(
    await call('publish', {
      operationId: 'pub',
      connectionType: 'webrtc',
      options: { transportId: 'tu', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video' }] },
    }),
    { ok: true },
  );
  const offer = await pub.evaluate(async () => {
    const pc = (window as any).pc as RTCPeerConnection;
    await pc.setLocalDescription(await pc.createOffer());
    return pc.localDescription!.sdp;
  });
  await call('onTransportSignaling', { transportId: 'tu', message: { type: 'offer', sdp: offer } });
  const answer = await nextEvent(events, 'onTransportProgress', (p) => p.transportId === 'tu' && p.status.type === 'answer', 'answer');
  t.notMatch(answer.status.sdp, / tcp /, 'no TCP candidate');
  await pub.evaluate(async (sdp) => (window as any).pc.setRemoteDescription({ type: 'answer', sdp }), answer.status.sdp as string);
  await new Promise((r) => setTimeout(r, 4000));
  t.notOk(events.some((e) => e.name === 'onTransportProgress' && e.payload.transportId === 'tu' && e.payload.status.type === 'ready'), 'never ready');
  const state = await pub.evaluate(() => ((window as any).pc as RTCPeerConnection).iceConnectionState);
  t.not(state, 'connected', `Chromium's ICE is ${state}`);
  t.equal((await call('getStats', {})).webrtcPort.datagramsIn, 0, 'no UDP reached the agent');
});
