/**
 * Who speaks, with real clients: two Chromium pages publish audio (a WebAudio
 * oscillator on one, digital silence on the other), the agent reads the
 * RFC 6464 level of every packet and tells the controller who the dominant
 * speaker is (onSpeakerUpdate); then the roles swap and it says so again.
 * A third page listens to both, asking for silence to be dropped on one of
 * them: the agent then sends nothing of that source while it is silent
 * (counted), and everything of the other. Two more pages subscribe with an
 * audio slot for the most active speaker: one follows alice to bob (one
 * SSRC, decoding on), the other belongs to bob and is never switched to his
 * own audio; when alice leaves, that slot is parked, not ended.
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { waitFor } from '../helpers/agent';
import { openBrowser } from '../helpers/chromium';
import { controllerAgent, negotiate, nextEvent, type ControllerEvent } from '../helpers/webrtc';

const CONTROLLER = 'spk-ctl';

/** A page that publishes one audio track from an oscillator whose gain the test sets (0: silence). */
async function tonePage(page: Page, gain: number): Promise<void> {
  await page.evaluate(async (gain) => {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    osc.frequency.value = 440;
    const g = ctx.createGain();
    g.gain.value = gain;
    const dest = ctx.createMediaStreamDestination();
    osc.connect(g).connect(dest);
    osc.start();
    await ctx.resume();
    const pc = new RTCPeerConnection();
    pc.addTransceiver(dest.stream.getAudioTracks()[0]!, { direction: 'sendonly' });
    Object.assign(window, { pc, gain: g });
  }, gain);
}

async function setGain(page: Page, gain: number): Promise<void> {
  await page.evaluate((gain) => {
    ((window as any).gain as GainNode).gain.value = gain;
  }, gain);
}

const dominant = (events: ControllerEvent[]): any[] =>
  events.filter((e) => e.name === 'onSpeakerUpdate' && e.payload.update.type === 'dominant-speaker').map((e) => e.payload.update);

