/**
 * For operators: text logs in a terminal and JSON lines elsewhere (log.pretty
 * auto, through a real pseudo-terminal); log levels changed while a real
 * agent runs, per module and per node thread, through the setLogLevel agent
 * method on a real nats-server; nats.requestTimeoutMs reaching the cluster's
 * JetStream requests; the example configuration in docs/operations.md.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../src/config/load';
import { prettyLogs } from '../src/log';
import { natsClient, startNats } from './helpers/nats';
import { CallError, request, startAgent, testConfig, waitFor } from './helpers/agent';

const root = path.resolve(__dirname, '..');

t.test('log.pretty: auto follows the terminal; true/false force it', async (t) => {
  t.equal(prettyLogs('auto', true), true);
  t.equal(prettyLogs('auto', false), false);
  t.equal(prettyLogs(true, false), true);
  t.equal(prettyLogs(false, true), false);
  t.equal(loadConfig({ argv: [], env: {} }).log.pretty, 'auto', 'auto by default');
  t.equal(loadConfig({ argv: [], env: { LOG_PRETTY: 'AUTO' } }).log.pretty, 'auto');
  t.equal(loadConfig({ argv: [], env: { LOG_PRETTY: 'off' } }).log.pretty, false);
  t.throws(() => loadConfig({ argv: [], env: { LOG_PRETTY: 'sometimes' } }), /log\.pretty: must be auto or a boolean/);
});

/** Runs the agent until its ready line, with stderr on a pipe or (tty) on a pseudo-terminal; returns what it logged. */
async function logsOf(natsUrl: string, tty: boolean): Promise<string> {
  const env = { PATH: process.env.PATH, NATS_URL: natsUrl, LOG_LEVEL: 'info', AGENT_PRERUN_NODES: '1', AGENT_READY_TIMEOUT_MS: '10000', TERM: 'dumb', METRICS_PORT: '0' };
  const argv = [path.join(root, 'dist/main.js')];
  // script(1) runs the agent on a pseudo-terminal and copies it to our pipe.
  const child = tty
    ? spawn('script', ['-qec', `exec ${process.execPath} ${argv.join(' ')}`, '/dev/null'], { env, detached: true })
    : spawn(process.execPath, argv, { env, detached: true });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise((r) => child.once('exit', r));
  try {
    await waitFor(() => out.includes('joined the cluster') && out.includes('webrtc-agent ready'), 15_000, 'ready');
  } finally {
    process.kill(-child.pid!, 'SIGINT');
    await exited;
  }
  return out;
}

t.test('process: text logs on a terminal, JSON lines on a pipe', async (t) => {
  const nats = await startNats(t);
  const piped = await logsOf(nats.url, false);
  const line = piped.split('\n').find((l) => l.includes('joined the cluster'))!;
  t.match(JSON.parse(line), { level: 30, part: 'cluster', msg: 'joined the cluster' }, 'a JSON line on a pipe');
  const onTty = await logsOf(nats.url, true);
  const text = onTty.split(/\r?\n/).find((l) => l.includes('joined the cluster'))!;
  t.match(text, /INFO.*joined the cluster/, 'text on a terminal');
  t.notOk(text.trimStart().startsWith('{'), 'not JSON');
});

