/**
 * Node manager semantics (OWT's, with its bugs fixed), on real node threads.
 */
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { NodeManager, type AbnormalQuit, type NodeManagerOptions } from '../../src/pool/NodeManager';
import { silentLog, waitFor } from '../helpers/agent';
import { plainRoom } from '../helpers/rtp';

function manager(t: Test, o: Partial<NodeManagerOptions> = {}): NodeManager {
  const m = new NodeManager({
    agentId: 'ut',
    maxNodes: 13,
    prerunNodes: 2,
    reuseNode: true,
    consumeNodeByRoom: true,
    heartbeatMs: 100,
    checkWindowMs: 2000,
    readyTimeoutMs: 10000,
    testHooks: true,
    logLevel: 'silent',
    internalIp: '127.0.0.1',
    media: { listenIp: '127.0.0.1', announcedIp: '127.0.0.1', portMin: 40000, portMax: 49999, consentTimeoutMs: 30000, limits: { transports: 2000, operations: 4000, tracks: 2000, subscriptions: 2000 } },
    maxTasksPerNode: 0,
    log: silentLog,
    ...o,
  });
  t.teardown(() => m.close());
  return m;
}

t.test('prerun nodes are started idle and READY', async (t) => {
  const m = manager(t, { prerunNodes: 3 });
  await m.start();
  t.equal(m.nodes().length, 3);
  t.same(m.nodes().map((n) => n.state), ['ready', 'ready', 'ready']);
  t.equal(m.idleIds().length, 3);
  t.equal(m.inUseIds().length, 0);
  t.ok(m.nodes().every((n) => /^[A-Za-z0-9_-]+$/.test(n.id)), 'node ids are NATS subject tokens');
});

t.test('getNode takes the first idle node and refills the idle pool', async (t) => {
  const m = manager(t);
  await m.start();
  const [first] = m.idleIds();
  const id = await m.getNode('room1', 'task1');
  t.equal(id, first);
  t.same(m.inUseIds(), [first]);
  t.equal(m.idleIds().length, 2, 'refilled to prerunNodes idle');
  t.equal(m.nodes().length, 3);
});

t.test('consumeNodeByRoom keeps a room on one node', async (t) => {
  const m = manager(t);
  await m.start();
  const a = await m.getNode('room1', 't1');
  const b = await m.getNode('room1', 't2');
  const c = await m.getNode('room2', 't1');
  t.equal(a, b, 'same room, same node');
  t.not(a, c, 'another room takes another node');
  t.equal(m.queryNode('room1'), a);
  t.equal(m.queryNode('room2'), c);
  t.throws(() => m.queryNode('nope'), { code: 404 });
});

t.test('without consumeNodeByRoom every task takes a fresh node', async (t) => {
  const m = manager(t, { consumeNodeByRoom: false });
  await m.start();
  const a = await m.getNode('room1', 't1');
  const b = await m.getNode('room1', 't2');
  t.not(a, b);
});

t.test('concurrent getNode of a new room never splits it', async (t) => {
  const m = manager(t, { prerunNodes: 2 });
  await m.start();
  const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => m.getNode('busy', `t${i}`)));
  t.equal(new Set(ids).size, 1);
});

t.test('at maxNodes with reuseNode, in-use nodes rotate back to idle', async (t) => {
  const m = manager(t, { maxNodes: 2, prerunNodes: 2 });
  await m.start();
  const [n0, n1] = m.idleIds();
  t.equal(await m.getNode('r1', 't'), n0);
  t.same(m.idleIds(), [n1, n0], 'oldest in-use node rejoined the idle list');
  t.equal(await m.getNode('r2', 't'), n1);
  t.equal(await m.getNode('r3', 't'), n0, 'shared in rotation');
  t.equal(m.nodes().length, 2, 'never more than maxNodes');
});

t.test('at maxNodes without reuseNode, no idle node is a 503', async (t) => {
  const m = manager(t, { maxNodes: 2, prerunNodes: 2, reuseNode: false });
  await m.start();
  await m.getNode('r1', 't');
  await m.getNode('r2', 't');
  await t.rejects(m.getNode('r3', 't'), { code: 503, message: /no node available/ });
  t.equal(await m.getNode('r1', 't2'), m.queryNode('r1'), 'a held room still finds its node');
});

