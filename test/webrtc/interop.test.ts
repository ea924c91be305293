/**
 * Firefox ESR (Debian's, puppeteer-core over WebDriver BiDi, in a network
 * namespace of its own) and Chromium (playwright-core) through one agent
 * that listens on and announces the namespace veth's host side: each
 * publishes and the other watches, with bundlePolicy max-bundle (Firefox
 * then offers every m-line after the first at port 0 with a=bundle-only) and
 * balanced; and Firefox simulcast (rid and repaired-rid extensions written
 * with a direction) arrives as three layer tracks, each starting a
 * subscriber at a key frame and reporting its own picture size.
 *
 * GStreamer webrtcbin (test/helpers/webrtcbin.py, over stdin/stdout JSON)
 * with bundle-policy max-bundle publishes to both browsers and watches each
 * of them; with balanced (no BUNDLE: an ICE/DTLS transport per m-line) it
 * publishes to Chromium and to another balanced webrtcbin.
 *
 * One agent, one Firefox and one Chromium for the file.
 */
import t, { type Test } from 'tap';
import { openBrowser } from '../helpers/chromium';
import { openFirefox } from '../helpers/firefox';
import { controllerAgent, nextEvent, type Call, type ControllerEvent } from '../helpers/webrtc';
import { waitFor } from '../helpers/agent';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import * as sdpTransform from 'sdp-transform';

const CONTROLLER = 'ff-ctl';
// Three clients and seven cases share one agent: more than the default 120 s per file on a busy machine.
t.setTimeout(240_000);

/** What both drivers' pages have in common. */
interface AnyPage {
  // playwright's and puppeteer's evaluate differ in their typing only.
  evaluate(fn: (arg: any) => unknown, arg?: any): Promise<any>;
}

async function setup(t: Test) {
  const firefox = await openFirefox(t);
  const { events, nodeFor } = await controllerAgent(t, CONTROLLER, {
    WEBRTC_LISTEN_IP: firefox.hostIp,
    WEBRTC_ANNOUNCED_IP: firefox.hostIp,
  });
  const chromium = await openBrowser(t);
  const call = await nodeFor('room-ff', 'task-ff');
  return { firefox, chromium, events, call };
}
let shared: ReturnType<typeof setup> | undefined;
const env = () => (shared ??= setup(t));

let seq = 0;

/** The page offers (on window.pc), the agent answers, the page applies it; waits for ready. */
async function negotiate(page: AnyPage, call: Call, events: ControllerEvent[], transportId: string): Promise<string> {
  const offer = await page.evaluate(async () => {
    const pc = (window as any).pc as RTCPeerConnection;
    const o = await pc.createOffer();
    await pc.setLocalDescription(o);
    return o.sdp!;
  }, undefined);
  await call('onTransportSignaling', { transportId, message: { type: 'offer', sdp: offer } });
  const answer = await nextEvent(events, 'onTransportProgress', (p) => p.transportId === transportId && p.status.type === 'answer', `${transportId} answer`);
  await page.evaluate(async (sdp: string) => {
    await ((window as any).pc as RTCPeerConnection).setRemoteDescription({ type: 'answer', sdp });
  }, answer.status.sdp as string);
  await nextEvent(events, 'onTransportProgress', (p) => p.transportId === transportId && p.status.type === 'ready', `${transportId} ready`);
  return offer;
}

async function publisher(page: AnyPage, bundlePolicy: RTCBundlePolicy, simulcast = false): Promise<void> {
  await page.evaluate(
    async ({ bundlePolicy, simulcast }) => {
      const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360, frameRate: 15 } });
      const pc = new RTCPeerConnection({ bundlePolicy });
      pc.addTransceiver(s.getAudioTracks()[0]!, { direction: 'sendonly' });
      pc.addTransceiver(s.getVideoTracks()[0]!, {
        direction: 'sendonly',
        sendEncodings: simulcast ? [{ rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'h', scaleResolutionDownBy: 2 }, { rid: 'f' }] : undefined,
      });
      (window as any).pc = pc;
    },
    { bundlePolicy, simulcast },
  );
}

