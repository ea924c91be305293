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
