/**
 * Loading and validating the agent configuration.
 *
 * Precedence, lowest to highest:
 *   schema defaults < config/default.toml (shipped) < `--config <file>` < environment < CLI args
 *
 * Files are read and parsed here (TOML, or JSON when the name ends in `.json`)
 * and merged with convict's `load()`, which re-applies the environment on top.
 * CLI arguments are parsed here rather than by convict (whose yargs-parser turns
 * numeric-looking strings such as an id `0123` into numbers and silently
 * ignores unknown options), and applied last with `set()`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import convict from 'convict';
import { parse as parseToml } from 'smol-toml';
import {
  configSchema,
  FORMATS,
  getPath,
  LOG_LEVELS,
  NATS_EMBEDDED_MODES,
  registerConfigFormats,
  schemaLeaves,
  showValue,
  type LeafEntry,
} from './schema';

import type { LoadMetric, Strategy } from './enums';
import { NatsAuthError, natsAuthOptions, type NatsAuthConfig } from '../rpc/natsAuth';

export type LogLevel = (typeof LOG_LEVELS)[number];
export type NatsEmbeddedMode = (typeof NATS_EMBEDDED_MODES)[number];

export interface AgentConfig {
  agent: {
    /** Prefix of generated agent ids; subject-safe, 1..32 chars. */
    idPrefix: string;
    /** Agent id. Empty in the schema; loadConfig() always returns it non-empty (`<idPrefix>-<12 hex>` when not set). */
    id: string;
    /** -1 = unlimited, otherwise >= 1. */
    maxNodes: number;
    /** >= 0 and <= maxNodes (unless maxNodes = -1). */
    prerunNodes: number;
    reuseNode: boolean;
    consumeNodeByRoom: boolean;
    /** 50..60000 */
    heartbeatMs: number;
    /** > heartbeatMs, <= 600000 */
    checkWindowMs: number;
    /** 100..60000 */
    readyTimeoutMs: number;
    /** 0 = no limit. */
    maxTasksPerNode: number;
    /** Per-node caps (503 naming the key when reached). */
    maxTransportsPerNode: number;
    maxOperationsPerNode: number;
    maxTracksPerNode: number;
    maxSubscriptionsPerNode: number;
    maxExportsPerNode: number;
    /** A power of two, 64 KiB .. 256 MiB. */
    linkRingBytes: number;
    internalRpcTimeoutMs: number;
    internalKeepaliveMs: number;
    internalSrtp: boolean;
    /** Enables test-only node methods; never in production. */
    testHooks: boolean;
    shutdownTimeoutMs: number;
    /** SIGTERM drains (Agent.drain) instead of stopping at once. */
    drainOnSigterm: boolean;
    /** How long a drain waits for the rooms to end before stopping anyway. */
    drainTimeoutMs: number;
  };
  nats: {
    /** Comma-separated URLs; empty = local default. */
    servers: string;
    embedded: NatsEmbeddedMode;
    embeddedPort: number;
    embeddedDataDir: string;
    /** 0..100 */
    embeddedRestartAttempts: number;
    /** 0..60000 */
    embeddedRestartBackoffMs: number;
    /** Dot-separated subject tokens. */
    subjectPrefix: string;
    requestTimeoutMs: number;
  } & NatsAuthConfig; // authentication and TLS (empty = unused), checked and read by src/rpc/natsAuth.ts
  cluster: {
    /** Subject-safe, 1..32 chars. */
    name: string;
    enabled: boolean;
    /** 50..60000 */
    reportIntervalMs: number;
    /** 1..100 (OWT max_load * 100). */
    maxLoadPercent: number;
    strategy: Strategy;
    /** Comma-separated; empty = any. */
    isps: string;
    /** Comma-separated. */
    regions: string;
    loadMetric: LoadMetric;
    /** An interface name or `auto`. */
    networkInterface: string;
    networkMaxScaleMbit: number;
    /** 1..5 */
    kvReplicas: number;
  };
  log: {
    level: LogLevel;
    pretty: boolean | 'auto';
  };
  webrtc: {
    listenIp: string;
    /** Empty = derived from listenIp (by the consumer). */
    announcedIp: string;
    /** <= portMax */
    portMin: number;
    portMax: number;
    consentTimeoutMs: number;
    tcp: boolean;
    /** <= tcpPortMax */
    tcpPortMin: number;
    tcpPortMax: number;
    tcpMaxConnections: number;
    tcpIdleTimeoutMs: number;
    bwe: {
      enabled: boolean;
      /** minBitrate <= initialBitrate <= maxBitrate */
      initialBitrate: number;
      minBitrate: number;
      maxBitrate: number;
      probing: boolean;
    };
  };
  speakers: {
    /** Audio levels read and speakers detected (off: neither). */
    enabled: boolean;
    /** 20..5000 */
    intervalMs: number;
    /** 200..30000 */
    windowMs: number;
    /** 1..32 */
    activeCount: number;
    switchMargin: number;
    holdMs: number;
    minActivity: number;
    /** 0..127 -dBov */
    noiseFloor: number;
    /** 0 = off. */
    activeSetIntervalMs: number;
  };
  metrics: {
    enabled: boolean;
    listenIp: string;
    /** 0 = picked by the system. */
    port: number;
  };
}

