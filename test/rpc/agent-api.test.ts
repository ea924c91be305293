/**
 * The agent API and the node API over a real nats-server: the happy paths,
 * every bad payload (400 naming the field), 404s and 503s, and the abnormal
 * quit event carrying a dead node's rooms and tasks.
 */
import t from 'tap';
import { JSONCodec, ServiceError, type NatsConnection } from 'nats';
import { natsClient, startNats } from '../helpers/nats';
import { startAgent, testConfig, waitFor } from '../helpers/agent';
import type { Agent } from '../../src/Agent';

const json = JSONCodec();

interface Reply {
  ok: boolean;
  code?: number;
  message?: string;
  value?: any;
}

async function req(nc: NatsConnection, subject: string, payload: unknown): Promise<Reply> {
  const data = typeof payload === 'string' ? new TextEncoder().encode(payload) : json.encode(payload);
  const msg = await nc.request(subject, data, { timeout: 5000 });
  const err = ServiceError.toServiceError(msg);
  if (err) return { ok: false, code: err.code, message: err.message };
  return { ok: true, value: msg.data.length ? json.decode(msg.data) : null };
}

t.test('agent API over NATS', async (t) => {
  const nats = await startNats(t);
  const agent: Agent = await startAgent(t, testConfig({ NATS_URL: nats.url, CLUSTER_NAME: 'itest' }));
  const nc = await natsClient(t, nats.url);
  const s = agent.subjects;

  t.test('the service is discoverable through $SRV with the agent id', async (t) => {
    const infos = [];
    for await (const i of await nc.services.client().info('webrtc-agent')) infos.push(i);
    const info = infos.find((i) => i.id === agent.id);
    t.ok(info, 'found by id');
    t.equal(info!.metadata?.cluster, 'itest');
    t.equal(info!.metadata?.purpose, 'webrtc');
    t.ok(info!.metadata?.version);
    t.same(info!.endpoints.map((e) => e.name).sort(), ['drain', 'getNode', 'listNodes', 'queryNode', 'recycleNode', 'setLogLevel']);
  });

  t.test('getNode, queryNode, recycleNode', async (t) => {
    const a = await req(nc, s.agent('getNode'), { room: 'room1', task: 'pub1' });
    t.ok(a.ok, 'getNode answered');
    const nodeId = a.value.nodeId as string;
    t.match(nodeId, /^[A-Za-z0-9_-]+$/);
    t.same((await req(nc, s.agent('getNode'), { room: 'room1', task: 'sub1' })).value, { nodeId });
    t.same((await req(nc, s.agent('queryNode'), { room: 'room1' })).value, { nodeId });
    const dump = await req(nc, s.node(nodeId, 'dump'), {});
    t.same(dump.value.rooms, [{ room: 'room1', tasks: ['pub1', 'sub1'] }], 'dump from inside the node');
    t.match((await req(nc, s.node(nodeId, 'getInternalAddress'), {})).value, { ip: '127.0.0.1', port: Number }, 'the internal address: ip and the node internal port');
    // A transport left over: the node cannot go back to idle and is ended.
    await req(nc, s.node(nodeId, 'createPlainTransport'), { transportId: 'left-over' });
    t.same((await req(nc, s.agent('recycleNode'), { nodeId, room: 'room1', task: 'pub1' })).value, { ok: true });
    t.same((await req(nc, s.agent('recycleNode'), { nodeId, room: 'room1', task: 'sub1' })).value, { ok: true });
    const q = await req(nc, s.agent('queryNode'), { room: 'room1' });
    t.equal(q.code, 404, 'room gone after its last task');
    const gone = await req(nc, s.node(nodeId, 'dump'), {});
    t.equal(gone.code, 404, 'a recycled node answers 404 on its subject');
    t.match(gone.message, /gone/);
    // A node whose thread holds nothing goes back to idle and answers on.
    const b = (await req(nc, s.agent('getNode'), { room: 'room2', task: 't' })).value.nodeId as string;
    t.same((await req(nc, s.agent('recycleNode'), { nodeId: b, room: 'room2', task: 't' })).value, { ok: true });
    t.same((await req(nc, s.node(b, 'dump'), {})).value.rooms, [], 'an emptied node lives on, idle');
    t.match((await req(nc, s.agent('listNodes'), {})).value.nodes, [{ id: b, list: 'idle' }]);
  });

  t.test('an error quoting a caller\'s string with a newline is still answered', async (t) => {
    const r = await req(nc, s.agent('queryNode'), { room: 'a\r\nb' });
    t.equal(r.code, 404);
    t.equal(r.message, 'no such task: room a b', 'CR/LF cannot go into a header: replaced');
  });

  t.test('an error quoting a caller\'s string with a newline is still answered', async (t) => {
    const r = await req(nc, s.agent('queryNode'), { room: 'a\r\nb' });
    t.equal(r.code, 404);
    t.equal(r.message, 'no such task: room a b', 'CR/LF cannot go into a header: replaced');
  });

  t.test('bad payloads get 400 naming the field', async (t) => {
    const cases: Array<[string, unknown, RegExp]> = [
      [s.agent('getNode'), '{not json', /payload: invalid JSON/],
      [s.agent('getNode'), {}, /^room:/],
      [s.agent('getNode'), { room: 'r' }, /^task:/],
      [s.agent('getNode'), { room: 5, task: 't' }, /^room:/],
      [s.agent('getNode'), { room: '', task: 't' }, /^room: must not be empty/],
      [s.agent('getNode'), { room: 'r', task: 'x'.repeat(300) }, /^task: must be at most 256/],
      [s.agent('getNode'), { room: 'r', task: 't', extra: 1 }, /^extra: unknown field/],
      [s.agent('getNode'), [1, 2], /^payload:/],
      [s.agent('getNode'), 'null', /^payload:/],
      [s.agent('recycleNode'), { room: 'r', task: 't' }, /^nodeId:/],
      [s.agent('queryNode'), { room: ['r'] }, /^room:/],
    ];
    for (const [subject, payload, re] of cases) {
      const r = await req(nc, subject, payload);
      t.equal(r.code, 400, `${subject} ${JSON.stringify(payload)} -> 400`);
      t.match(r.message, re);
    }
    const nodeId = (await req(nc, s.agent('getNode'), { room: 'rb', task: 't' })).value.nodeId;
    const r = await req(nc, s.node(nodeId, 'dump'), { verbose: true });
    t.equal(r.code, 400);
    t.match(r.message, /^verbose: unknown field/);
    const r2 = await req(nc, s.node(nodeId, 'dump'), 'garbage');
    t.equal(r2.code, 400);
  });

  t.test('unknown things are 404', async (t) => {
    const r = await req(nc, s.agent('recycleNode'), { nodeId: `${agent.id}_999`, room: 'r', task: 't' });
    t.equal(r.code, 404);
    t.match(r.message, /no such node/);
    t.equal((await req(nc, s.agent('queryNode'), { room: 'never-seen' })).code, 404);
    const nodeId = (await req(nc, s.agent('getNode'), { room: 'r404', task: 't' })).value.nodeId;
    const m = await req(nc, s.node(nodeId, 'noSuchMethod'), {});
    t.equal(m.code, 404);
    t.match(m.message, /no such node method/);
    t.equal((await req(nc, s.agent('recycleNode'), { nodeId, room: 'other', task: 't' })).code, 404);
  });

  t.test('a handler failure is a 500 and the node lives on', async (t) => {
    const nodeId = (await req(nc, s.agent('getNode'), { room: 'r500', task: 't' })).value.nodeId;
    const r = await req(nc, s.node(nodeId, 'testFail'), {});
    t.equal(r.code, 500);
    t.ok((await req(nc, s.node(nodeId, 'dump'), {})).ok);
  });

  t.test('listNodes shows every node with its rooms', async (t) => {
    const r = await req(nc, s.agent('listNodes'), {});
    t.equal(r.value.agentId, agent.id);
    t.ok(r.value.nodes.length >= 2);
    t.ok(r.value.nodes.some((n: { rooms: { room: string }[] }) => n.rooms.some((x) => x.room === 'r500')));
  });
});

