/**
 * Every agent's view of the agents bucket: a watch keeps a map of the entries
 * (the scheduler reads it; the loss detector scans it). NATS 2.9 leaves no
 * delete marker when the bucket's maxAge drops an entry, so an entry can stay
 * here after it is gone from the bucket: readers judge by its updatedAt.
 */
import { JSONCodec, type KV, type KvEntry, type QueuedIterator } from 'nats';
import type { Logger } from 'pino';
import type { AgentEntry } from './layout';

const json = JSONCodec<AgentEntry>();

export class Directory {
  readonly #kv: KV;
  readonly #log: Logger;
  readonly #agents = new Map<string, AgentEntry>();
  #watch: QueuedIterator<KvEntry> | undefined;
  #loop: Promise<void> | undefined;

  constructor(kv: KV, log: Logger) {
    this.#kv = kv;
    this.#log = log;
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
      return;
    }
    try {
      this.#agents.set(id, json.decode(e.value));
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

  /** Drop an entry someone else declared lost (no delete marker may come). */
  forget(id: string, updatedAt: number): void {
    if (this.#agents.get(id)?.updatedAt === updatedAt) this.#agents.delete(id);
  }

  async stop(): Promise<void> {
    this.#watch?.stop();
    await this.#loop;
  }
}
