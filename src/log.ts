/**
 * Logging. Logs go to stderr as JSON lines (or pretty text); stdout is kept for
 * the one human-readable ready line. Writes are synchronous: a transport thread
 * would lose lines when the process exits early, and inside node threads a sync
 * destination is cheaper than a second thread per node.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export interface LogOptions {
  level: string;
  pretty: boolean;
}

export function createLogger(opts: LogOptions, bindings: Record<string, unknown> = {}): Logger {
  const base = { level: opts.level, base: bindings };
  if (opts.pretty) {
    // pino-pretty used as a stream, not a transport: same thread, sync.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as (o: object) => NodeJS.WritableStream;
    return pino(base, pretty({ sync: true, destination: 2, colorize: false }));
  }
  return pino(base, pino.destination({ fd: 2, sync: true }));
}
