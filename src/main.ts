/**
 * The process entry: `node dist/main.js [--config file] [--<key> value ...]`.
 * Exit codes: 0 clean stop, 1 failed to start, 2 bad configuration.
 * SIGINT stops at once; SIGTERM too, unless agent.drainOnSigterm: then it
 * drains (Agent.drain) and stops when the rooms have ended. However the
 * close cascade starts (a signal, a drain that ends, the `drain` method),
 * the process exits when it is done, at most agent.shutdownTimeoutMs later.
 */
// First: V8 flags that must be set before the modules below load (heapFlags.ts).
import { reapplyHeapFlags } from './util/heapFlags';
import { ConfigError, loadConfig, type AgentConfig } from './config/load';
import { Agent } from './Agent';
import { createLogger } from './log';
import { loadAddon } from './node/addon';

export async function main(argv = process.argv.slice(2), env = process.env): Promise<void> {
  let cfg: AgentConfig;
  try {
    cfg = loadConfig({ argv, env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(cfg.log);
  const t0 = process.hrtime.bigint();
  let agent: Agent;
  try {
    agent = await Agent.start(cfg, { log });
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'agent failed to start');
    process.stderr.write(`webrtc-agent: failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  // Every node thread's isolate set V8's semi-space growth factor back to
  // 2 (heapFlags.ts): set it again now and after each later node start.
  reapplyHeapFlags();
  agent.nodes.on('nodeReady', () => reapplyHeapFlags());
  // The main thread too holds start-up garbage and pages V8 would return
  // only after ~8 s idle: collect them now, before the ready line (each node
  // thread did the same before its READY; docs/bench.md, "Memory").
  try {
    loadAddon().reduceMemory();
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'reduceMemory failed');
  }
  const startMs = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(
    `webrtc-agent ready: id=${agent.id} nats=${agent.natsUrl} service=${agent.serviceName}` +
      ` nodes=${agent.nodes.nodes().length} startup_ms=${startMs.toFixed(0)}` +
      `${agent.metricsUrl ? ` metrics=${agent.metricsUrl}/metrics` : ''}\n`,
  );

  let stopping = false;
  // 1 when the stop comes from a failure (NATS gone for good, the embedded
  // nats-server beyond restarting): a supervisor then knows to act.
  let exitCode = 0;
  agent.once('stopping', (reason) => {
    stopping = true;
    log.info({ reason }, 'stopping');
    // The hard bound: whatever hangs, the process is gone within the timeout.
    setTimeout(() => {
      log.error('shutdown timed out; exiting');
      process.exit(1);
    }, cfg.agent.shutdownTimeoutMs).unref();
    agent.stop().then(
      () => process.exit(exitCode),
      (err: Error) => {
        log.error({ err: err.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
  const shutdown = (reason: string, code = 0): void => {
    if (code !== 0 && !stopping) exitCode = code;
    void agent.stop(reason);
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => {
    if (!cfg.agent.drainOnSigterm || stopping) return shutdown('SIGTERM');
    agent.drain('SIGTERM').catch((err: Error) => log.warn({ err: err.message }, 'drain failed'));
  });
  // The embedded nats-server died and could not be started again: the agent
  // is unreachable, so it exits (non-zero) for its own supervisor to act.
  agent.embeddedNats?.on('failed', (err) => {
    log.fatal({ err: err.message }, 'embedded nats-server failed');
    process.stderr.write(`webrtc-agent: ${err.message}\n`);
    // Nothing can reach the bus: end the connection so the stop does not wait on it.
    void agent.nc.close().catch(() => undefined);
    shutdown('nats-failed', 1);
  });
  // If NATS goes away for good, there is no agent left to be.
  void agent.nc.closed().then((err) => {
    if (!stopping) {
      log.fatal({ err: err?.message }, 'NATS connection closed');
      shutdown('nats-closed', 1);
    }
  });
}

if (require.main === module) {
  void main();
}
