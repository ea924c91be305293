/**
 * The node methods: what a controller can call on one node, served inside the
 * node's own thread. Each method declares its payload schema; the main
 * thread validates every call with it (validateNodeCall, from WorkerNode)
 * before the call is handed to the thread, so every caller (NATS, the CLI,
 * tests, the link managers) gets the same 400 naming the field.
 *
 * Schemas are loaded lazily (`schema()`, from the *schemas.ts modules): the
 * node thread imports this table for its handlers but never asks for a
 * schema, so zod is never loaded there (~6 MiB resident per thread).
 */
import type { NodeMetricsReply } from './NodeMetrics';
import type { NodeRuntime, RoomDump } from './NodeRuntime';
import { method, type NodeMethod } from './NodeMethod';
import { mediaMethods } from './media/methods';
import type { MediaObjects } from './media/native';
import { destroyWebrtcTransport, existingWebrtcNode, webrtcMethods } from './webrtc/methods';

export type { NodeMethod } from './NodeMethod';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const S = (): typeof import('./schemas') => require('./schemas') as typeof import('./schemas');

export interface DumpReply {
  nodeId: string;
  agentId: string;
  threadId: number;
  uptimeMs: number;
  rooms: RoomDump[];
  addon: { version: string; timers: number };
  calls: { calls: number; errors: number };
  memory: { heapUsed: number };
  /** What the node's media plane holds: all zero when it has no clients. */
  media: MediaObjects & { webrtc: { transports: number; operations: number; formats: number; subscriptions: number } };
}

