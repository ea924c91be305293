/**
 * Replying over NATS the way the NATS services protocol does, for both
 * service endpoints and the plain per-node subscriptions: a JSON body on
 * success; on failure the Nats-Service-Error / Nats-Service-Error-Code headers
 * (so any services-aware client, and ServiceError.toServiceError, read it).
 */
import { headers, JSONCodec, type Msg } from 'nats';
import { AgentError, toErrorShape } from '../errors';

const json = JSONCodec();

export function replyValue(msg: Msg, value: unknown): void {
  if (!msg.reply) return;
  msg.respond(json.encode(value ?? null));
}

export function replyError(msg: Msg, err: unknown): void {
  if (!msg.reply) return;
  const shape = err instanceof AgentError ? { code: err.code, message: err.message } : toErrorShape(err);
  const h = headers();
  // A header value cannot hold CR or LF (nats.js throws): a message that
  // quotes a caller's string (a room or node id with a newline) would
  // otherwise leave the request unanswered and the rejection unhandled.
  h.set('Nats-Service-Error', shape.message.replace(/[\r\n]+/g, ' '));
  h.set('Nats-Service-Error-Code', String(shape.code));
  msg.respond(new Uint8Array(0), { headers: h });
}

export function encodeJson(value: unknown): Uint8Array {
  return json.encode(value);
}
