/**
 * The node manager: which node thread serves which room, with the semantics of
 * OWT's agent (docs/architecture.md, "Node manager"):
 *
 * - prerunNodes idle nodes are kept warm; a new node counts as idle at once;
 *   at most maxNodes run (-1: no limit).
 * - consumeNodeByRoom: a room's tasks go to the node already holding the room
 *   (in-use nodes first, then idle ones).
 * - otherwise the first idle node becomes in-use; then the pool refills, or, at
 *   maxNodes with reuseNode, the oldest in-use node rejoins the idle list so
 *   nodes are shared in rotation. No idle node: 503.
 * - a node is used only once READY; one not READY within readyTimeoutMs is
 *   dropped.
 * - recycleNode removes a task; a room with no tasks leaves the node; a node
 *   with no rooms whose thread holds nothing (`reset`: no room, no native
 *   media object, no WebRTC state) goes back to the head of the idle list
 *   while the idle list has at most prerunNodes nodes; otherwise it is ended
 *   and the pool refills (OWT always ends it: see docs/architecture.md).
 * - liveness: each node bumps a heartbeat counter; a check every
 *   checkWindowMs that sees no bump ends the node as hung. A hang, a crash or
 *   an exit is an abnormal quit: 'abnormal' is emitted with the node AND every
 *   room and task it held, the node is dropped and the pool refills.
 *
 * - drain: no new rooms (getNode for a room no node holds answers 503 with
 *   the reason), no refill, idle nodes ended; the rooms held are served on.
 *
 * Where OWT differs, on purpose: a task id given twice for one room counts
 * once; a room is bound to its node when the node is picked, not when it is
 * ready, so two concurrent getNode calls for a new room cannot split it; an
 * abnormal quit reports the node's tasks (OWT's list is always empty); nodes
 * that keep failing to start are retried with backoff rather than in a loop.
 *
 * Events: 'abnormal' (AbnormalQuit), 'nodeReady' (nodeId), 'nodeGone' (nodeId),
 * 'nodeEvent' (nodeId, NodeEvent: an event a node raised for a controller),
 * 'trackNotice' (nodeId, TrackNotice: a track made or ended inside a node).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { NotFoundError, UnavailableError } from '../errors';
import type { MediaSettings, NodeEvent, NodeHooks, ReadyInfo, TrackNotice } from '../node/protocol';
import { WorkerNode } from './WorkerNode';

export interface NodeManagerOptions {
  agentId: string;
  maxNodes: number;
  prerunNodes: number;
  reuseNode: boolean;
  consumeNodeByRoom: boolean;
  heartbeatMs: number;
  checkWindowMs: number;
  readyTimeoutMs: number;
  testHooks: boolean;
  logLevel: string;
  internalIp: string;
  media: MediaSettings;
  /** Tasks per node before a room spills over to another node; 0 = no limit. */
  maxTasksPerNode: number;
  log: Logger;
  /** Test-only: hooks handed to the next nodes started (consumed in order). */
  nextNodeHooks?: NodeHooks[];
}

export interface RoomTasks {
  room: string;
  tasks: string[];
}

export type AbnormalReason = 'crashed' | 'exited' | 'hung' | 'not-ready' | 'start-failed';

export interface AbnormalQuit {
  nodeId: string;
  reason: AbnormalReason;
  detail: string;
  rooms: RoomTasks[];
}

export interface NodeInfo {
  id: string;
  state: 'starting' | 'ready';
  list: 'idle' | 'in-use';
  rooms: RoomTasks[];
  startedAt: number;
}

export interface NodeManagerEvents {
  abnormal: [quit: AbnormalQuit];
  nodeEvent: [nodeId: string, event: NodeEvent];
  trackNotice: [nodeId: string, notice: TrackNotice];
  nodeReady: [nodeId: string];
  nodeGone: [nodeId: string];
}

