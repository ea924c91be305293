// A node API payload is validated once on its way down (SlotManager ->
// AgentBridge -> LinkManager -> NodeManager -> WorkerNode): each zod schema
// a subscribe meets is run once per request, over NATS against a real agent;
// a bad payload is still a 400 naming the field.
import t from 'tap';
import type { z } from 'zod';
import { subscribeTrackSchema } from '../../src/node/media/schemas';
import { slotSubscribeSchema, subscribeSchema } from '../../src/node/webrtc/schemas';
import { parseOnce, vouch } from '../../src/util/validate';
import { controllerAgent } from '../helpers/webrtc';

/** Counts the runs of a schema (every parse goes through safeParse). */
function counted(schema: z.ZodType): { runs: number; restore: () => void } {
  const c = { runs: 0, restore: () => undefined as void };
  const own = Object.getOwnPropertyDescriptor(schema, 'safeParse');
  const orig = schema.safeParse.bind(schema);
  Object.defineProperty(schema, 'safeParse', { configurable: true, writable: true, value: (v: unknown) => (c.runs++, orig(v)) });
  c.restore = () => {
    if (own) Object.defineProperty(schema, 'safeParse', own);
    else delete (schema as unknown as Record<string, unknown>).safeParse;
  };
  return c;
}

t.test('parseOnce: a value the schema produced passes as it is; anything else is parsed', async (t) => {
  const runs = counted(subscribeTrackSchema);
  t.teardown(runs.restore);
  const p = parseOnce(subscribeTrackSchema, { transportId: 't', trackId: 'a', subscriptionId: 's' });
  t.equal(parseOnce(subscribeTrackSchema, p), p, 'its own output: the same object');
  t.equal(runs.runs, 1, 'parsed once');
  parseOnce(subscribeTrackSchema, { ...p });
  t.equal(runs.runs, 2, 'a copy is parsed again');
  t.throws(() => parseOnce(subscribeTrackSchema, { transportId: 't', trackId: 'a b', subscriptionId: 's' }), { code: 400, message: /^trackId: / });
  const other = vouch({ x: 1 }, slotSubscribeSchema);
  t.throws(() => parseOnce(subscribeTrackSchema, other), { code: 400 }, 'vouched for another schema: parsed');
});

t.test('over NATS: subscribe and subscribeTrack each run their schema once', async (t) => {
  const { nodeFor } = await controllerAgent(t, 'once-ctl');
  const call = await nodeFor('room', 'task');
  await call('createPlainTransport', { transportId: 'pub' });
  await call('createPlainTransport', { transportId: 'sub' });
  await call('publishTrack', { transportId: 'pub', trackId: 'cam', kind: 'video' });
  await call('createTransport', { transportId: 'wsub', controller: 'once-ctl' });

  const track = counted(subscribeTrackSchema);
  const webrtc = counted(subscribeSchema);
  const slot = counted(slotSubscribeSchema);
  t.teardown(() => [track, webrtc, slot].forEach((c) => c.restore()));
  t.match(await call('subscribeTrack', { transportId: 'sub', trackId: 'cam', subscriptionId: 's1' }), { subscriptionId: 's1' });
  t.equal(track.runs, 1, 'subscribeTrack: its schema ran once');
  const sub = {
    operationId: 'op',
    connectionType: 'webrtc',
    options: { transportId: 'wsub', controller: 'once-ctl', tracks: [{ mid: '0', type: 'audio', from: 'elsewhere', formatPreference: { preferred: { codec: 'opus' } } }] },
  };
  t.same(await call('subscribe', sub), { ok: true });
  t.equal(slot.runs + webrtc.runs, 1, `subscribe: one schema ran once (slot ${slot.runs}, subscribe ${webrtc.runs})`);
  await t.rejects(call('subscribeTrack', { transportId: 'sub', trackId: 'cam', subscriptionId: 's 2' }), { code: 400, message: /subscriptionId/ });
  await t.rejects(call('subscribe', { ...sub, operationId: 'op2', options: { ...sub.options, tracks: [{ mid: '1', type: 'data' }] } }), { code: 400, message: /options\.tracks\.0/ });
});
