/**
 * Payload schemas of the generic node methods (methods.ts). Like every node
 * method schema they are loaded in the main thread only, which validates a
 * call before it reaches the node thread: zod is never loaded in a node
 * thread (it cost each thread ~6 MiB resident, docs/bench.md).
 */
import { z } from 'zod';
import { LOG_LEVELS } from '../log';

export const emptySchema = z.object({}).strict();
export const setLogLevelSchema = z.object({ level: z.enum(LOG_LEVELS) }).strict();
export const resetSchema = z.object({ room: z.string(), task: z.string() }).strict();
export const testExitSchema = z.object({ code: z.number().int().min(0).max(255).default(3) }).strict();
export const testHangSchema = z.object({ ms: z.number().int().min(1).max(600_000).default(60_000) }).strict();
export const testEmitSchema = z
  .object({ controller: z.string().min(1), name: z.string().min(1), payload: z.record(z.string(), z.unknown()).default({}) })
  .strict();
export const lossSchema = z.object({ percent: z.number().min(0).max(100) }).strict();
export const echoSchema = z.object({ data: z.unknown().optional() }).strict();
