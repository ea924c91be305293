/**
 * The WebRTC node's bookkeeping with a fake addon: operations own mids,
 * offers (captured from Chromium) become router tracks and subscriptions,
 * and the controller is told in OWT's order; failures are 400/404 naming
 * the field, and the close cascade sends track-removed for every track.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as sdpTransform from 'sdp-transform';
import type { Removed } from '../../src/node/media/schemas';
import type { ListenInfo } from '../../src/node/webrtc/native';
import type { TrackFormat } from '../../src/node/webrtc/format';
import { MediaRouter } from '../../src/node/router/MediaRouter';
import type { RouterNative } from '../../src/node/router/RouterCore';
import { WebrtcNode } from '../../src/node/webrtc/WebrtcNode';
import { fromMediaFormat, toMediaFormat } from '../../src/node/webrtc/format';
import { iceCredentials } from '../../src/node/webrtc/iceCredentials';
import { NotFoundError } from '../../src/errors';

const fixture = (name: string) => readFileSync(path.join(__dirname, '../fixtures/sdp', name), 'utf8');
const settings = { listenIp: '127.0.0.1', announcedIp: '127.0.0.1', portMin: 40000, portMax: 40100, consentTimeoutMs: 30000, limits: { transports: 2000, operations: 4000, tracks: 2000, subscriptions: 2000 } };

interface Call {
  fn: string;
  args: unknown[];
}

/**
 * The addon's functions as the node's media objects call them (one options
 * object each); each call is recorded with its fields in a fixed order (the
 * keys listed, absent ones as their defaults), so the tests below compare
 * plain arrays.
 */
function fakeNative(opts: { failSubscribe?: boolean } = {}) {
  const calls: Call[] = [];
  let onEvent: ((id: string, type: string, detail: string) => void) | undefined;
  const tracks = new Map<string, string>(); // trackId -> transportId
  const subs = new Map<string, string>();
  const sources = new Map<string, string>(); // subscriptionId -> trackId
  const transports = new Set<string>();
  type O = Record<string, any>;
  const rec = (fn: string, o: O, keys: string[], defaults: O = {}): unknown[] => {
    const args = keys.map((k) => o[k] ?? defaults[k]);
    calls.push({ fn, args });
    return args;
  };
  const native = {
    mediaObjects: () => ({ transports: transports.size, tracks: tracks.size, subscriptions: subs.size, sendBuffers: 0, webrtcRegistered: 0, webrtcUfrags: 0, webrtcTuples: 0 }),
    webrtcListen: (o: O): ListenInfo => {
      rec('webrtcListen', o, ['listenIp', 'announcedIp', 'portMin', 'portMax']);
      return { ip: '127.0.0.1', port: 40000, fingerprint: { algorithm: 'sha-256', value: 'AB:CD' } };
    },
    webrtcCreateTransport: (o: O) => {
      rec('webrtcCreateTransport', o, ['transportId', 'iceUfrag', 'icePwd', 'consentTimeoutMs']);
      transports.add(o.transportId);
    },
    webrtcSetRemote: (o: O) => void rec('webrtcSetRemote', o, ['transportId', 'iceUfrag', 'fingerprintAlgorithm', 'fingerprintValue', 'dtlsRole']),
    webrtcBindTrack: (o: O) => void rec('webrtcBindTrack', o, ['trackId', 'mid', 'rid', 'midExtId', 'ridExtId', 'ssrc']),
    webrtcSetTransportCc: (o: O) => void rec('webrtcSetTransportCc', o, ['transportId', 'extId']),
    webrtcSetSendTransportCc: (o: O) => void rec('webrtcSetSendTransportCc', o, ['transportId', 'extId', 'initialBps', 'minBps', 'maxBps', 'probing']),
    webrtcOnEvent: (cb: (id: string, type: string, detail: string) => void) => {
      calls.push({ fn: 'webrtcOnEvent', args: [] });
      onEvent = cb;
    },
    mediaPublish: (o: O) => {
      rec('mediaPublish', o, ['transportId', 'trackId', 'kind', 'ssrc', 'payloadType', 'clockRate', 'nack'], { ssrc: 0, payloadType: -1, nack: false });
      tracks.set(o.trackId, o.transportId);
    },
    mediaSetTrackCodec: (o: O) => void rec('mediaSetTrackCodec', o, ['trackId', 'codec']),
    // A stand-in for a track of another node thread (no transport).
    mediaImport: (o: O) => {
      rec('mediaImport', o, ['trackId', 'kind', 'clockRate', 'peer', 'link']);
      tracks.set(o.trackId, '');
    },
    mediaSetTrackRtx: (o: O) => void rec('mediaSetTrackRtx', o, ['trackId', 'rtxSsrc', 'rtxPayloadType']),
    mediaUnpublish: (o: O): Removed => {
      const [trackId] = rec('mediaUnpublish', o, ['trackId']) as [string];
      if (!tracks.delete(trackId)) throw new NotFoundError(`track not found: ${trackId}`);
      const gone = [...sources].filter(([, tr]) => tr === trackId).map(([k]) => k);
      for (const k of gone) {
        subs.delete(k);
        sources.delete(k);
      }
      return { tracks: [trackId], subscriptions: gone };
    },
    mediaSubscribe: (o: O) => {
      const args = rec('mediaSubscribe', o, ['transportId', 'trackId', 'subscriptionId', 'ssrc', 'payloadType'], { ssrc: 0, payloadType: -1 });
      if (opts.failSubscribe) throw new NotFoundError(`track not found: ${o.trackId}`);
      subs.set(o.subscriptionId, o.transportId);
      sources.set(o.subscriptionId, o.trackId);
      return args[3];
    },
    mediaSetSubscriptionRtx: (o: O) => void rec('mediaSetSubscriptionRtx', o, ['subscriptionId', 'rtxSsrc', 'rtxPayloadType']),
    mediaUnsubscribe: (o: O) => {
      const [id] = rec('mediaUnsubscribe', o, ['subscriptionId']) as [string];
      sources.delete(id);
      if (!subs.delete(id)) throw new NotFoundError(`subscription not found: ${id}`);
    },
    mediaCloseTransport: (o: O): Removed => {
      const [id] = rec('mediaCloseTransport', o, ['transportId']) as [string];
      transports.delete(id);
      const gone = [...tracks].filter(([, tr]) => tr === id).map(([k]) => k);
      // As the router: the subscriptions of its tracks (wherever sent), then those sent on it.
      const readers = [...sources].filter(([, tr]) => gone.includes(tr)).map(([k]) => k);
      const r: Removed = { tracks: gone, subscriptions: [...new Set([...readers, ...[...subs].filter(([, tr]) => tr === id).map(([k]) => k)])] };
      for (const k of r.tracks) tracks.delete(k);
      for (const k of r.subscriptions) {
        subs.delete(k);
        sources.delete(k);
      }
      return r;
    },
    mediaCreatePlainTransport: (o: O) => {
      rec('mediaCreatePlainTransport', o, ['transportId', 'comedia']);
      transports.add(o.transportId);
      return 5000;
    },
  };
  return { native, calls, fire: (id: string, type: string, detail = '') => onEvent!(id, type, detail), named: (fn: string) => calls.filter((c) => c.fn === fn) };
}

