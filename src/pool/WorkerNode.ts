/**
 * One node: a worker thread that runs a NodeRuntime, owned through a Piscina
 * pool of exactly one thread.
 *
 * Why one single-thread Piscina per node rather than one pool with a custom
 * load balancer: a node's identity is its thread's state (addon instance,
 * sockets, rooms), so tasks must never land on another thread, and a thread
 * that dies must not be silently replaced by a fresh one under the same id.
 * With a pool per node, affinity is structural, a death is seen on exactly
 * one node, and destroying that pool ends exactly that thread.
 *
 * Events:
 *   'exit' (reason, detail) - the thread is gone without close() being asked:
 *                             it crashed, exited, or failed to load. Emitted once.
 *   'event' (NodeEvent)     - the node raised an event for a controller.
 *   'trackNotice' (TrackNotice) - a track was made or ended inside the node
 *                             (for the main thread's track registry).
 *   'levels' (SpeakerLevels) - audio levels the node read (speaker detection).
 */
import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { fromErrorShape, InternalError, NotFoundError, UnavailableError } from '../errors';
import { lookupMethod } from '../node/methods';
import {
  HEARTBEAT_BYTES,
  HEARTBEAT_SLOT,
  isNodeEventMessage,
  isSpeakerLevelsMessage,
  isTrackNoticeMessage,
  type MediaSettings,
  type NodeEvent,
  type NodeHooks,
  type NodeTask,
  type ReadyInfo,
  type SpeakerLevels,
  type TaskResult,
  type TrackNotice,
} from '../node/protocol';
import { parseOnce } from '../util/validate';
import { nodeWorkerFile } from './workerFile';

export interface WorkerNodeOptions {
  id: string;
  agentId: string;
  heartbeatMs: number;
  testHooks: boolean;
  hooks?: NodeHooks;
  logLevel: string;
  internalIp: string;
  media: MediaSettings;
  /** Concurrent tasks a node thread accepts; its handlers are async. */
  concurrency?: number;
}

export type NodeExitReason = 'crashed' | 'exited';

/**
 * A node thread's V8 heap: its young generation is held at two 1 MiB
 * semi-spaces (V8 sizes a semi-space at a third of this, 1 MiB at least).
 * Left alone, a busy thread grows them to 16 MiB each and keeps them; its
 * JavaScript is control-plane work (offers, stats) that a small young
 * generation serves well. (The main thread's is held by the V8 flag in
 * src/util/heapFlags.ts, which V8 sets back when it makes a worker isolate:
 * src/main.ts sets it again once node threads are ready.)
 */
export const NODE_THREAD_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 3 } as const;

export interface WorkerNodeEvents {
  exit: [reason: NodeExitReason, detail: string];
  event: [event: NodeEvent];
  trackNotice: [notice: TrackNotice];
  levels: [levels: SpeakerLevels];
}

export class WorkerNode extends EventEmitter<WorkerNodeEvents> {
  readonly id: string;
  readonly #opts: WorkerNodeOptions;
  readonly #beats: Int32Array;
  readonly #pool: Piscina;
  #thread: Worker | undefined;
  #lastError: string | undefined;
  #closed = false;
  #exited = false;

