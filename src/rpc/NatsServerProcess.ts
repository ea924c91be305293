/**
 * A nats-server child process on loopback with JetStream: the agent's embedded
 * default when no NATS is configured, and the real server the tests start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import net from 'node:net';

export interface NatsServerOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  dataDir: string;
  binary?: string;
  startTimeoutMs?: number;
  /** Extra command line arguments (cluster routes and the like). */
  args?: string[];
  /**
   * Run the server in its own process group (and session): a Ctrl-C in the
   * terminal then reaches only the agent, which stops the server last.
   */
  ownProcessGroup?: boolean;
  /**
   * What clients must present (`{token}` or `{user, password}`): written to
   * a config file readable by its owner only in dataDir, so the secret is not
   * on the command line for every `ps` to see.
   */
  authorization?: Record<string, string>;
}

/** How a server process ended. */
export interface NatsServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class NatsServerNotInstalledError extends Error {
  constructor(binary: string) {
    super(
      `${binary} not found: the embedded NATS needs the nats-server binary ` +
        `(Debian/Ubuntu: apt-get install -y nats-server), or set NATS_URL to a running server`,
    );
    this.name = 'NatsServerNotInstalledError';
  }
}

export class NatsServerProcess {
  readonly url: string;
  readonly port: number;
  readonly #child: ChildProcess;
  readonly #exited: Promise<NatsServerExit>;
  #stopping = false;

  private constructor(child: ChildProcess, host: string, port: number, exited: Promise<NatsServerExit>) {
    this.#child = child;
    this.port = port;
    this.url = `nats://${host}:${port}`;
    this.#exited = exited;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Settles when the process has ended, for whatever reason. */
  get exited(): Promise<NatsServerExit> {
    return this.#exited;
  }

  /** True once stop() was called: an exit after that is expected. */
  get stopping(): boolean {
    return this.#stopping;
  }

  static async start(o: NatsServerOptions): Promise<NatsServerProcess> {
    const host = o.host ?? '127.0.0.1';
    const binary = o.binary ?? 'nats-server';
    mkdirSync(o.dataDir, { recursive: true });
    const args = ['-a', host, '-p', String(o.port === 0 ? -1 : o.port), '-js', '-sd', o.dataDir, ...(o.args ?? [])];
    if (o.authorization) {
      const conf = path.join(o.dataDir, 'authorization.conf');
      // The NATS config format reads JSON; the file is rewritten with every start.
      writeFileSync(conf, JSON.stringify({ authorization: o.authorization }), { mode: 0o600 });
      chmodSync(conf, 0o600);
      args.push('-c', conf);
    }
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: o.ownProcessGroup === true });
    const exited = new Promise<NatsServerExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const port = await new Promise<number>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`nats-server did not start within ${o.startTimeoutMs ?? 10_000} ms: ${lastLine(log)}`));
      }, o.startTimeoutMs ?? 10_000);
      child.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(err.code === 'ENOENT' ? new NatsServerNotInstalledError(binary) : err);
      });
      const onEarlyExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited with code ${code}: ${lastLine(log)}`));
      };
      child.once('exit', onEarlyExit);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        if (log.length < 64_000) log += chunk;
        const m = /Listening for client connections on [^\s]*:(\d+)/.exec(log);
        if (m && /Server is ready/.test(log)) {
          clearTimeout(timer);
          child.off('exit', onEarlyExit);
          resolve(Number(m[1]));
        }
      });
    });
    // Keep draining stderr so the child never blocks on a full pipe.
    child.stderr!.resume();
    return new NatsServerProcess(child, host, port, exited);
  }

  /** Stops the server (SIGTERM, then SIGKILL after graceMs). */
  async stop(graceMs = 2000): Promise<void> {
    this.#stopping = true;
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGTERM');
    const t = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(t);
  }

  /** Kills the server at once (a crashed NATS, for failure tests). */
  kill(): void {
    this.#child.kill('SIGKILL');
  }
}

/** The server's last log line (its fatal error, when it failed), bounded, for one-line messages. */
function lastLine(log: string): string {
  const lines = log.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}

/** True when something accepts TCP connections on host:port. */
export function isListening(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (v: boolean) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
