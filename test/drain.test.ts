/**
 * Drain: a real agent with a real room (plain RTP over real UDP sockets) on a
 * real nats-server. The agent leaves scheduling (its cluster entry says
 * draining), refuses new rooms with 503, keeps forwarding the room it holds
 * and stops when the room ends or the drain's bound passes; the draining and
 * quit events name the rooms. Then the process: SIGTERM with
 * agent.drainOnSigterm, the CLI's drain, SIGINT still immediate.
 */
import t, { type Test } from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { JSONCodec, type NatsConnection } from 'nats';
import type { Agent } from '../src/Agent';
import { agentKey, agentsBucket } from '../src/cluster/layout';
import { natsClient, startNats } from './helpers/nats';
import { CallError, request, startAgent, testConfig, waitFor } from './helpers/agent';
import { plainRoom } from './helpers/rtp';

const json = JSONCodec<any>();
const root = path.resolve(__dirname, '..');

function collect(nc: NatsConnection, subject: string): any[] {
  const got: any[] = [];
  nc.subscribe(subject, { callback: (_e, m) => got.push(json.decode(m.data)) });
  return got;
}

async function rejects(p: Promise<unknown>): Promise<CallError> {
  try {
    await p;
  } catch (err) {
    return err as CallError;
  }
  throw new Error('expected the request to fail');
}

/** A room on one node: a plain publisher and a plain subscriber; send(n) sends n packets. */
async function room(t: Test, nc: NatsConnection, agent: Agent, name: string) {
  const { nodeId } = await request<{ nodeId: string }>(nc, agent.subjects.agent('getNode'), { room: name, task: 'pub' });
  const { send } = await plainRoom(t, (method, args) => request(nc, agent.subjects.node(nodeId, method), args));
  return { nodeId, send };
}

t.test('drain: out of scheduling, no new rooms, the room held served until it ends', async (t) => {
  const nats = await startNats(t);
  const nc = await natsClient(t, nats.url);
  const agent = await startAgent(t, testConfig({ NATS_URL: nats.url, CLUSTER_REPORT_INTERVAL_MS: '100', AGENT_PRERUN_NODES: '2' }));
  const draining = collect(nc, agent.subjects.event('draining'));
  const quit = collect(nc, agent.subjects.event('quit'));
  await nc.flush();
  const schedule = (task: string, roomName: string) =>
    request(nc, agent.cluster!.subjects.schedule(), { purpose: 'webrtc', task, room: roomName });
  // Schedulable once its first load report is in.
  await waitFor(async () => (await schedule('probe', 'r0').catch(() => undefined)) !== undefined, 5000, 'agent schedulable');

  const r1 = await room(t, nc, agent, 'r1');
  await r1.send(10);

  for (const [payload, re] of [
    [{ timeoutMs: -1 }, /^timeoutMs: /],
    [{ timeoutMs: 1.5 }, /^timeoutMs: /],
    [{ timeoutMs: '10' }, /^timeoutMs: /],
    [{ reason: '' }, /^reason: /],
    [{ reason: 'x'.repeat(65) }, /^reason: /],
    [{ extra: 1 }, /extra/],
    [[], /payload/],
  ] as const) {
    const bad = await rejects(request(nc, agent.subjects.agent('drain'), payload));
    t.equal(bad.code, 400, JSON.stringify(payload));
    t.match(bad.message, re);
  }
  t.notOk(agent.draining, 'a bad drain request drains nothing');

  const reply = await request(nc, agent.subjects.agent('drain'), { reason: 'upgrade' });
  t.match(reply, { reason: 'upgrade', rooms: [{ room: 'r1', tasks: ['pub'] }] });
  t.ok(reply.deadline - reply.since === 600_000, 'the default bound is agent.drainTimeoutMs');
  await waitFor(() => draining.length === 1, 2000, 'draining event');
  t.match(draining[0], { type: 'worker', id: agent.id, reason: 'upgrade', rooms: [{ room: 'r1', tasks: ['pub'] }] });
  t.equal(Date.parse(draining[0].deadline), reply.deadline);

  const entry = json.decode((await agent.cluster!.agents.get(agentKey(agent.id)))!.value);
  t.equal(entry.draining, 'upgrade', 'the cluster entry says draining');
  const sched = await rejects(schedule('new-task', 'r2'));
  t.equal(sched.code, 503, 'the scheduler passes the draining agent by');

  const refused = await rejects(request(nc, agent.subjects.agent('getNode'), { room: 'r2', task: 't' }));
  t.equal(refused.code, 503);
  t.match(refused.message, /draining \(upgrade\)/);
  t.same(await request(nc, agent.subjects.agent('getNode'), { room: 'r1', task: 'late' }), { nodeId: r1.nodeId }, 'a held room takes tasks');
  const { nodes } = await request(nc, agent.subjects.agent('listNodes'), {});
  t.same(nodes.map((n: { id: string }) => n.id), [r1.nodeId], 'nodes holding no room are ended, none started');
  await r1.send(10); // media still flows

  const again = await request(nc, agent.subjects.agent('drain'), { reason: 'other', timeoutMs: 5 });
  t.equal(again.deadline, reply.deadline, 'a second drain changes nothing');
  t.match(again.rooms, [{ room: 'r1', tasks: ['pub', 'late'] }]);

  const stopping = new Promise<string>((r) => agent.once('stopping', r));
  await request(nc, agent.subjects.agent('recycleNode'), { nodeId: r1.nodeId, room: 'r1', task: 'late' });
  t.equal(quit.length, 0, 'still serving while a task is left');
  await request(nc, agent.subjects.agent('recycleNode'), { nodeId: r1.nodeId, room: 'r1', task: 'pub' });
  t.equal(await stopping, 'drained');
  await agent.stop();
  await waitFor(() => quit.length === 1, 2000, 'quit event');
  t.match(quit[0], { reason: 'drained', rooms: [] });
  const kv = await nc.jetstream().views.kv(agentsBucket(agent.cluster!.subjects.cluster));
  t.equal((await kv.get(agentKey(agent.id)))?.operation, 'DEL', 'the entry is gone');
});