t.test('no node free is a 503', async (t) => {
  const nats = await startNats(t);
  const agent = await startAgent(
    t,
    testConfig({ NATS_URL: nats.url, AGENT_MAX_NODES: '1', AGENT_PRERUN_NODES: '1', AGENT_REUSE_NODE: 'false' }),
  );
  const nc = await natsClient(t, nats.url);
  t.ok((await req(nc, agent.subjects.agent('getNode'), { room: 'a', task: 't' })).ok);
  const r = await req(nc, agent.subjects.agent('getNode'), { room: 'b', task: 't' });
  t.equal(r.code, 503);
  t.match(r.message, /no node available/);
});

for (const [hook, reason, args] of [
  ['testThrow', 'crashed', {}],
  ['testExit', 'exited', { code: 7 }],
  ['testHang', 'hung', { ms: 20_000 }],
] as const) {
  t.test(`a node thread that ${hook.slice(4).toLowerCase()}s: abnormal event with its rooms and tasks, and a fresh node`, async (t) => {
    const nats = await startNats(t);
    const agent = await startAgent(t, testConfig({ NATS_URL: nats.url }));
    const nc = await natsClient(t, nats.url);
    const s = agent.subjects;
    const events: any[] = [];
    const sub = nc.subscribe(s.event('abnormal'), { callback: (_e, m) => events.push(json.decode(m.data)) });
    t.teardown(() => sub.unsubscribe());
    await nc.flush();
    const nodeId = (await req(nc, s.agent('getNode'), { room: 'roomX', task: 'pubX' })).value.nodeId;
    await req(nc, s.agent('getNode'), { room: 'roomX', task: 'subX' });
    await req(nc, s.agent('getNode'), { room: 'roomY', task: 'pubY' }); // rotation may put roomY elsewhere
    t.ok((await req(nc, s.node(nodeId, hook), args)).ok, 'hook accepted');
    await waitFor(() => events.length > 0, 8000, 'abnormal event');
    const ev = events[0];
    t.equal(ev.id, nodeId);
    t.equal(ev.type, 'node');
    t.equal(ev.purpose, 'webrtc');
    t.equal(ev.agentId, agent.id);
    t.equal(ev.reason, reason);
    t.same(
      ev.rooms.find((r: { room: string }) => r.room === 'roomX'),
      { room: 'roomX', tasks: ['pubX', 'subX'] },
      'the event names every task the node held',
    );
    t.equal((await req(nc, s.agent('queryNode'), { room: 'roomX' })).code, 404, 'room released');
    const fresh = (await req(nc, s.agent('getNode'), { room: 'roomX', task: 'again' })).value.nodeId;
    t.not(fresh, nodeId, 'served by a fresh node');
    t.ok((await req(nc, s.node(fresh, 'dump'), {})).ok);
  });
}