t.test('recycleNode: a node left with no rooms whose thread holds nothing goes back to idle, first', async (t) => {
  const m = manager(t);
  await m.start();
  const id = await m.getNode('r1', 't1');
  await m.getNode('r1', 't2');
  await m.recycleNode(id, 'r1', 't1');
  t.ok(m.has(id), 'still holds a task');
  await m.recycleNode(id, 'r1', 't2');
  t.ok(m.has(id), 'not ended');
  t.equal(m.idleIds()[0], id, 'at the head of the idle list');
  t.same(((await m.call(id, 'dump', {})) as { rooms: unknown[] }).rooms, [], 'the thread released the room');
  t.throws(() => m.queryNode('r1'), { code: 404 });
  const threads = m.nodes().length;
  t.equal(await m.getNode('r2', 't'), id, 'the next new room takes it');
  t.equal(m.nodes().length, threads, 'no thread started for it');
});

t.test('a node back from idle serves its next room: media flows, nothing of the last room is left', async (t) => {
  const m = manager(t, { prerunNodes: 1 });
  await m.start();
  const roomOn = async (room: string) => {
    const id = await m.getNode(room, 't');
    const call = (method: string, args: unknown) => m.call(id, method, args) as Promise<any>;
    await (await plainRoom(t, call)).send(5);
    for (const transportId of ['pub', 'sub']) await call('destroyTransport', { transportId });
    return { id, call };
  };
  const r1 = await roomOn('r1');
  await m.recycleNode(r1.id, 'r1', 't');
  t.equal(m.idleIds()[0], r1.id, 'emptied: back to idle');
  const r2 = await roomOn('r2');
  t.equal(r2.id, r1.id, 'the next room got the same thread, and its media flowed');
  t.same((await r2.call('getStats', {})).tracks.length, 0, 'only what the new room made (destroyed again)');
});

t.test('recycleNode: a node whose thread still holds media objects is ended and the pool refills', async (t) => {
  const m = manager(t);
  await m.start();
  const id = await m.getNode('r1', 't1');
  await m.call(id, 'createPlainTransport', { transportId: 'left-over' });
  await m.recycleNode(id, 'r1', 't1');
  t.notOk(m.has(id), 'ended, not returned to idle');
  t.notOk(m.idleIds().includes(id));
  await waitFor(() => m.nodes().filter((n) => n.state === 'ready').length === 2, 5000, 'refill');
  t.equal(m.idleIds().length, 2);
});

t.test('recycleNode: with more than prerunNodes idle nodes, an empty node is ended', async (t) => {
  const m = manager(t);
  await m.start();
  const a = await m.getNode('r1', 't');
  const b = await m.getNode('r2', 't');
  await waitFor(() => m.nodes().every((n) => n.state === 'ready'), 5000, 'refill');
  await m.recycleNode(a, 'r1', 't');
  t.equal(m.idleIds().length, 3, 'a back to idle: prerunNodes + 1');
  await m.recycleNode(b, 'r2', 't');
  t.notOk(m.has(b), 'b ended: idle is full');
  t.equal(m.idleIds().length, 3);
});

t.test('a task id given twice counts once', async (t) => {
  const m = manager(t);
  await m.start();
  const id = await m.getNode('r1', 'dup');
  await m.getNode('r1', 'dup');
  t.same(m.nodes().find((n) => n.id === id)!.rooms, [{ room: 'r1', tasks: ['dup'] }]);
  await m.recycleNode(id, 'r1', 'dup');
  t.throws(() => m.queryNode('r1'), { code: 404 }, 'one recycle releases it');
});

t.test('recycleNode of unknown node, room or task is a 404', async (t) => {
  const m = manager(t);
  await m.start();
  const id = await m.getNode('r1', 't1');
  await t.rejects(m.recycleNode('ut_999', 'r1', 't1'), { code: 404, message: /no such node/ });
  await t.rejects(m.recycleNode(id, 'r2', 't1'), { code: 404, message: /room r2/ });
  await t.rejects(m.recycleNode(id, 'r1', 'zz'), { code: 404, message: /task zz/ });
  t.ok(m.has(id), 'nothing lost');
});

t.test('the node thread knows its rooms and tasks (dump runs inside it)', async (t) => {
  const m = manager(t);
  await m.start();
  const id = await m.getNode('r1', 't1');
  await m.getNode('r1', 't2');
  const dump = (await m.call(id, 'dump', {})) as { nodeId: string; rooms: unknown; threadId: number; uptimeMs: number };
  t.equal(dump.nodeId, id);
  t.same(dump.rooms, [{ room: 'r1', tasks: ['t1', 't2'] }]);
  t.ok(dump.threadId > 0, 'answered from a worker thread');
  t.ok(dump.uptimeMs >= 0);
  await t.rejects(m.call(id, 'nope', {}), { code: 404 });
  await t.rejects(m.call(id, 'dump', { extra: 1 }), { code: 400, message: /extra/ });
  await t.rejects(m.call(id, 'testFail', {}), { code: 500 });
  t.ok(await m.call(id, 'dump', {}), 'thread survives a failing handler');
});

