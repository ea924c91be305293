/**
 * The embedded nats-server, supervised. It runs in its own process group, so
 * a Ctrl-C in the terminal reaches only the agent (which stops it last). If
 * it dies while the agent runs, it is started again on the same port and
 * data directory (JetStream state, so the cluster's KV buckets, survive),
 * after a back-off that doubles per failed attempt; the agent's NATS client
 * reconnects on its own. When every attempt fails, 'failed' is emitted and
 * the agent exits non-zero rather than run unreachable.
 *
 * Events: 'exited' (NatsServerExit: an unexpected exit), 'restarted' (url,
 * pid), 'failed' (Error: no restart worked).
 */
import { EventEmitter } from 'node:events';
import { NatsServerProcess, type NatsServerExit, type NatsServerOptions } from './NatsServerProcess';

export interface EmbeddedNatsOptions extends Omit<NatsServerOptions, 'ownProcessGroup'> {
  /** Restart attempts after an unexpected exit before giving up; 0 = none. */
  restartAttempts: number;
  /** Delay before the first attempt; doubles per failed attempt. */
  restartBackoffMs: number;
  /** A server that ran this long counts as healthy: the attempt count starts over. */
  stableAfterMs?: number;
}

export interface EmbeddedNatsEvents {
  exited: [exit: NatsServerExit];
  restarted: [url: string, pid: number | undefined];
  failed: [err: Error];
}

export class EmbeddedNats extends EventEmitter<EmbeddedNatsEvents> {
  readonly #o: EmbeddedNatsOptions;
  #server: NatsServerProcess;
  #startedAt = Date.now();
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  /** A restart under way (stop() waits for it, so no server outlives the agent). */
  #pending: Promise<void> | undefined;
  /** Restarts done in a row without the server staying up for stableAfterMs. */
  #attempts = 0;
  /** Restarts done since start (for logs and tests). */
  restarts = 0;

  private constructor(o: EmbeddedNatsOptions, server: NatsServerProcess) {
    super();
    this.#o = o;
    this.#server = server;
    this.#watch(server);
  }

  static async start(o: EmbeddedNatsOptions): Promise<EmbeddedNats> {
    const server = await NatsServerProcess.start({ ...o, ownProcessGroup: true });
    // Restarts reuse the port the first start got (port 0 picks one once).
    return new EmbeddedNats({ ...o, port: server.port }, server);
  }

  get url(): string {
    return this.#server.url;
  }

  get pid(): number | undefined {
    return this.#server.pid;
  }

  #watch(server: NatsServerProcess): void {
    void server.exited.then((exit) => {
      if (this.#stopped || server.stopping || server !== this.#server) return;
      this.emit('exited', exit);
      if (Date.now() - this.#startedAt >= (this.#o.stableAfterMs ?? 30_000)) this.#attempts = 0;
      this.#restart(exit);
    });
  }

  #restart(last: NatsServerExit | Error): void {
    if (this.#stopped) return;
    if (this.#attempts >= this.#o.restartAttempts) {
      const why = last instanceof Error ? last.message : `exit code ${last.code}, signal ${last.signal}`;
      this.emit('failed', new Error(`embedded nats-server on ${this.url} could not be restarted after ${this.#attempts} attempt(s): ${why}`));
      return;
    }
    const delay = this.#o.restartBackoffMs * 2 ** this.#attempts;
    this.#attempts++;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped) return;
      this.#pending = NatsServerProcess.start({ ...this.#o, ownProcessGroup: true }).then(
        async (server) => {
          this.#pending = undefined;
          if (this.#stopped) {
            await server.stop();
            return;
          }
          this.#server = server;
          this.#startedAt = Date.now();
          this.restarts++;
          this.#watch(server);
          this.emit('restarted', server.url, server.pid);
        },
        (err: Error) => {
          this.#pending = undefined;
          this.#restart(err);
        },
      );
    }, delay);
  }

  /** Stops supervising, then the server (SIGTERM, SIGKILL after graceMs). */
  async stop(graceMs?: number): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#pending;
    await this.#server.stop(graceMs);
  }

  /** Kills the running server at once (a crash, for tests). */
  kill(): void {
    this.#server.kill();
  }
}