t.test('drain: at the bound the agent stops and names the rooms it ends', async (t) => {
  const nats = await startNats(t);
  const nc = await natsClient(t, nats.url);
  const agent = await startAgent(t, testConfig({ NATS_URL: nats.url, CLUSTER_ENABLED: 'false', AGENT_PRERUN_NODES: '1' }));
  const quit = collect(nc, agent.subjects.event('quit'));
  await nc.flush();
  const r1 = await room(t, nc, agent, 'r1');
  await r1.send(5);
  const t0 = Date.now();
  const stopping = new Promise<string>((r) => agent.once('stopping', r));
  const state = await agent.drain('test', 300);
  t.same(state.rooms, [{ room: 'r1', tasks: ['pub'] }]);
  t.equal(await stopping, 'drain-timeout');
  const ms = Date.now() - t0;
  t.ok(ms >= 290, `stopped after the bound (${ms} ms)`);
  await agent.stop();
  await waitFor(() => quit.length === 1, 2000, 'quit event');
  t.match(quit[0], { reason: 'drain-timeout', rooms: [{ room: 'r1', tasks: ['pub'] }] });
  await t.rejects(agent.drain('late'), { code: 503 }, 'no drain once stopping');
});

function startProcess(t: Test, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; id: string; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, [path.join(root, 'dist/main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ready line; stderr: ${err}`)), 10_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /webrtc-agent ready: id=(\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, id: m[1]!, exit });
      }
    });
    void exit.then((code) => reject(new Error(`exited ${code}; stderr: ${err}`)));
  });
}

t.test('process: SIGTERM drains with agent.drainOnSigterm; the CLI drains; SIGINT stays immediate', async (t) => {
  const nats = await startNats(t);
  const nc = await natsClient(t, nats.url);
  const env = {
    PATH: process.env.PATH,
    NATS_URL: nats.url,
    LOG_LEVEL: 'warn',
    CLUSTER_ENABLED: 'false',
    AGENT_PRERUN_NODES: '1',
    AGENT_READY_TIMEOUT_MS: '10000',
    AGENT_DRAIN_ON_SIGTERM: 'true',
    METRICS_PORT: '0', // other agents run at once
  };
  const a = await startProcess(t, env);
  const subj = (m: string) => `webrtc-agent.agent.${a.id}.${m}`;
  const draining = collect(nc, `webrtc-agent.event.${a.id}.draining`);
  const quit = collect(nc, `webrtc-agent.event.${a.id}.quit`);
  await nc.flush();
  const { nodeId } = await request(nc, subj('getNode'), { room: 'r1', task: 'pub' });
  a.child.kill('SIGTERM');
  await waitFor(() => draining.length === 1, 5000, 'draining event');
  t.match(draining[0], { reason: 'SIGTERM', rooms: [{ room: 'r1', tasks: ['pub'] }] });
  t.equal((await rejects(request(nc, subj('getNode'), { room: 'r2', task: 't' }))).code, 503);
  t.same(await request(nc, subj('getNode'), { room: 'r1', task: 'sub' }), { nodeId });
  const cli = spawnSync(process.execPath, [path.join(root, 'dist/cli/index.js'), 'drain', '--agent', a.id, '--nats', nats.url], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  t.equal(cli.status, 0, cli.stderr);
  t.match(JSON.parse(cli.stdout), { reason: 'SIGTERM', rooms: [{ room: 'r1', tasks: ['pub', 'sub'] }] }, 'the CLI shows the drain under way');
  const badCli = spawnSync(process.execPath, [path.join(root, 'dist/cli/index.js'), 'drain', '--timeout-ms', 'soon'], { encoding: 'utf8', timeout: 15_000 });
  t.equal(badCli.status, 2, 'a bad --timeout-ms is a usage error');
  t.equal(quit.length, 0, 'still running');
  for (const task of ['pub', 'sub']) await request(nc, subj('recycleNode'), { nodeId, room: 'r1', task });
  t.equal(await a.exit, 0, 'exits 0 when drained');
  t.match(quit, [{ reason: 'drained', rooms: [] }]);

  // A drain under way, then SIGINT: the agent stops at once and says what it ends.
  const b = await startProcess(t, env);
  const quitB = collect(nc, `webrtc-agent.event.${b.id}.quit`);
  const drainingB = collect(nc, `webrtc-agent.event.${b.id}.draining`);
  await nc.flush();
  await request(nc, `webrtc-agent.agent.${b.id}.getNode`, { room: 'r9', task: 'pub' });
  b.child.kill('SIGTERM');
  await waitFor(() => drainingB.length === 1, 5000, 'draining event');
  const t0 = Date.now();
  b.child.kill('SIGINT');
  t.equal(await b.exit, 0);
  t.ok(Date.now() - t0 < 5000, 'SIGINT stops a draining agent at once');
  t.match(quitB, [{ reason: 'SIGINT', rooms: [{ room: 'r9', tasks: ['pub'] }] }]);
});
