/**
 * The closed sets of values the configuration accepts where other modules
 * define the behaviour (log levels, scheduling strategies, load metrics).
 * Plain data, so the configuration schema imports no runtime module: the
 * modules that implement these import them from here.
 */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Scheduling strategies (cluster/Scheduler.ts). */
export const STRATEGIES = ['least-used', 'most-used', 'last-used', 'round-robin', 'randomly-pick'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** What an agent's load is measured by (cluster/LoadCollector.ts). */
export const LOAD_METRICS = ['network', 'cpu', 'memory'] as const;
export type LoadMetric = (typeof LOAD_METRICS)[number];
