/**
 * Clients that vanish: a Chromium page closed, a tab crashed. The agent must
 * notice by itself (ICE consent, RFC 7675; here with a short timeout), tell
 * the controller (transport failed, track-removed for what depended on it)
 * and free everything, down to the WebRTC port's demultiplexing tables.
 * A file of its own: it waits out consent timeouts, and runs beside the
 * other browser tests rather than after them.
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { waitFor } from '../helpers/agent';
import { openBrowser } from '../helpers/chromium';
import { controllerAgent, inbound, negotiate, nextEvent, publisherPage, subscriberPage } from '../helpers/webrtc';

const CONTROLLER = 'gone-ctl';

t.test('clients that go away (a page closed, a tab crashed): the controller is told and the node returns to idle', async (t) => {
  // An agent of its own with a short ICE consent timeout, so a client that
  // vanishes without a word is noticed in seconds rather than RFC 7675's 30 s.
  const { events, nodeFor } = await controllerAgent(t, CONTROLLER, { WEBRTC_CONSENT_TIMEOUT_MS: '6000' });
  const on = await nodeFor('room-gone', 'pub');
  const b = await openBrowser(t);
  const newPage = async (sub: typeof t) => {
    const page = await b.newPage();
    sub.teardown(() => page.close());
    return page;
  };
  const idle = {
    transports: 0, tracks: 0, subscriptions: 0, sendBuffers: 0, webrtcRegistered: 0, webrtcUfrags: 0, webrtcTuples: 0,
    webrtc: { transports: 0, operations: 0, formats: 0, subscriptions: 0 },
  };
  t.same((await on('dump', {})).media, idle, 'a fresh node holds nothing');

  const pub = await newPage(t);
  await publisherPage(pub);
  await on('createTransport', { transportId: 'gp', controller: CONTROLLER });
  await on('publish', {
    operationId: 'gp-pub',
    connectionType: 'webrtc',
    options: { transportId: 'gp', controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio' }, { mid: '1', type: 'video' }] },
  });
  await negotiate(t, pub, on, events, 'gp');
  const subs: Page[] = [];
  for (const name of ['g1', 'g2']) {
    const page = await newPage(t);
    await subscriberPage(page);
    await on('createTransport', { transportId: name, controller: CONTROLLER });
    await on('subscribe', {
      operationId: `${name}-sub`,
      connectionType: 'webrtc',
      options: { transportId: name, controller: CONTROLLER, tracks: [{ mid: '0', type: 'audio', from: 'gp-0' }, { mid: '1', type: 'video', from: 'gp-1' }] },
    });
    await negotiate(t, page, on, events, name);
    await waitFor(async () => (await inbound(page)).framesDecoded > 0, 15_000, `${name}: first decoded frame`);
    subs.push(page);
  }
  const busy = (await on('dump', {})).media;
  t.match(busy, { transports: 3, tracks: 2, subscriptions: 4, sendBuffers: 2, webrtcRegistered: 3, webrtcUfrags: 3 }, 'three clients are held');
  t.ok(busy.webrtcTuples >= 3, `every client's checked addresses are bound (${busy.webrtcTuples})`);

  // A page closed: Chromium sends no DTLS close_notify then, so the
  // transport fails when consent expires, and everything of it is freed.
  await subs[0]!.close();
  const closed = await nextEvent(events, 'onTransportProgress', (p) => p.transportId === 'g1' && p.status.type === 'failed', 'g1 failed after its page closed');
  t.match(closed.status.reason, /consent|close_notify/, `reason: ${closed.status.reason}`);
  await waitFor(async () => (await on('dump', {})).media.subscriptions === 2, 5000, 'g1 subscriptions freed');

  // The publisher's tab crashes: no goodbye at all. Consent expires; the
  // remaining subscriber is told its tracks went.
  const cdp = await pub.context().newCDPSession(pub);
  const crashedAt = Date.now();
  // Not awaited: a crashed page never answers.
  void cdp.send('Page.crash').catch(() => undefined);
  const failed = await nextEvent(events, 'onTransportProgress', (p) => p.transportId === 'gp' && p.status.type === 'failed', 'gp failed after its tab crashed');
  t.match(failed.status.reason, /consent/, `consent expired after ${Date.now() - crashedAt} ms: ${failed.status.reason}`);
  for (const id of ['gp-0', 'gp-1', 'g2-0', 'g2-1']) {
    await nextEvent(events, 'onTrackUpdate', (p) => p.update.type === 'track-removed' && p.update.trackId === id, `${id} removed`);
  }
  await t.rejects(on('unpublish', { operationId: 'gp-pub' }), { code: 404 }, 'the failed transport took its operation');

  // The last client leaves by the API.
  t.same(await on('unsubscribe', { operationId: 'g2-sub' }), { ok: true, removed: { tracks: [], subscriptions: [] } });
  t.same(await on('destroyTransport', { transportId: 'g2' }), { ok: true, removed: { tracks: [], subscriptions: [] } });
  t.same((await on('dump', {})).media, idle, 'the node holds nothing again');
  const stats = await on('getStats', {});
  t.same([stats.transports.length, stats.tracks.length, stats.subscriptions.length], [0, 0, 0], 'no stats left behind');
});
