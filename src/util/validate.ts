/**
 * Payload validation shared by every RPC entry point: bytes -> JSON -> schema.
 * A failure becomes an InvalidRequestError whose field is the dotted path of
 * the first problem, so the caller is told exactly what to fix.
 */
import { z } from 'zod';
import { InvalidRequestError } from '../errors';

export function parseJson(data: Uint8Array): unknown {
  if (data.length === 0) return {};
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidRequestError('payload', `invalid JSON: ${(err as Error).message}`);
  }
}

export function fieldOf(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) path.push(issue.keys[0]!);
  return path.length > 0 ? path.join('.') : 'payload';
}

export function parsePayload<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = fieldOf(issue);
  const message = issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
  throw new InvalidRequestError(field, message);
}

/** Values a schema produced (parseOnce): the payload's one validation marks it. */
const validated = new WeakMap<object, z.ZodType>();

/**
 * A node API payload is validated once on its way down (SlotManager ->
 * AgentBridge -> LinkManager -> NodeManager -> WorkerNode): the first layer
 * that reads it parses it, and hands the parsed value on; a later layer
 * given a value this same schema produced takes it as it is.
 */
export function parseOnce<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  if (typeof value === 'object' && value !== null && validated.get(value) === schema) return value as z.infer<S>;
  return vouch(parsePayload(schema, value), schema);
}

/** Marks a value as what `schema` would produce (a layer that built it from a stricter parse). */
export function vouch<T>(value: T, schema: z.ZodType): T {
  if (typeof value === 'object' && value !== null) validated.set(value, schema);
  return value;
}
