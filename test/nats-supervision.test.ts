/**
 * The embedded nats-server as a process: a Ctrl-C to the terminal's process
 * group stops the agent cleanly (the server, in its own group, is stopped
 * last); a server killed with SIGKILL is restarted on the same port and data
 * directory and the agent is reachable again; when no restart works, the
 * agent exits 1 with one line.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, JSONCodec } from 'nats';
import { freePort } from './helpers/nats';
import { isListening } from '../src/rpc/NatsServerProcess';

const mainJs = path.resolve(__dirname, '..', 'dist/main.js');
const json = JSONCodec();

interface Started {
  child: ChildProcess;
  url: string;
  id: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** The agent with an embedded nats-server on a free port, as the leader of its own process group (a terminal's foreground job). */
async function startAgent(t: Tap, extra: Record<string, string> = {}): Promise<Started> {
  const cwd = mkdtempSync(path.join(tmpdir(), 'wa-sup-'));
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: 'info',
    AGENT_PRERUN_NODES: '1',
    AGENT_MAX_NODES: '1',
    NATS_EMBEDDED: 'always',
    NATS_EMBEDDED_PORT: String(port),
    ...extra,
  };
  const child = spawn(process.execPath, [mainJs], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // Whatever happened, no nats-server of this test outlives it.
    for (const pid of natsChildren(child.pid!)) process.kill(pid, 'SIGKILL');
    rmSync(cwd, { recursive: true, force: true });
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ready line in 15 s; stderr: ${err}`)), 15_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const l = out.split('\n').find((x) => x.startsWith('webrtc-agent ready:'));
      if (l) {
        clearTimeout(timer);
        resolve(l);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before ready; stderr: ${err}`));
    });
  });
  return { child, url: /nats=(\S+)/.exec(line)![1]!, id: /id=(\S+)/.exec(line)![1]!, stderr: () => err, exited };
}

type Tap = Test;

