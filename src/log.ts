/**
 * Logging. Logs go to stderr as JSON lines or text; stdout is kept for the
 * one human-readable ready line. Text (pino-pretty) when `log.pretty` says so,
 * or with `auto` when stderr is a terminal: a person reads it there, while
 * systemd, pipes and files get JSON lines for machines. Writes are
 * synchronous: a transport thread would lose lines when the process exits
 * early, and inside node threads a sync destination is cheaper than a second
 * thread per node.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export { LOG_LEVELS, type LogLevel } from './config/enums';

export interface LogOptions {
  level: string;
  pretty: boolean | 'auto';
}

/** Whether logs are text: `auto` follows whether stderr (their destination) is a terminal. */
export function prettyLogs(pretty: boolean | 'auto', stderrIsTty = process.stderr.isTTY === true): boolean {
  return pretty === 'auto' ? stderrIsTty : pretty;
}

export function createLogger(opts: LogOptions, bindings: Record<string, unknown> = {}): Logger {
  const base = { level: opts.level, base: bindings };
  if (prettyLogs(opts.pretty)) {
    // pino-pretty used as a stream, not a transport: same thread, sync.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as (o: object) => NodeJS.WritableStream;
    return pino(base, pretty({ sync: true, destination: 2, colorize: process.stderr.isTTY === true }));
  }
  return pino(base, pino.destination({ fd: 2, sync: true }));
}