export interface ConfigIssue {
  /** A config key (`agent.maxNodes`), a file path, or a CLI option (`--foo`). */
  key: string;
  message: string;
}

const oneLine = (s: string): string => s.replace(/\s*[\r\n]+\s*/g, ' ').trim();

/** Invalid configuration. The message is one line: `config: <key>: <what>; <key>: <what>`. */
export class ConfigError extends Error {
  /** Key of the first issue (config key, file path or CLI option). */
  readonly key: string;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    const list = issues.length > 0 ? issues : [{ key: 'config', message: 'invalid configuration' }];
    super(oneLine(`config: ${list.map((i) => `${i.key}: ${i.message}`).join('; ')}`));
    this.name = 'ConfigError';
    this.key = list[0]!.key;
    this.issues = list;
  }
}

/** The shipped defaults file: <package root>/config/default.toml (from dist/config/ or src/config/). */
export const DEFAULT_CONFIG_FILE = resolve(__dirname, '..', '..', 'config', 'default.toml');

export interface LoadConfigOptions {
  /** Command-line arguments (default: process.argv.slice(2)). */
  argv?: string[];
  /** Environment (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

interface CliResult {
  configFile?: string;
  /** path -> raw value and the option that set it (last one wins). */
  values: Map<string, { value: string; option: string }>;
  issues: ConfigIssue[];
}

const BOOL_WORDS = /^(true|false|1|0|yes|no|on|off)$/i;

/**
 * Parse `--<arg> <value>`, `--<arg>=<value>`, `--config <path>`; for booleans
 * also a bare `--<arg>` (true) and `--no-<arg>` (false). Positional arguments
 * are ignored; `--` ends option parsing; unknown options are errors.
 */
function parseCli(argv: readonly string[], leaves: readonly LeafEntry[]): CliResult {
  const byArg = new Map(leaves.map((e) => [e.leaf.arg, e]));
  const out: CliResult = { values: new Map(), issues: [] };
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === '--') break;
    if (!tok.startsWith('-') || tok === '-') continue; // positional
    if (!tok.startsWith('--')) {
      out.issues.push({ key: tok, message: 'unknown command-line option' });
      continue;
    }
    const eq = tok.indexOf('=');
    const name = eq >= 0 ? tok.slice(2, eq) : tok.slice(2);
    const inline = eq >= 0 ? tok.slice(eq + 1) : undefined;
    const next = argv[i + 1];
    const takeValue = (): string | undefined => {
      if (inline !== undefined) return inline;
      if (next !== undefined && !next.startsWith('--')) {
        i++;
        return next;
      }
      out.issues.push({ key: `--${name}`, message: 'missing value' });
      return undefined;
    };

    if (name === 'config') {
      const v = takeValue();
      if (v !== undefined) {
        if (v === '') out.issues.push({ key: '--config', message: 'empty path' });
        else out.configFile = v;
      }
      continue;
    }

    let entry = byArg.get(name);
    let negated = false;
    if (!entry && name.startsWith('no-')) {
      const e = byArg.get(name.slice(3));
      if (e && (e.leaf.format === 'bool' || e.leaf.format === 'bool-or-auto')) {
        entry = e;
        negated = true;
      }
    }
    if (!entry) {
      out.issues.push({ key: `--${name}`, message: 'unknown command-line option' });
      continue;
    }

    let value: string | undefined;
    if (negated) {
      if (inline !== undefined) out.issues.push({ key: `--${name}`, message: 'takes no value' });
      else value = 'false';
    } else if (entry.leaf.format === 'bool' || entry.leaf.format === 'bool-or-auto') {
      // A bare flag is true; `auto` only where the format takes it.
      if (inline !== undefined) value = inline;
      else if (next !== undefined && (BOOL_WORDS.test(next) || (entry.leaf.format === 'bool-or-auto' && /^auto$/i.test(next)))) value = argv[++i];
      else value = 'true';
    } else {
      value = takeValue();
    }
    if (value !== undefined) out.values.set(entry.path, { value, option: `--${name}` });
  }
  return out;
}

