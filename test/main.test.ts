/**
 * The agent as a process: `node dist/main.js` with an embedded nats-server,
 * the ready line, getNode over NATS, the CLI, SIGTERM shutdown, config errors.
 */
import t, { type Test } from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, JSONCodec } from 'nats';
import { freePort, startNats } from './helpers/nats';
import { isListening } from '../src/rpc/NatsServerProcess';

const root = path.resolve(__dirname, '..');
const mainJs = path.join(root, 'dist/main.js');
const cliJs = path.join(root, 'dist/cli/index.js');
const json = JSONCodec();

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', AGENT_READY_TIMEOUT_MS: '10000', METRICS_PORT: '0' };
  return { ...env, ...extra };
}

/** Starts the agent and resolves with its ready line. */
function startProcess(t: Tap, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ child: ChildProcess; line: string; ms: number }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [mainJs, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ready line in 10 s; stderr: ${err}`)), 10_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('webrtc-agent ready:'));
      if (line) {
        clearTimeout(timer);
        resolve({ child, line, ms: Date.now() - t0 });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before ready; stderr: ${err}`));
    });
  });
}

type Tap = Test;

function field(line: string, key: string): string {
  return new RegExp(`${key}=(\\S+)`).exec(line)![1]!;
}

t.test('embedded NATS start, getNode, CLI, SIGTERM shutdown', async (t) => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'wa-main-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const port = await freePort();
  const env = cleanEnv({ NATS_EMBEDDED_PORT: String(port), AGENT_PRERUN_NODES: '2' });
  const { child, line, ms } = await startProcess(t, [], env, cwd);
  t.comment(`ready in ${ms} ms: ${line}`);
  const url = field(line, 'nats');
  t.equal(url, `nats://127.0.0.1:${port}`, 'started the embedded nats-server on the configured port');
  const agentId = field(line, 'id');
  t.equal(field(line, 'service'), 'webrtc-agent');

  const nc = await connect({ servers: url });
  t.teardown(() => nc.close());
  const quit: unknown[] = [];
  nc.subscribe(`webrtc-agent.event.${agentId}.quit`, { callback: (_e, m) => quit.push(json.decode(m.data)) });
  await nc.flush();

  const reply = await nc.request(`webrtc-agent.agent.${agentId}.getNode`, json.encode({ room: 'r1', task: 't1' }), { timeout: 5000 });
  const { nodeId } = json.decode(reply.data) as { nodeId: string };
  t.match(nodeId, new RegExp(`^${agentId}_\\d+$`));

  const cli = (args: string[]) => spawnSync(process.execPath, [cliJs, ...args], { env: { ...env, NATS_URL: url }, encoding: 'utf8', timeout: 15_000 });
  const q = cli(['call', 'queryNode', '{"room":"r1"}']);
  t.equal(q.status, 0, `cli call queryNode: ${q.stderr}`);
  t.same(JSON.parse(q.stdout), { nodeId });
  const bad = cli(['call', 'getNode', '{"room":"r1"}']);
  t.equal(bad.status, 1);
  t.match(bad.stderr, /error 400: task:/);
  const dump = cli(['call', 'dump', '{}', '--node', nodeId]);
  t.equal(dump.status, 0, dump.stderr);
  t.same(JSON.parse(dump.stdout).rooms, [{ room: 'r1', tasks: ['t1'] }]);
  const nf = cli(['call', 'noSuchMethod', '{}']);
  t.equal(nf.status, 2);
  t.match(nf.stderr, /has no method noSuchMethod/);
  const agents = cli(['agents']);
  t.equal(agents.status, 0);
  t.match(JSON.parse(agents.stdout), [{ id: agentId }]);

  const t0 = Date.now();
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  const code = await exited;
  const stopMs = Date.now() - t0;
  t.equal(code, 0, 'exit code 0');
  t.ok(stopMs < 5000, `stopped in ${stopMs} ms (< 5 s)`);
  t.match(quit, [{ id: agentId, type: 'worker', purpose: 'webrtc' }], 'quit event published');
  t.notOk(await isListening('127.0.0.1', port), 'the embedded nats-server is stopped too');
});

t.test('an external NATS is used as configured; SIGINT works as well', async (t) => {
  const nats = await startNats(t);
  const cwd = mkdtempSync(path.join(tmpdir(), 'wa-main-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const { child, line } = await startProcess(t, ['--agent-id', 'agent-ext'], cleanEnv({ NATS_URL: nats.url }), cwd);
  t.equal(field(line, 'id'), 'agent-ext');
  t.equal(field(line, 'nats'), nats.url);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  t.equal(await exited, 0);
});

t.test('bad configuration exits 2 with one line naming the key', async (t) => {
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [[], { AGENT_MAX_NODES: 'lots' }, /agent\.maxNodes/],
    [['--agent-prerun-nodes', '-3'], {}, /agent\.prerunNodes/],
    [['--config', '/nonexistent.toml'], {}, /nonexistent\.toml/],
    [['--no-such-key', '1'], {}, /no-such-key/],
  ];
  for (const [args, env, re] of cases) {
    const r = spawnSync(process.execPath, [mainJs, ...args], { env: cleanEnv({ NATS_EMBEDDED: 'never', ...env }), encoding: 'utf8', timeout: 10_000 });
    t.equal(r.status, 2, `${args.join(' ')} ${JSON.stringify(env)} -> exit 2`);
    const lines = r.stderr.trim().split('\n');
    t.equal(lines.length, 1, 'one line');
    t.match(lines[0], re);
  }
});

t.test('the CLI: --help, -h and help print the usage (they do not start an agent)', async (t) => {
  for (const arg of ['--help', '-h', 'help']) {
    const r = spawnSync(process.execPath, [cliJs, arg], { env: cleanEnv({ NATS_EMBEDDED: 'never' }), encoding: 'utf8', timeout: 10_000 });
    t.equal(r.status, 0, `${arg} -> exit 0`);
    t.match(r.stdout, /^usage:\n  webrtc-agent \[start\]/, `${arg} -> the usage`);
  }
});

t.test('no NATS reachable and embedded off: exits 1 with a clear message', async (t) => {
  const port = await freePort();
  const r = spawnSync(process.execPath, [mainJs], {
    env: cleanEnv({ NATS_EMBEDDED: 'never', NATS_URL: `nats://127.0.0.1:${port}` }),
    encoding: 'utf8',
    timeout: 20_000,
  });
  t.equal(r.status, 1);
  t.match(r.stderr, /failed to start/);
});

t.test('embedded NATS without the binary says how to install it', async (t) => {
  const port = await freePort();
  const r = spawnSync(process.execPath, [mainJs], {
    env: { ...cleanEnv({ NATS_EMBEDDED_PORT: String(port) }), PATH: '/nonexistent' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  t.equal(r.status, 1);
  t.match(r.stderr, /apt-get install -y nats-server/);
});
