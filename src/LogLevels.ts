/**
 * The main thread's log modules, each a child logger with its own level that
 * can be changed while the agent runs (the setLogLevel agent method). Node
 * threads have their own loggers; the node manager sets their level.
 *
 *   agent    the agent, its NATS service, the process
 *   pool     the node manager and the node threads' lifecycle
 *   cluster  membership, scheduling, loss detection
 *   links    tracks across node threads and across agents
 */
import type { Logger } from 'pino';
import type { LogLevel } from './log';

export const MAIN_LOG_MODULES = ['agent', 'pool', 'cluster', 'links'] as const;
export type MainLogModule = (typeof MAIN_LOG_MODULES)[number];

export class LogLevels {
  readonly #loggers = new Map<MainLogModule, Logger>();

  /** `root` is the agent module; the others are made as its children. */
  constructor(root: Logger) {
    this.#loggers.set('agent', root);
    for (const m of MAIN_LOG_MODULES) {
      if (m === 'agent') continue;
      const child = root.child({ part: m });
      // A child that never had its own level follows its parent's; giving it
      // one now makes every module's level its own.
      child.level = root.level;
      this.#loggers.set(m, child);
    }
  }

  module(name: MainLogModule): Logger {
    return this.#loggers.get(name)!;
  }

  /** Sets the level of one module, or of all of them. */
  set(level: LogLevel, module?: MainLogModule): void {
    for (const [name, log] of this.#loggers) if (module === undefined || module === name) log.level = level;
  }

  levels(): Record<MainLogModule, string> {
    return Object.fromEntries([...this.#loggers].map(([name, log]) => [name, log.level])) as Record<MainLogModule, string>;
  }
}
