/**
 * Membership of an in-process agent on one nats-server: the entry appears
 * unschedulable (load null), gets a load on the first report, and is deleted
 * on stop, when the quit event goes out; cluster.enabled=false stays out; a
 * report whose request is lost fails within one interval.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { JSONCodec } from 'nats';
import { testConfig, startAgent, waitFor, request, CallError } from '../helpers/agent';
import { natsClient, startNats } from '../helpers/nats';
import { agentKey, agentsBucket, ClusterSubjects, type AgentEntry } from '../../src/cluster/layout';
import { Agent } from '../../src/Agent';
import { bindReportBucket } from '../../src/cluster/Cluster';
import { LoadCollector } from '../../src/cluster/LoadCollector';
import { Membership } from '../../src/cluster/Membership';
import { silentLog } from '../helpers/agent';

const json = JSONCodec<any>();

t.test('join, first report, leave', async (t) => {
  const nats = await startNats(t);
  const nc = await natsClient(t, nats.url);
  const cluster = `m${randomBytes(3).toString('hex')}`;
  const cfg = testConfig({
    NATS_URL: nats.url,
    CLUSTER_NAME: cluster,
    CLUSTER_REPORT_INTERVAL_MS: '300',
    CLUSTER_ISPS: 'telecom, unicom',
    CLUSTER_REGIONS: 'north',
    AGENT_PRERUN_NODES: '1',
  });
  const agent = await Agent.start(cfg, { log: silentLog });
  let stopped = false;
  t.teardown(() => (stopped ? undefined : agent.stop('test end')));
  const kv = await nc.jetstream().views.kv(agentsBucket(cluster));
  const first = await kv.get(agentKey(agent.id));
  const e0 = json.decode(first!.value) as AgentEntry;
  t.match(e0, { id: agent.id, purpose: 'webrtc', load: null, capacity: { isps: ['telecom', 'unicom'], regions: ['north'] }, maxLoad: 0.85 });
  const subjects = new ClusterSubjects(cfg.nats.subjectPrefix, cluster);
  const early = await request(nc, subjects.schedule(), { purpose: 'webrtc', task: 't0' }).catch((e: CallError) => e);
  t.equal((early as CallError).code, 503, 'not schedulable before the first load report');
  await waitFor(async () => (json.decode((await kv.get(agentKey(agent.id)))!.value) as AgentEntry).load !== null, 3000, 'first report');
  const e1 = json.decode((await kv.get(agentKey(agent.id)))!.value) as AgentEntry;
  t.ok(e1.updatedAt > e0.updatedAt);
  t.type(e1.metrics?.memory, 'number');
  t.equal(e1.nodes, 1);
  const r = await request(nc, subjects.schedule(), { purpose: 'webrtc', task: 't1', room: 'r1' });
  t.equal(r.id, agent.id, 'schedulable after it');
  await request(nc, `${cfg.nats.subjectPrefix}.agent.${agent.id}.getNode`, { room: 'r1', task: 't1' });
  await waitFor(async () => ((json.decode((await kv.get(agentKey(agent.id)))!.value) as AgentEntry).rooms ?? []).includes('r1'), 3000, 'rooms reported');

  const quit = new Promise<any>((resolve) => {
    const sub = nc.subscribe(`${cfg.nats.subjectPrefix}.event.${agent.id}.quit`, { max: 1, callback: (_e, m) => resolve(json.decode(m.data)) });
    t.teardown(() => sub.unsubscribe());
  });
  await agent.stop('test');
  stopped = true;
  t.equal((await kv.get(agentKey(agent.id)))?.operation, 'DEL', 'entry deleted on stop');
  t.match(await quit, { id: agent.id, reason: 'test' }, 'quit event');
});

t.test('cluster.enabled = false: no entry, no endpoint', async (t) => {
  const nats = await startNats(t);
  const nc = await natsClient(t, nats.url);
  const cluster = `m${randomBytes(3).toString('hex')}`;
  const agent = await startAgent(t, testConfig({ NATS_URL: nats.url, CLUSTER_NAME: cluster, CLUSTER_ENABLED: 'false' }));
  t.equal(agent.cluster, undefined);
  const err = await request(nc, new ClusterSubjects('webrtc-agent', cluster).schedule(), { purpose: 'webrtc', task: 't' }).catch((e) => e);
  t.match(String(err.message ?? err.code), /503|no responders/i, 'no responders');
});

t.test('in-process: a stale entry is declared lost once, its room spills and is freed', async (t) => {
  const nats = await startNats(t);
  const nc = await natsClient(t, nats.url);
  const cluster = `m${randomBytes(3).toString('hex')}`;
  const env = { NATS_URL: nats.url, CLUSTER_NAME: cluster, CLUSTER_REPORT_INTERVAL_MS: '100', CLUSTER_LOAD_METRIC: 'memory', CLUSTER_MAX_LOAD_PERCENT: '100' };
  const a = await startAgent(t, testConfig(env));
  const b = await startAgent(t, testConfig(env));
  const subjects = new ClusterSubjects('webrtc-agent', cluster);
  const kv = await nc.jetstream().views.kv(agentsBucket(cluster));
  const rooms = await nc.jetstream().views.kv(`webrtc-agent-${cluster}-rooms`);
  await waitFor(async () => {
    for (const ag of [a, b]) {
      const e = await kv.get(agentKey(ag.id));
      if (!e || (json.decode(e.value) as AgentEntry).load === null) return false;
    }
    return true;
  }, 3000, 'both reported');
  const events: any[] = [];
  nc.subscribe(subjects.lost(), { callback: (_e, m) => events.push(json.decode(m.data)) });
  // A dead agent: an entry that stopped moving, holding a room and a task.
  const ghost: AgentEntry = {
    id: 'ghost', purpose: 'webrtc', hostname: 'h', ip: '127.0.0.1', internalAddress: '127.0.0.1',
    capacity: { isps: [], regions: [] }, maxLoad: 0.5, nodes: 1, rooms: ['g-own'], load: 0.9,
    version: '0', startedAt: 1, updatedAt: Date.now() - 250, reportIntervalMs: 100,
  };
  const { roomKey, taskKey } = await import('../../src/cluster/layout');
  await rooms.put(roomKey('g1'), json.encode({ room: 'g1', agents: ['ghost'], updatedAt: Date.now() }));
  await rooms.put(roomKey('g2'), json.encode({ room: 'g2', agents: ['ghost', a.id], updatedAt: Date.now() }));
  await rooms.put(taskKey('gt'), json.encode({ task: 'gt', agent: 'ghost', expiresAt: Date.now() + 60_000 }));
  await kv.put(agentKey('ghost'), json.encode(ghost));
  // Over its max load (and soon stale): its room spills to a live agent.
  const r = await request(nc, subjects.schedule(), { purpose: 'webrtc', task: 'g1-t', room: 'g1' });
  t.ok([a.id, b.id].includes(r.id), 'stale agent skipped: the room spills');
  await waitFor(() => events.length > 0, 3000, 'lost event');
  await new Promise((res) => setTimeout(res, 400));
  t.equal(events.length, 1, 'exactly one lost event from two watchers');
  t.match(events[0], { id: 'ghost', reason: 'lost', rooms: ['g-own', 'g1', 'g2'], tasks: ['gt'] });
  t.ok([a.id, b.id].includes(events[0].detectedBy));
  t.equal((await kv.get(agentKey('ghost')))?.operation, 'DEL', 'entry deleted');
  const agentsOf = async (room: string): Promise<string[]> => {
    const e = await rooms.get(roomKey(room));
    return e && e.operation === 'PUT' ? json.decode(e.value).agents : [];
  };
  await waitFor(async () => (await agentsOf('g1')).join() === r.id && (await agentsOf('g2')).join() === a.id, 2000, 'rooms freed');
  t.equal((await rooms.get(taskKey('gt')))?.operation, 'DEL', 'reservation freed');
});

t.test('a report whose request is lost fails within one interval (not nats.requestTimeoutMs)', async (t) => {
  // No stream holds these subjects; a subscriber that never answers takes the
  // put's request, as a NATS server that stops while holding it would.
  const nats = await startNats(t);
  const nc = await natsClient(t, nats.url);
  const bucket = agentsBucket(`lost${randomBytes(3).toString('hex')}`);
  const silent = nc.subscribe(`$KV.${bucket}.>`);
  t.teardown(() => silent.unsubscribe());
  const kv = await bindReportBucket(nc, bucket, 300);
  const membership = new Membership({
    kv,
    reportKv: kv,
    agentId: 'a1',
    hostname: 'h',
    ip: '127.0.0.1',
    internalAddress: '127.0.0.1',
    capacity: { isps: [], regions: [] },
    maxLoad: 0.85,
    version: 'test',
    reportIntervalMs: 300,
    collector: new LoadCollector({ metric: 'memory', networkInterface: 'lo', networkMaxScaleMbit: 1000 }),
    stats: () => ({ nodes: 0, rooms: [] }),
    log: silentLog,
  });
  const t0 = performance.now();
  const err = await membership.report().then(
    () => undefined,
    (e: Error) => e,
  );
  const ms = performance.now() - t0;
  t.ok(err, `the report failed: ${err?.message}`);
  t.ok(ms < 1500, `within the bound: ${ms.toFixed(0)} ms (interval 300 ms; the client's default is 5000 ms)`);
  t.equal(membership.healthySince, 0, 'the agent knows its writes fail (it judges no one)');
});
