// The node thread's media objects (src/node/router) over the real addon, in
// this thread: the close cascade (each object's 'close' once, subscriptions
// before their track, tracks before their transport), slot subscriptions
// parked and switched, 404s with the addon's messages, nothing left over.
import t from 'tap';
import { loadAddon } from '../../src/node/addon';
import { mediaOf } from '../../src/node/media/native';
import { MediaRouter } from '../../src/node/router/MediaRouter';
import type { RouterNative } from '../../src/node/router/RouterCore';
import type { Subscription } from '../../src/node/router/Subscription';
import type { Track } from '../../src/node/router/Track';
import type { Transport } from '../../src/node/router/Transport';

const router = new MediaRouter(mediaOf(loadAddon()) as RouterNative);
router.configure('127.0.0.1', 20000, 29999);
let n = 0;
const uid = (s: string) => `${s}-${process.pid}-${++n}`;

/** Records every 'close' (and 'park') of the objects given, in order. */
function recorder(...objects: Array<Transport | Track | Subscription>): string[] {
  const log: string[] = [];
  for (const o of objects) {
    o.on('close', () => log.push(o.id));
    if ('park' in o) (o as Subscription).on('park', () => log.push(`park ${o.id}`));
  }
  return log;
}

const empty = () => ({ transports: 0, tracks: 0, subscriptions: 0 });
const counts = () => {
  const o = router.objects();
  return { transports: o.transports, tracks: o.tracks, subscriptions: o.subscriptions };
};

t.test('a transport closes its tracks (each after its subscriptions), then its subscriptions, then itself; each once', async (t) => {
  const a = router.createPlainTransport({ transportId: uid('a'), comedia: true });
  const b = router.createPlainTransport({ transportId: uid('b'), comedia: true });
  const cam = a.publish({ trackId: uid('cam'), kind: 'video', clockRate: 90000 });
  const mic = a.publish({ trackId: uid('mic'), kind: 'audio', clockRate: 48000 });
  const other = b.publish({ trackId: uid('other'), kind: 'audio', clockRate: 48000 });
  const s1 = b.subscribe({ trackId: cam.id, subscriptionId: uid('s1') });
  const s2 = b.subscribe({ trackId: mic.id, subscriptionId: uid('s2') });
  const s3 = a.subscribe({ trackId: other.id, subscriptionId: uid('s3') });
  t.equal(s1.track, cam);
  t.same([...cam.subscriptions], [s1]);
  t.same([...a.tracks], [cam, mic]);
  t.same([...a.subscriptions], [s3]);
  t.ok(s1.ssrc > 0, 'an SSRC picked');
  const log = recorder(a, b, cam, mic, other, s1, s2, s3);

  const removed = a.close();
  t.same(new Set(removed.tracks), new Set([cam.id, mic.id]));
  t.same(new Set(removed.subscriptions), new Set([s1.id, s2.id, s3.id]));
  t.equal(log.length, 6, 'six objects ended, once each');
  t.same(new Set(log), new Set([a.id, cam.id, mic.id, s1.id, s2.id, s3.id]));
  t.ok(log.indexOf(s1.id) < log.indexOf(cam.id), 'a subscription ends before its track');
  t.ok(log.indexOf(s2.id) < log.indexOf(mic.id));
  t.equal(log.at(-1), a.id, 'the transport ends last');
  t.ok(cam.closed && s1.closed && a.closed && !b.closed && !other.closed);
  t.same([...b.subscriptions], [], 'the subscriber transport holds none of them');
  t.same([...other.subscriptions], []);
  t.same(a.close(), { tracks: [], subscriptions: [] }, 'a second close does nothing');
  t.equal(log.length, 6);
  t.throws(() => router.track(cam.id), { code: 404, message: `no such track: ${cam.id}` });
  t.throws(() => router.subscription(s1.id), { code: 404, message: `no such subscription: ${s1.id}` });
  t.throws(() => router.transport(a.id), { code: 404, message: `no such transport: ${a.id}` });
  b.close();
  t.same(counts(), empty(), 'nothing left in the addon');
});

