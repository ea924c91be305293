/**
 * One node method: its payload schema (loaded lazily, main thread only: see
 * node/methods.ts) and its handler in the node thread. The method tables
 * (media/methods.ts, webrtc/methods.ts) build on this type only; node/methods.ts
 * composes them into the node's one table.
 */
import type { z } from 'zod';
import type { NodeRuntime } from './NodeRuntime';

export interface NodeMethod<S extends z.ZodType = z.ZodType> {
  /** The payload schema; called in the main thread only. */
  schema: () => S;
  /** Only callable when the agent runs with agent.testHooks on. */
  testOnly?: boolean;
  /** Only callable by the main thread itself (never from NATS). */
  internal?: boolean;
  run(rt: NodeRuntime, args: z.infer<S>): unknown | Promise<unknown>;
}

/** A method with a typed payload, stored as an untyped table entry. */
export function method<S extends z.ZodType>(m: NodeMethod<S>): NodeMethod {
  return m as unknown as NodeMethod;
}
