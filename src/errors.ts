/**
 * The agent's named errors. Each carries the service error code that the RPC
 * layer answers with, so a failure keeps its meaning from the node thread to
 * the NATS reply. Codes follow HTTP: 400 bad request, 404 not found,
 * 409 conflict, 500 internal, 503 unavailable, 504 timeout.
 */
export type ErrorCode = 400 | 404 | 409 | 500 | 503 | 504;

export class AgentError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The request is malformed; the message names the field. */
export class InvalidRequestError extends AgentError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(400, field ? `${field}: ${message}` : message);
    this.field = field;
  }
}

/** A node, room, task or method that does not exist. */
export class NotFoundError extends AgentError {
  constructor(message: string) {
    super(404, message);
  }
}

/** An id that is already taken (a transport, operation, track, subscription, SSRC); the message names the field. */
export class ConflictError extends AgentError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(409, field ? `${field}: ${message}` : message);
    this.field = field;
  }
}

/** The agent cannot serve this now: no free node, shutting down, node not ready. */
export class UnavailableError extends AgentError {
  constructor(message: string) {
    super(503, message);
  }
}

/** Something took longer than its bound. */
export class TimeoutError extends AgentError {
  constructor(message: string) {
    super(504, message);
  }
}

/** A fault inside the agent; never the caller's fault. */
export class InternalError extends AgentError {
  constructor(message: string) {
    super(500, message);
  }
}

/** Serialisable form, used to carry an error across the thread boundary. */
export interface ErrorShape {
  code: ErrorCode;
  name: string;
  message: string;
}

export function toErrorShape(err: unknown): ErrorShape {
  if (err instanceof AgentError) return { code: err.code, name: err.name, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 500, name: 'InternalError', message };
}

export function fromErrorShape(shape: ErrorShape): AgentError {
  switch (shape.code) {
    case 400: return new InvalidRequestError('', shape.message);
    case 404: return new NotFoundError(shape.message);
    case 409: return new ConflictError('', shape.message);
    case 503: return new UnavailableError(shape.message);
    case 504: return new TimeoutError(shape.message);
    default: return new InternalError(shape.message);
  }
}