interface LoadedFile {
  file: string;
  data: Record<string, unknown>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Read and parse one config file; TOML unless the name ends in .json. */
function readConfigFile(file: string): LoadedFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const what = err.code === 'ENOENT' ? 'file not found' : `cannot read file (${err.code ?? err.message})`;
    throw new ConfigError([{ key: file, message: what }]);
  }
  const isJson = file.toLowerCase().endsWith('.json');
  let data: unknown;
  try {
    data = isJson ? JSON.parse(text) : parseToml(text);
  } catch (e) {
    const err = e as Error & { line?: number; column?: number };
    const first = (err.message ?? String(e)).split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
    const where = typeof err.line === 'number' ? ` at line ${err.line}, column ${err.column ?? '?'}` : '';
    throw new ConfigError([{ key: file, message: `invalid ${isJson ? 'JSON' : 'TOML'}${where}: ${first}` }]);
  }
  if (!isPlainObject(data)) {
    throw new ConfigError([{ key: file, message: `must contain an object at the top level, got ${showValue(data)}` }]);
  }
  return { file, data };
}

/**
 * Check a file's shape against the schema before convict merges it: unknown
 * keys (strict), sections that are not tables, leaves that are tables.
 */
function checkFileShape(f: LoadedFile, leaves: readonly LeafEntry[]): ConfigIssue[] {
  const leafPaths = new Set(leaves.map((e) => e.path));
  const sectionPaths = new Set<string>();
  for (const { path } of leaves) {
    const parts = path.split('.');
    for (let n = 1; n < parts.length; n++) sectionPaths.add(parts.slice(0, n).join('.'));
  }
  const issues: ConfigIssue[] = [];
  const walk = (obj: Record<string, unknown>, prefix: string): void => {
    for (const k of Object.keys(obj)) {
      const path = prefix ? `${prefix}.${k}` : k;
      const v = obj[k];
      if (leafPaths.has(path)) {
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
          issues.push({ key: path, message: `must be a single value, got ${showValue(v)} (in ${f.file})` });
        }
      } else if (sectionPaths.has(path)) {
        if (isPlainObject(v)) walk(v, path);
        else issues.push({ key: path, message: `must be a table/section, got ${showValue(v)} (in ${f.file})` });
      } else {
        const shown = /^[\w.-]+$/.test(path) ? path : JSON.stringify(path);
        issues.push({ key: shown, message: `unknown key, not in the schema (in ${f.file})` });
      }
    }
  };
  walk(f.data, '');
  return issues;
}

/**
 * Load, merge and validate the configuration. Throws {@link ConfigError} (one-line
 * message) on any problem. `agent.id` is filled in when empty.
 */