function setup(opts: { failSubscribe?: boolean; bwe?: boolean } = {}) {
  const f = fakeNative(opts);
  const events: Array<{ controller: string; name: string; payload: any }> = [];
  const bwe = { initialBitrate: 1_000_000, minBitrate: 50_000, maxBitrate: 20_000_000, probing: true };
  const router = new MediaRouter(f.native as unknown as RouterNative);
  const node = new WebrtcNode(router, (controller, name, payload) => events.push({ controller, name, payload }), opts.bwe ? { ...settings, bwe } : settings);
  /** A stand-in here for a track published on another node thread (what the LinkManager imports first). */
  const standIn = (trackId: string, kind: 'audio' | 'video', format?: TrackFormat) => {
    router.importTrack({ trackId, kind, clockRate: kind === 'audio' ? 48000 : 90000, peer: 'other', link: 1 });
    if (format) node.setTrackFormat(trackId, format);
  };
  return { ...f, node, events, router, standIn };
}

const publish = (operationId: string, transportId: string, extra: Record<string, unknown> = {}) => ({
  operationId,
  connectionType: 'webrtc' as const,
  options: {
    transportId,
    controller: 'ctl',
    tracks: [
      { mid: '0', type: 'audio' as const },
      { mid: '1', type: 'video' as const, formatPreference: { preferred: { codec: 'vp8' }, optional: [{ codec: 'h264' }] } },
    ],
    ...extra,
  },
});

const subscribe = (operationId: string, transportId: string, audio: string, video: string) => ({
  operationId,
  connectionType: 'webrtc' as const,
  options: {
    transportId,
    controller: 'ctl',
    tracks: [
      { mid: '0', type: 'audio' as const, from: audio },
      { mid: '1', type: 'video' as const, from: video },
    ],
  },
});

t.test('ICE credentials: ufrag 8 and pwd 24 ice-chars', async (t) => {
  const c = iceCredentials();
  t.match(c.ufrag, /^[A-Za-z0-9+/]{8}$/);
  t.match(c.pwd, /^[A-Za-z0-9+/]{24}$/);
  t.not(iceCredentials().pwd, c.pwd);
});