t.test('the controller is told who speaks, and again when the roles swap; silence is dropped for who asked', async (t) => {
  const { events, nodeFor } = await controllerAgent(t, CONTROLLER, {
    SPEAKERS_INTERVAL_MS: '100',
    SPEAKERS_WINDOW_MS: '1000',
    SPEAKERS_HOLD_MS: '300',
    SPEAKERS_ACTIVE_SET_INTERVAL_MS: '500',
  });
  const on = await nodeFor('room-speakers', 'a');
  const b = await openBrowser(t);
  const pages: Record<string, Page> = {};
  for (const [name, owner, gain] of [['sa', 'alice', 0.8], ['sb', 'bob', 0]] as const) {
    const page = (pages[name] = await b.newPage());
    await tonePage(page, gain);
    await on('createTransport', { transportId: name, controller: CONTROLLER });
    await on('publish', {
      operationId: `${name}-pub`,
      connectionType: 'webrtc',
      options: { transportId: name, controller: CONTROLLER, owner, tracks: [{ mid: '0', type: 'audio' }] },
    });
    await negotiate(t, page, on, events, name);
  }
  // A listener of both; it asks for silence to be dropped on alice's audio only.
  const listener = await b.newPage();
  await listener.evaluate(() => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    (window as any).pc = pc;
  });
  await on('createTransport', { transportId: 'ls', controller: CONTROLLER });
  await on('subscribe', {
    operationId: 'ls-sub',
    connectionType: 'webrtc',
    options: {
      transportId: 'ls',
      controller: CONTROLLER,
      owner: 'carol',
      tracks: [{ mid: '0', type: 'audio', from: 'sa-0', dropSilence: true }, { mid: '1', type: 'audio', from: 'sb-0' }],
    },
  });
  await negotiate(t, listener, on, events, 'ls');

  const first = await nextEvent(events, 'onSpeakerUpdate', (p) => p.update.type === 'dominant-speaker', 'a dominant speaker');
  t.match(first, { agentId: String, update: { type: 'dominant-speaker', trackId: 'sa-0', owner: 'alice', previous: null } }, 'alice speaks: she is the dominant speaker');
  const stats = async (): Promise<any> => on('getStats', {});
  let s = await stats();
  const track = (id: string) => s.tracks.find((x: any) => x.id === id);
  const sub = (id: string) => s.subscriptions.find((x: any) => x.id === id);
  t.ok(track('sa-0').audioLevel.level < 40, `alice's smoothed level: -${track('sa-0').audioLevel.level} dBov`);
  t.equal(track('sb-0').audioLevel.level, 127, "bob's: silence (127)");
  t.ok(track('sb-0').audioLevel.silent > 0 && track('sb-0').audioLevel.packets > 0, 'bob sends packets, all silent');
  t.equal(sub('ls-1').silenceDropped, 0, "bob's silence is sent to the listener who did not ask to drop it");
  await waitFor(async () => {
    s = await stats();
    return sub('ls-1').packets > 0;
  }, 5000, "bob's audio reaches the listener");
  await waitFor(() => events.some((e) => e.name === 'onSpeakerUpdate' && e.payload.update.type === 'active-speakers'), 5000, 'an active set');
  t.same(
    events.find((e) => e.name === 'onSpeakerUpdate' && e.payload.update.type === 'active-speakers')!.payload.update.speakers.map((x: any) => [x.trackId, x.owner]),
    [['sa-0', 'alice']],
    'the active set: alice alone',
  );

  // Two slot subscribers, each with one audio slot for the most active
  // speaker: dave, and bob himself (who must never be sent his own audio).
  const slotPages: Record<string, Page> = {};
  for (const [name, owner] of [['sl', 'dave'], ['sk', 'bob']] as const) {
    const page = (slotPages[name] = await b.newPage());
    await page.evaluate(async () => {
      const pc = new RTCPeerConnection();
      pc.addTransceiver('audio', { direction: 'recvonly' });
      // Played out (muted, so no gesture is needed), so the browser decodes what it receives.
      pc.ontrack = (e) => {
        const a = new Audio();
        a.muted = true;
        a.srcObject = new MediaStream([e.track]);
        void a.play();
        (window as any).player = a;
      };
      (window as any).pc = pc;
    });
    await on('createTransport', { transportId: name, controller: CONTROLLER });
    await on('subscribe', {
      operationId: `${name}-sub`,
      connectionType: 'webrtc',
      options: { transportId: name, controller: CONTROLLER, owner, tracks: [{ mid: '0', type: 'audio', slot: 'speaker' }] },
    });
    await negotiate(t, page, on, events, name);
  }
  await waitFor(async () => {
    s = await stats();
    return sub('sl-0')?.packets > 25 && sub('sk-0')?.packets > 25;
  }, 5000, 'both slots carry audio');
  t.same([sub('sl-0').trackId, sub('sk-0').trackId], ['sa-0', 'sa-0'], 'both slots start on alice, who speaks');
  const audioIn = async (page: Page): Promise<any> =>
    page.evaluate(async () => {
      const out: any[] = [];
      (await ((window as any).pc as RTCPeerConnection).getStats()).forEach((r: any) => {
        if (r.type === 'inbound-rtp' && r.kind === 'audio') out.push({ ssrc: r.ssrc, packetsReceived: r.packetsReceived, packetsLost: r.packetsLost, samples: r.totalSamplesReceived, concealed: r.concealedSamples });
      });
      return out;
    });
  const beforeSwitch = await audioIn(slotPages.sl!);
  t.equal(beforeSwitch.length, 1, 'one stream for the slot');

  // The roles swap.
  await setGain(pages.sa!, 0);
  await setGain(pages.sb!, 0.8);
  await waitFor(() => dominant(events).length >= 2, 10_000, 'a second dominant-speaker event');
  t.same(dominant(events), [
    { type: 'dominant-speaker', trackId: 'sa-0', owner: 'alice', previous: null },
    { type: 'dominant-speaker', trackId: 'sb-0', owner: 'bob', previous: 'sa-0' },
  ], 'bob speaks now: one change, no flapping');
  const switched = await nextEvent(events, 'onSpeakerUpdate', (p) => p.update.type === 'slot-switched', 'a slot switch');
  t.same(switched.update, { type: 'slot-switched', transportId: 'sl', trackId: 'sl-0', from: 'sa-0', to: 'sb-0', owner: 'bob' }, "dave's slot follows the speaker to bob; the controller is told");
  await new Promise((r) => setTimeout(r, 1000));
  s = await stats();
  t.equal(sub('sl-0').trackId, 'sb-0');
  t.equal(sub('sk-0').trackId, 'sa-0', "bob's own slot is never switched to his own audio");
  t.notOk(events.some((e) => e.name === 'onSpeakerUpdate' && e.payload.update.type === 'slot-switched' && e.payload.update.transportId === 'sk'), 'no switch for bob');
  const afterSwitch = await audioIn(slotPages.sl!);
  t.equal(afterSwitch.length, 1, 'still one stream');
  t.equal(afterSwitch[0].ssrc, beforeSwitch[0].ssrc, 'on the same SSRC');
  const got = afterSwitch[0].packetsReceived - beforeSwitch[0].packetsReceived;
  const lost = afterSwitch[0].packetsLost - beforeSwitch[0].packetsLost;
  const decoded = afterSwitch[0].samples - beforeSwitch[0].samples;
  const concealed = afterSwitch[0].concealed - beforeSwitch[0].concealed;
  t.ok(got >= 50 && lost <= 2, `the browser kept receiving across the switch (${got} packets, ${lost} lost)`);
  t.ok(decoded >= 40_000 && concealed < 0.25 * decoded, `and kept decoding: ${concealed} of ${decoded} samples concealed`);
  const before = sub('ls-0').packets;
  await waitFor(async () => {
    s = await stats();
    return track('sa-0').audioLevel.level === 127 && sub('ls-0').silenceDropped >= 50;
  }, 5000, "alice's silence dropped for the listener who asked");
  const dropped = sub('ls-0').silenceDropped;
  t.ok(sub('ls-0').packets - before < 30, `little of alice's silence sent (${sub('ls-0').packets - before}), ${dropped} packets dropped`);
  t.equal(sub('ls-1').silenceDropped, 0, 'nothing of bob dropped');
  // Alice speaks again: her stream to the listener goes on (its numbering
  // across the dropped silence is checked packet by packet in
  // test/media/audio-level.test.ts: a browser's packetsLost did not count a
  // forward jump of 50 here).
  await setGain(pages.sa!, 0.8);
  const resumed = sub('ls-0').packets;
  await waitFor(async () => {
    s = await stats();
    return sub('ls-0').packets - resumed >= 25;
  }, 5000, "alice's audio sent again");

  // Alice leaves: the slot that carried her is parked (not ended) until the
  // next speaker is picked for it; a plain subscription to her ends.
  await on('unpublish', { operationId: 'sa-pub' });
  await nextEvent(events, 'onTrackUpdate', (p) => p.update.type === 'track-removed' && p.update.trackId === 'ls-0', 'the plain subscription to alice ends');
  s = await stats();
  t.equal(sub('sk-0')?.trackId, '', "bob's slot waits for a source (parked)");
  t.notOk(events.some((e) => e.name === 'onTrackUpdate' && e.payload.update.type === 'track-removed' && e.payload.update.trackId === 'sk-0'), 'the slot was not ended');
});