t.test('setLogLevel: per module and per node thread, at runtime', async (t) => {
  const nats = await startNats(t);
  const nc = await natsClient(t, nats.url);
  const lines: Array<{ level: number; part?: string; msg: string }> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  const log = pino({ level: 'info' }, sink);
  const agent = await startAgent(
    t,
    testConfig({ NATS_URL: nats.url, CLUSTER_REPORT_INTERVAL_MS: '100', AGENT_PRERUN_NODES: '2', NATS_REQUEST_TIMEOUT_MS: '1234' }),
    { log },
  );
  t.equal((agent.cluster!.rooms as unknown as { js: { timeout: number } }).js.timeout, 1234, 'nats.requestTimeoutMs bounds the KV requests');
  const set = (p: unknown) => request(nc, agent.subjects.agent('setLogLevel'), p);
  const schedule = (task: string) => request(nc, agent.cluster!.subjects.schedule(), { purpose: 'webrtc', task, room: `room-${task}` });
  await waitFor(async () => (await schedule('probe').catch(() => undefined)) !== undefined, 5000, 'agent schedulable');
  const [n0, n1] = agent.nodes.nodes().map((n) => n.id) as [string, string];

  const read = await set({});
  t.same(read.modules, { agent: 'info', pool: 'info', cluster: 'info', links: 'info', node: 'silent' }, 'read: every module');
  t.same(read.nodes, { [n0]: 'silent', [n1]: 'silent' });

  await schedule('a');
  t.notOk(lines.some((l) => l.part === 'cluster' && l.level === 20), 'no cluster debug lines at info');
  const one = await set({ level: 'debug', module: 'cluster' });
  t.match(one.modules, { agent: 'info', cluster: 'debug', pool: 'info' }, 'only that module');
  await schedule('b');
  await waitFor(() => lines.some((l) => l.part === 'cluster' && l.level === 20 && l.msg === 'room placed'), 2000, 'a cluster debug line');
  t.notOk(lines.some((l) => l.part === undefined && l.level === 20), 'the agent module still at info');

  const node = await set({ level: 'trace', module: 'node', nodeId: n1 });
  t.same(node.nodes, { [n0]: 'silent', [n1]: 'trace' }, 'one node thread');
  t.equal(node.modules.node, 'silent', 'new node threads keep the default');

  const all = await set({ level: 'warn' });
  t.same(all.modules, { agent: 'warn', pool: 'warn', cluster: 'warn', links: 'warn', node: 'warn' }, 'everything');
  t.same(all.nodes, { [n0]: 'warn', [n1]: 'warn' });
  // A node started now logs at the new level too.
  await request(nc, agent.subjects.agent('getNode'), { room: 'x', task: 'x' });
  await request(nc, agent.subjects.agent('getNode'), { room: 'y', task: 'y' });
  const after = await set({});
  const fresh = Object.keys(after.nodes).filter((id) => id !== n0 && id !== n1);
  t.ok(fresh.length > 0 && Object.values(after.nodes).every((l) => l === 'warn'), `new nodes at warn: ${JSON.stringify(after.nodes)}`);

  for (const [p, code, re] of [
    [{ level: 'loud' }, 400, /^level: /],
    [{ level: 'debug', nodeId: n0 }, 400, /^nodeId: only with module "node"/],
    [{ level: 'debug', module: 'node', nodeId: 'nope' }, 404, /no such node/],
  ] as const) {
    const err = await set(p).then(
      () => undefined,
      (e: CallError) => e,
    );
    t.equal(err?.code, code, JSON.stringify(p));
    t.match(err?.message, re);
  }
});

t.test('docs/operations.md: the example configuration loads as it is', async (t) => {
  const doc = readFileSync(path.join(root, 'docs/operations.md'), 'utf8');
  const toml = /```toml\n([\s\S]*?)```/.exec(doc)![1]!;
  const dir = t.testdir({ 'agent.toml': toml });
  const cfg = loadConfig({ argv: ['--config', path.join(dir, 'agent.toml')], env: {} });
  t.match(cfg.agent, { id: 'media-1', drainOnSigterm: true, drainTimeoutMs: 600000 });
  t.equal(cfg.log.pretty, 'auto');
  const unit = readFileSync(path.join(root, 'docs/webrtc-agent.service'), 'utf8');
  const stopSec = Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)![1]) * 1000;
  t.ok(stopSec > cfg.agent.drainTimeoutMs + cfg.agent.shutdownTimeoutMs, 'the unit waits longer than a drain and a stop');
});
