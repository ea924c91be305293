/**
 * A 3-server NATS cluster (JetStream, R3) on free loopback ports, and agents
 * as separate processes (`node dist/main.js`) pointed at different servers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, JSONCodec, type KV, type NatsConnection } from 'nats';
import type { Test } from 'tap';
import { NatsServerProcess } from '../../src/rpc/NatsServerProcess';
import { agentsBucket, roomsBucket, type AgentEntry } from '../../src/cluster/layout';
import { AGENTS_MAX_AGE_INTERVALS } from '../../src/cluster/Cluster';
import { freePort } from '../helpers/nats';

const root = path.resolve(__dirname, '..', '..');
const mainJs = path.join(root, 'dist/main.js');

export async function startNatsCluster(t: Test, n = 3): Promise<NatsServerProcess[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wa-natsc-'));
  const cports: number[] = [];
  for (let i = 0; i < n; i++) cports.push(await freePort());
  const routes = cports.map((p) => `nats://127.0.0.1:${p}`).join(',');
  const servers = await Promise.all(
    cports.map((cp, i) =>
      NatsServerProcess.start({
        port: 0,
        dataDir: path.join(dir, `s${i}`),
        args: ['-n', `s${i}`, '--cluster_name', 'wa', '--cluster', `nats://127.0.0.1:${cp}`, '--routes', routes],
        startTimeoutMs: 15_000,
      }),
    ),
  );
  t.teardown(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });
  return servers;
}

/** Creates the cluster's buckets once JetStream has a meta leader (the agents then bind to them). */
export async function createBuckets(nc: NatsConnection, cluster: string, intervalMs: number, replicas: number): Promise<{ agents: KV; rooms: KV }> {
  const js = nc.jetstream();
  const end = Date.now() + 20_000;
  for (;;) {
    try {
      const agents = await js.views.kv(agentsBucket(cluster), { history: 1, ttl: AGENTS_MAX_AGE_INTERVALS * intervalMs, replicas });
      const rooms = await js.views.kv(roomsBucket(cluster), { history: 1, replicas, allow_direct: false });
      return { agents, rooms };
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export interface AgentProcess {
  id: string;
  child: ChildProcess;
  stderr: () => string;
}

export function startAgentProcess(t: Test, id: string, env: Record<string, string>): Promise<AgentProcess> {
  const child = spawn(process.execPath, [mainJs], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_LEVEL: 'warn',
      NATS_EMBEDDED: 'never',
      AGENT_ID: id,
      AGENT_PRERUN_NODES: '1',
      METRICS_PORT: '0', // several agents run at once
      AGENT_READY_TIMEOUT_MS: '10000', // a loaded CI machine starts threads slowly
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${id}: no ready line in 15 s; stderr: ${err}`)), 15_000);
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('webrtc-agent ready:')) {
        clearTimeout(timer);
        resolve({ id, child, stderr: () => err });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${id} exited ${code} before ready; stderr: ${err}`));
    });
  });
}

const agentJson = JSONCodec<AgentEntry>();

export async function agentEntries(kv: KV): Promise<AgentEntry[]> {
  const out: AgentEntry[] = [];
  const keys: string[] = [];
  for await (const k of await kv.keys('agent.*')) keys.push(k);
  for (const k of keys) {
    const e = await kv.get(k);
    if (e && e.operation === 'PUT') out.push(agentJson.decode(e.value));
  }
  return out;
}

export async function clientFor(t: Test, urls: string[]): Promise<NatsConnection> {
  const nc = await connect({ servers: urls, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  t.teardown(() => nc.close());
  return nc;
}