  constructor(opts: WorkerNodeOptions) {
    super();
    this.id = opts.id;
    this.#opts = opts;
    this.#beats = new Int32Array(new SharedArrayBuffer(HEARTBEAT_BYTES));
    this.#pool = new Piscina({
      filename: nodeWorkerFile(),
      minThreads: 1,
      maxThreads: 1,
      // 'sync' would park the idle thread in Atomics.wait, freezing its timers
      // and sockets between tasks; a node's loop must always run.
      atomics: 'disabled',
      idleTimeout: Infinity,
      concurrentTasksPerWorker: opts.concurrency ?? 64,
      maxQueue: 1024,
      name: 'default',
      closeTimeout: 1000,
      // Node threads start clean: loaders and hooks given to the main process
      // (test runners, profilers) would slow every thread's start for nothing.
      execArgv: [],
      resourceLimits: { ...NODE_THREAD_RESOURCE_LIMITS },
    });
    // Piscina re-emits thread errors on the pool; without a listener they would
    // take the main thread down.
    // Events the node raises for controllers arrive as thread messages.
    this.#pool.on('message', (m: unknown) => {
      if (isNodeEventMessage(m)) this.emit('event', m.nodeEvent);
      else if (isTrackNoticeMessage(m)) this.emit('trackNotice', m.trackNotice);
      else if (isSpeakerLevelsMessage(m)) this.emit('levels', m.speakerLevels);
    });
    this.#pool.on('error', (err: Error) => {
      this.#lastError = err?.message ?? String(err);
    });
  }

  /** The heartbeat counter, bumped by the node thread's own loop. */
  get beats(): number {
    return Atomics.load(this.#beats, HEARTBEAT_SLOT);
  }

  get closed(): boolean {
    return this.#closed || this.#exited;
  }

  /** Starts the thread and resolves when the node is READY. */
  async start(): Promise<ReadyInfo> {
    const o = this.#opts;
    const info = (await this.#run({
      kind: 'init',
      settings: {
        nodeId: o.id,
        agentId: o.agentId,
        heartbeat: this.#beats,
        heartbeatMs: o.heartbeatMs,
        testHooks: o.testHooks,
        hooks: o.hooks ?? {},
        logLevel: o.logLevel,
        internalIp: o.internalIp,
        media: o.media,
      },
    })) as ReadyInfo;
    // Watch the thread itself from here on: its 'error' carries the reason of a
    // crash before Piscina reports the thread gone.
    const thread = this.#pool.threads[0];
    if (thread) {
      this.#thread = thread;
      thread.once('error', (err) => {
        this.#lastError = err?.message ?? String(err);
      });
      thread.once('exit', (code) => this.#onThreadGone(code));
    }
    return info;
  }

  assign(room: string, task: string): Promise<unknown> {
    return this.#run({ kind: 'assign', room, task });
  }

  release(room: string, task: string): Promise<unknown> {
    return this.#run({ kind: 'release', room, task });
  }

  /**
   * A node method; `internal` ones are for the main thread only. The payload
   * is validated here, in the main thread, and the thread gets the parsed
   * value: node threads never load zod (docs/architecture.md).
   */
  call(method: string, args: unknown, internal = false): Promise<unknown> {
    const m = lookupMethod(method, this.#opts.testHooks, internal);
    if (!m) return Promise.reject(new NotFoundError(`no such node method: ${method}`));
    let parsed: unknown;
    try {
      parsed = parseOnce(m.schema(), args ?? {});
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#run({ kind: 'call', method, args: parsed, internal });
  }

  /** Ends the thread on purpose (recycle, hang, shutdown). No 'exit' event. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.removeAllListeners('exit');
    // destroy() terminates the thread even when its JS is stuck in a loop.
    await this.#pool.destroy().catch(() => undefined);
  }

  async #run(task: NodeTask): Promise<unknown> {
    if (this.closed) throw new UnavailableError(`node ${this.id} is gone`);
    let res: TaskResult;
    try {
      res = (await this.#pool.run(task)) as TaskResult;
    } catch (err) {
      // The task never finished: the thread died or the pool was destroyed.
      throw new UnavailableError(`node ${this.id} lost the call: ${(err as Error).message}`);
    }
    if (!res || typeof res !== 'object') throw new InternalError('node returned no result');
    if (res.ok) return res.value;
    throw fromErrorShape(res.error);
  }

  #onThreadGone(code: number): void {
    if (this.#closed || this.#exited) return;
    this.#exited = true;
    const reason: NodeExitReason = this.#lastError ? 'crashed' : 'exited';
    const detail = this.#lastError ?? `thread exited with code ${code}`;
    // The pool would respawn a fresh thread; this node is over, so end it.
    void this.#pool.destroy().catch(() => undefined);
    this.emit('exit', reason, detail);
  }
}
