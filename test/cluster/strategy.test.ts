/**
 * The scheduling strategies and the candidate filter (pure functions).
 */
import t from 'tap';
import { candidates, pick, schedulable, scheduleSchema, type StrategyState } from '../../src/cluster/Scheduler';
import type { AgentEntry } from '../../src/cluster/layout';
import { agentEntry } from './entry';
import { staleAgents } from '../../src/cluster/LossDetector';

const NOW = 1_000_000;
/** Ages as in a directory that saw each entry change at its updatedAt (the pure checks take ages, not clocks). */
const age = (a: AgentEntry): number => NOW - a.updatedAt;

function agent(id: string, load: number | null, extra: Partial<AgentEntry> = {}): AgentEntry {
  return agentEntry(id, { load, updatedAt: NOW, ...extra });
}

const A = agent('a', 0.5, { startedAt: 1 });
const B = agent('b', 0.1, { startedAt: 2 });
const C = agent('c', 0.7, { startedAt: 3 });

t.test('least-used / most-used', async (t) => {
  t.equal(pick('least-used', [A, B, C], { next: 0 }).id, 'b');
  t.equal(pick('most-used', [A, B, C], { next: 0 }).id, 'c');
});

t.test('last-used: the previous pick while it is a candidate, else the first', async (t) => {
  const st: StrategyState = { next: 0 };
  t.equal(pick('last-used', [A, B, C], st).id, 'a');
  t.equal(pick('last-used', [A, B, C], st).id, 'a', 'sticks');
  t.equal(pick('last-used', [B, C], st).id, 'b', 'a gone: the first candidate');
  t.equal(pick('last-used', [A, B, C], st).id, 'b', 'then sticks to b');
});

t.test('round-robin cycles in candidate order', async (t) => {
  const st: StrategyState = { next: 0 };
  t.same([1, 2, 3, 4].map(() => pick('round-robin', [A, B, C], st).id), ['a', 'b', 'c', 'a']);
});

t.test('randomly-pick uses the random source', async (t) => {
  t.equal(pick('randomly-pick', [A, B, C], { next: 0 }, () => 0).id, 'a');
  t.equal(pick('randomly-pick', [A, B, C], { next: 0 }, () => 0.99).id, 'c');
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) seen.add(pick('randomly-pick', [A, B, C], { next: 0 }).id);
  t.equal(seen.size, 3);
});

t.test('candidates: reported, fresh, under maxLoad, purpose, isp, region, stable order', async (t) => {
  const ids = (l: AgentEntry[]) => l.map((a) => a.id);
  const req = { purpose: 'webrtc' };
  t.same(ids(candidates([C, B, A], req, age, 3000)), ['a', 'b', 'c'], 'oldest first');
  t.same(ids(candidates([A, agent('n', null)], req, age, 3000)), ['a'], 'not reported yet: excluded');
  t.same(ids(candidates([A, agent('o', 0.9)], req, age, 3000)), ['a'], 'over maxLoad: excluded');
  t.same(ids(candidates([A, agent('s', 0.1, { updatedAt: NOW - 3001 })], req, age, 3000)), ['a'], 'stale: excluded');
  t.same(ids(candidates([A], { purpose: 'video' }, age, 3000)), [], 'other purpose');
  const tel = agent('t', 0.1, { capacity: { isps: ['telecom'], regions: ['north'] }, startedAt: 9 });
  const uni = agent('u', 0.1, { capacity: { isps: ['unicom'], regions: ['south'] }, startedAt: 8 });
  t.same(ids(candidates([tel, uni, A], { purpose: 'webrtc', preference: { isp: 'telecom' } }, age, 3000)), ['a', 't'], 'isp must match (empty isps = any)');
  t.same(ids(candidates([tel, uni, A], { purpose: 'webrtc', preference: { region: 'south' } }, age, 3000)), ['u'], 'region preferred');
  t.same(ids(candidates([tel, A], { purpose: 'webrtc', preference: { region: 'west' } }, age, 3000)), ['a', 't'], 'no agent in region: any');
  t.ok(schedulable(agent('x', 0.85), age, 3000), 'at maxLoad is still schedulable (above is not)');
});

t.test('staleAgents: older than lostAfter', async (t) => {
  const old = agent('old', 0.1, { updatedAt: NOW - 3001 });
  t.same(staleAgents([A, old], age, 3000).map((a) => a.id), ['old']);
});

t.test('scheduleSchema names the bad field', async (t) => {
  const bad = (v: unknown) => scheduleSchema.safeParse(v).error?.issues[0]?.path.join('.');
  t.equal(bad({ purpose: 'webrtc' }), 'task');
  t.equal(bad({ purpose: 'webrtc', task: 't', strategy: 'best' }), 'strategy');
  t.equal(bad({ purpose: 'webrtc', task: 't', reserveTimeMs: -1 }), 'reserveTimeMs');
  t.equal(bad({ purpose: 'webrtc', task: 't', preference: { isp: 3 } }), 'preference.isp');
  t.ok(scheduleSchema.safeParse({ purpose: 'webrtc', task: 't', room: 'r', preference: {}, reserveTimeMs: 10 }).success);
});
