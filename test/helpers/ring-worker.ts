// Drives test/fixtures/ring-worker.js (one ring side per thread) from a test.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'ring-worker.js');

export class RingWorker {
  readonly worker: Worker;
  readonly errors: Error[] = [];
  readonly exited: Promise<number>;
  #exitCode: number | null = null;
  readonly #inbox: any[] = [];
  readonly #waiters: Array<{ type: string; resolve: (m: any) => void; reject: (e: Error) => void }> = [];

  constructor() {
    // Plain JS fixture: keep tap's loaders (execArgv, NODE_OPTIONS) out of
    // the thread; they make each worker start several times slower.
    this.worker = new Worker(FIXTURE, { execArgv: [], env: { ...process.env, NODE_OPTIONS: '' } });
    this.worker.on('message', (m) => {
      const i = this.#waiters.findIndex((w) => w.type === m?.type);
      if (i >= 0) this.#waiters.splice(i, 1)[0].resolve(m);
      else this.#inbox.push(m);
    });
    this.worker.on('error', (e) => this.errors.push(e));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        this.#exitCode = code;
        const why = this.errors.map((e) => e.message).join('; ');
        for (const w of this.#waiters.splice(0)) {
          w.reject(new Error(`ring worker exited (${code}) while waiting for '${w.type}'${why ? `: ${why}` : ''}`));
        }
        resolve(code);
      }),
    );
  }

  next<T = any>(type: string, timeoutMs = 15_000): Promise<T> {
    const i = this.#inbox.findIndex((m) => m?.type === type);
    if (i >= 0) return Promise.resolve(this.#inbox.splice(i, 1)[0]);
    if (this.#exitCode !== null) return Promise.reject(new Error(`ring worker already exited (${this.#exitCode})`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no '${type}' from ring worker in ${timeoutMs} ms; errors: ${this.errors.map((e) => e.message).join('; ')}`)),
        timeoutMs,
      );
      this.#waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** Sends {cmd, ...args} and resolves with the reply; rejects on a reported error. */
  async call<T = any>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<T> {
    const p = this.next<any>(cmd, timeoutMs);
    this.worker.postMessage({ cmd, ...args });
    const r = await p;
    if (r.error) throw new Error(`ring worker ${cmd}: ${r.error}`);
    return r as T;
  }

  static async start(): Promise<RingWorker> {
    const w = new RingWorker();
    await w.next('ready');
    return w;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns true or `timeoutMs` passes; returns the last result. */
export async function until(fn: () => Promise<boolean> | boolean, timeoutMs = 10_000, everyMs = 5): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}
