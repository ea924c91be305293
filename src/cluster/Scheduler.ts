/**
 * schedule(purpose, task, room?, preference, reserveTimeMs) -> {id, info}:
 * picks an agent of the cluster. Served by every agent in one NATS queue group
 * (`<prefix>.cluster.<cluster>.schedule`); any agent answers for the cluster.
 *
 * - Candidates: the agent's purpose matches, it has reported a load, its entry
 *   is fresh (changed within 2/3 of lostAfterMs, as this agent saw it: Directory), it is not draining, load <= maxLoad, and when the
 *   request names an isp, the agent serves it (no isps = serves all). Agents
 *   serving the preferred region are preferred (none: any candidate).
 * - A task keeps its agent while its reservation (task.<b64>) is unexpired and
 *   the agent is alive and not draining.
 * - A room stays together: room.<b64> is created only if it does not exist,
 *   so concurrent schedules of one room agree on one agent. When that agent is
 *   full (over maxLoad) or gone, the room spills to the next agent, appended
 *   to the same entry with a compare-and-set. Both are casWrite (cas.ts): the
 *   plain KV create/update is not safe under concurrency on an R3 bucket of
 *   nats-server 2.9.
 */
import { JSONCodec, type JetStreamClient, type KV, type KvEntry, type NatsConnection, type Subscription } from 'nats';
import type { Logger } from 'pino';
import { z } from 'zod';
import { toErrorShape, UnavailableError } from '../errors';
import { replyError, replyValue } from '../rpc/reply';
import { parseJson, parsePayload } from '../util/validate';
import { casWrite } from './cas';
import type { Directory } from './Directory';
import { type AgentEntry, type Reservation, type RoomEntry, roomKey, SCHEDULE_QUEUE, taskKey } from './layout';

import { STRATEGIES, type Strategy } from '../config/enums';

export { STRATEGIES, type Strategy };

const id = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');
const label = z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters');

export const DEFAULT_RESERVE_TIME_MS = 30_000;

export const scheduleSchema = z
  .object({
    purpose: label,
    task: id,
    room: id.optional(),
    preference: z.object({ isp: label.optional(), region: label.optional() }).strict().optional(),
    reserveTimeMs: z.number().int('must be an integer').min(1, 'must be >= 1').max(86_400_000, 'must be <= 86400000').optional(),
    strategy: z.enum(STRATEGIES).optional(),
  })
  .strict();
export type ScheduleRequest = z.infer<typeof scheduleSchema>;

export interface ScheduleReply {
  id: string;
  info: {
    purpose: string;
    hostname: string;
    ip: string;
    internalAddress: string;
    maxLoad: number;
    capacity: AgentEntry['capacity'];
    version: string;
  };
  room?: string;
  reservedUntil: number;
}

/** Per-scheduler memory of the stateful strategies. */
export interface StrategyState {
  lastUsed?: string;
  next: number;
}

/** How long ago an entry last changed, as this agent saw it (Directory.ages; never the entry's own clock). */
export type AgeOf = (a: AgentEntry) => number;

/** True when the agent may take new work now: reported (load set), fresh, not draining and not over its max load. */
export function schedulable(a: AgentEntry, ageOf: AgeOf, lostAfterMs: number): boolean {
  return a.load !== null && ageOf(a) <= lostAfterMs && a.load <= a.maxLoad && !a.draining;
}

/** The candidates for a request, in a stable order (oldest agent first, then id). */
export function candidates(
  agents: readonly AgentEntry[],
  req: { purpose: string; preference?: { isp?: string; region?: string } },
  ageOf: AgeOf,
  lostAfterMs: number,
): AgentEntry[] {
  const isp = req.preference?.isp;
  const region = req.preference?.region;
  const ok = agents
    .filter((a) => a.purpose === req.purpose && schedulable(a, ageOf, lostAfterMs))
    .filter((a) => !isp || a.capacity.isps.length === 0 || a.capacity.isps.includes(isp))
    .sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (!region) return ok;
  const inRegion = ok.filter((a) => a.capacity.regions.includes(region));
  return inRegion.length > 0 ? inRegion : ok;
}

