#!/usr/bin/env node
/**
 * The `webrtc-agent` command:
 *   webrtc-agent [start] [--config file] [--key value ...]   run the agent
 *   webrtc-agent call <method> ['<json>'] [--node id] [--agent id] [--nats url] [--timeout ms]
 *   webrtc-agent agents [--nats url]                          list running agents
 */
import { parseArgs } from 'node:util';
import { call, discoverAgents } from './call';
import { connect } from 'nats';

const USAGE = `usage:
  webrtc-agent [start] [--config file] [--<key> value ...]   run the agent (see docs/config.md)
  webrtc-agent call <method> ['<json>'] [options]           call an agent method, or a node method with --node
      --node <nodeId>   call a node method (dump, getInternalAddress, ...)
      --agent <id>      which agent (default: the first one found)
      --nats <url>      NATS server (default: $NATS_URL or nats://127.0.0.1:4222)
      --timeout <ms>    reply timeout (default 5000)
  webrtc-agent agents [--nats url]                          list running agents
exit codes: 0 ok, 1 the call failed (error code printed), 2 bad usage, 3 no NATS or no agent`;

function natsDefault(): string {
  return process.env.NATS_URL || 'nats://127.0.0.1:4222';
}

async function run(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'start' || cmd.startsWith('--')) {
    const { main } = await import('../main');
    await main(cmd === 'start' ? rest : argv);
    return -1; // the agent keeps running
  }
  if (cmd === 'help' || cmd === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
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
    if (cmd === 'agents') {
      try {
        const nc = await connect({ servers: nats.split(','), timeout: 2000 });
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
    const out = await call({ method, payload: payload ?? '{}', agent: v.agent, node: v.node, nats, timeoutMs, prefix: v.prefix });
    (out.exitCode === 0 ? process.stdout : process.stderr).write(`${out.output}\n`);
    return out.exitCode;
  }
  process.stderr.write(`unknown command: ${cmd}\n${USAGE}\n`);
  return 2;
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