t.test('a track closes its subscriptions; a slot subscription is parked and switched instead', async (t) => {
  const pub = router.createPlainTransport({ transportId: uid('pub'), comedia: true });
  const sub = router.createPlainTransport({ transportId: uid('sub'), comedia: true });
  const v1 = pub.publish({ trackId: uid('v1'), kind: 'video', clockRate: 90000 });
  const v2 = pub.publish({ trackId: uid('v2'), kind: 'video', clockRate: 90000 });
  const plain = sub.subscribe({ trackId: v1.id, subscriptionId: uid('plain') });
  const slot = sub.subscribe({ trackId: v1.id, subscriptionId: uid('slot') });
  slot.setSlot(true);
  const log = recorder(v1, plain, slot);
  t.same(v1.close(), { tracks: [v1.id], subscriptions: [plain.id] });
  t.same(log, [plain.id, `park ${slot.id}`, v1.id], 'the plain subscription ends, the slot parks, then the track ends');
  t.equal(slot.track, undefined, 'parked: no source');
  t.notOk(slot.closed);
  t.same([...sub.subscriptions], [slot]);
  // A switch keeps the subscription, its SSRC and its object.
  const again = sub.subscribe({ trackId: v2.id, subscriptionId: slot.id });
  t.equal(again, slot, 'a switch is the same object');
  t.equal(again.ssrc, slot.ssrc);
  t.equal(slot.track, v2);
  t.same([...v2.subscriptions], [slot]);
  t.throws(() => pub.subscribe({ trackId: v2.id, subscriptionId: slot.id }), { code: 409 }, 'the same id on another transport: 409');
  slot.close();
  slot.close();
  t.same(log, [plain.id, `park ${slot.id}`, v1.id, slot.id], 'closed once');
  t.same([...v2.subscriptions], []);
  pub.close();
  sub.close();
  t.same(counts(), empty());
});

t.test('a failed native call makes no object; stand-ins have no transport', async (t) => {
  const a = router.createPlainTransport({ transportId: uid('a'), comedia: true });
  const track = a.publish({ trackId: uid('x'), kind: 'audio', clockRate: 48000 });
  t.throws(() => a.publish({ trackId: track.id, kind: 'audio', clockRate: 48000 }), { code: 409, message: /^trackId: already exists/ });
  t.throws(() => router.createPlainTransport({ transportId: a.id, comedia: true }), { code: 409 });
  t.throws(() => a.subscribe({ trackId: 'nope', subscriptionId: uid('s') }), { code: 404, message: 'no such track: nope' });
  t.equal(a.subscriptions.size, 0);
  const standIn = router.importTrack({ trackId: uid('imp'), kind: 'video', clockRate: 90000, peer: 'p', link: 7 });
  t.equal(standIn.transport, undefined);
  const s = a.subscribe({ trackId: standIn.id, subscriptionId: uid('s') });
  const log = recorder(standIn, s);
  standIn.close();
  t.same(log, [s.id, standIn.id]);
  t.same([...a.tracks], [track]);
  a.close();
  t.same(counts(), empty());
});

t.test('the addon reads one options object per call: a bad field is named', async (t) => {
  const native = router.native as unknown as Record<string, (o?: unknown) => unknown>;
  t.throws(() => native.mediaPublish!(), { code: 500, message: 'mediaPublish: expected one options object' });
  t.throws(() => native.mediaPublish!(['x']), { code: 500, message: 'mediaPublish: expected one options object' });
  t.throws(() => native.mediaPublish!({ transportId: 'x', trackId: 5 }), { code: 500, message: 'mediaPublish: trackId: expected a string' });
  t.throws(() => native.mediaPublish!({ transportId: 'x', trackId: 'y', kind: 'data', clockRate: 1 }), { message: "mediaPublish: kind: expected 'audio' or 'video'" });
  t.throws(() => native.mediaPublish!({ transportId: 'x', trackId: 'y', kind: 'audio', clockRate: 48000, payloadType: 128 }), {
    message: 'mediaPublish: payloadType: expected an integer in -1..127',
  });
  t.throws(() => native.mediaPublish!({ transportId: 'x', trackId: 'y', kind: 'audio', clockRate: 1.5 }), { message: /^mediaPublish: clockRate: expected an integer/ });
  t.throws(() => native.mediaSubscribeLayers!({ transportId: 'x', trackIds: [], subscriptionId: 's', ceiling: 0, adaptive: true }), {
    message: 'mediaSubscribeLayers: trackIds: expected an array of 1..8 strings',
  });
  t.throws(() => native.mediaAttachPeer!({ peer: 'p', outbound: 'no', inbound: new Uint8Array(8) }), { message: 'mediaAttachPeer: outbound: expected a Uint8Array' });
  t.throws(() => native.mediaTestSetSendLoss!({ percent: 101 }), { message: 'mediaTestSetSendLoss: percent: expected a number in 0..100' });
  // Good fields reach the router, whose own checks answer as before.
  t.throws(() => native.mediaPublish!({ transportId: 'nope', trackId: 'y', kind: 'audio', clockRate: 48000 }), { code: 404, message: 'no such transport: nope' });
  t.same(counts(), empty());
});