t.test('an event a node raises reaches its controller on NATS', async (t) => {
  const nats = await startNats(t);
  const agent = await startAgent(t, testConfig({ NATS_URL: nats.url }));
  const nc = await natsClient(t, nats.url);
  const got: Array<{ subject: string; data: any }> = [];
  const sub = nc.subscribe(agent.subjects.controller('conf-1', '*'), { callback: (_e, m) => got.push({ subject: m.subject, data: json.decode(m.data) }) });
  t.teardown(() => sub.unsubscribe());
  await nc.flush();
  const nodeId = (await req(nc, agent.subjects.agent('getNode'), { room: 'r', task: 't' })).value.nodeId;
  t.ok((await req(nc, agent.subjects.node(nodeId, 'testEmit'), { controller: 'conf-1', name: 'onTransportProgress', payload: { transportId: 'x', status: { type: 'ready' } } })).ok);
  await waitFor(() => got.length === 1, 3000, 'event');
  t.equal(got[0]!.subject, agent.subjects.controller('conf-1', 'onTransportProgress'));
  t.same(got[0]!.data, { nodeId, agentId: agent.id, transportId: 'x', status: { type: 'ready' } });
  // A controller id that is not a subject token is not published anywhere.
  t.ok((await req(nc, agent.subjects.node(nodeId, 'testEmit'), { controller: 'bad.id', name: 'x' })).ok);
  await new Promise((r) => setTimeout(r, 100));
  t.equal(got.length, 1);
});
