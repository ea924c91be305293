/**
 * Through a TURN relay: Debian's coturn, started here on the host side of
 * a network namespace made here, and Debian's Chromium inside it, forced to
 * relay (`iceTransportPolicy: 'relay'`: it uses only relayed candidates).
 * One page publishes through TURN over UDP, another subscribes through TURN
 * over TCP (turn:...?transport=tcp); the relay speaks UDP to the agent.
 * Both selected pairs must be relayed, with the named protocol to the TURN
 * server, and the subscriber must decode video. The control: a page with a
 * wrong TURN password gets no relayed candidate and never connects.
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { waitFor } from '../helpers/agent';
import { openBrowserIn } from '../helpers/chromium';
import { makeNetns } from '../helpers/netns';
import { startTurn, type Turn } from '../helpers/turn';
import { controllerAgent, inbound, negotiate, nextEvent, type Call, type ControllerEvent } from '../helpers/webrtc';

const CONTROLLER = 'turn-ctl';

async function relayedPage(page: Page, turn: Turn, transport: 'udp' | 'tcp', role: 'publish' | 'subscribe', credential = turn.credential): Promise<void> {
  await page.evaluate(
    async ({ url, username, credential, role }) => {
      const pc = new RTCPeerConnection({ iceServers: [{ urls: url, username, credential }], iceTransportPolicy: 'relay' });
      if (role === 'publish') {
        const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 160, height: 120, frameRate: 10 } });
        pc.addTransceiver(s.getAudioTracks()[0]!, { direction: 'sendonly' });
        pc.addTransceiver(s.getVideoTracks()[0]!, { direction: 'sendonly' });
      } else {
        pc.addTransceiver('audio', { direction: 'recvonly' });
        pc.addTransceiver('video', { direction: 'recvonly' });
      }
      (window as any).pc = pc;
    },
    { url: `turn:${turn.ip}:${turn.port}?transport=${transport}`, username: turn.username, credential, role },
  );
}

/** The selected pair's local candidate, as Chromium reports it. */
async function selectedLocal(page: Page): Promise<{ candidateType?: string; relayProtocol?: string; protocol?: string }> {
  return page.evaluate(async () => {
    const stats = await ((window as any).pc as RTCPeerConnection).getStats();
    const byId = new Map<string, any>();
    stats.forEach((r: any) => byId.set(r.id, r));
    let out = {};
    stats.forEach((r: any) => {
      if (r.type !== 'transport' || !r.selectedCandidatePairId) return;
      const local = byId.get(byId.get(r.selectedCandidatePairId)?.localCandidateId);
      if (local) out = { candidateType: local.candidateType, relayProtocol: local.relayProtocol, protocol: local.protocol };
    });
    return out;
  });
}

async function offerAndAnswer(page: Page, call: Call, events: ControllerEvent[], transportId: string): Promise<void> {
  const offer = await page.evaluate(async () => {
    const pc = (window as any).pc as RTCPeerConnection;
    await pc.setLocalDescription(await pc.createOffer());
    return pc.localDescription!.sdp;
  });
  await call('onTransportSignaling', { transportId, message: { type: 'offer', sdp: offer } });
  const answer = await nextEvent(events, 'onTransportProgress', (p) => p.transportId === transportId && p.status.type === 'answer', `${transportId} answer`);
  await page.evaluate(async (sdp) => (window as any).pc.setRemoteDescription({ type: 'answer', sdp }), answer.status.sdp as string);
}

t.test('Chromium forced to relay publishes through TURN/UDP and subscribes through TURN/TCP', async (t) => {
  const ns = makeNetns(t, { blockUdp: false });
  const turn = await startTurn(t, ns.hostIp);
  const { events, nodeFor } = await controllerAgent(t, CONTROLLER, { WEBRTC_LISTEN_IP: ns.hostIp, WEBRTC_ANNOUNCED_IP: ns.hostIp });
  const browser = await openBrowserIn(t, ns.wrapper('/usr/bin/chromium'));
  const call = await nodeFor('room-turn', 'turn');
  const tracks = [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video' }];

  const pub = await browser.newPage();
  await relayedPage(pub, turn, 'udp', 'publish');
  await call('createTransport', { transportId: 'tp', controller: CONTROLLER });
  await call('publish', { operationId: 'pub', connectionType: 'webrtc', options: { transportId: 'tp', controller: CONTROLLER, tracks } });
  await negotiate(t, pub, call, events, 'tp');

  const sub = await browser.newPage();
  await relayedPage(sub, turn, 'tcp', 'subscribe');
  await call('createTransport', { transportId: 'ts', controller: CONTROLLER });
  await call('subscribe', {
    operationId: 'sub',
    connectionType: 'webrtc',
    options: { transportId: 'ts', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio', from: 'tp-0' }, { mid: '1', type: 'video', from: 'tp-1' }] },
  });
  await negotiate(t, sub, call, events, 'ts');
  await waitFor(async () => (await inbound(sub)).framesDecoded > 5, 15_000, 'frames decoded through the relay');

  t.match(await selectedLocal(pub), { candidateType: 'relay', relayProtocol: 'udp' }, 'publisher: relayed, TURN over UDP');
  t.match(await selectedLocal(sub), { candidateType: 'relay', relayProtocol: 'tcp' }, 'subscriber: relayed, TURN over TCP');
  const transports = (await call('getStats', {})).transports as Array<{ id: string; remote: { ip: string; protocol: string } | null }>;
  for (const id of ['tp', 'ts']) {
    t.match(transports.find((x) => x.id === id)?.remote, { ip: turn.ip, protocol: 'udp' }, `${id}: the agent's pair is the relay's address`);
  }

  // The control: a wrong TURN password, so no relayed candidate at all.
  const bad = await browser.newPage();
  await relayedPage(bad, turn, 'udp', 'publish', 'not-the-password');
  await call('createTransport', { transportId: 'tx', controller: CONTROLLER });
  await call('publish', { operationId: 'pubx', connectionType: 'webrtc', options: { transportId: 'tx', controller: CONTROLLER, tracks } });
  await offerAndAnswer(bad, call, events, 'tx');
  await new Promise((r) => setTimeout(r, 3000));
  t.notOk(events.some((e) => e.name === 'onTransportProgress' && e.payload.transportId === 'tx' && e.payload.status.type === 'ready'), 'with a wrong TURN password: never ready');
  t.not(await bad.evaluate(() => ((window as any).pc as RTCPeerConnection).iceConnectionState), 'connected');
});