t.test('publish: the offer becomes tracks bound by SSRC, then answer, track-added, tracks-complete', async (t) => {
  const { node, events, named, calls } = setup();
  node.createTransport('pub', 'ctl');
  t.equal(named('webrtcListen').length, 1, 'the thread port opened on first use');
  t.equal(named('webrtcOnEvent').length, 1);
  const [id, ufrag, pwd] = named('webrtcCreateTransport')[0]!.args as string[];
  t.equal(id, 'pub');
  node.publish(publish('op1', 'pub'));
  node.signaling('pub', { type: 'offer', sdp: fixture('chromium-publish.sdp') });

  const order = calls.map((c) => c.fn).filter((f) => f !== 'webrtcListen' && f !== 'webrtcOnEvent' && f !== 'webrtcCreateTransport');
  t.same(order, [
    'webrtcSetTransportCc', 'mediaPublish', 'mediaSetTrackCodec', 'webrtcBindTrack',
    'webrtcSetTransportCc', 'mediaPublish', 'mediaSetTrackCodec', 'webrtcBindTrack', 'mediaSetTrackRtx',
    'webrtcSetRemote',
  ]);
  t.same(named('webrtcSetTransportCc').map((c) => c.args), [['pub', 3], ['pub', 3]], 'transport-wide feedback on, with the id the offer gave the extension');
  t.same(named('mediaSetTrackCodec').map((c) => c.args), [['pub-0', 'opus'], ['pub-1', 'VP8']], 'the router learns each track\'s codec');
  const [audioPub, videoPub] = named('mediaPublish').map((c) => c.args);
  t.same(audioPub, ['pub', 'pub-0', 'audio', 0, 111, 48000, false], 'audio: no NACK');
  t.same(videoPub, ['pub', 'pub-1', 'video', 0, 96, 90000, true], 'video: NACK negotiated');
  t.same(named('mediaSetTrackRtx')[0]!.args, ['pub-1', 758718335, 97], 'RTX: the FID group second SSRC, apt=96');
  const [, videoBind] = named('webrtcBindTrack').map((c) => c.args);
  t.same(videoBind, ['pub-1', '1', '', 4, 10, 1918276310], 'video bound by the FID group main SSRC, with the MID/RID extension ids');
  t.match(named('webrtcSetRemote')[0]!.args, ['pub', String, 'sha-256', /^[0-9A-F:]+$/, 'server']);

  t.same(events.map((e) => `${e.name}:${e.payload.status?.type ?? e.payload.update?.type}`), [
    'onTransportProgress:answer',
    'onTrackUpdate:track-added',
    'onTrackUpdate:track-added',
    'onTrackUpdate:tracks-complete',
  ]);
  const answer = sdpTransform.parse(events[0]!.payload.status.sdp);
  t.equal(answer.media[0]!.iceUfrag, ufrag);
  t.equal(answer.media[0]!.icePwd, pwd);
  t.equal(answer.media[1]!.candidates![0]!.port, 40000);
  t.equal(answer.media[1]!.fingerprint!.hash, 'AB:CD');
  t.same(events[1]!.payload, {
    transportId: 'pub',
    update: {
      type: 'track-added',
      trackId: 'pub-0',
      mediaType: 'audio',
      mediaFormat: { codec: 'opus', clockRate: 48000, sampleRate: 48000, channelNum: 2, fmtp: { minptime: '10', useinbandfec: '1' } },
      direction: 'in',
      operationId: 'op1',
      mid: '0',
      active: true,
    },
  });
  t.match(events[2]!.payload.update, { trackId: 'pub-1', mediaType: 'video', mediaFormat: { codec: 'vp8' }, direction: 'in', mid: '1' });
  t.same(events[3]!.payload, { transportId: 'pub', update: { type: 'tracks-complete', operationId: 'op1' } });
  t.match(node.formatOf('pub-1'), { name: 'VP8', clockRate: 90000 });

  // A second, identical offer (renegotiation) sets nothing up twice.
  node.signaling('pub', { type: 'offer', sdp: fixture('chromium-publish.sdp') });
  t.equal(named('mediaPublish').length, 2);
  t.equal(named('webrtcSetRemote').length, 1);
  t.equal(events.length, 5, 'only a new answer');
  // An ICE restart is refused.
  const restarted = fixture('chromium-publish.sdp').replace(/a=ice-ufrag:.*/g, 'a=ice-ufrag:zzzz');
  t.throws(() => node.signaling('pub', { type: 'offer', sdp: restarted }), { code: 400, message: /^sdp: ICE restart/ });
  const newCert = fixture('chromium-publish.sdp').replace(/a=fingerprint:sha-256 \S+/g, 'a=fingerprint:sha-256 00:11');
  t.throws(() => node.signaling('pub', { type: 'offer', sdp: newCert }), { code: 400, message: /fingerprint changed/ });
});