async function subscriber(page: AnyPage, bundlePolicy: RTCBundlePolicy, audio = true): Promise<void> {
  await page.evaluate(
    ({ bundlePolicy, audio }) => {
      const pc = new RTCPeerConnection({ bundlePolicy });
      if (audio) pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
      (window as any).pc = pc;
    },
    { bundlePolicy, audio },
  );
}

async function received(page: AnyPage): Promise<{ framesDecoded: number; audioPackets: number; width: number }> {
  return page.evaluate(async () => {
    const stats = await ((window as any).pc as RTCPeerConnection).getStats();
    const out = { framesDecoded: 0, audioPackets: 0, width: 0 };
    stats.forEach((r: any) => {
      if (r.type !== 'inbound-rtp') return;
      if (r.kind === 'video') {
        out.framesDecoded += r.framesDecoded ?? 0;
        out.width = r.frameWidth ?? out.width;
      } else if (r.kind === 'audio') out.audioPackets += r.packetsReceived ?? 0;
    });
    return out;
  }, undefined);
}

async function publish(page: AnyPage, call: Call, events: ControllerEvent[], bundlePolicy: RTCBundlePolicy, simulcast = false): Promise<{ tid: string; offer: string }> {
  const tid = `pub${++seq}`;
  await publisher(page, bundlePolicy, simulcast);
  await call('createTransport', { transportId: tid, controller: CONTROLLER });
  await call('publish', {
    operationId: tid,
    connectionType: 'webrtc',
    options: { transportId: tid, controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video', formatPreference: { preferred: { codec: 'vp8' } } }] },
  });
  const offer = await negotiate(page, call, events, tid);
  return { tid, offer };
}

async function watch(page: AnyPage, call: Call, events: ControllerEvent[], bundlePolicy: RTCBundlePolicy, from: { audio?: string; video: string }): Promise<string> {
  const tid = `sub${++seq}`;
  await subscriber(page, bundlePolicy, from.audio !== undefined);
  await call('createTransport', { transportId: tid, controller: CONTROLLER });
  const tracks = from.audio !== undefined ? [{ mid: '0', type: 'audio', from: from.audio }, { mid: '1', type: 'video', from: from.video }] : [{ mid: '0', type: 'video', from: from.video }];
  await call('subscribe', { operationId: tid, connectionType: 'webrtc', options: { transportId: tid, controller: CONTROLLER, tracks } });
  return negotiate(page, call, events, tid);
}

async function decodes(t: Test, page: AnyPage, what: string, audio = true): Promise<void> {
  await waitFor(async () => (await received(page)).framesDecoded > 0, 15_000, `${what}: first decoded frame`);
  const before = await received(page);
  await new Promise((r) => setTimeout(r, 1500));
  const after = await received(page);
  t.ok(after.framesDecoded > before.framesDecoded + 5, `${what}: video keeps being decoded (${before.framesDecoded} -> ${after.framesDecoded})`);
  if (audio) t.ok(after.audioPackets > before.audioPackets + 10, `${what}: audio keeps arriving (${before.audioPackets} -> ${after.audioPackets})`);
}

for (const policy of ['max-bundle', 'balanced'] as const) {
  t.test(`Firefox publishes (${policy}); Chromium watches`, async (t) => {
    const { firefox, chromium, events, call } = await env();
    const ff = await firefox.newPage();
    t.teardown(() => ff.close());
    const { tid, offer } = await publish(ff, call, events, policy);
    t.equal(offer.includes('a=bundle-only'), policy === 'max-bundle', `Firefox's offer ${policy === 'max-bundle' ? 'has' : 'has no'} bundle-only m-lines`);
    const cr = await chromium.newPage();
    t.teardown(() => cr.close());
    await watch(cr, call, events, policy, { audio: `${tid}-0`, video: `${tid}-1` });
    await decodes(t, cr, `Chromium watching Firefox (${policy})`);
  });

  t.test(`Chromium publishes; Firefox watches (${policy})`, async (t) => {
    const { firefox, chromium, events, call } = await env();
    const cr = await chromium.newPage();
    t.teardown(() => cr.close());
    const { tid } = await publish(cr, call, events, policy);
    const ff = await firefox.newPage();
    t.teardown(() => ff.close());
    const offer = await watch(ff, call, events, policy, { audio: `${tid}-0`, video: `${tid}-1` });
    t.equal(offer.includes('a=bundle-only'), policy === 'max-bundle', `Firefox's offer ${policy === 'max-bundle' ? 'has' : 'has no'} bundle-only m-lines`);
    await decodes(t, ff, `Firefox watching Chromium (${policy})`);
  });
}

t.test('Firefox simulcast (max-bundle): three layer tracks, each subscriber starts at a key frame, sizes per layer', async (t) => {
  const { firefox, chromium, events, call } = await env();
  const ff = await firefox.newPage();
  t.teardown(() => ff.close());
  const { tid, offer } = await publish(ff, call, events, 'max-bundle', true);
  t.match(offer, /a=extmap:\d+\/sendonly urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id/, 'Firefox writes the rid extension with a direction');
  const layers = events.filter((e) => e.payload.transportId === tid && e.payload.update?.type === 'track-added').map((e) => e.payload.update.trackId).sort();
  t.same(layers, [`${tid}-0`, `${tid}-1:f`, `${tid}-1:h`, `${tid}-1:q`]);
  const widths: Record<string, number> = {};
  for (const rid of ['q', 'f']) {
    const cr = await chromium.newPage();
    t.teardown(() => cr.close());
    const sub = await (async () => {
      await watch(cr, call, events, 'max-bundle', { video: `${tid}-1:${rid}` });
      return `sub${seq}`;
    })();
    await decodes(t, cr, `layer ${rid}`, false);
    widths[rid] = (await received(cr)).width;
    const st = ((await call('getStats', {})).subscriptions as any[]).find((x) => x.id === `${sub}-0`);
    t.ok(st && st.keyframeWaitTimeouts === 0, `layer ${rid}: the subscriber started at a key frame (${JSON.stringify(st && { drops: st.keyframeWaitDrops, timeouts: st.keyframeWaitTimeouts })})`);
  }
  t.ok(widths.q! > 0 && widths.q! < widths.f!, `the layers differ in size (q ${widths.q}, f ${widths.f})`);
  for (const rid of ['q', 'h', 'f']) {
    const u = await nextEvent(events, 'onMediaUpdate', (p) => p.trackId === `${tid}-1:${rid}`, `layer ${rid} media update`);
    t.ok(u.mediaUpdate.video.parameters.resolution.width > 0, `layer ${rid}: onMediaUpdate ${JSON.stringify(u.mediaUpdate.video.parameters.resolution)}`);
  }
  const q = await nextEvent(events, 'onMediaUpdate', (p) => p.trackId === `${tid}-1:q`, 'q');
  const f = await nextEvent(events, 'onMediaUpdate', (p) => p.trackId === `${tid}-1:f`, 'f');
  t.ok(q.mediaUpdate.video.parameters.resolution.width < f.mediaUpdate.video.parameters.resolution.width, 'each layer reports its own size');
});

/** webrtcbin in a Python process: its offer, then answer in, stats out. */
async function webrtcbin(t: Test, role: 'publish' | 'subscribe', localIp: string, policy: 'max-bundle' | 'balanced' = 'max-bundle') {
  const py = spawn('/usr/bin/python3', [path.join(__dirname, '../helpers/webrtcbin.py'), role, policy, localIp], { stdio: ['pipe', 'pipe', 'ignore'] });
  t.teardown(() => {
    py.stdin.end();
    py.kill('SIGKILL');
  });
  const lines: any[] = [];
  createInterface({ input: py.stdout }).on('line', (l) => lines.push(JSON.parse(l)));
  const next = async (key: string) => {
    await waitFor(() => lines.some((l) => key in l), 15_000, `webrtcbin ${key}`);
    return lines.splice(lines.findIndex((l) => key in l), 1)[0];
  };
  const offer = (await next('offer')).offer as string;
  return {
    offer,
    mids: sdpTransform.parse(offer).media.map((m) => ({ mid: String(m.mid), type: m.type })),
    answer: (sdp: string) => py.stdin.write(JSON.stringify({ answer: sdp }) + '\n'),
    stats: async () => {
      py.stdin.write('{"stats":true}\n');
      return (await next('frames')) as { frames: number; audio: number; ice: string };
    },
  };
}

/** Hands webrtcbin's offer to the agent and its answer back; waits for ready. */
async function negotiateGst(gst: Awaited<ReturnType<typeof webrtcbin>>, call: Call, events: ControllerEvent[], tid: string) {
  await call('onTransportSignaling', { transportId: tid, message: { type: 'offer', sdp: gst.offer } });
  const answer = await nextEvent(events, 'onTransportProgress', (p) => p.transportId === tid && p.status.type === 'answer', `${tid} answer`);
  gst.answer(answer.status.sdp);
  await nextEvent(events, 'onTransportProgress', (p) => p.transportId === tid && p.status.type === 'ready', `${tid} ready`);
}

t.test('webrtcbin (max-bundle) publishes; Chromium and Firefox watch', async (t) => {
  const { firefox, chromium, events, call } = await env();
  const gst = await webrtcbin(t, 'publish', firefox.hostIp);
  t.match(gst.offer, /a=bundle-only/, 'webrtcbin offers bundle-only m-lines');
  const tid = `gpub${++seq}`;
  await call('createTransport', { transportId: tid, controller: CONTROLLER });
  // The mids are the client's: webrtcbin names them by kind and index.
  await call('publish', { operationId: tid, connectionType: 'webrtc', options: { transportId: tid, controller: CONTROLLER, tracks: gst.mids } });
  await negotiateGst(gst, call, events, tid);
  const track = (type: string) => `${tid}-${gst.mids.find((m) => m.type === type)!.mid}`;
  const cr = await chromium.newPage();
  t.teardown(() => cr.close());
  await watch(cr, call, events, 'max-bundle', { audio: track('audio'), video: track('video') });
  await decodes(t, cr, 'Chromium watching webrtcbin');
  const ff = await firefox.newPage();
  t.teardown(() => ff.close());
  await watch(ff, call, events, 'max-bundle', { audio: track('audio'), video: track('video') });
  await decodes(t, ff, 'Firefox watching webrtcbin');
});

t.test('Chromium and Firefox publish (max-bundle); webrtcbin (max-bundle) watches each', async (t) => {
  const { firefox, chromium, events, call } = await env();
  for (const [name, page] of [['Chromium', await chromium.newPage()], ['Firefox', await firefox.newPage()]] as const) {
    t.teardown(() => page.close());
    const { tid } = await publish(page as AnyPage, call, events, 'max-bundle');
    const gst = await webrtcbin(t, 'subscribe', firefox.hostIp);
    t.match(gst.offer, /a=bundle-only/, 'webrtcbin offers bundle-only m-lines');
    const sid = `gsub${++seq}`;
    await call('createTransport', { transportId: sid, controller: CONTROLLER });
    const tracks = gst.mids.map((m) => ({ ...m, from: m.type === 'audio' ? `${tid}-0` : `${tid}-1` }));
    await call('subscribe', { operationId: sid, connectionType: 'webrtc', options: { transportId: sid, controller: CONTROLLER, tracks } });
    await negotiateGst(gst, call, events, sid);
    await waitFor(async () => (await gst.stats()).frames > 0, 15_000, `webrtcbin watching ${name}: first decoded frame`);
    const before = await gst.stats();
    await new Promise((r) => setTimeout(r, 1500));
    const after = await gst.stats();
    t.ok(after.frames > before.frames + 5, `webrtcbin watching ${name}: video keeps being decoded (${before.frames} -> ${after.frames})`);
    t.ok(after.audio > before.audio + 10, `webrtcbin watching ${name}: audio keeps arriving (${before.audio} -> ${after.audio})`);
  }
});

t.test('webrtcbin (balanced: no BUNDLE, a transport per m-line) publishes; Chromium and a balanced webrtcbin watch', async (t) => {
  const { firefox, chromium, events, call } = await env();
  const gst = await webrtcbin(t, 'publish', firefox.hostIp, 'balanced');
  const offered = sdpTransform.parse(gst.offer);
  t.notOk(offered.groups?.some((g) => g.type === 'BUNDLE'), 'webrtcbin balanced offers no BUNDLE group');
  t.equal(new Set(offered.media.map((m) => m.iceUfrag)).size, 2, 'and an ICE ufrag per m-line');
  const tid = `gbpub${++seq}`;
  await call('createTransport', { transportId: tid, controller: CONTROLLER });
  await call('publish', { operationId: tid, connectionType: 'webrtc', options: { transportId: tid, controller: CONTROLLER, tracks: gst.mids } });
  await negotiateGst(gst, call, events, tid);
  const answer = events.find((e) => e.payload.transportId === tid && e.payload.status?.type === 'answer')!.payload.status.sdp as string;
  t.equal(new Set(sdpTransform.parse(answer).media.map((m) => m.iceUfrag)).size, 2, 'the answer gives each m-line its own ICE credentials');
  const track = (type: string) => `${tid}-${gst.mids.find((m) => m.type === type)!.mid}`;
  const cr = await chromium.newPage();
  t.teardown(() => cr.close());
  await watch(cr, call, events, 'max-bundle', { audio: track('audio'), video: track('video') });
  await decodes(t, cr, 'Chromium watching webrtcbin (balanced)');

  const sub = await webrtcbin(t, 'subscribe', firefox.hostIp, 'balanced');
  const sid = `gbsub${++seq}`;
  await call('createTransport', { transportId: sid, controller: CONTROLLER });
  const tracks = sub.mids.map((m) => ({ ...m, from: track(m.type) }));
  await call('subscribe', { operationId: sid, connectionType: 'webrtc', options: { transportId: sid, controller: CONTROLLER, tracks } });
  await negotiateGst(sub, call, events, sid);
  await waitFor(async () => (await sub.stats()).frames > 0, 15_000, 'webrtcbin (balanced) watching webrtcbin (balanced): first decoded frame');
  const before = await sub.stats();
  await new Promise((r) => setTimeout(r, 1500));
  const after = await sub.stats();
  t.ok(after.frames > before.frames + 5, `webrtcbin (balanced) watching: video keeps being decoded (${before.frames} -> ${after.frames})`);
  t.ok(after.audio > before.audio + 10, `webrtcbin (balanced) watching: audio keeps arriving (${before.audio} -> ${after.audio})`);
  const legs = ((await call('getStats', {})).transports as Array<{ id: string }>).map((x) => x.id).filter((id) => id.startsWith(`${sid}`));
  t.same(legs.sort(), [sid, `${sid}+1`], 'two native transports behind the one WebRTC transport');
  await call('destroyTransport', { transportId: sid });
  const left = ((await call('getStats', {})).transports as Array<{ id: string }>).map((x) => x.id).filter((id) => id.startsWith(`${sid}`));
  t.same(left, [], 'destroyTransport ends every leg');
});
