/**
 * SpeakerDetector as a pure unit: reports of audibility and a fake clock in,
 * decisions out. Hysteresis, ties, a speaker who stops, silence, removal.
 */
import t from 'tap';
import { SpeakerDetector, type SpeakerDecision } from '../../src/speakers/SpeakerDetector';

const OPTS = { windowMs: 1000, activeCount: 2, switchMargin: 6, holdMs: 500, minActivity: 3 };
const STEP = 100;

/** Runs `ms` of reports every 100 ms with the given audibility per speaker; returns every decision. */
function run(d: SpeakerDetector, clock: { now: number }, ms: number, levels: Record<string, number>): SpeakerDecision[] {
  const out: SpeakerDecision[] = [];
  for (let elapsed = 0; elapsed < ms; elapsed += STEP) {
    clock.now += STEP;
    for (const [id, a] of Object.entries(levels)) d.observe(id, a, STEP, clock.now);
    out.push(d.decide(clock.now));
  }
  return out;
}

const changes = (ds: SpeakerDecision[]): Array<{ from: string | null; to: string | null }> => ds.flatMap((x) => (x.changed ? [x.changed] : []));

t.test('the first speaker becomes dominant at once; silence keeps nobody dominant', async (t) => {
  const d = new SpeakerDetector(OPTS);
  const clock = { now: 0 };
  d.add('a');
  d.add('b');
  t.same(changes(run(d, clock, 2000, { a: 0, b: 0 })), [], 'silence: no dominant speaker, no change');
  t.equal(d.dominant, null);
  const ds = run(d, clock, 300, { a: 40, b: 0 });
  t.same(changes(ds), [{ from: null, to: 'a' }], 'a speaks: dominant within the first reports');
  t.same(ds.at(-1)!.active.map((x) => x.id), ['a'], 'b is not active');
});

t.test('hysteresis: a short burst or a small lead does not take over; a sustained lead does', async (t) => {
  const d = new SpeakerDetector(OPTS);
  const clock = { now: 0 };
  d.add('a');
  d.add('b');
  run(d, clock, 1000, { a: 30 });
  t.equal(d.dominant, 'a');
  // b louder by less than the margin for a long time: no switch.
  t.same(changes(run(d, clock, 3000, { a: 30, b: 35 })), [], 'a lead under the margin never switches');
  run(d, clock, 1500, { a: 30, b: 0 });
  // a loud 300 ms interjection while a talks on: averaged over the window it stays below a.
  t.same(changes(run(d, clock, 300, { a: 30, b: 60 })), [], 'a short interjection does not switch');
  t.same(changes(run(d, clock, 1500, { a: 30, b: 0 })), []);
  t.equal(d.dominant, 'a');
  // b clearly louder for good: switches, after the hold.
  const ds = run(d, clock, 3000, { a: 20, b: 60 });
  t.same(changes(ds), [{ from: 'a', to: 'b' }], 'exactly one switch');
  const at = ds.findIndex((x) => x.changed);
  t.ok(at * STEP >= OPTS.holdMs, `not before the hold (${at * STEP} ms)`);
  t.equal(ds.at(-1)!.active[0]!.id, 'b');
});

t.test('ties: equal challengers resolve the same way every time; a tie with the dominant never switches', async (t) => {
  const make = (): { d: SpeakerDetector; clock: { now: number } } => {
    const d = new SpeakerDetector(OPTS);
    for (const id of ['a', 'b', 'c']) d.add(id);
    return { d, clock: { now: 0 } };
  };
  const x = make();
  run(x.d, x.clock, 1000, { a: 20 });
  t.same(changes(run(x.d, x.clock, 3000, { a: 20, b: 20, c: 20 })), [], 'equal to the dominant: no switch');
  const ds = run(x.d, x.clock, 3000, { a: 0, b: 50, c: 50 });
  t.same(changes(ds), [{ from: 'a', to: 'b' }], 'two equal challengers: the one added first takes over');
  t.same(ds.at(-1)!.active.map((s) => s.id), ['b', 'c'], 'ties keep a stable order');
  const y = make();
  run(y.d, y.clock, 1000, { a: 20 });
  run(y.d, y.clock, 3000, { a: 0, b: 50, c: 50 });
  t.equal(y.d.dominant, 'b', 'the same again');
  // c then holds on a little longer than b: nothing changes while they are equal
  t.same(changes(run(y.d, y.clock, 2000, { b: 50, c: 50 })), []);
});

t.test('a speaker who stops: the dominant fades out and the one still talking takes over', async (t) => {
  const d = new SpeakerDetector(OPTS);
  const clock = { now: 0 };
  d.add('a');
  d.add('b');
  run(d, clock, 2000, { a: 50, b: 12 });
  t.equal(d.dominant, 'a');
  // a stops sending at all (muted): no reports; b goes on quietly.
  const ds = run(d, clock, 3000, { b: 12 });
  t.same(changes(ds), [{ from: 'a', to: 'b' }]);
  t.same(ds.at(-1)!.active.map((x) => x.id), ['b'], 'a left the active set');
  t.equal(d.activity('a', clock.now), 0, 'a window after stopping, no activity');
});

t.test('everyone falls silent: the last dominant speaker stays, the active set empties', async (t) => {
  const d = new SpeakerDetector(OPTS);
  const clock = { now: 0 };
  d.add('a');
  d.add('b');
  run(d, clock, 1000, { a: 40 });
  const ds = run(d, clock, 3000, { a: 0, b: 0 });
  t.same(changes(ds), []);
  t.equal(d.dominant, 'a');
  t.same(ds.at(-1)!.active, []);
});

t.test('the active set holds the K most active, above minActivity', async (t) => {
  const d = new SpeakerDetector(OPTS);
  const clock = { now: 0 };
  for (const id of ['a', 'b', 'c', 'd']) d.add(id);
  const ds = run(d, clock, 1000, { a: 10, b: 30, c: 20, d: 2 });
  const last = ds.at(-1)!;
  t.same(last.active.map((x) => x.id), ['b', 'c'], 'K = 2, most active first');
  t.ok(Math.abs(last.active[0]!.activity - 30) < 1e-9, 'activity is the window mean');
  const quiet = run(d, clock, 1000, { d: 2 }).at(-1)!;
  t.same(quiet.active, [], 'below minActivity is not speaking');
});

t.test('removal: a removed dominant speaker is replaced at once; unknown ids are ignored', async (t) => {
  const d = new SpeakerDetector(OPTS);
  const clock = { now: 0 };
  d.add('a');
  d.add('b');
  run(d, clock, 1000, { a: 40, b: 20, zzz: 90 });
  t.equal(d.dominant, 'a');
  t.notOk(d.has('zzz'));
  d.remove('a');
  clock.now += STEP;
  t.same(d.decide(clock.now).changed, { from: 'a', to: 'b' });
  d.remove('b');
  clock.now += STEP;
  t.same(d.decide(clock.now).changed, { from: 'b', to: null });
  t.equal(d.size, 0);
});
