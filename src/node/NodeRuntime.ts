/**
 * The state of one node, living inside its worker thread: the addon instance,
 * the heartbeat, the rooms and tasks the node manager assigned to it, and the
 * node methods callable over RPC.
 */
import { parentPort, threadId } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { LogLevel } from '../log';
import { InternalError } from '../errors';
import { ADDON_PATH_ENV, loadAddon, type NativeAddon } from './addon';
import { mediaOf } from './media/native';
import { MediaRouter } from './router/MediaRouter';
import type { RouterNative } from './router/RouterCore';
import { NodeMetrics } from './NodeMetrics';
import { HEARTBEAT_SLOT, type NodeEventMessage, type NodeSettings, type ReadyInfo, type SpeakerLevels, type SpeakerLevelsMessage, type TrackNotice, type TrackNoticeMessage } from './protocol';

/** pino's level numbers (silent: nothing). */
const LEVEL_VALUES: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

export interface RoomDump {
  room: string;
  tasks: string[];
}

export class NodeRuntime {
  readonly settings: NodeSettings;
  readonly addon: NativeAddon;
  /** The thread's media objects (transports, tracks, subscriptions) over its addon router. */
  readonly router: MediaRouter;
  readonly startedAt = Date.now();
  /** The thread's side of a metrics scrape (event-loop delay runs from the start). */
  readonly metrics = new NodeMetrics();
  readonly #rooms = new Map<string, Set<string>>();
  #beatTimer: NodeJS.Timeout | undefined;
  #logLevel: string;
  #log: Logger | undefined;
  #calls = 0;
  #callErrors = 0;

  private constructor(settings: NodeSettings, addon: NativeAddon) {
    this.settings = settings;
    this.addon = addon;
    this.router = new MediaRouter(mediaOf(addon) as RouterNative);
    this.#logLevel = settings.logLevel;
  }

  /**
   * The thread's logger, made on first use: a node thread seldom logs, and
   * pino costs each thread ~1.2 MiB resident (docs/bench.md). Check
   * logs(level) first where a message would be made for nothing.
   */
  get log(): Logger {
    if (!this.#log) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { createLogger } = require('../log') as typeof import('../log');
      this.#log = createLogger({ level: this.#logLevel, pretty: false }, { node: this.settings.nodeId });
    }
    return this.#log;
  }

  get logLevel(): string {
    return this.#logLevel;
  }

  set logLevel(level: string) {
    this.#logLevel = level;
    if (this.#log) this.#log.level = level;
  }

  /** Whether a message at `level` would be written. */
  logs(level: Exclude<LogLevel, 'silent'>): boolean {
    return LEVEL_VALUES[level] >= LEVEL_VALUES[this.#logLevel as LogLevel];
  }

  /** Loads the addon and starts the heartbeat; resolves when the node is READY. */
  static async create(settings: NodeSettings): Promise<NodeRuntime> {
    const hooks = settings.testHooks ? settings.hooks : {};
    if (hooks.initDelayMs) await sleep(hooks.initDelayMs);
    let addon: NativeAddon;
    try {
      // process.env is private to this thread, so the hook breaks only this node.
      if (hooks.failAddonLoad) process.env[ADDON_PATH_ENV] = '/nonexistent/webrtc_agent.node';
      addon = loadAddon();
    } catch (err) {
      throw new InternalError(`addon failed to load: ${(err as Error).message}`);
    }
    const rt = new NodeRuntime(settings, addon);
    const m = settings.media;
    rt.router.configure(m.listenIp, m.portMin, m.portMax);
    rt.#startHeartbeat();
    // Start-up left garbage and a grown young generation that V8 would give
    // back only ~8 s from now: give it back before READY (~2 MiB per thread,
    // ~12 ms; docs/bench.md, "Memory").
    addon.reduceMemory();
    if (rt.logs('debug')) rt.log.debug({ threadId }, 'node ready');
    return rt;
  }

  // The beat is a JS timer on purpose: anything that blocks this thread's event
  // loop (a busy loop in JS or a stuck native call) stops it, which is exactly
  // what the main thread's liveness check must see.
  #startHeartbeat(): void {
    const { heartbeat, heartbeatMs } = this.settings;
    Atomics.add(heartbeat, HEARTBEAT_SLOT, 1);
    this.#beatTimer = setInterval(() => Atomics.add(heartbeat, HEARTBEAT_SLOT, 1), heartbeatMs);
  }

  /**
   * Where other agents reach this node's internal transport; the port is
   * opened on first use (every node has one once the main thread has asked).
   */
  internalAddress(): { ip: string; port: number } {
    const m = this.settings.media;
    const port = this.router.listenInternal(m.listenIp, m.portMin, m.portMax);
    return { ip: this.settings.internalIp, port };
  }

  readyInfo(): ReadyInfo {
    return { nodeId: this.settings.nodeId, threadId, addonVersion: this.addon.version() };
  }

  assign(room: string, task: string): void {
    let tasks = this.#rooms.get(room);
    if (!tasks) this.#rooms.set(room, (tasks = new Set()));
    tasks.add(task);
  }

  release(room: string, task: string): void {
    const tasks = this.#rooms.get(room);
    if (!tasks) return;
    tasks.delete(task);
    if (tasks.size === 0) this.#rooms.delete(room);
  }

  rooms(): RoomDump[] {
    return [...this.#rooms].map(([room, tasks]) => ({ room, tasks: [...tasks] }));
  }

  /** Sends an event to a controller, through the main thread. */
  emit(controller: string, name: string, payload: unknown): void {
    const msg: NodeEventMessage = { nodeEvent: { controller, name, payload } };
    parentPort?.postMessage(msg);
  }

  /** Tells the main thread's track registry of a track made or ended in this thread. */
  notifyTrack(notice: TrackNotice): void {
    const msg: TrackNoticeMessage = { trackNotice: notice };
    parentPort?.postMessage(msg);
  }

  /** Hands audio levels to the main thread's speaker detection. */
  postLevels(levels: SpeakerLevels): void {
    const msg: SpeakerLevelsMessage = { speakerLevels: levels };
    parentPort?.postMessage(msg);
  }

  countCall(failed: boolean): void {
    this.#calls++;
    if (failed) this.#callErrors++;
  }

  get callStats(): { calls: number; errors: number } {
    return { calls: this.#calls, errors: this.#callErrors };
  }

  close(): void {
    this.metrics.close();
    if (this.#beatTimer) clearInterval(this.#beatTimer);
    this.#beatTimer = undefined;
  }
}