/** Pids of the nats-server processes whose parent is `ppid` (read from /proc). */
function natsChildren(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const m = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
      if (m && m[1] === 'nats-server' && Number(m[2]) === ppid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('Ctrl-C (SIGINT to the whole process group): the agent stops in order and exits 0 quickly', async (t) => {
  const a = await startAgent(t);
  const [natsPid] = natsChildren(a.child.pid!);
  t.ok(natsPid, 'the embedded nats-server runs');
  const nc = await connect({ servers: a.url, reconnect: false });
  const quit: unknown[] = [];
  nc.subscribe(`webrtc-agent.event.${a.id}.quit`, { callback: (_e, m) => quit.push(json.decode(m.data)) });
  await nc.flush();
  const t0 = Date.now();
  process.kill(-a.child.pid!, 'SIGINT'); // what the terminal does on Ctrl-C
  const code = await a.exited;
  const ms = Date.now() - t0;
  t.equal(code, 0, 'exit code 0');
  t.ok(ms < 2500, `stopped in ${ms} ms (budget 5000)`);
  t.match(quit, [{ id: a.id }], 'the quit event went out (the server was still up)');
  t.notMatch(a.stderr(), /shutdown timed out/);
  t.notOk(await isListening('127.0.0.1', Number(new URL(a.url).port)), 'the embedded nats-server was stopped last');
  t.same(natsChildren(a.child.pid!), []);
  await nc.close();
});

t.test('the embedded nats-server killed with SIGKILL is restarted and the agent is reachable again', async (t) => {
  const a = await startAgent(t, { NATS_EMBEDDED_RESTART_BACKOFF_MS: '100' });
  const [pid1] = natsChildren(a.child.pid!);
  process.kill(pid1!, 'SIGKILL');
  const pid2 = await until('a new nats-server', () => natsChildren(a.child.pid!).find((p) => p !== pid1));
  t.not(pid2, pid1, 'a new server process');
  await until('the new server listening', async () => (await isListening('127.0.0.1', Number(new URL(a.url).port))) || undefined);
  const nc = await connect({ servers: a.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  t.teardown(() => nc.close());
  // The agent's own connection reconnects on its own: getNode answers again.
  const reply = await until('getNode through the restarted server', async () => {
    try {
      return await nc.request(`webrtc-agent.agent.${a.id}.getNode`, json.encode({ room: 'r1', task: 't1' }), { timeout: 1000 });
    } catch {
      return undefined;
    }
  });
  t.match(json.decode(reply.data), { nodeId: new RegExp(`^${a.id}_`) });
  await until('the reconnect logged', () => /NATS reconnected/.test(a.stderr()) || undefined, 5000);
  const logs = a.stderr();
  t.match(logs, new RegExp(`"url":"127\\.0\\.0\\.1:${new URL(a.url).port}".*"msg":"NATS disconnected"`), 'the disconnect is logged with the server');
  t.match(logs, /"msg":"NATS reconnected"/);
  t.match(logs, /embedded nats-server restarted/);
  process.kill(a.child.pid!, 'SIGTERM');
  t.equal(await a.exited, 0);
  t.same(natsChildren(a.child.pid!), [], 'no server left behind');
});

t.test('when no restart works, the agent exits 1 with one line', async (t) => {
  const a = await startAgent(t, { NATS_EMBEDDED_RESTART_ATTEMPTS: '2', NATS_EMBEDDED_RESTART_BACKOFF_MS: '100' });
  const port = Number(new URL(a.url).port);
  const [pid] = natsChildren(a.child.pid!);
  process.kill(pid!, 'SIGKILL');
  // Take the port: every restart fails to listen.
  const squatter = net.createServer((s) => s.destroy());
  await until('the port taken', () =>
    new Promise<boolean | undefined>((r) => {
      squatter.once('error', () => r(undefined));
      squatter.listen(port, '127.0.0.1', () => r(true));
    }),
  );
  t.teardown(() => squatter.close());
  const t0 = Date.now();
  const code = await Promise.race([a.exited, new Promise((r) => setTimeout(() => r('still running after 15 s'), 15_000).unref())]);
  t.equal(code, 1, `exit code 1 after ${Date.now() - t0} ms`);
  const human = a.stderr().split('\n').filter((l) => l && !l.startsWith('{'));
  t.equal(human.length, 1, `one line besides the JSON logs: ${JSON.stringify(human)}`);
  t.match(human[0], /^webrtc-agent: embedded nats-server on nats:\/\/127\.0\.0\.1:\d+ could not be restarted after 2 attempt\(s\)/);
});

t.test('EmbeddedNats in-process: restart after a kill, failed when attempts are used up, stop waits for a restart under way', async (t) => {
  const { EmbeddedNats } = await import('../src/rpc/EmbeddedNats');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-sup-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const en = await EmbeddedNats.start({ port: 0, dataDir, restartAttempts: 1, restartBackoffMs: 10 });
  t.teardown(() => en.stop());
  const pid1 = en.pid;
  const restarted = new Promise<string>((r) => en.once('restarted', (url) => r(url)));
  en.kill();
  t.equal(await restarted, en.url, 'same url after the restart');
  t.not(en.pid, pid1);
  t.equal(en.restarts, 1);
  // One attempt allowed, and the server has not been up for stableAfterMs: the next death is final.
  const failed = new Promise<Error>((r) => en.once('failed', r));
  en.kill();
  t.match((await failed).message, /could not be restarted after 1 attempt\(s\): exit code null, signal SIGKILL/);
  await en.stop();
  t.notOk(await isListening('127.0.0.1', Number(new URL(en.url).port)));

  const en2 = await EmbeddedNats.start({ port: 0, dataDir, restartAttempts: 3, restartBackoffMs: 0 });
  const exited = new Promise((r) => en2.once('exited', r));
  en2.kill();
  await exited;
  await new Promise((r) => setTimeout(r, 5)); // the restart is under way
  await en2.stop();
  t.notOk(await isListening('127.0.0.1', Number(new URL(en2.url).port)), 'no server outlives stop()');
});
