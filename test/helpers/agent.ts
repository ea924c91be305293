/**
 * Builds agent configs for tests and starts agents in-process against a real
 * nats-server.
 */
import pino from 'pino';
import type { Test } from 'tap';
import { Agent, type AgentStartOptions } from '../../src/Agent';
import { loadConfig, type AgentConfig } from '../../src/config/load';

export function testConfig(env: Record<string, string> = {}): AgentConfig {
  return loadConfig({
    argv: [],
    env: {
      NATS_EMBEDDED: 'never',
      // Tests keep every packet on loopback.
      WEBRTC_LISTEN_IP: '127.0.0.1',
      AGENT_TEST_HOOKS: 'true',
      LOG_LEVEL: 'silent',
      // Tests run in parallel: the metrics endpoint on a port the system picks.
      METRICS_PORT: '0',
      AGENT_HEARTBEAT_MS: '100',
      AGENT_CHECK_WINDOW_MS: '2000',
      // A loaded CI machine can take seconds to start a thread; production keeps 1.5 s.
      AGENT_READY_TIMEOUT_MS: '10000',
      ...env,
    },
  });
}

export const silentLog = pino({ level: 'silent' });

export async function startAgent(t: Test, cfg: AgentConfig, opts: AgentStartOptions = {}): Promise<Agent> {
  const agent = await Agent.start(cfg, { log: silentLog, ...opts });
  t.teardown(() => agent.stop('test end'));
  return agent;
}

/** Polls cond every 20 ms until it holds or timeoutMs passes. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

import { JSONCodec, ServiceError, type NatsConnection } from 'nats';

const json = JSONCodec();

export class CallError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** A request over NATS; resolves with the reply, rejects with CallError(code). */
export async function request<T = any>(nc: NatsConnection, subject: string, payload: unknown): Promise<T> {
  const msg = await nc.request(subject, json.encode(payload), { timeout: 5000 });
  const err = ServiceError.toServiceError(msg);
  if (err) throw new CallError(err.code, err.message);
  return (msg.data.length ? json.decode(msg.data) : null) as T;
}