async function abnormalAfter(t: Test, method: string, args: object): Promise<{ quit: AbnormalQuit; m: NodeManager; id: string }> {
  const m = manager(t);
  await m.start();
  const id = await m.getNode('roomA', 'taskA1');
  await m.getNode('roomA', 'taskA2');
  const got = once(m, 'abnormal') as Promise<[AbnormalQuit]>;
  await m.call(id, method, args);
  const [quit] = await got;
  return { quit, m, id };
}

for (const [method, reason] of [
  ['testThrow', 'crashed'],
  ['testExit', 'exited'],
  ['testHang', 'hung'],
] as const) {
  t.test(`a node that ${method.slice(4).toLowerCase()}s quits abnormally with its rooms and tasks`, async (t) => {
    const { quit, m, id } = await abnormalAfter(t, method, method === 'testHang' ? { ms: 20_000 } : {});
    t.equal(quit.nodeId, id);
    t.equal(quit.reason, reason);
    t.same(quit.rooms, [{ room: 'roomA', tasks: ['taskA1', 'taskA2'] }]);
    t.notOk(m.has(id), 'dropped');
    t.throws(() => m.queryNode('roomA'), { code: 404 }, 'the room is released');
    await waitFor(() => m.idleIds().length === 2 && m.nodes().every((n) => n.state === 'ready'), 5000, 'refill');
    const fresh = await m.getNode('roomA', 'again');
    t.not(fresh, id, 'a fresh node serves the room');
  });
}

t.test('a node not READY in time is dropped and replaced', async (t) => {
  const m = manager(t, { prerunNodes: 1, readyTimeoutMs: 500, nextNodeHooks: [{ initDelayMs: 2000 }] });
  const quits: AbnormalQuit[] = [];
  m.on('abnormal', (q) => quits.push(q));
  await m.start();
  t.equal(quits.length, 1);
  t.equal(quits[0]!.reason, 'not-ready');
  // Generous: on a loaded machine a replacement may miss 500 ms too and be
  // retried after a back-off.
  await waitFor(() => m.nodes().some((n) => n.state === 'ready'), 15_000, 'replacement');
  t.ok(await m.getNode('r', 't'));
});

t.test('a node whose addon fails to load is an abnormal quit; the pool retries', async (t) => {
  const m = manager(t, { prerunNodes: 1, nextNodeHooks: [{ failAddonLoad: true }, { failAddonLoad: true }] });
  const quits: AbnormalQuit[] = [];
  m.on('abnormal', (q) => quits.push(q));
  await m.start();
  await waitFor(() => m.nodes().some((n) => n.state === 'ready'), 8000, 'a good node after backoff');
  t.equal(quits.length, 2);
  t.ok(quits.every((q) => q.reason === 'start-failed' && /addon failed to load/.test(q.detail)));
});

t.test('close ends every node without abnormal events', async (t) => {
  const m = manager(t);
  const quits: AbnormalQuit[] = [];
  m.on('abnormal', (q) => quits.push(q));
  await m.start();
  await m.getNode('r', 't');
  await m.close();
  t.equal(m.nodes().length, 0);
  t.equal(quits.length, 0);
  await t.rejects(m.getNode('r2', 't'), { code: 503 });
});

t.test('a full node lets its room spill over to another node (maxTasksPerNode)', async (t) => {
  const m = manager(t, { maxTasksPerNode: 2 });
  await m.start();
  const a = await m.getNode('big', 't1');
  t.equal(await m.getNode('big', 't2'), a);
  const b = await m.getNode('big', 't3');
  t.not(b, a, 'third task goes to another node');
  t.equal(await m.getNode('big', 't4'), b, 'and the room fills that one next');
  t.equal(await m.getNode('big', 't1'), a, 'a task already placed stays where it is');
  await m.recycleNode(a, 'big', 't2');
  t.equal(await m.getNode('big', 't5'), a, 'room freed on the first node is used again');
  const rooms = m.nodes().filter((n) => n.rooms.some((r) => r.room === 'big'));
  t.equal(rooms.length, 2, 'the room spans two nodes');
});