export const nodeMethods: Record<string, NodeMethod> = {
  /** Where other agents reach this node's internal transport. */
  getInternalAddress: method({
    schema: () => S().emptySchema,
    run: (rt) => rt.internalAddress(),
  }),

  /** The node's own view of itself: rooms, tasks, uptime, addon state. */
  dump: method({
    schema: () => S().emptySchema,
    run: (rt): DumpReply => ({
      nodeId: rt.settings.nodeId,
      agentId: rt.settings.agentId,
      threadId: rt.readyInfo().threadId,
      uptimeMs: Date.now() - rt.startedAt,
      rooms: rt.rooms(),
      addon: { version: rt.addon.version(), timers: rt.addon.threadInfo().timers },
      calls: rt.callStats,
      memory: { heapUsed: process.memoryUsage().heapUsed },
      media: {
        ...rt.router.objects(),
        webrtc: existingWebrtcNode(rt)?.objects() ?? { transports: 0, operations: 0, formats: 0, subscriptions: 0 },
      },
    }),
  }),

  /** The level of this thread's logger (the agent's setLogLevel reaches every node through it). */
  setLogLevel: method({
    schema: () => S().setLogLevelSchema,
    internal: true,
    run: (rt, a: { level: string }) => {
      rt.logLevel = a.level;
      return { level: rt.logLevel };
    },
  }),

  /**
   * The node's last task ends: the room is released here, and the reply says
   * whether the thread now holds nothing at all (no room, no native media
   * object, no WebRTC state), so the node manager may give it a new room
   * instead of ending it.
   */
  reset: method({
    schema: () => S().resetSchema,
    internal: true,
    run: (rt, a: { room: string; task: string }) => {
      rt.release(a.room, a.task);
      const media = rt.router.objects();
      const webrtc = existingWebrtcNode(rt)?.objects() ?? {};
      const empty = rt.rooms().length === 0 && [...Object.values(media), ...Object.values(webrtc)].every((n) => n === 0);
      return { empty, media, webrtc };
    },
  }),

  // --- test hooks: the failure modes the node manager must survive ---

  /** An uncaught exception on the node's loop: the thread dies. */
  testThrow: method({
    schema: () => S().emptySchema,
    testOnly: true,
    run: () => {
      setImmediate(() => {
        throw new Error('test hook: uncaught exception in node thread');
      });
      return { ok: true };
    },
  }),

  /** The thread exits on its own. */
  testExit: method({
    schema: () => S().testExitSchema,
    testOnly: true,
    run: (_rt, args: { code: number }) => {
      setImmediate(() => process.exit(args.code));
      return { ok: true };
    },
  }),

  /** The thread's loop is stuck in a busy loop (bounded so a leak cannot spin forever). */
  testHang: method({
    schema: () => S().testHangSchema,
    testOnly: true,
    run: (_rt, args: { ms: number }) => {
      setImmediate(() => {
        const end = Date.now() + args.ms;
        while (Date.now() < end) { /* spin: the heartbeat must stop */ }
      });
      return { ok: true };
    },
  }),

  /** Raises an event for a controller (the event path from a node thread to NATS). */
  testEmit: method({
    schema: () => S().testEmitSchema,
    testOnly: true,
    run: (rt, a: { controller: string; name: string; payload: Record<string, unknown> }) => {
      rt.emit(a.controller, a.name, a.payload);
      return { ok: true };
    },
  }),

  /** Drops this share of packets on the way to subscribers (loss recovery tests). */
  testSetSendLoss: method({
    schema: () => S().lossSchema,
    testOnly: true,
    run: (rt, a: { percent: number }) => {
      rt.router.setTestSendLoss(a.percent);
      return { ok: true };
    },
  }),

  /** Drops this share of packets arriving from publishers, RTX excepted (NACK generation tests). */
  testSetReceiveLoss: method({
    schema: () => S().lossSchema,
    testOnly: true,
    run: (rt, a: { percent: number }) => {
      rt.router.setTestReceiveLoss(a.percent);
      return { ok: true };
    },
  }),

  /** A handler that fails: the caller gets a 500, the thread lives on. */
  testFail: method({
    schema: () => S().emptySchema,
    testOnly: true,
    run: () => {
      throw new Error('test hook: handler failure');
    },
  }),

  /** Counters of every transport, track, subscription and ring link of the node. */
  getStats: method({
    schema: () => S().emptySchema,
    run: (rt) => rt.router.stats(),
  }),

  /** One metrics scrape's worth of this node (the main thread's AgentMetrics): one native read. */
  metrics: method({
    schema: () => S().emptySchema,
    internal: true,
    run: (rt): NodeMetricsReply => rt.metrics.read(rt.router.stats()),
  }),

  ...mediaMethods,
  ...webrtcMethods,

  // The method both families take part in, composed here (media and
  // webrtc do not know each other): a WebRTC transport is closed by its
  // WebrtcNode (which also sends track-removed events), any other by the
  // media layer. (unpublishTrack needs no composing: a WebRTC subscription
  // that ends with its source tells its controller by its 'close' event.)
  destroyTransport: method({
    schema: mediaMethods.destroyTransport!.schema,
    run: (rt, a: { transportId: string }) => {
      const removed = destroyWebrtcTransport(rt, a.transportId);
      return removed ? { ok: true, removed } : mediaMethods.destroyTransport!.run(rt, a);
    },
  }),

  /** Echo, for latency benches of the node path. */
  echo: method({
    schema: () => S().echoSchema,
    run: (_rt, args: { data?: unknown }) => ({ data: args.data ?? null }),
  }),
};

/** The method a call names, if this caller may call it (test hooks on, internal from the main thread). */
export function lookupMethod(name: string, testHooks: boolean, internal: boolean): NodeMethod | undefined {
  const m = Object.hasOwn(nodeMethods, name) ? nodeMethods[name] : undefined;
  if (!m || (m.testOnly && !testHooks) || (m.internal && !internal)) return undefined;
  return m;
}

/** Runs a call in the node thread; its args were validated by the main thread (WorkerNode.call). */
export function callMethod(rt: NodeRuntime, name: string, args: unknown, internal = false): unknown | Promise<unknown> {
  const m = lookupMethod(name, rt.settings.testHooks, internal);
  if (!m) return undefined;
  return m.run(rt, args);
}

export function hasMethod(name: string, testHooks: boolean, internal = false): boolean {
  return lookupMethod(name, testHooks, internal) !== undefined;
}