t.test('codec preference: H264 preferred is what the track carries', async (t) => {
  const { node, named, events } = setup();
  node.createTransport('pub', 'ctl');
  const req = publish('op1', 'pub');
  req.options.tracks[1]!.formatPreference = { preferred: { codec: 'H264' }, optional: [] };
  node.publish(req);
  node.signaling('pub', { type: 'offer', sdp: fixture('chromium-publish.sdp') });
  const video = named('mediaPublish')[1]!.args;
  t.equal(video[1], 'pub-1');
  t.match(events[2]!.payload.update.mediaFormat, { codec: 'h264', profile: String, fmtp: { 'packetization-mode': '1' } });
});

t.test('simulcast: one track per RID, bound by MID+RID', async (t) => {
  const { node, named, events } = setup();
  node.createTransport('sim', 'ctl');
  node.publish({ operationId: 'op', connectionType: 'webrtc', options: { transportId: 'sim', controller: 'ctl', tracks: [{ mid: '0', type: 'video' }] } });
  node.signaling('sim', { type: 'offer', sdp: fixture('chromium-simulcast.sdp') });
  t.same(named('mediaPublish').map((c) => c.args[1]), ['sim-0:q', 'sim-0:h', 'sim-0:f']);
  t.same(named('webrtcBindTrack').map((c) => c.args), [
    ['sim-0:q', '0', 'q', 9, 10, 0],
    ['sim-0:h', '0', 'h', 9, 10, 0],
    ['sim-0:f', '0', 'f', 9, 10, 0],
  ]);
  t.same(events.filter((e) => e.payload.update?.type === 'track-added').map((e) => e.payload.update.rid), ['q', 'h', 'f']);
});

t.test('subscribe with send-side estimation on: transport-cc answered, the transport told its id and bounds once per m-line', async (t) => {
  for (const on of [false, true]) {
    const { node, named, events } = setup({ bwe: on });
    node.createTransport('pub', 'ctl');
    node.publish(publish('op1', 'pub'));
    node.signaling('pub', { type: 'offer', sdp: fixture('chromium-publish.sdp') });
    events.length = 0;
    node.createTransport('sub', 'ctl');
    node.subscribe(subscribe('op2', 'sub', 'pub-0', 'pub-1'));
    node.signaling('sub', { type: 'offer', sdp: fixture('chromium-subscribe.sdp') });
    const answer = sdpTransform.parse(events[0]!.payload.status.sdp);
    const fb = answer.media.map((m) => (m.rtcpFb ?? []).some((f) => f.type === 'transport-cc'));
    if (!on) {
      t.same(named('webrtcSetSendTransportCc'), [], 'off: the transport is not told');
      t.same(fb, [false, false], 'off: no transport-cc towards the subscriber');
      continue;
    }
    t.same(fb, [true, true], 'transport-cc answered on both sent m-lines');
    t.same(named('webrtcSetSendTransportCc').map((c) => c.args), [
      ['sub', 3, 1_000_000, 50_000, 20_000_000, true],
      ['sub', 3, 1_000_000, 50_000, 20_000_000, true],
    ], 'the offer\'s id for the transport-wide number, and the configured bounds');
  }
});

