/**
 * Payload schemas of the agent API. Room and task ids are opaque strings from
 * the controller; they are bounded so a hostile payload cannot grow our maps
 * without limit.
 */
import { z } from 'zod';
import { LOG_LEVELS } from '../log';
import { MAIN_LOG_MODULES } from '../LogLevels';

const id = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

export const getNodeSchema = z.object({ room: id, task: id }).strict();
export const recycleNodeSchema = z.object({ nodeId: id, room: id, task: id }).strict();
export const queryNodeSchema = z.object({ room: id }).strict();
export const listNodesSchema = z.object({}).strict();
/** The log modules setLogLevel knows: the main thread's, and `node` for the node threads. */
export const LOG_MODULES = [...MAIN_LOG_MODULES, 'node'] as const;
export type LogModule = (typeof LOG_MODULES)[number];

export const setLogLevelSchema = z
  .object({ level: z.enum(LOG_LEVELS).optional(), module: z.enum(LOG_MODULES).optional(), nodeId: id.optional() })
  .strict()
  .refine((p) => p.nodeId === undefined || p.module === 'node', { path: ['nodeId'], message: 'only with module "node"' });

export const drainSchema = z
  .object({
    reason: z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters').optional(),
    timeoutMs: z.number().int('must be an integer').min(0, 'must be >= 0').max(2_147_483_647, 'must be <= 2147483647').optional(),
  })
  .strict();

export type GetNodeRequest = z.infer<typeof getNodeSchema>;
export type RecycleNodeRequest = z.infer<typeof recycleNodeSchema>;
export type QueryNodeRequest = z.infer<typeof queryNodeSchema>;