export function loadConfig(opts: LoadConfigOptions = {}): AgentConfig {
  registerConfigFormats();
  const env = opts.env ?? process.env;
  const argv = opts.argv ?? process.argv.slice(2);
  const leaves = schemaLeaves();

  const cli = parseCli(argv, leaves);
  if (cli.issues.length > 0) throw new ConfigError(cli.issues);

  const files = [readConfigFile(DEFAULT_CONFIG_FILE)];
  if (cli.configFile !== undefined) files.push(readConfigFile(cli.configFile));
  const shapeIssues = files.flatMap((f) => checkFileShape(f, leaves));
  if (shapeIssues.length > 0) throw new ConfigError(shapeIssues);

  // args: [] -> convict must not parse process.argv itself; env: exactly the one given.
  const cfg = convict<AgentConfig>(configSchema as unknown as convict.Schema<AgentConfig>, { env, args: [] });
  for (const f of files) cfg.load(f.data); // load() re-applies env on top of each file
  for (const [path, { value }] of cli.values) cfg.set(path, value);

  // Where did the value of a key come from (for messages)?
  const sourceOf = (e: LeafEntry): string => {
    const c = cli.values.get(e.path);
    if (c) return c.option;
    if (env[e.leaf.env] !== undefined) return `env ${e.leaf.env}`;
    for (let i = files.length - 1; i >= 0; i--) {
      if (getPath(files[i]!.data, e.path) !== undefined) return files[i]!.file;
    }
    return 'schema default';
  };

  const props = cfg.getProperties();
  const issues: ConfigIssue[] = [];
  for (const e of leaves) {
    try {
      FORMATS[e.leaf.format].validate(getPath(props, e.path), e.leaf);
    } catch (err) {
      issues.push({ key: e.path, message: `${(err as Error).message} (from ${sourceOf(e)})` });
    }
  }
  try {
    cfg.validate({ allowed: 'strict' });
  } catch (err) {
    // Our own pass above is more precise; convict's is the safety net.
    if (issues.length === 0) issues.push({ key: 'config', message: (err as Error).message.split('\n').join('; ') });
  }
  if (issues.length > 0) throw new ConfigError(issues);

  // Cross-key checks (only once every key is valid on its own).
  const byPath = new Map(leaves.map((e) => [e.path, e]));
  const cross = (path: string, message: string): void => {
    issues.push({ key: path, message: `${message} (from ${sourceOf(byPath.get(path)!)})` });
  };
  const { agent, webrtc } = props;
  if (agent.maxNodes !== -1 && agent.prerunNodes > agent.maxNodes) {
    cross('agent.prerunNodes', `must be <= agent.maxNodes (${agent.maxNodes}) unless that is -1, got ${agent.prerunNodes}`);
  }
  if (agent.checkWindowMs <= agent.heartbeatMs) {
    cross('agent.checkWindowMs', `must be > agent.heartbeatMs (${agent.heartbeatMs}), got ${agent.checkWindowMs}`);
  }
  if ((agent.linkRingBytes & (agent.linkRingBytes - 1)) !== 0) {
    cross('agent.linkRingBytes', `must be a power of two, got ${agent.linkRingBytes}`);
  }
  if (/\s/.test(props.cluster.networkInterface)) {
    cross('cluster.networkInterface', `must be an interface name or auto, got ${showValue(props.cluster.networkInterface)}`);
  }
  if (webrtc.portMin > webrtc.portMax) {
    cross('webrtc.portMin', `must be <= webrtc.portMax (${webrtc.portMax}), got ${webrtc.portMin}`);
  }
  if (webrtc.bwe.minBitrate > webrtc.bwe.initialBitrate) {
    cross('webrtc.bwe.minBitrate', `must be <= webrtc.bwe.initialBitrate (${webrtc.bwe.initialBitrate}), got ${webrtc.bwe.minBitrate}`);
  }
  if (webrtc.bwe.initialBitrate > webrtc.bwe.maxBitrate) {
    cross('webrtc.bwe.initialBitrate', `must be <= webrtc.bwe.maxBitrate (${webrtc.bwe.maxBitrate}), got ${webrtc.bwe.initialBitrate}`);
  }
  if (webrtc.tcpPortMin > webrtc.tcpPortMax) {
    cross('webrtc.tcpPortMin', `must be <= webrtc.tcpPortMax (${webrtc.tcpPortMax}), got ${webrtc.tcpPortMin}`);
  }
  if (issues.length > 0) throw new ConfigError(issues);

  // NATS credentials: their files are read and checked now, so a bad one is a config error.
  const { nats } = props;
  try {
    natsAuthOptions(nats);
  } catch (err) {
    if (!(err instanceof NatsAuthError)) throw err;
    cross(err.key, err.message.slice(err.key.length + 2));
  }
  const embedded = nats.embedded === 'always' || (nats.embedded === 'auto' && nats.servers.trim() === '');
  for (const k of ['credsFile', 'nkeySeedFile', 'tlsCaFile', 'tlsCertFile'] as const) {
    if (embedded && nats[k] !== '' && issues.length === 0) {
      cross(
        `nats.${k}`,
        'the bundled nats-server takes nats.token or nats.user/password only; set nats.servers to the server this is for (or nats.embedded=never)',
      );
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);

  if (agent.id === '') agent.id = `${agent.idPrefix}-${randomBytes(6).toString('hex')}`;
  return props;
}
