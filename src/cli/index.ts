#!/usr/bin/env node
/**
 * The `webrtc-agent` command:
 *   webrtc-agent [start] [--config file] [--key value ...]   run the agent
 *   webrtc-agent call <method> ['<json>'] [--node id] [--agent id] [--nats url] [--timeout ms]
 *   webrtc-agent agents [--nats url]                          list running agents
 *   webrtc-agent drain [--agent id] [--timeout-ms ms] [--reason text] [--nats url]
 *   webrtc-agent demo [--port 8080] [--host 127.0.0.1] [--nats url] [--agent id]   the demo page
 */
// First: V8 flags that must be set before the modules below load (heapFlags.ts).
import '../util/heapFlags';
import { parseArgs } from 'node:util';
import { call, discoverAgents, prefixOf } from './call';
import { connect, type ConnectionOptions } from 'nats';
import { natsAuthFromEnv, natsAuthOptions } from '../rpc/natsAuth';

const USAGE = `usage:
  webrtc-agent [start] [--config file] [--<key> value ...]   run the agent (see docs/config.md)
  webrtc-agent call <method> ['<json>'] [options]           call an agent method, or a node method with --node
      --node <nodeId>   call a node method (dump, getInternalAddress, ...)
      --agent <id>      which agent (default: the first one found)
      --nats <url>      NATS server (default: $NATS_URL or nats://127.0.0.1:4222)
      --timeout <ms>    reply timeout (default 5000)
  webrtc-agent agents [--nats url]                          list running agents
  webrtc-agent drain [--agent id] [--timeout-ms ms] [--reason text] [--nats url]
                                                            take an agent out of service: no new rooms,
                                                            its rooms served until they end (or timeout-ms),
                                                            then it stops; prints the rooms it holds
  webrtc-agent demo [--port 8080] [--host 127.0.0.1] [--nats url] [--agent id]
                                                            serve the demo page (a room where
                                                            everyone sees everyone) on a running agent
NATS credentials and TLS come from the agent's environment variables: NATS_CREDS,
NATS_NKEY_SEED_FILE, NATS_TOKEN, NATS_USER/NATS_PASSWORD, NATS_TLS_CA, NATS_TLS_CERT/NATS_TLS_KEY
exit codes: 0 ok, 1 the call failed (error code printed), 2 bad usage or credentials, 3 no NATS or no agent`;

/** The connection's credentials from the environment; undefined (after one line on stderr) when they are bad. */
function authFromEnv(): Partial<ConnectionOptions> | undefined {
  try {
    return natsAuthOptions(natsAuthFromEnv(process.env));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return undefined;
  }
}

function natsDefault(): string {
  return process.env.NATS_URL || 'nats://127.0.0.1:4222';
}

async function run(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === 'help' || cmd === '-h' || cmd === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (cmd === undefined || cmd === 'start' || cmd.startsWith('--')) {
    const { main } = await import('../main');
    await main(cmd === 'start' ? rest : argv);
    return -1; // the agent keeps running
  }
  if (cmd === 'demo') return demo(rest);
  if (cmd === 'drain') return drain(rest);
  if (cmd === 'call' || cmd === 'agents') {
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          node: { type: 'string' },
          agent: { type: 'string' },
          nats: { type: 'string' },
          timeout: { type: 'string' },
          prefix: { type: 'string' },
        },
      });
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
      return 2;
    }
    const v = parsed.values;
    const nats = v.nats ?? natsDefault();
    const auth = authFromEnv();
    if (!auth) return 2;
    if (cmd === 'agents') {
      try {
        const nc = await connect({ servers: nats.split(','), timeout: 2000, ...auth });
        const infos = await discoverAgents(nc);
        await nc.close();
        process.stdout.write(`${JSON.stringify(infos.map((i) => ({ id: i.id, version: i.version, metadata: i.metadata })), null, 2)}\n`);
        return 0;
      } catch (err) {
        process.stderr.write(`cannot reach NATS at ${nats}: ${(err as Error).message}\n`);
        return 3;
      }
    }
    const [method, payload] = parsed.positionals;
    if (!method) {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    const timeoutMs = v.timeout ? Number(v.timeout) : 5000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      process.stderr.write('--timeout must be a positive number of milliseconds\n');
      return 2;
    }
    const out = await call({ method, payload: payload ?? '{}', agent: v.agent, node: v.node, nats, auth, timeoutMs, prefix: v.prefix });
    (out.exitCode === 0 ? process.stdout : process.stderr).write(`${out.output}\n`);
    return out.exitCode;
  }
  process.stderr.write(`unknown command: ${cmd}\n${USAGE}\n`);
  return 2;
}

async function drain(args: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args,
      options: { agent: { type: 'string' }, nats: { type: 'string' }, 'timeout-ms': { type: 'string' }, reason: { type: 'string' } },
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const payload: { reason: string; timeoutMs?: number } = { reason: v.reason ?? 'cli' };
  if (v['timeout-ms'] !== undefined) {
    const ms = Number(v['timeout-ms']);
    if (!Number.isInteger(ms) || ms < 0) {
      process.stderr.write('--timeout-ms must be a whole number of milliseconds >= 0\n');
      return 2;
    }
    payload.timeoutMs = ms;
  }
  const auth = authFromEnv();
  if (!auth) return 2;
  const out = await call({ method: 'drain', payload: JSON.stringify(payload), agent: v.agent, nats: v.nats ?? natsDefault(), auth, timeoutMs: 5000 });
  (out.exitCode === 0 ? process.stdout : process.stderr).write(`${out.output}\n`);
  return out.exitCode;
}

async function demo(args: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({ args, options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' }, nats: { type: 'string' }, agent: { type: 'string' } } }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const nats = v.nats ?? natsDefault();
  const auth = authFromEnv();
  if (!auth) return 2;
  let nc;
  try {
    nc = await connect({ servers: nats.split(','), timeout: 2000, ...auth });
  } catch (err) {
    process.stderr.write(`cannot reach NATS at ${nats}: ${(err as Error).message}\n`);
    return 3;
  }
  const infos = await discoverAgents(nc);
  const info = v.agent ? infos.find((i) => i.id === v.agent) : infos[0];
  if (!info) {
    process.stderr.write(`no webrtc-agent found on ${nats}: start one first (npm start)\n`);
    await nc.close();
    return 3;
  }
  const { DemoServer } = await import('../demo/DemoServer');
  const { createLogger } = await import('../log');
  const server = await DemoServer.start({
    nc,
    prefix: prefixOf(info) ?? 'webrtc-agent',
    agentId: info.id,
    host: v.host!,
    port: Number(v.port),
    log: createLogger({ level: 'warn', pretty: false }),
  });
  process.stdout.write(`webrtc-agent demo on agent ${info.id}: open ${server.url} in two browser tabs\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.stop();
  await nc.close();
  return 0;
}

run(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`webrtc-agent: ${err.message}\n`);
    process.exitCode = 1;
  },
);
