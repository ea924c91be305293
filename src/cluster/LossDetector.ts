/**
 * Agent loss. An agent whose entry has not changed for lostAfterMs (3 report
 * intervals) is lost: NATS 2.9 has no per-key TTL and leaves no marker when
 * the bucket's maxAge drops an entry. "Not changed for" is measured on this
 * machine's clock from when this agent saw the entry's last new revision
 * (Directory.ageMs), never by comparing the entry's own updatedAt with the
 * local clock: a member whose clock is minutes off is still alive as long as
 * its entry keeps changing. Every live agent checks every half interval; exactly one
 * acts, the one whose create of `lost.<agentId>.<updatedAt>` wins (casWrite;
 * updatedAt only names the entry's version, every agent reads the same). It
 * re-reads the entry (an agent that reported meanwhile is not lost), frees the
 * agent's rooms (CAS on each room entry) and reservations, deletes the entry
 * and publishes the lost event. An agent whose own reports are failing judges
 * no one (it is more likely the one cut off), nor does it for lostAfterMs
 * after its writes work again (after a NATS outage every entry is stale).
 */
import { JSONCodec, type JetStreamClient, type KV, type NatsConnection } from 'nats';
import { casWrite } from './cas';
import type { Logger } from 'pino';
import type { Directory } from './Directory';
import type { AgeOf } from './Scheduler';
import { agentKey, type AgentEntry, type LostClaim, type LostEvent, lostKey, type Reservation, type RoomEntry } from './layout';
import { getJson, readKey } from './Scheduler';

const json = JSONCodec<unknown>();

export interface LossDetectorOptions {
  nc: NatsConnection;
  agents: KV;
  rooms: KV;
  js: JetStreamClient;
  agentsBucket: string;
  roomsBucket: string;
  directory: Directory;
  agentId: string;
  subject: string;
  intervalMs: number;
  lostAfterMs: number;
  /** When this agent's own entry last reached the bucket. */
  lastOkAt: () => number;
  /** Since when this agent's writes have all succeeded (0 = failing now). */
  healthySince: () => number;
  log: Logger;
}

/** Entries unchanged for more than lostAfterMs (pure; ages from Directory.ages; the caller excludes itself). */
export function staleAgents(agents: readonly AgentEntry[], ageOf: AgeOf, lostAfterMs: number): AgentEntry[] {
  return agents.filter((a) => ageOf(a) > lostAfterMs);
}

export interface Versioned {
  value: unknown;
  revision: number;
}

/** Every key's last value and revision (deleted keys left out). */
export async function snapshot(kv: KV): Promise<Map<string, Versioned>> {
  const out = new Map<string, Versioned>();
  let done!: () => void;
  const loaded = new Promise<void>((r) => (done = r));
  const it = await kv.watch({ key: '>', initializedFn: () => done() });
  const loop = (async () => {
    for await (const e of it) {
      if (e.operation !== 'PUT') out.delete(e.key);
      else {
        try {
          out.set(e.key, { value: json.decode(e.value), revision: e.revision });
        } catch {
          // not ours: skip
        }
      }
    }
  })();
  await loaded;
  it.stop();
  await loop;
  return out;
}

export class LossDetector {
  readonly #o: LossDetectorOptions;
  /**
   * The claim last tried per agent id: a claim is tried once. Keyed by the
   * agents in the directory and pruned with it, so it is bounded by the
   * bucket's size (it used to keep every claim ever tried).
   */
  readonly #tried = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  /** Lost events this agent published (for tests and logs). */
  readonly published: LostEvent[] = [];

  constructor(o: LossDetectorOptions) {
    this.#o = o;
  }

  /** How many claims it remembers (bounded by the agents in the directory). */
  get triedSize(): number {
    return this.#tried.size;
  }