/** OWT's strategies over an ordered candidate list (never empty). */
export function pick(strategy: Strategy, cands: readonly AgentEntry[], st: StrategyState, random = Math.random): AgentEntry {
  let chosen: AgentEntry;
  switch (strategy) {
    case 'least-used':
      chosen = cands.reduce((m, a) => ((a.load ?? 0) < (m.load ?? 0) ? a : m));
      break;
    case 'most-used':
      chosen = cands.reduce((m, a) => ((a.load ?? 0) > (m.load ?? 0) ? a : m));
      break;
    case 'last-used':
      chosen = cands.find((a) => a.id === st.lastUsed) ?? cands[0]!;
      break;
    case 'round-robin':
      chosen = cands[st.next % cands.length]!;
      st.next = (st.next + 1) % 1_000_000_000;
      break;
    case 'randomly-pick':
      chosen = cands[Math.floor(random() * cands.length) % cands.length]!;
      break;
  }
  st.lastUsed = chosen.id;
  return chosen;
}

const roomJson = JSONCodec<RoomEntry>();
const resJson = JSONCodec<Reservation>();

export interface SchedulerOptions {
  nc: NatsConnection;
  rooms: KV;
  js: JetStreamClient;
  roomsBucket: string;
  directory: Directory;
  subject: string;
  strategy: Strategy;
  lostAfterMs: number;
  log: Logger;
}

/** How many times a lost compare-and-set race is retried before giving up. */
const MAX_RACES = 16;