t.test('subscribe: the source format is sent on each mid with a stable SSRC', async (t) => {
  const { node, named, events } = setup();
  node.createTransport('pub', 'ctl');
  node.publish(publish('op1', 'pub'));
  node.signaling('pub', { type: 'offer', sdp: fixture('chromium-publish.sdp') });
  events.length = 0;
  node.createTransport('sub', 'ctl2');
  node.subscribe({ ...subscribe('op2', 'sub', 'pub-0', 'pub-1'), options: { ...subscribe('op2', 'sub', 'pub-0', 'pub-1').options, controller: 'ctl2' } });
  node.signaling('sub', { type: 'offer', sdp: fixture('chromium-subscribe.sdp') });
  const subs = named('mediaSubscribe').map((c) => c.args);
  t.match(subs, [
    ['sub', 'pub-0', 'sub-0', Number, 111],
    ['sub', 'pub-1', 'sub-1', Number, 96],
  ]);
  const answer = sdpTransform.parse(events[0]!.payload.status.sdp);
  t.same(answer.media.map((m) => m.direction), ['sendonly', 'sendonly']);
  t.equal(Number(answer.media[1]!.ssrcs![0]!.id), subs[1]![3], 'the answer announces the SSRC the router sends with');
  // The client offered RTX (apt=96): repairs go on the RTX SSRC of the answer's FID group.
  const rtx = named('mediaSetSubscriptionRtx').map((c) => c.args);
  t.equal(rtx.length, 1, 'RTX towards the video subscription only');
  const fid = answer.media[1]!.ssrcGroups!.find((g) => g.semantics === 'FID')!.ssrcs.split(' ').map(Number);
  t.same(fid, [subs[1]![3], rtx[0]![1]], 'FID: media SSRC, then the RTX SSRC the router sends repairs on');
  const rtxPt = answer.media[1]!.rtp.find((r) => r.codec === 'rtx')!.payload;
  t.same(rtx[0], ['sub-1', rtx[0]![1], rtxPt], 'the answered RTX payload type');
  t.equal(answer.media[1]!.fmtp.find((f) => f.payload === rtxPt)!.config, 'apt=96');
  t.notOk(answer.media[0]!.ssrcGroups, 'no RTX for audio');
  t.equal(answer.media[0]!.msid![0]!.id, 'op2', 'one subscription, one stream');
  t.same(events.map((e) => e.controller), ['ctl2', 'ctl2', 'ctl2', 'ctl2']);
  t.match(events[1]!.payload.update, { type: 'track-added', trackId: 'sub-0', direction: 'out', mediaFormat: { codec: 'opus' }, operationId: 'op2' });

  // unsubscribe: the subscriptions go, track-removed for each
  events.length = 0;
  const removed = node.endOperation('op2', 'subscribe');
  t.same(removed.subscriptions, ['sub-0', 'sub-1']);
  t.same(events.map((e) => e.payload.update), [
    { type: 'track-removed', trackId: 'sub-0', operationId: 'op2' },
    { type: 'track-removed', trackId: 'sub-1', operationId: 'op2' },
  ]);
  t.throws(() => node.endOperation('op2', 'subscribe'), { code: 404 });
  t.throws(() => node.endOperation('op1', 'subscribe'), { code: 404 }, 'a publish is not ended by unsubscribe');
  // a new subscription; then the source is unpublished: the subscriber is told
  node.subscribe({ ...subscribe('op3', 'sub', 'pub-0', 'pub-1'), options: { ...subscribe('op3', 'sub', 'pub-0', 'pub-1').options, tracks: [{ mid: '2', type: 'audio', from: 'pub-0' }] } });
  node.signaling('sub', { type: 'offer', sdp: fixture('chromium-subscribe.sdp').replace('a=group:BUNDLE 0 1', 'a=group:BUNDLE 0 1 2').replace(/a=mid:0/, 'a=mid:2') });
  t.ok(events.some((e) => e.payload.update?.type === 'track-added' && e.payload.update.trackId === 'sub-2'));
  events.length = 0;
  // unpublish: the tracks go and their formats are forgotten
  const r = node.endOperation('op1', 'publish');
  t.same(r, { tracks: ['pub-0', 'pub-1'], subscriptions: ['sub-2'] });
  t.same(events.map((e) => `${e.payload.transportId} ${e.payload.update.trackId}`), ['pub pub-0', 'pub pub-1', 'sub sub-2'], 'the subscriber of an unpublished track is told');
  t.equal(node.formatOf('pub-0'), undefined);
  const reoffer = fixture('chromium-subscribe.sdp').replace('a=group:BUNDLE 0 1', 'a=group:BUNDLE 0 1 2').replace(/a=mid:0/, 'a=mid:2');
  node.signaling('sub', { type: 'offer', sdp: reoffer });
  const last = sdpTransform.parse(events.at(-1)!.payload.status.sdp);
  t.equal(last.media[0]!.port, 0, 'a re-offer rejects the m-line whose source went');
  events.length = 3;
  t.same(node.endOperation('op3', 'subscribe'), { tracks: [], subscriptions: [] }, 'its operation still ends cleanly');
  t.equal(events.length, 3);
});

t.test('subscribe needs a source with a known format (or a named codec)', async (t) => {
  const { node, named, router, standIn } = setup();
  node.createTransport('sub', 'ctl');
  standIn('plain-a', 'audio');
  t.throws(() => node.subscribe(subscribe('op', 'sub', 'plain-a', 'plain-v')), { code: 404, message: /options\.tracks\.0\.from/ });
  node.setTrackFormat('nowhere', { name: 'VP8', clockRate: 90000, fmtp: {} });
  t.equal(node.formatOf('nowhere'), undefined, 'a format is kept by its track: none here, none kept');
  standIn('remote-v', 'video', { name: 'VP8', clockRate: 90000, fmtp: {} });
  standIn('stale', 'video', { name: 'VP8', clockRate: 90000, fmtp: {} });
  t.equal(node.formatOf('stale')?.name, 'VP8');
  router.track('stale').close();
  t.equal(node.formatOf('stale'), undefined, 'a stand-in gone takes its format');
  const req = subscribe('op', 'sub', 'plain-a', 'remote-v');
  (req.options.tracks[0] as Record<string, unknown>).formatPreference = { preferred: { codec: 'opus' } };
  node.subscribe(req);
  node.signaling('sub', { type: 'offer', sdp: fixture('chromium-subscribe.sdp') });
  t.match(named('mediaSubscribe').map((c) => c.args), [['sub', 'plain-a', 'sub-0', Number, 111], ['sub', 'remote-v', 'sub-1', Number, 96]]);
});