  start(): void {
    this.#timer = setInterval(() => {
      if (this.#running || this.#stopped) return;
      this.#running = this.check()
        .catch((err: Error) => this.#o.log.warn({ err: err.message }, 'loss check failed'))
        .finally(() => (this.#running = undefined));
    }, Math.max(25, Math.floor(this.#o.intervalMs / 2)));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  async check(): Promise<void> {
    const { directory, agentId, lostAfterMs } = this.#o;
    const now = Date.now();
    // Judge no one while our own writes fail, nor until they have worked for
    // lostAfterMs: after a NATS outage everyone's entry is stale at once.
    const since = this.#o.healthySince();
    if (now - this.#o.lastOkAt() > lostAfterMs || since === 0 || now - since < lostAfterMs) return;
    const all = directory.all();
    const present = new Set(all.map((a) => a.id));
    for (const id of this.#tried.keys()) if (!present.has(id)) this.#tried.delete(id);
    const others = all.filter((a) => a.id !== agentId);
    for (const a of staleAgents(others, directory.ages(), lostAfterMs)) {
      if (this.#stopped) return;
      const claim = lostKey(a.id, a.updatedAt);
      if (this.#tried.get(a.id) === claim) continue;
      this.#tried.set(a.id, claim);
      await this.#handle(a, claim);
    }
  }

  async #handle(a: AgentEntry, claim: string): Promise<void> {
    const { agents, rooms, nc, agentId, subject, log, js } = this.#o;
    const c: LostClaim = { agent: a.id, updatedAt: a.updatedAt, by: agentId, at: Date.now() };
    const prior = await readKey(agents, claim, json);
    if (prior.revision !== 0 || (await casWrite(js, this.#o.agentsBucket, claim, c, 0)) === false) {
      this.#o.directory.forget(a.id, a.updatedAt); // another agent handles it
      return;
    }
    const cur = await agents.get(agentKey(a.id));
    if (cur && cur.operation === 'PUT') {
      const e = json.decode(cur.value) as AgentEntry;
      if (e.updatedAt !== a.updatedAt) {
        // It reported again (our watch lagged): not lost, and its age starts over.
        this.#o.directory.saw(a.id, cur.revision);
        return;
      }
    }
    // What it held, from one pass over the rooms bucket; the event goes out
    // first, the entries are freed right after (a schedule racing with the
    // freeing is safe: both sides compare-and-set).
    const snap = await snapshot(rooms);
    const held = [...snap].filter(([k, e]) =>
      k.startsWith('task.') ? (e.value as Reservation).agent === a.id : k.startsWith('room.') && ((e.value as RoomEntry).agents ?? []).includes(a.id),
    );
    const roomsOf = new Set([...a.rooms, ...held.filter(([k]) => k.startsWith('room.')).map(([, e]) => (e.value as RoomEntry).room)]);
    const tasks = held.filter(([k]) => k.startsWith('task.')).map(([, e]) => (e.value as Reservation).task);
    if (cur && cur.operation === 'PUT') {
      await casWrite(js, this.#o.agentsBucket, agentKey(a.id), null, cur.revision).catch(() => undefined);
    }
    this.#o.directory.forget(a.id, a.updatedAt);
    const ev: LostEvent = {
      purpose: a.purpose,
      type: 'worker',
      id: a.id,
      reason: 'lost',
      rooms: [...roomsOf].sort(),
      tasks: tasks.sort(),
      lastSeen: new Date(a.updatedAt).toISOString(),
      detectedBy: agentId,
      at: new Date().toISOString(),
    };
    nc.publish(subject, json.encode(ev));
    this.published.push(ev);
    log.warn({ lost: a.id, rooms: ev.rooms.length, tasks: ev.tasks.length }, 'agent lost');
    await this.#free(a.id, held);
  }

  /** Removes the agent from its room entries (CAS; a room left empty is deleted) and deletes its reservations. */
  async #free(lost: string, held: [string, Versioned][]): Promise<void> {
    const { rooms, js, roomsBucket } = this.#o;
    const one = async ([k, e]: [string, Versioned]): Promise<void> => {
      if (k.startsWith('task.')) {
        await casWrite(js, roomsBucket, k, null, e.revision).catch(() => undefined);
        return;
      }
      let cur: { value: RoomEntry; revision: number } | undefined = { value: e.value as RoomEntry, revision: e.revision };
      for (let race = 0; race < 8 && cur && cur.value.agents.includes(lost); race++) {
        const left = cur.value.agents.filter((x) => x !== lost);
        const next = left.length === 0 ? null : { ...cur.value, agents: left, updatedAt: Date.now() };
        if ((await casWrite(js, roomsBucket, k, next, cur.revision).catch(() => false)) !== false) return;
        cur = await getJson(rooms, k, json as { decode(d: Uint8Array): RoomEntry }); // raced with a schedule
      }
    };
    // A few writes in flight at a time: thousands of rooms are freed in a second or so.
    const queue = [...held];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let item = queue.shift(); item; item = queue.shift()) await one(item);
      }),
    );
  }
}