export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #state = new Map<Strategy, StrategyState>();
  /** strategy \t result -> count; bounded: strategies are an enum, results error codes. */
  readonly #decisions = new Map<string, number>();
  #sub: Subscription | undefined;

  constructor(o: SchedulerOptions) {
    this.#o = o;
  }

  start(): void {
    this.#sub = this.#o.nc.subscribe(this.#o.subject, {
      queue: SCHEDULE_QUEUE,
      callback: (err, msg) => {
        if (err) return;
        void (async () => {
          let strategy: string = this.#o.strategy;
          try {
            const req = parsePayload(scheduleSchema, parseJson(msg.data));
            strategy = req.strategy ?? strategy;
            replyValue(msg, await this.schedule(req));
            this.#count(strategy, 'ok');
          } catch (e) {
            this.#o.log.debug({ err: (e as Error).message }, 'schedule failed');
            this.#count(strategy, String(toErrorShape(e).code));
            replyError(msg, e);
          }
        })();
      },
    });
  }

  async stop(): Promise<void> {
    if (!this.#sub) return;
    const sub = this.#sub;
    this.#sub = undefined;
    await sub.drain().catch(() => sub.unsubscribe());
  }

  #count(strategy: string, result: string): void {
    const key = `${strategy}\t${result}`;
    this.#decisions.set(key, (this.#decisions.get(key) ?? 0) + 1);
  }

  /** Schedule requests this agent answered, by strategy and result ('ok' or the error code). */
  decisions(): { strategy: string; result: string; count: number }[] {
    return [...this.#decisions].map(([k, count]) => {
      const [strategy, result] = k.split('\t') as [string, string];
      return { strategy, result, count };
    });
  }

  #stateOf(s: Strategy): StrategyState {
    let st = this.#state.get(s);
    if (!st) this.#state.set(s, (st = { next: 0 }));
    return st;
  }

  /**
   * New work goes only to agents whose entry changed within 2/3 of
   * lostAfterMs (2 of the 3 intervals): each agent measures ages from when its
   * own watch saw a change, so views differ by the watch lag; an agent silent
   * long enough to be declared lost by one view is then never picked by
   * another view that lags it by less than an interval.
   */
  get #freshMs(): number {
    return Math.floor((this.#o.lostAfterMs * 2) / 3);
  }

  async schedule(req: ScheduleRequest): Promise<ScheduleReply> {
    const now = Date.now();
    const { directory, rooms } = this.#o;
    const lostAfterMs = this.#freshMs;
    const strategy = req.strategy ?? this.#o.strategy;
    const reserveMs = req.reserveTimeMs ?? DEFAULT_RESERVE_TIME_MS;
    const ageOf = directory.ages();
    const alive = (a: AgentEntry | undefined): a is AgentEntry =>
      a !== undefined && a.purpose === req.purpose && a.load !== null && ageOf(a) <= lostAfterMs && !a.draining;

    let chosen: AgentEntry | undefined;
    // A task keeps its agent while reserved.
    const res = await getJson(rooms, taskKey(req.task), resJson);
    if (res && res.value.expiresAt > now) {
      const a = directory.get(res.value.agent);
      if (alive(a)) chosen = a;
    }
    if (!chosen && req.room !== undefined) chosen = await this.#forRoom(req, strategy);
    if (!chosen) {
      const cands = candidates(directory.all(), req, ageOf, lostAfterMs);
      if (cands.length === 0) throw new UnavailableError(`no ${req.purpose} agent available`);
      chosen = pick(strategy, cands, this.#stateOf(strategy));
    }
    const reservedUntil = now + reserveMs;
    const r: Reservation = { task: req.task, agent: chosen.id, expiresAt: reservedUntil };
    if (req.room !== undefined) r.room = req.room;
    await rooms.put(taskKey(req.task), resJson.encode(r));
    return {
      id: chosen.id,
      info: {
        purpose: chosen.purpose,
        hostname: chosen.hostname,
        ip: chosen.ip,
        internalAddress: chosen.internalAddress,
        maxLoad: chosen.maxLoad,
        capacity: chosen.capacity,
        version: chosen.version,
      },
      ...(req.room !== undefined ? { room: req.room } : {}),
      reservedUntil,
    };
  }

  /** The room's agent: the first schedulable one it already uses, else a new one recorded with create/CAS. */
  async #forRoom(req: ScheduleRequest, strategy: Strategy): Promise<AgentEntry> {
    const { directory, rooms } = this.#o;
    const lostAfterMs = this.#freshMs;
    const key = roomKey(req.room!);
    for (let race = 0; race < MAX_RACES; race++) {
      const read = await readKey(rooms, key, roomJson);
      const ageOf = directory.ages();
      const cands = candidates(directory.all(), req, ageOf, lostAfterMs);
      if (read.value === undefined) {
        if (cands.length === 0) throw new UnavailableError(`no ${req.purpose} agent available`);
        const a = pick(strategy, cands, this.#stateOf(strategy));
        const entry: RoomEntry = { room: req.room!, agents: [a.id], updatedAt: Date.now() };
        const rev = await casWrite(this.#o.js, this.#o.roomsBucket, key, entry, read.revision);
        if (rev !== false) {
          this.#o.log.debug({ room: req.room, agent: a.id, rev }, 'room placed');
          return a;
        }
        continue; // someone else placed the room first: use theirs
      }
      const cur = { value: read.value, revision: read.revision };
      const used = cur.value.agents;
      for (const id of used) {
        const a = directory.get(id);
        if (a && a.purpose === req.purpose && schedulable(a, ageOf, lostAfterMs)) {
          this.#o.log.debug({ room: req.room, agent: a.id, rev: cur.revision, agents: used }, 'room found');
          return a;
        }
      }
      // Every agent of the room is full or gone: spill to the next one.
      const fresh = cands.filter((a) => !used.includes(a.id));
      const pool = fresh.length > 0 ? fresh : cands;
      if (pool.length === 0) throw new UnavailableError(`no ${req.purpose} agent available for room ${req.room}`);
      const a = pick(strategy, pool, this.#stateOf(strategy));
      const keep = used.filter((id) => {
        const e = directory.get(id);
        return e !== undefined && ageOf(e) <= lostAfterMs && id !== a.id;
      });
      const next: RoomEntry = { room: req.room!, agents: [...keep, a.id], updatedAt: Date.now() };
      const rev = await casWrite(this.#o.js, this.#o.roomsBucket, key, next, cur.revision);
      if (rev !== false) {
        this.#o.log.debug({ room: req.room, agent: a.id, rev, prev: cur.revision, agents: next.agents }, 'room spilled');
        return a;
      }
      // lost the race: read again
    }
    throw new UnavailableError(`room ${req.room}: too much contention, try again`);
  }
}

/** The key's value (undefined when deleted or never written) and its last revision (0 = never written). */
export async function readKey<T>(kv: KV, key: string, codec: { decode(d: Uint8Array): T }): Promise<{ value: T | undefined; revision: number }> {
  const e: KvEntry | null = await kv.get(key);
  if (!e) return { value: undefined, revision: 0 };
  if (e.operation !== 'PUT') return { value: undefined, revision: e.revision };
  try {
    return { value: codec.decode(e.value), revision: e.revision };
  } catch {
    return { value: undefined, revision: e.revision };
  }
}

export async function getJson<T>(kv: KV, key: string, codec: { decode(d: Uint8Array): T }): Promise<{ value: T; revision: number } | undefined> {
  const e: KvEntry | null = await kv.get(key);
  if (!e || e.operation !== 'PUT') return undefined;
  try {
    return { value: codec.decode(e.value), revision: e.revision };
  } catch {
    return undefined;
  }
}
