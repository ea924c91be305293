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

/**
 * A header value holds no CR or LF (nats.js throws on them) and stays short:
 * a message can quote the caller's input (an id with a newline in it), and
 * a throw here would leave the request unanswered.
 */
export function headerSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return flat.length > 1024 ? `${flat.slice(0, 1021)}...` : flat;
}

export function replyError(msg: Msg, err: unknown): void {
  if (!msg.reply) return;
  const shape = err instanceof AgentError ? { code: err.code, message: err.message } : toErrorShape(err);
  const h = headers();
  h.set('Nats-Service-Error', headerSafe(shape.message));
  h.set('Nats-Service-Error-Code', String(shape.code));
  msg.respond(new Uint8Array(0), { headers: h });
}

export function encodeJson(value: unknown): Uint8Array {
  return json.encode(value);
}
