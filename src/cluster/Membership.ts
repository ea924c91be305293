/**
 * This agent's entry in the agents bucket (key agent.<id>), refreshed every
 * reportIntervalMs with its load. The first write has load null: an agent is
 * schedulable only after its first load report. While the agent drains the
 * entry says so (`draining`: why), and the scheduler passes it by; drain()
 * writes that at once rather than at the next report. stop() deletes the entry.
 */
import { JSONCodec, type KV } from 'nats';
import type { Logger } from 'pino';
import { agentKey, type AgentEntry, type Capacity, PURPOSE } from './layout';
import type { LoadCollector } from './LoadCollector';

const json = JSONCodec<AgentEntry>();

export interface MembershipOptions {
  kv: KV;
  /**
   * The same bucket, bound through a JetStream client whose requests time
   * out within one interval, for the periodic reports (default: kv). A
   * report whose request was lost (its NATS server went away with it) must
   * fail before the next one is due: a report still pending skips the
   * next, and an entry unchanged for 3 intervals is declared lost by the
   * others. nats.js bounds a KV put by its JetStream client's timeout
   * (nats.requestTimeoutMs, 5 s), not by the bucket's `timeout` option.
   */
  reportKv?: KV;
  agentId: string;
  hostname: string;
  ip: string;
  internalAddress: string;
  capacity: Capacity;
  maxLoad: number;
  version: string;
  reportIntervalMs: number;
  collector: LoadCollector;
  /** What the agent holds now. */
  stats: () => { nodes: number; rooms: string[]; internalAddresses?: string[]; draining?: string };
  log: Logger;
}

export class Membership {
  readonly #o: MembershipOptions;
  readonly #startedAt = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #reporting: Promise<void> | undefined;
  #stopped = false;
  /** When the last write reached the bucket (ms since the epoch); 0 = never. */
  lastOkAt = 0;
  /** Since when every write has succeeded (0 = the last one failed). */
  healthySince = 0;
  last: AgentEntry | undefined;

  constructor(o: MembershipOptions) {
    this.#o = o;
  }

  #entry(load: number | null, metrics?: Record<string, number>): AgentEntry {
    const o = this.#o;
    const s = o.stats();
    return {
      id: o.agentId,
      purpose: PURPOSE,
      hostname: o.hostname,
      ip: o.ip,
      internalAddress: o.internalAddress,
      ...(s.internalAddresses ? { internalAddresses: s.internalAddresses } : {}),
      capacity: o.capacity,
      maxLoad: o.maxLoad,
      nodes: s.nodes,
      rooms: s.rooms,
      load,
      ...(s.draining !== undefined ? { draining: s.draining } : {}),
      ...(metrics ? { metrics } : {}),
      version: o.version,
      startedAt: this.#startedAt,
      updatedAt: Date.now(),
      reportIntervalMs: o.reportIntervalMs,
    };
  }

  async #put(e: AgentEntry, kv: KV = this.#o.kv): Promise<void> {
    try {
      await kv.put(agentKey(this.#o.agentId), json.encode(e));
    } catch (err) {
      this.healthySince = 0;
      throw err;
    }
    if (this.healthySince === 0) this.healthySince = Date.now();
    this.lastOkAt = e.updatedAt;
    this.last = e;
  }

  /** Joins: the entry without a load (not schedulable yet), then reports every interval. */
  async start(): Promise<void> {
    await this.#put(this.#entry(null));
    this.#timer = setInterval(() => {
      if (this.#reporting) return; // a slow write: skip a beat rather than pile up
      this.#reporting = this.report()
        .catch((err: Error) => this.#o.log.warn({ err: err.message }, 'load report failed'))
        .finally(() => (this.#reporting = undefined));
    }, this.#o.reportIntervalMs);
  }

  async report(): Promise<void> {
    if (this.#stopped) return;
    const s = this.#o.collector.sample();
    const { load, ...metrics } = s;
    await this.#put(this.#entry(load, metrics), this.#o.reportKv);
  }

  /**
   * Makes sure the entry in the bucket lists this internal address before
   * another agent is asked to send media to it (a node started since the
   * last report): an extra write with the last load, not a new sample.
   */
  async ensureListed(address: string): Promise<void> {
    if (this.#stopped || this.last?.internalAddresses?.includes(address)) return;
    const last = this.last;
    await this.#put(this.#entry(last?.load ?? null, last?.metrics));
  }

  /** Leaves: no more reports, the entry deleted. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#reporting;
    await this.#o.kv.delete(agentKey(this.#o.agentId)).catch((err: Error) => {
      this.#o.log.warn({ err: err.message }, 'could not delete the agent entry');
    });
  }
}