interface Entry {
  node: WorkerNode;
  ready: boolean;
  startedAt: number;
  readyInfo?: ReadyInfo;
  /** Settles when the node is READY (true) or gone before that (false). */
  readyPromise: Promise<boolean>;
  settle: (ok: boolean) => void;
  rooms: Map<string, Set<string>>;
  lastBeat: number;
  /** When the heartbeat counter was last seen to move. */
  lastBeatAt: number;
  /** The level of the thread's logger, as it last said. */
  logLevel: string;
}

const MAX_BACKOFF_MS = 30_000;

export class NodeManager extends EventEmitter<NodeManagerEvents> {
  readonly #o: NodeManagerOptions;
  readonly #log: Logger;
  readonly #entries = new Map<string, Entry>();
  /** Idle and in-use node ids, oldest first (OWT's two lists). */
  #idle: string[] = [];
  #inUse: string[] = [];
  #seq = 0;
  #closing = false;
  /** Why the agent drains; undefined while it takes new rooms. */
  #draining: string | undefined;
  #checkTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #refillTimer: NodeJS.Timeout | undefined;

  constructor(opts: NodeManagerOptions) {
    super();
    this.#o = opts;
    this.#log = opts.log;
  }

  /** Launches the prerun nodes and the liveness check; resolves when they are READY (or failed). */
  async start(): Promise<void> {
    // Checked twice per window so a hang is seen between one and 1.5 windows.
    this.#checkTimer = setInterval(() => this.#checkLiveness(), Math.max(10, this.#o.checkWindowMs / 2));
    this.#fill();
    await Promise.all([...this.#entries.values()].map((e) => e.readyPromise));
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** Why this agent drains (undefined: it takes new rooms). */
  get draining(): string | undefined {
    return this.#draining;
  }

  /**
   * Takes no new rooms from now on: getNode serves only rooms a node holds,
   * the pool is not refilled and nodes holding no room are ended. Returns the
   * rooms held, which are served on until they are recycled.
   */
  async drain(reason: string): Promise<RoomTasks[]> {
    if (this.#draining === undefined) {
      this.#draining = reason;
      if (this.#refillTimer) clearTimeout(this.#refillTimer);
      this.#refillTimer = undefined;
      const empty = [...this.#entries].filter(([, e]) => e.rooms.size === 0).map(([id]) => id);
      await Promise.all(empty.map((id) => this.#drop(id)));
    }
    return this.rooms();
  }

  /** The level new node threads log at. */
  get logLevel(): string {
    return this.#o.logLevel;
  }

  /** Each node thread's log level, as the thread last reported it. */
  logLevels(): Record<string, string> {
    return Object.fromEntries([...this.#entries].map(([id, e]) => [id, e.logLevel]));
  }

  /**
   * Sets the log level inside one node thread (nodeId), or inside every node
   * thread and for the ones started later. Starting nodes get it once READY.
   */
  async setLogLevel(level: string, nodeId?: string): Promise<void> {
    const targets = nodeId === undefined ? [...this.#entries.values()] : [this.#entries.get(nodeId)];
    if (targets[0] === undefined && nodeId !== undefined) throw new NotFoundError(`no such node: ${nodeId}`);
    if (nodeId === undefined) this.#o.logLevel = level;
    await Promise.all(
      targets.map(async (e) => {
        if (!e || (!e.ready && !(await e.readyPromise))) return;
        const r = (await e.node.call('setLogLevel', { level }, true)) as { level: string };
        e.logLevel = r.level;
      }),
    );
  }

  /** Every room held, with its tasks, over all nodes. */
  rooms(): RoomTasks[] {
    return [...this.#entries.values()].flatMap(roomsOf);
  }

  /** Picks the node for a task of a room and records the task there. */
  async getNode(room: string, task: string): Promise<string> {
    if (this.#closing) throw new UnavailableError('agent is shutting down');
    // Draining: only a room a node holds (whatever consumeNodeByRoom says),
    // on a node with room to spare; never a new node.
    let id = this.#o.consumeNodeByRoom || this.#draining !== undefined ? this.#findByRoom(room, task) : undefined;
    if (id === undefined && this.#draining !== undefined) {
      throw new UnavailableError(`agent is draining (${this.#draining}): it takes no new rooms`);
    }
    if (id === undefined) id = this.#pickIdle();
    const entry = this.#entries.get(id)!;
    // Bind the room now, before waiting for READY, so a concurrent getNode for
    // the same room finds this node instead of taking another one.
    const isNewRoom = !entry.rooms.has(room);
    let tasks = entry.rooms.get(room);
    if (!tasks) entry.rooms.set(room, (tasks = new Set()));
    const isNewTask = !tasks.has(task);
    tasks.add(task);
    const ready = entry.ready || (await entry.readyPromise);
    if (!ready || !this.#entries.has(id)) {
      throw new UnavailableError(`node ${id} not ready`);
    }
    if (isNewTask || isNewRoom) {
      await entry.node.assign(room, task).catch((err: Error) => {
        this.#log.warn({ nodeId: id, err: err.message }, 'node did not take the task');
      });
    }
    return id;
  }

  /** Removes one task; a node left with no rooms is ended and replaced. */
  async recycleNode(nodeId: string, room: string, task: string): Promise<void> {
    const entry = this.#entries.get(nodeId);
    if (!entry) throw new NotFoundError(`no such node: ${nodeId}`);
    const tasks = entry.rooms.get(room);
    if (!tasks) throw new NotFoundError(`room ${room} is not on node ${nodeId}`);
    if (!tasks.delete(task)) throw new NotFoundError(`task ${task} of room ${room} is not on node ${nodeId}`);
    if (tasks.size === 0) entry.rooms.delete(room);
    if (entry.rooms.size === 0) {
      if (await this.#reuse(nodeId, entry, room, task)) return;
      this.#log.info({ nodeId }, 'node has no rooms left: ending it');
      await this.#drop(nodeId);
      this.#fill();
      return;
    }
    await entry.node.release(room, task).catch(() => undefined);
  }

  /**
   * A node whose last room ended goes back to idle when its thread holds
   * nothing, so the next new room takes a READY thread at once instead of
   * waiting for a fresh one (rooms end and start together at the top of the
   * hour). True when the node stays (idle, or in use again meanwhile).
   */
  async #reuse(id: string, entry: Entry, room: string, task: string): Promise<boolean> {
    if (this.#closing || this.#draining !== undefined || !entry.ready) return false;
    if (this.#idle.length > this.#o.prerunNodes) return false;
    let empty = false;
    try {
      empty = ((await entry.node.call('reset', { room, task }, true)) as { empty: boolean }).empty;
    } catch (err) {
      this.#log.warn({ nodeId: id, err: (err as Error).message }, 'reset failed');
    }
    if (this.#entries.get(id) !== entry) return true; // it quit meanwhile: nothing left to end
    if (entry.rooms.size > 0) return true; // a getNode gave it a room meanwhile
    if (!empty || this.#closing || this.#draining !== undefined) return false;
    this.#inUse = this.#inUse.filter((x) => x !== id);
    this.#idle = [id, ...this.#idle.filter((x) => x !== id)];
    this.#log.debug({ nodeId: id }, 'node holds nothing: back to idle');
    return true;
  }

  /** The node holding a room. */
  queryNode(room: string): string {
    for (const [id, e] of this.#entries) if (e.rooms.has(room)) return id;
    throw new NotFoundError(`no such task: room ${room}`);
  }

  /** Calls a node method inside the node's thread (`internal`: main-thread-only methods). */
  async call(nodeId: string, method: string, args: unknown, internal = false): Promise<unknown> {
    const entry = this.#entries.get(nodeId);
    if (!entry) throw new NotFoundError(`no such node: ${nodeId}`);
    if (!entry.ready && !(await entry.readyPromise)) throw new UnavailableError(`node ${nodeId} not ready`);
    return entry.node.call(method, args, internal);
  }

  has(nodeId: string): boolean {
    return this.#entries.has(nodeId);
  }

  nodes(): NodeInfo[] {
    return [...this.#entries].map(([id, e]) => ({
      id,
      state: e.ready ? 'ready' : 'starting',
      list: this.#inUse.includes(id) ? 'in-use' : 'idle',
      rooms: roomsOf(e),
      startedAt: e.startedAt,
    }));
  }

  /**
   * How long ago each ready node's heartbeat last moved (ms), read now; the
   * liveness check ends a node at checkWindowMs, health reports it sooner.
   */
  heartbeats(now = Date.now()): { id: string; beatAgeMs: number }[] {
    const out: { id: string; beatAgeMs: number }[] = [];
    for (const [id, e] of this.#entries) {
      if (!e.ready) continue;
      const beats = e.node.beats;
      if (beats !== e.lastBeat) {
        e.lastBeat = beats;
        e.lastBeatAt = now;
      }
      out.push({ id, beatAgeMs: Math.max(0, now - e.lastBeatAt) });
    }
    return out;
  }

  get checkWindowMs(): number {
    return this.#o.checkWindowMs;
  }

  get heartbeatMs(): number {
    return this.#o.heartbeatMs;
  }

  idleIds(): string[] {
    return [...this.#idle];
  }

  inUseIds(): string[] {
    return [...this.#inUse];
  }

  /** Ends every node. No abnormal events: this is a planned stop. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#checkTimer) clearInterval(this.#checkTimer);
    if (this.#refillTimer) clearTimeout(this.#refillTimer);
    await Promise.all([...this.#entries.keys()].map((id) => this.#drop(id)));
  }

  // The room's node, unless it is full (maxTasksPerNode): then the next node
  // holding the room with room to spare, and failing that none, so the room
  // spills over to a fresh node.
  #findByRoom(room: string, task: string): string | undefined {
    for (const list of [this.#inUse, this.#idle]) {
      for (const id of list) {
        const tasks = this.#entries.get(id)?.rooms.get(room);
        if (!tasks) continue;
        if (tasks.has(task) || this.#hasCapacity(id)) return id;
      }
    }
    return undefined;
  }

  #hasCapacity(id: string): boolean {
    const max = this.#o.maxTasksPerNode;
    if (max <= 0) return true;
    let n = 0;
    for (const tasks of this.#entries.get(id)!.rooms.values()) n += tasks.size;
    return n < max;
  }

  #pickIdle(): string {
    // A READY node first: a starting one would make the caller wait.
    let at = this.#idle.findIndex((id) => this.#entries.get(id)!.ready && this.#hasCapacity(id));
    if (at < 0) at = this.#idle.findIndex((id) => this.#hasCapacity(id));
    if (at < 0) throw new UnavailableError('no node available');
    const [id] = this.#idle.splice(at, 1) as [string];
    this.#inUse.push(id);
    if (this.#o.maxNodes < 0 || this.#entries.size < this.#o.maxNodes) {
      this.#fill();
    } else if (this.#o.reuseNode) {
      this.#idle.push(this.#inUse.shift()!);
    }
    return id;
  }

  #fill(): void {
    if (this.#closing || this.#draining !== undefined || this.#refillTimer) return;
    const space = this.#o.prerunNodes - this.#idle.length;
    const toStart = this.#o.maxNodes < 0 ? space : Math.min(space, this.#o.maxNodes - this.#entries.size);
    for (let i = 0; i < toStart; i++) this.#launch();
  }

  #launch(): void {
    const id = `${this.#o.agentId}_${this.#seq++}`;
    const node = new WorkerNode({
      id,
      agentId: this.#o.agentId,
      heartbeatMs: this.#o.heartbeatMs,
      testHooks: this.#o.testHooks,
      hooks: this.#o.nextNodeHooks?.shift(),
      logLevel: this.#o.logLevel,
      internalIp: this.#o.internalIp,
      media: this.#o.media,
    });
    let settle!: (ok: boolean) => void;
    const entry: Entry = {
      node,
      ready: false,
      startedAt: Date.now(),
      readyPromise: new Promise<boolean>((r) => (settle = r)),
      settle: (ok) => settle(ok),
      rooms: new Map(),
      lastBeat: 0,
      lastBeatAt: 0,
      logLevel: this.#o.logLevel,
    };
    this.#entries.set(id, entry);
    this.#idle.push(id);
    node.on('exit', (reason, detail) => this.#abnormal(id, reason, detail));
    node.on('event', (ev) => this.emit('nodeEvent', id, ev));
    node.on('trackNotice', (n) => this.emit('trackNotice', id, n));

    const timer = setTimeout(() => {
      if (!entry.ready && this.#entries.get(id) === entry) {
        this.#startFailed(id, 'not-ready', `not READY within ${this.#o.readyTimeoutMs} ms`);
      }
    }, this.#o.readyTimeoutMs);
    node.start().then(
      (info) => {
        clearTimeout(timer);
        if (this.#entries.get(id) !== entry) return;
        entry.ready = true;
        entry.readyInfo = info;
        entry.lastBeat = node.beats;
        entry.lastBeatAt = Date.now();
        this.#failures = 0;
        this.#log.debug({ nodeId: id, threadId: info.threadId }, 'node ready');
        entry.settle(true);
        this.emit('nodeReady', id);
      },
      (err: Error) => {
        clearTimeout(timer);
        if (this.#entries.get(id) === entry) this.#startFailed(id, 'start-failed', err.message);
      },
    );
  }

  #startFailed(id: string, reason: AbnormalReason, detail: string): void {
    this.#failures++;
    this.#log.error({ nodeId: id, reason, detail, failures: this.#failures }, 'node failed to start');
    this.#abnormal(id, reason, detail);
  }

  #abnormal(id: string, reason: AbnormalReason, detail: string): void {
    const entry = this.#entries.get(id);
    if (!entry || this.#closing) return;
    const quit: AbnormalQuit = { nodeId: id, reason, detail, rooms: roomsOf(entry) };
    this.#log.warn(quit, 'node quit abnormally');
    this.#remove(id);
    void entry.node.close();
    this.emit('abnormal', quit);
    this.emit('nodeGone', id);
    this.#scheduleFill();
  }

  /** Refill at once, or after a growing pause while nodes keep failing to start. */
  #scheduleFill(): void {
    if (this.#failures === 0) return this.#fill();
    if (this.#refillTimer || this.#closing || this.#draining !== undefined) return;
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** (this.#failures - 1));
    this.#refillTimer = setTimeout(() => {
      this.#refillTimer = undefined;
      this.#fill();
    }, delay);
    this.#refillTimer.unref();
  }

  async #drop(id: string): Promise<void> {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#remove(id);
    await entry.node.close();
    this.emit('nodeGone', id);
  }

  #remove(id: string): void {
    this.#entries.get(id)?.settle(false);
    this.#entries.delete(id);
    this.#idle = this.#idle.filter((x) => x !== id);
    this.#inUse = this.#inUse.filter((x) => x !== id);
  }

  // A node is hung when its counter has not moved for a whole window. Judging
  // by the time of the last movement (not "no bump since the previous check")
  // keeps a node that became ready just before a check from being condemned.
  #checkLiveness(): void {
    const now = Date.now();
    for (const [id, e] of [...this.#entries]) {
      if (!e.ready) continue;
      const beats = e.node.beats;
      if (beats !== e.lastBeat) {
        e.lastBeat = beats;
        e.lastBeatAt = now;
      } else if (now - e.lastBeatAt >= this.#o.checkWindowMs) {
        this.#abnormal(id, 'hung', `no heartbeat for ${now - e.lastBeatAt} ms`);
      }
    }
  }
}

function roomsOf(e: Entry): RoomTasks[] {
  return [...e.rooms].map(([room, tasks]) => ({ room, tasks: [...tasks] }));
}