t.test('errors: unknown ids are 404, taken ids and mids 400, a failed offer leaves nothing behind', async (t) => {
  const { node, named, events, standIn } = setup({ failSubscribe: true });
  t.throws(() => node.publish(publish('op', 'nope')), { code: 404, message: /transport not found: nope/ });
  t.throws(() => node.signaling('nope', { type: 'offer', sdp: 'v=0' }), { code: 404 });
  t.throws(() => node.destroyTransport('nope'), { code: 404 });
  t.throws(() => node.endOperation('nope', 'publish'), { code: 404 });
  node.createTransport('tr', 'ctl');
  t.throws(() => node.createTransport('tr', 'ctl'), { code: 409, message: /^transportId: already exists/ });
  node.publish(publish('op', 'tr'));
  t.throws(() => node.publish(publish('op', 'tr')), { code: 409, message: /^operationId: already exists/ });
  const clash = publish('op9', 'tr');
  t.throws(() => node.publish(clash), { code: 409, message: /^options\.tracks\.0\.mid: mid 0 already belongs to operation op/ });
  const twice = { operationId: 'op8', connectionType: 'webrtc' as const, options: { transportId: 'tr', controller: 'c', tracks: [{ mid: '7', type: 'audio' as const }, { mid: '7', type: 'audio' as const }] } };
  t.throws(() => node.publish(twice), { code: 400, message: /^options\.tracks\.1\.mid: mid 7 listed twice/ });
  t.throws(() => node.signaling('tr', { type: 'offer', sdp: 'hello' }), { code: 400, message: /^sdp: not a session description/ });
  // candidates are accepted and ignored
  node.signaling('tr', { type: 'candidate', candidate: { sdpMid: '0', sdpMLineIndex: 0, candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host' } });
  node.signaling('tr', { type: 'removed-candidates', candidates: [] });
  t.equal(events.length, 0);

  // the source vanished between subscribe and offer: the whole offer is undone
  standIn('gone-a', 'audio', { name: 'opus', clockRate: 48000, channels: 2, fmtp: {} });
  standIn('gone-v', 'video', { name: 'VP8', clockRate: 90000, fmtp: {} });
  node.createTransport('sub', 'ctl');
  node.subscribe(subscribe('s', 'sub', 'gone-a', 'gone-v'));
  t.throws(() => node.signaling('sub', { type: 'offer', sdp: fixture('chromium-subscribe.sdp') }), { code: 404 });
  t.equal(named('webrtcSetRemote').length, 0);
  t.equal(events.length, 0, 'no answer sent');
});

t.test('mids the offer does not carry, or cannot take, are rejected; the operation still completes', async (t) => {
  const { node, events, standIn } = setup();
  node.createTransport('tr', 'ctl');
  standIn('h265', 'video', { name: 'H265', clockRate: 90000, fmtp: {} });
  standIn('a', 'audio', { name: 'opus', clockRate: 48000, channels: 2, fmtp: {} });
  node.subscribe(subscribe('s', 'tr', 'a', 'h265'));
  node.signaling('tr', { type: 'offer', sdp: fixture('chromium-subscribe.sdp') });
  t.match(events.at(-1)!.payload.update, { type: 'tracks-complete', operationId: 's', rejected: [{ mid: '1', reason: /cannot receive H265/ }] });
  t.equal(events.filter((e) => e.payload.update?.type === 'track-added').length, 1);
  node.signaling('tr', { type: 'offer', sdp: fixture('chromium-subscribe.sdp') });
  t.equal(events.filter((e) => e.payload.update?.type === 'track-added').length, 1, 'rejected again, nothing set up twice');
  t.equal(events.filter((e) => e.payload.update?.type === 'tracks-complete').length, 1, 'complete once');
});

t.test('a mid the client first refused is set up by a later offer', async (t) => {
  const { node, events, named } = setup();
  node.createTransport('pub', 'ctl');
  node.publish(publish('op1', 'pub'));
  node.signaling('pub', { type: 'offer', sdp: fixture('chromium-publish.sdp').replace('m=video 9', 'm=video 0') });
  t.same(named('mediaPublish').map((c) => c.args[1]), ['pub-0']);
  t.match(events.at(-1)!.payload.update, { type: 'tracks-complete', rejected: [{ mid: '1', reason: 'rejected by the offerer' }] });
  node.signaling('pub', { type: 'offer', sdp: fixture('chromium-publish.sdp') });
  t.same(named('mediaPublish').map((c) => c.args[1]), ['pub-0', 'pub-1']);
  t.match(events.at(-1)!.payload.update, { type: 'track-added', trackId: 'pub-1' });
});

t.test('a source that goes outside the WebRTC node (its plain transport destroyed): each WebRTC subscriber of it is told, once', async (t) => {
  const { node, events, router } = setup();
  const plain = router.createPlainTransport({ transportId: 'plain', comedia: true });
  plain.publish({ trackId: 'p-a', kind: 'audio', clockRate: 48000 });
  plain.publish({ trackId: 'p-v', kind: 'video', clockRate: 90000 });
  node.createTransport('sub', 'ctl');
  const req = subscribe('op', 'sub', 'p-a', 'p-v');
  req.options.tracks.forEach((x, i) => Object.assign(x, { formatPreference: { preferred: { codec: i === 0 ? 'opus' : 'vp8' } } }));
  node.subscribe(req);
  node.signaling('sub', { type: 'offer', sdp: fixture('chromium-subscribe.sdp') });
  t.equal(node.objects().subscriptions, 2);
  events.length = 0;
  t.same(plain.close(), { tracks: ['p-a', 'p-v'], subscriptions: ['sub-0', 'sub-1'] });
  t.same(events.map((e) => `${e.payload.transportId} ${e.payload.update.type} ${e.payload.update.trackId}`), ['sub track-removed sub-0', 'sub track-removed sub-1']);
  t.equal(node.objects().subscriptions, 0);
  t.same(node.endOperation('op', 'subscribe'), { tracks: [], subscriptions: [] }, 'its operation ends cleanly');
  t.equal(events.length, 2, 'told once');
});

t.test('native events: ready once, failed destroys with track-removed, destroy closes everything', async (t) => {
  const { node, events, named, fire } = setup();
  node.createTransport('pub', 'ctl');
  node.publish(publish('op1', 'pub'));
  node.signaling('pub', { type: 'offer', sdp: fixture('chromium-publish.sdp') });
  events.length = 0;
  fire('pub', 'ice-connected');
  fire('pub', 'dtls-connected');
  fire('pub', 'connected');
  fire('pub', 'connected');
  fire('other', 'connected');
  t.same(events.map((e) => e.payload), [{ transportId: 'pub', status: { type: 'ready' } }]);
  events.length = 0;
  fire('pub', 'failed', 'ICE consent expired');
  t.same(events.map((e) => e.payload), [
    { transportId: 'pub', status: { type: 'failed', reason: 'ICE consent expired' } },
    { transportId: 'pub', update: { type: 'track-removed', trackId: 'pub-0', operationId: 'op1' } },
    { transportId: 'pub', update: { type: 'track-removed', trackId: 'pub-1', operationId: 'op1' } },
  ]);
  t.equal(named('mediaCloseTransport').length, 1);
  t.notOk(node.has('pub'));
  t.throws(() => node.endOperation('op1', 'publish'), { code: 404 }, 'its operations went with it');
  fire('pub', 'closed');
  t.equal(events.length, 3, 'a closed event for a transport already gone is ignored');

  node.createTransport('x', 'ctl');
  node.publish(publish('opx', 'x'));
  node.signaling('x', { type: 'offer', sdp: fixture('chromium-publish.sdp') });
  events.length = 0;
  const removed = node.destroyTransport('x');
  t.same(removed, { tracks: ['x-0', 'x-1'], subscriptions: [] });
  t.same(events.map((e) => e.payload.update.type), ['track-removed', 'track-removed']);
  node.createTransport('y', 'ctl');
  fire('y', 'closed');
  t.notOk(node.has('y'), 'closed natively: forgotten');
});

t.test('no BUNDLE (webrtcbin balanced): a native transport per m-line, ready when all are, closed together', async (t) => {
  const { node, events, named, fire } = setup();
  node.createTransport('gp', 'ctl');
  node.publish({ operationId: 'gop', connectionType: 'webrtc', options: { transportId: 'gp', controller: 'ctl', tracks: [{ mid: 'video0', type: 'video' }, { mid: 'audio1', type: 'audio' }] } });
  const offer = fixture('webrtcbin-publish-balanced.sdp');
  node.signaling('gp', { type: 'offer', sdp: offer });
  const created = named('webrtcCreateTransport').map((c) => c.args as string[]);
  t.same(created.map((a) => a[0]), ['gp', 'gp+1'], 'the transport\'s own leg, and one more for the second m-line');
  t.not(created[1]![1], created[0]![1], 'each leg has its own ufrag');
  t.same(named('mediaPublish').map((c) => c.args.slice(0, 2)), [['gp', 'gp-video0'], ['gp+1', 'gp-audio1']], 'each track on its m-line\'s leg');
  const offered = sdpTransform.parse(offer).media.map((m) => String(m.iceUfrag));
  t.same(named('webrtcSetRemote').map((c) => c.args.slice(0, 2)), [['gp', offered[0]], ['gp+1', offered[1]]], "each leg takes its m-line's ufrag");
  const answer = sdpTransform.parse(events[0]!.payload.status.sdp);
  t.same(answer.media.map((m) => m.iceUfrag), [created[0]![1], created[1]![1]], 'the answer gives each m-line its leg\'s ufrag');
  t.same(answer.groups ?? [], []);

  // The same offer again (renegotiation): the legs stay, nothing is made twice.
  node.signaling('gp', { type: 'offer', sdp: offer });
  t.equal(named('webrtcCreateTransport').length, 2);
  t.same(sdpTransform.parse(events.filter((e) => e.payload.status?.type === 'answer')[1]!.payload.status.sdp).media.map((m) => m.iceUfrag), [created[0]![1], created[1]![1]]);
  // ICE restart on the second leg only: refused.
  const restarted = offer.replace(String(offered[1]), 'restartedufrag1234567890');
  t.throws(() => node.signaling('gp', { type: 'offer', sdp: restarted }), { code: 400, message: /ICE restart/ });

  const ready = () => events.filter((e) => e.payload.status?.type === 'ready').length;
  fire('gp', 'connected');
  t.equal(ready(), 0, 'not ready while one leg is still connecting');
  fire('gp+1', 'connected');
  t.equal(ready(), 1, 'ready once both legs are');
  fire('gp+1', 'media-update', 'gp-audio1 1 1');

  // A failure on either leg ends the whole transport, every leg of it.
  fire('gp+1', 'failed', 'consent lost');
  t.match(events.find((e) => e.payload.status?.type === 'failed')!.payload, { transportId: 'gp', status: { reason: 'consent lost' } });
  t.same(named('mediaCloseTransport').map((c) => c.args[0]), ['gp', 'gp+1']);
  t.same(events.filter((e) => e.payload.update?.type === 'track-removed').map((e) => e.payload.update.trackId).sort(), ['gp-audio1', 'gp-video0']);
  t.notOk(node.has('gp'));
  t.same(node.objects(), { transports: 0, operations: 0, formats: 0, subscriptions: 0 });
});

t.test('no BUNDLE, subscribe (webrtcbin balanced): each subscription sent on its leg; a failed leg leaves nothing behind', async (t) => {
  const { node, events, named } = setup();
  node.createTransport('src', 'ctl');
  node.publish(publish('p', 'src'));
  node.signaling('src', { type: 'offer', sdp: fixture('chromium-publish.sdp') });
  node.createTransport('gs', 'ctl');
  const tracks = [{ mid: 'audio0', type: 'audio' as const, from: 'src-0' }, { mid: 'video1', type: 'video' as const, from: 'src-1' }];
  node.subscribe({ operationId: 'gsub', connectionType: 'webrtc', options: { transportId: 'gs', controller: 'ctl', tracks } });
  node.signaling('gs', { type: 'offer', sdp: fixture('webrtcbin-subscribe-balanced.sdp') });
  t.same(named('mediaSubscribe').map((c) => c.args.slice(0, 3)), [['gs', 'src-0', 'gs-audio0'], ['gs+1', 'src-1', 'gs-video1']]);
  t.same(named('webrtcSetRemote').slice(1).map((c) => c.args[0]), ['gs', 'gs+1']);
  const answer = sdpTransform.parse(events.filter((e) => e.payload.status?.type === 'answer')[1]!.payload.status.sdp);
  t.match(answer.media, [{ mid: 'audio0', direction: 'sendonly' }, { mid: 'video1', direction: 'sendonly' }]);
  t.not(answer.media[0]!.iceUfrag, answer.media[1]!.iceUfrag);
  node.destroyTransport('gs');
  t.same(named('mediaCloseTransport').map((c) => c.args[0]), ['gs', 'gs+1']);

  // A leg that cannot be set up undoes the offer: no leg made for it stays.
  const f = setup({ failSubscribe: true });
  f.node.createTransport('gs', 'ctl');
  f.node.subscribe({ operationId: 'gsub', connectionType: 'webrtc', options: { transportId: 'gs', controller: 'ctl', tracks: tracks.map((x) => ({ ...x, formatPreference: { preferred: { codec: x.type === 'audio' ? 'opus' : 'VP8' } } })) } });
  t.throws(() => f.node.signaling('gs', { type: 'offer', sdp: fixture('webrtcbin-subscribe-balanced.sdp') }), { code: 404 });
  t.same(f.named('webrtcCreateTransport').map((c) => c.args[0]), ['gs', 'gs+1']);
  t.same(f.named('mediaCloseTransport').map((c) => c.args[0]), ['gs+1'], 'the leg made for the failed offer is closed again');
  t.same(f.named('webrtcSetRemote'), [], 'no remote side set');
});

t.test('mediaFormat round trip (what the LinkManager hands to other nodes)', async (t) => {
  const f = { name: 'H264', clockRate: 90000, fmtp: { 'profile-level-id': '42e01f', 'packetization-mode': '1' } };
  const m = toMediaFormat('video', f);
  t.match(m, { codec: 'h264', profile: 'CB', clockRate: 90000 });
  t.same(fromMediaFormat(m), { ...f, name: 'h264' });
  t.same(fromMediaFormat(toMediaFormat('audio', { name: 'opus', clockRate: 48000, channels: 2, fmtp: {} })), { name: 'opus', clockRate: 48000, channels: 2, fmtp: {} });
});
