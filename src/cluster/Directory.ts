/**
 * Every agent's view of the agents bucket: a watch keeps a map of the entries
 * (the scheduler reads it; the loss detector scans it). NATS 2.9 leaves no
 * delete marker when the bucket's maxAge drops an entry, so an entry can stay
 * here after it is gone from the bucket: readers judge by its age.
 *
 * The age of an entry is measured on this machine's monotonic clock from the
 * moment this agent saw the entry change (a new KV revision), never from the
 * entry's own `updatedAt`: that is another machine's wall clock, and a skew of
 * a few report intervals would make a live agent look dead (or a dead one
 * alive). A watch that replays an entry it already had (a reconnect) does not
 * make it younger: only a new revision does.
 */
import { performance } from 'node:perf_hooks';
import { JSONCodec, type KV, type KvEntry, type QueuedIterator } from 'nats';
import type { Logger } from 'pino';
import type { AgentEntry } from './layout';

const json = JSONCodec<AgentEntry>();

export class Directory {
  readonly #kv: KV;
  readonly #log: Logger;
  readonly #agents = new Map<string, AgentEntry>();
  /** Per agent: the entry's KV revision and when (monotonic ms) this agent saw it change. */
  readonly #seen = new Map<string, { revision: number; at: number }>();
  readonly #now: () => number;
  #watch: QueuedIterator<KvEntry> | undefined;
  #loop: Promise<void> | undefined;

  constructor(kv: KV, log: Logger, now: () => number = () => performance.now()) {
    this.#kv = kv;
    this.#log = log;
    this.#now = now;
  }

  /** Resolves once the current entries are loaded. */
  async start(): Promise<void> {
    let ready!: () => void;
    const loaded = new Promise<void>((r) => (ready = r));
    this.#watch = await this.#kv.watch({ key: 'agent.*', initializedFn: () => ready() });
    this.#loop = (async () => {
      for await (const e of this.#watch!) this.#apply(e);
    })().catch((err: Error) => this.#log.warn({ err: err.message }, 'agents watch ended'));
    await loaded;
  }

  #apply(e: KvEntry): void {
    const id = e.key.slice('agent.'.length);
    if (e.operation !== 'PUT') {
      this.#agents.delete(id);
      this.#seen.delete(id);
      return;
    }
    try {
      this.#agents.set(id, json.decode(e.value));
      this.saw(id, e.revision);
    } catch {
      this.#log.warn({ key: e.key }, 'bad agent entry ignored');
    }
  }

  get(id: string): AgentEntry | undefined {
    return this.#agents.get(id);
  }

  all(): AgentEntry[] {
    return [...this.#agents.values()];
  }

  /** Records that `id`'s entry is at `revision` (from the watch, or a direct read): a new revision restarts its age. */
  saw(id: string, revision: number): void {
    const s = this.#seen.get(id);
    if (!s || s.revision !== revision) this.#seen.set(id, { revision, at: this.#now() });
  }

  /** The KV revision of `id`'s entry as last seen (0 = none). */
  revision(id: string): number {
    return this.#seen.get(id)?.revision ?? 0;
  }

  /** How long ago (ms, this machine's monotonic clock) `id`'s entry last changed; Infinity if unknown. */
  ageMs(id: string): number {
    const s = this.#seen.get(id);
    return s ? this.#now() - s.at : Infinity;
  }

  /** A function giving each entry's age now (for the pure checks of the scheduler and the loss detector). */
  ages(): (a: AgentEntry) => number {
    const now = this.#now();
    return (a) => {
      const s = this.#seen.get(a.id);
      return s ? now - s.at : Infinity;
    };
  }

  /** Drop an entry someone else declared lost (no delete marker may come). */
  forget(id: string, updatedAt: number): void {
    if (this.#agents.get(id)?.updatedAt === updatedAt) {
      this.#agents.delete(id);
      this.#seen.delete(id);
    }
  }

  async stop(): Promise<void> {
    this.#watch?.stop();
    await this.#loop;
  }
}
