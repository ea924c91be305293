/**
 * Configuration schema of the agent (convict) and the custom formats it uses.
 *
 * Every leaf has a `default` (a convict leaf without one silently becomes an
 * object), a `doc`, an `env` name and an `arg` name (kebab case of its path).
 * Formats are our own (registered by {@link registerConfigFormats}) so that the
 * coercion of strings coming from env / CLI is strict and error messages can
 * show the value that was actually given.
 *
 * Format-specific constraints live in extra schema fields (`min`, `max`,
 * `unlimited`, `values`, `maxLength`, `allowEmpty`); convict passes the schema
 * item to the format's validate function, and docs.ts renders them.
 */
import { isIP } from 'node:net';
import convict from 'convict';
import { parse as parseToml } from 'smol-toml';
import type { AgentConfig } from './load';
import { LOAD_METRICS, LOG_LEVELS, STRATEGIES } from './enums';

export { LOG_LEVELS };
export const NATS_EMBEDDED_MODES = ['auto', 'always', 'never'] as const;

/** Characters allowed in one NATS subject token (no dots, spaces, `*`, `>`). */
export const SUBJECT_TOKEN_RE = /^[A-Za-z0-9_-]+$/;
/** One or more subject tokens joined by dots, no empty token. */
export const SUBJECT_PREFIX_RE = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/** Largest delay Node's timers accept (larger ones fire at once). */
const MAX_TIMER_MS = 2_147_483_647;

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** Extra fields our formats read from a schema leaf. */
export interface LeafConstraints {
  /** bounded-int: smallest allowed value. */
  min?: number;
  /** bounded-int: largest allowed value. */
  max?: number;
  /** bounded-int: -1 is also allowed and means "unlimited". */
  unlimited?: boolean;
  /** one-of: the allowed values. */
  values?: readonly string[];
  /** subject-token: maximum length. */
  maxLength?: number;
  /** subject-token, ipaddress, text: the empty string is allowed. */
  allowEmpty?: boolean;
}

export type FormatName =
  | 'bool'
  | 'bool-or-auto'
  | 'bounded-int'
  | 'port-number'
  | 'one-of'
  | 'subject-token'
  | 'subject-prefix'
  | 'ipaddress'
  | 'nats-servers'
  | 'text';

/** Render a value for an error message: JSON, one line, bounded length. */
export function showValue(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'bigint' ? `${v}` : JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  s = s.replace(/[\r\n]+/g, ' ');
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function fail(what: string, v: unknown): never {
  throw new Error(`${what}, got ${showValue(v)}`);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** Human description of an integer range, used in messages and docs. */
export function describeIntRange(c: LeafConstraints): string {
  const { min, max, unlimited } = c;
  let range: string;
  if (min !== undefined && max !== undefined) range = `an integer in ${min}..${max}`;
  else if (min !== undefined) range = `an integer >= ${min}`;
  else if (max !== undefined) range = `an integer <= ${max}`;
  else range = 'an integer';
  return unlimited ? `-1 or ${range}` : range;
}

interface FormatDef {
  validate(v: unknown, schema: LeafConstraints): void;
  coerce?(v: string): unknown;
}

/**
 * Our formats. `coerce` is only called by convict for string values (env, CLI,
 * strings in files); it returns the raw string when it cannot convert it so
 * that validate reports what was given.
 */
export const FORMATS: Record<FormatName, FormatDef> = {
  bool: {
    coerce(v) {
      const w = v.trim().toLowerCase();
      if (TRUE_WORDS.has(w)) return true;
      if (FALSE_WORDS.has(w)) return false;
      return v;
    },
    validate(v) {
      if (typeof v !== 'boolean') fail('must be a boolean (true/false, 1/0, yes/no, on/off)', v);
    },
  },
  'bool-or-auto': {
    coerce(v) {
      const w = v.trim().toLowerCase();
      if (w === 'auto') return 'auto';
      if (TRUE_WORDS.has(w)) return true;
      if (FALSE_WORDS.has(w)) return false;
      return v;
    },
    validate(v) {
      if (typeof v !== 'boolean' && v !== 'auto') fail('must be auto or a boolean (true/false, 1/0, yes/no, on/off)', v);
    },
  },
  'bounded-int': {
    coerce(v) {
      const w = v.trim();
      return /^[+-]?\d+$/.test(w) ? Number(w) : v;
    },
    validate(v, c) {
      const ok =
        isInt(v) &&
        ((c.unlimited === true && v === -1) ||
          ((c.min === undefined || v >= c.min) && (c.max === undefined || v <= c.max)));
      if (!ok) fail(`must be ${describeIntRange(c)}`, v);
    },
  },
  'port-number': {
    coerce(v) {
      const w = v.trim();
      return /^\+?\d+$/.test(w) ? Number(w) : v;
    },
    validate(v) {
      if (!(isInt(v) && v >= 1 && v <= 65535)) fail('must be a port number in 1..65535', v);
    },
  },
  'one-of': {
    validate(v, c) {
      const values = c.values ?? [];
      if (typeof v !== 'string' || !values.includes(v)) fail(`must be one of ${values.join(', ')}`, v);
    },
  },
  'subject-token': {
    validate(v, c) {
      if (typeof v === 'string' && v === '' && c.allowEmpty) return;
      const max = c.maxLength ?? 32;
      if (!(typeof v === 'string' && v.length >= 1 && v.length <= max && SUBJECT_TOKEN_RE.test(v))) {
        fail(
          `must be ${c.allowEmpty ? 'empty or ' : ''}1..${max} characters of [A-Za-z0-9_-] ` +
            '(it is used inside NATS subjects: no dots, spaces, * or >)',
          v,
        );
      }
    },
  },
  'subject-prefix': {
    validate(v) {
      if (!(typeof v === 'string' && SUBJECT_PREFIX_RE.test(v))) {
        fail('must be NATS subject tokens of [A-Za-z0-9_-] joined by single dots (no empty token, spaces, * or >)', v);
      }
    },
  },
  ipaddress: {
    coerce(v) {
      return v.trim();
    },
    validate(v, c) {
      if (typeof v === 'string' && v === '' && c.allowEmpty) return;
      if (!(typeof v === 'string' && isIP(v) !== 0)) {
        fail(`must be ${c.allowEmpty ? 'empty or ' : ''}an IPv4 or IPv6 address`, v);
      }
    },
  },
  'nats-servers': {
    validate(v) {
      if (typeof v !== 'string') fail('must be a string of comma-separated NATS URLs', v);
      if (v.trim() === '') return;
      const parts = v.split(',').map((p) => p.trim());
      if (parts.some((p) => p === '' || /\s/.test(p))) {
        fail('must be comma-separated NATS URLs (no empty entry, no spaces inside an URL)', v);
      }
    },
  },
  text: {
    validate(v, c) {
      if (typeof v !== 'string') fail('must be a string', v);
      if (v === '' && !c.allowEmpty) fail('must not be empty', v);
    },
  },
};

let registered = false;

/** Register our formats and the TOML parser with convict. Safe to call many times. */
export function registerConfigFormats(): void {
  if (registered) return;
  for (const [name, def] of Object.entries(FORMATS)) {
    convict.addFormat({
      name,
      validate: def.validate as (v: unknown, schema: convict.SchemaObj) => void,
      coerce: def.coerce,
    });
  }
  convict.addParser({ extension: 'toml', parse: (s: string) => parseToml(s) });
  registered = true;
}

/** A schema leaf: convict's fields plus our constraints, format and env/arg always set. */
export type Leaf<T> = LeafConstraints & { default: T; doc: string; format: FormatName; env: string; arg: string };

type SchemaOf<T> = { [K in keyof T]: T[K] extends object ? SchemaOf<T[K]> : Leaf<T[K]> };

/** Section titles (used by docs.ts); one per top-level key of the schema. */
export const SECTION_DOCS: Record<keyof AgentConfig, string> = {
  agent: 'The agent process and the media nodes (worker threads) it runs.',
  nats: 'Connection to the NATS cluster bus, and the optional bundled nats-server.',
  cluster: 'The conferencing cluster this agent joins.',
  log: 'Logging (pino).',
  webrtc: 'Media transport (ICE/DTLS/SRTP over UDP, and ICE-TCP).',
  speakers: 'Audio levels (RFC 6464) and active-speaker detection (docs/api.md, onSpeakerUpdate).',
  metrics: 'The HTTP endpoint for operators: Prometheus metrics and health checks.',
};

export const configSchema: SchemaOf<AgentConfig> = {
  agent: {
    idPrefix: {
      doc: 'Prefix of the generated agent id; used inside NATS subjects.',
      format: 'subject-token',
      maxLength: 32,
      default: 'webrtc',
      env: 'AGENT_ID_PREFIX',
      arg: 'agent-id-prefix',
    },
    id: {
      doc: 'Agent id; empty = `<idPrefix>-<random hex>` generated at start. Used inside NATS subjects.',
      format: 'subject-token',
      maxLength: 64,
      allowEmpty: true,
      default: '',
      env: 'AGENT_ID',
      arg: 'agent-id',
    },
    maxNodes: {
      doc: 'Maximum number of media nodes (worker threads); -1 = unlimited.',
      format: 'bounded-int',
      min: 1,
      unlimited: true,
      default: 13,
      env: 'AGENT_MAX_NODES',
      arg: 'agent-max-nodes',
    },
    prerunNodes: {
      doc: 'Nodes started ahead of demand and kept idle; must be <= maxNodes (unless maxNodes = -1).',
      format: 'bounded-int',
      min: 0,
      default: 2,
      env: 'AGENT_PRERUN_NODES',
      arg: 'agent-prerun-nodes',
    },
    reuseNode: {
      doc: 'At maxNodes, put the oldest in-use node back among the idle ones so nodes are shared by rooms in rotation (true), or answer 503 when no idle node is left (false).',
      format: 'bool',
      default: true,
      env: 'AGENT_REUSE_NODE',
      arg: 'agent-reuse-node',
    },
    consumeNodeByRoom: {
      doc: 'Send a task to the node that already holds its room (in-use nodes first, then idle ones) rather than to a fresh node.',
      format: 'bool',
      default: true,
      env: 'AGENT_CONSUME_NODE_BY_ROOM',
      arg: 'agent-consume-node-by-room',
    },
    heartbeatMs: {
      doc: 'Interval of node liveness heartbeats, in milliseconds.',
      format: 'bounded-int',
      min: 50,
      max: 60000,
      default: 1000,
      env: 'AGENT_HEARTBEAT_MS',
      arg: 'agent-heartbeat-ms',
    },
    checkWindowMs: {
      doc: 'A node with no heartbeat for this long (ms) is considered dead; must be > heartbeatMs.',
      format: 'bounded-int',
      min: 1,
      max: 600000,
      default: 3000,
      env: 'AGENT_CHECK_WINDOW_MS',
      arg: 'agent-check-window-ms',
    },
    readyTimeoutMs: {
      doc: 'How long (ms) a new node has to report ready before it is considered failed.',
      format: 'bounded-int',
      min: 100,
      max: 60000,
      default: 1500,
      env: 'AGENT_READY_TIMEOUT_MS',
      arg: 'agent-ready-timeout-ms',
    },
    maxTasksPerNode: {
      doc:
        'Tasks (publications and subscriptions) one node thread takes before getNode places further ' +
        'tasks of the same room on another node; the room then spans nodes, linked by shared-memory rings. ' +
        '0 = no limit (a room never leaves its node).',
      format: 'bounded-int',
      min: 0,
      max: 1000000,
      default: 100,
      env: 'AGENT_MAX_TASKS_PER_NODE',
      arg: 'agent-max-tasks-per-node',
    },
    maxTransportsPerNode: {
      doc:
        'Transports (plain RTP and WebRTC) one node thread holds at most; createPlainTransport and ' +
        'createTransport beyond it answer 503 naming this key. The internal transports towards other ' +
        'agents count too.',
      format: 'bounded-int',
      min: 1,
      max: 100000,
      default: 2000,
      env: 'AGENT_MAX_TRANSPORTS_PER_NODE',
      arg: 'agent-max-transports-per-node',
    },
    maxOperationsPerNode: {
      doc: 'WebRTC publish and subscribe operations one node thread holds at most (503 naming this key beyond).',
      format: 'bounded-int',
      min: 1,
      max: 100000,
      default: 4000,
      env: 'AGENT_MAX_OPERATIONS_PER_NODE',
      arg: 'agent-max-operations-per-node',
    },
    maxTracksPerNode: {
      doc:
        'Tracks one node thread holds at most: published (plain, WebRTC, each simulcast layer) and ' +
        'stand-ins for tracks of other nodes and agents (503 naming this key beyond).',
      format: 'bounded-int',
      min: 1,
      max: 100000,
      default: 2000,
      env: 'AGENT_MAX_TRACKS_PER_NODE',
      arg: 'agent-max-tracks-per-node',
    },
    maxSubscriptionsPerNode: {
      doc:
        'Subscriptions one node thread holds at most, exports to other agents included (503 naming ' +
        'this key beyond). Each video subscription keeps a send buffer for retransmissions (up to ' +
        '~750 KB at high rates), so this also bounds that memory.',
      format: 'bounded-int',
      min: 1,
      max: 100000,
      default: 2000,
      env: 'AGENT_MAX_SUBSCRIPTIONS_PER_NODE',
      arg: 'agent-max-subscriptions-per-node',
    },
    maxExportsPerNode: {
      doc:
        'Tracks one node thread sends to other agents at most (exportTrack on its internal address; ' +
        '503 naming this key beyond). Exports are answered only for live members of the cluster, to ' +
        'the internal addresses their cluster entry lists.',
      format: 'bounded-int',
      min: 1,
      max: 100000,
      default: 1000,
      env: 'AGENT_MAX_EXPORTS_PER_NODE',
      arg: 'agent-max-exports-per-node',
    },
    linkRingBytes: {
      doc:
        'Size in bytes of each shared-memory ring between two node threads (one per direction, made ' +
        'when a track is first linked between them). A full ring drops packets and counts them.',
      format: 'bounded-int',
      min: 65536,
      max: 268435456,
      default: 4194304,
      env: 'AGENT_LINK_RING_BYTES',
      arg: 'agent-link-ring-bytes',
    },
    internalRpcTimeoutMs: {
      doc:
        'Bound (ms) on each request one agent makes to another to set up, end or check media between ' +
        'them (linkup, cutoff, keep-alive). A request that runs out fails the call; it never hangs.',
      format: 'bounded-int',
      min: 100,
      max: 60000,
      default: 3000,
      env: 'AGENT_INTERNAL_RPC_TIMEOUT_MS',
      arg: 'agent-internal-rpc-timeout-ms',
    },
    internalSrtp: {
      doc:
        'Encrypt media between agents (SRTP AEAD_AES_128_GCM on the internal transport; each side draws ' +
        'the key for what it sends and hands it over NATS, so NATS should run over TLS). Every agent ' +
        'of a cluster must use the same setting: a linkup between agents that differ is refused (400). ' +
        'On by default; its cost is in docs/cluster.md.',
      format: 'bool',
      default: true,
      env: 'AGENT_INTERNAL_SRTP',
      arg: 'agent-internal-srtp',
    },
    internalKeepaliveMs: {
      doc:
        'How often (ms) an agent checks, over NATS, that each agent it exchanges media with still ' +
        'serves the internal address; one with no responders (or two checks unanswered) is gone and ' +
        'its links end.',
      format: 'bounded-int',
      min: 100,
      max: 600000,
      default: 2000,
      env: 'AGENT_INTERNAL_KEEPALIVE_MS',
      arg: 'agent-internal-keepalive-ms',
    },
    testHooks: {
      doc: 'Enable test-only node methods. Never enable in production.',
      format: 'bool',
      default: false,
      env: 'AGENT_TEST_HOOKS',
      arg: 'agent-test-hooks',
    },
    shutdownTimeoutMs: {
      doc: 'Graceful shutdown budget (ms) before the process exits anyway.',
      format: 'bounded-int',
      min: 0,
      max: MAX_TIMER_MS,
      default: 5000,
      env: 'AGENT_SHUTDOWN_TIMEOUT_MS',
      arg: 'agent-shutdown-timeout-ms',
    },
    drainOnSigterm: {
      doc:
        'SIGTERM drains instead of stopping at once: the agent leaves scheduling, refuses new rooms ' +
        '(503), keeps serving the rooms it holds until they end or drainTimeoutMs passes, then stops. ' +
        'SIGINT always stops at once.',
      format: 'bool',
      default: false,
      env: 'AGENT_DRAIN_ON_SIGTERM',
      arg: 'agent-drain-on-sigterm',
    },
    drainTimeoutMs: {
      doc:
        'How long (ms) a draining agent waits for its rooms to end before it stops anyway, ending them ' +
        '(the quit event names them). The drain method can give its own bound.',
      format: 'bounded-int',
      min: 0,
      max: MAX_TIMER_MS,
      default: 600000,
      env: 'AGENT_DRAIN_TIMEOUT_MS',
      arg: 'agent-drain-timeout-ms',
    },
  },
  nats: {
    servers: {
      doc: 'Comma-separated NATS server URLs; empty = the local default (see nats.embedded).',
      format: 'nats-servers',
      default: '',
      env: 'NATS_URL',
      arg: 'nats-servers',
    },
    embedded: {
      doc:
        'Bundled nats-server: `auto` = start it when nats.servers is empty and nothing listens on ' +
        '`127.0.0.1:<embeddedPort>`; `always`; `never`.',
      format: 'one-of',
      values: NATS_EMBEDDED_MODES,
      default: 'auto',
      env: 'NATS_EMBEDDED',
      arg: 'nats-embedded',
    },
    embeddedPort: {
      doc: 'Client port of the bundled nats-server (on 127.0.0.1).',
      format: 'port-number',
      default: 4222,
      env: 'NATS_EMBEDDED_PORT',
      arg: 'nats-embedded-port',
    },
    embeddedDataDir: {
      doc: 'Data directory of the bundled nats-server (JetStream); relative = to the working directory.',
      format: 'text',
      default: '.nats-data',
      env: 'NATS_EMBEDDED_DATA_DIR',
      arg: 'nats-embedded-data-dir',
    },
    embeddedRestartAttempts: {
      doc:
        'Restarts of the bundled nats-server after it dies while the agent runs (same port and data ' +
        'directory, back-off doubling from embeddedRestartBackoffMs); when all fail the agent exits 1. 0 = exit at once.',
      format: 'bounded-int',
      min: 0,
      max: 100,
      default: 5,
      env: 'NATS_EMBEDDED_RESTART_ATTEMPTS',
      arg: 'nats-embedded-restart-attempts',
    },
    embeddedRestartBackoffMs: {
      doc: 'Delay before the first restart of the bundled nats-server (ms); doubles per failed attempt.',
      format: 'bounded-int',
      min: 0,
      max: 60_000,
      default: 250,
      env: 'NATS_EMBEDDED_RESTART_BACKOFF_MS',
      arg: 'nats-embedded-restart-backoff-ms',
    },
    credsFile: {
      doc: 'NATS credentials file (user JWT and nkey seed, from nsc); at most one of credsFile, nkeySeedFile, token, user. Read at start.',
      format: 'text',
      allowEmpty: true,
      default: '',
      env: 'NATS_CREDS',
      arg: 'nats-creds-file',
    },
    nkeySeedFile: {
      doc: 'File holding an nkey user seed (`SU...`) to sign the server nonce with. Read at start.',
      format: 'text',
      allowEmpty: true,
      default: '',
      env: 'NATS_NKEY_SEED_FILE',
      arg: 'nats-nkey-seed-file',
    },
    token: {
      doc: 'NATS authentication token. With the bundled nats-server, the server requires it too.',
      format: 'text',
      allowEmpty: true,
      default: '',
      env: 'NATS_TOKEN',
      arg: 'nats-token',
    },
    user: {
      doc: 'NATS user name (with nats.password). With the bundled nats-server, the server requires them too.',
      format: 'text',
      allowEmpty: true,
      default: '',
      env: 'NATS_USER',
      arg: 'nats-user',
    },
    password: {
      doc: 'NATS password (with nats.user).',
      format: 'text',
      allowEmpty: true,
      default: '',
      env: 'NATS_PASSWORD',
      arg: 'nats-password',
    },
    tlsCaFile: {
      doc: 'PEM file of the CA(s) the NATS server certificate must chain to; set = TLS required. Read at start.',
      format: 'text',
      allowEmpty: true,
      default: '',
      env: 'NATS_TLS_CA',
      arg: 'nats-tls-ca-file',
    },
    tlsCertFile: {
      doc: 'PEM client certificate for NATS TLS (with nats.tlsKeyFile; for servers that verify clients). Read at start.',
      format: 'text',
      allowEmpty: true,
      default: '',
      env: 'NATS_TLS_CERT',
      arg: 'nats-tls-cert-file',
    },
    tlsKeyFile: {
      doc: 'PEM private key of nats.tlsCertFile. Read at start.',
      format: 'text',
      allowEmpty: true,
      default: '',
      env: 'NATS_TLS_KEY',
      arg: 'nats-tls-key-file',
    },
    subjectPrefix: {
      doc: 'Prefix of every NATS subject the agent uses (dot-separated tokens).',
      format: 'subject-prefix',
      default: 'webrtc-agent',
      env: 'NATS_SUBJECT_PREFIX',
      arg: 'nats-subject-prefix',
    },
    requestTimeoutMs: {
      doc:
        'Bound (ms) on the agent\'s JetStream requests: the cluster\'s KV reads and writes (rooms, ' +
        'reservations, loss claims); a request that runs out fails the schedule or check it was for. ' +
        'The agents bucket\'s own writes are bounded by cluster.reportIntervalMs, requests to other ' +
        'agents by agent.internalRpcTimeoutMs. Also bounds the first connection to NATS.',
      format: 'bounded-int',
      min: 1,
      max: MAX_TIMER_MS,
      default: 5000,
      env: 'NATS_REQUEST_TIMEOUT_MS',
      arg: 'nats-request-timeout-ms',
    },
  },
  cluster: {
    name: {
      doc: 'Cluster name; used inside NATS subjects.',
      format: 'subject-token',
      maxLength: 32,
      default: 'owt',
      env: 'CLUSTER_NAME',
      arg: 'cluster-name',
    },
    enabled: {
      doc: 'Join the cluster: keep this agent\'s entry in the NATS KV agents bucket, serve the schedule endpoint, watch for lost agents (docs/cluster.md). Needs JetStream.',
      format: 'bool',
      default: true,
      env: 'CLUSTER_ENABLED',
      arg: 'cluster-enabled',
    },
    reportIntervalMs: {
      doc: 'How often the agent refreshes its entry with its load, ms; an entry older than 3 intervals is lost.',
      format: 'bounded-int',
      min: 50,
      max: 60_000,
      default: 1000,
      env: 'CLUSTER_REPORT_INTERVAL_MS',
      arg: 'cluster-report-interval-ms',
    },
    maxLoadPercent: {
      doc: 'An agent whose load is above this (percent; OWT max_load 0.85) takes no new rooms or tasks.',
      format: 'bounded-int',
      min: 1,
      max: 100,
      default: 85,
      env: 'CLUSTER_MAX_LOAD_PERCENT',
      arg: 'cluster-max-load-percent',
    },
    strategy: {
      doc: 'Default scheduling strategy (a request may name another).',
      format: 'one-of',
      values: STRATEGIES,
      default: 'last-used',
      env: 'CLUSTER_STRATEGY',
      arg: 'cluster-strategy',
    },
    isps: {
      doc: 'Comma-separated ISPs this agent serves; empty = any.',
      format: 'text',
      allowEmpty: true,
      default: '',
      env: 'CLUSTER_ISPS',
      arg: 'cluster-isps',
    },
    regions: {
      doc: 'Comma-separated regions this agent is in; requests preferring one of them come here first.',
      format: 'text',
      allowEmpty: true,
      default: '',
      env: 'CLUSTER_REGIONS',
      arg: 'cluster-regions',
    },
    loadMetric: {
      doc: 'What the reported load is: `network` (max of rx/tx Mbit/s on networkInterface / networkMaxScaleMbit, the OWT webrtc load), `cpu` (the machine\'s busy fraction) or `memory` (used fraction).',
      format: 'one-of',
      values: LOAD_METRICS,
      default: 'network',
      env: 'CLUSTER_LOAD_METRIC',
      arg: 'cluster-load-metric',
    },
    networkInterface: {
      doc: 'Interface whose traffic is the network load; `auto` = the interface of the default route (lo when there is none).',
      format: 'text',
      default: 'auto',
      env: 'CLUSTER_NETWORK_INTERFACE',
      arg: 'cluster-network-interface',
    },
    networkMaxScaleMbit: {
      doc: 'Mbit/s that count as a network load of 1.0 (OWT network_max_scale).',
      format: 'bounded-int',
      min: 1,
      max: 1_000_000,
      default: 1000,
      env: 'CLUSTER_NETWORK_MAX_SCALE_MBIT',
      arg: 'cluster-network-max-scale-mbit',
    },
    kvReplicas: {
      doc: 'Replicas of the cluster\'s KV buckets when this agent creates them (3 on a 3-server NATS cluster).',
      format: 'bounded-int',
      min: 1,
      max: 5,
      default: 1,
      env: 'CLUSTER_KV_REPLICAS',
      arg: 'cluster-kv-replicas',
    },
  },
  log: {
    level: {
      doc: 'Minimum log level.',
      format: 'one-of',
      values: LOG_LEVELS,
      default: 'info',
      env: 'LOG_LEVEL',
      arg: 'log-level',
    },
    pretty: {
      doc:
        'Human-readable logs (pino-pretty) or JSON lines: `auto` = text when the logs\' destination ' +
        '(stderr) is a terminal, JSON lines otherwise (systemd, a pipe, a file); `true`/`false` force one.',
      format: 'bool-or-auto',
      default: 'auto',
      env: 'LOG_PRETTY',
      arg: 'log-pretty',
    },
  },
  webrtc: {
    listenIp: {
      doc: 'Local IP address the media UDP sockets bind to.',
      format: 'ipaddress',
      default: '0.0.0.0',
      env: 'WEBRTC_LISTEN_IP',
      arg: 'webrtc-listen-ip',
    },
    announcedIp: {
      doc: 'IP address announced in ICE candidates and as the internal address; empty = listenIp, or, when listening on 0.0.0.0, the first non-loopback IPv4 address of the machine (browsers ignore loopback candidates).',
      format: 'ipaddress',
      allowEmpty: true,
      default: '',
      env: 'WEBRTC_ANNOUNCED_IP',
      arg: 'webrtc-announced-ip',
    },
    portMin: {
      doc: 'Lowest UDP port for media; must be <= portMax.',
      format: 'port-number',
      default: 40000,
      env: 'WEBRTC_PORT_MIN',
      arg: 'webrtc-port-min',
    },
    portMax: {
      doc: 'Highest UDP port for media.',
      format: 'port-number',
      default: 49999,
      env: 'WEBRTC_PORT_MAX',
      arg: 'webrtc-port-max',
    },
    consentTimeoutMs: {
      doc: 'A WebRTC transport with no valid ICE consent check for this long (ms) fails and is freed (RFC 7675: 30 s). Browsers check every 4-6 s; it is also how a vanished client (a crashed tab, a lost network) is noticed. It is disconnected (a warning) after min(7 s, half of this).',
      format: 'bounded-int',
      min: 2000,
      max: 30000,
      default: 30000,
      env: 'WEBRTC_CONSENT_TIMEOUT_MS',
      arg: 'webrtc-consent-timeout-ms',
    },
    tcp: {
      doc: 'ICE-TCP (RFC 6544): each node thread also listens on a TCP port and answers with a `tcptype passive` host candidate beside the UDP one, for clients whose UDP is blocked. Off: UDP only.',
      format: 'bool',
      default: true,
      env: 'WEBRTC_TCP',
      arg: 'webrtc-tcp',
    },
    tcpPortMin: {
      doc: 'Lowest ICE-TCP port; must be <= tcpPortMax. The thread\'s UDP port number is tried first (one number to open in firewalls), then this range.',
      format: 'port-number',
      default: 40000,
      env: 'WEBRTC_TCP_PORT_MIN',
      arg: 'webrtc-tcp-port-min',
    },
    tcpPortMax: {
      doc: 'Highest ICE-TCP port.',
      format: 'port-number',
      default: 49999,
      env: 'WEBRTC_TCP_PORT_MAX',
      arg: 'webrtc-tcp-port-max',
    },
    tcpMaxConnections: {
      doc: 'Most ICE-TCP connections open at once per node thread; more are closed at once (counted in getStats).',
      format: 'bounded-int',
      min: 1,
      max: 65535,
      default: 512,
      env: 'WEBRTC_TCP_MAX_CONNECTIONS',
      arg: 'webrtc-tcp-max-connections',
    },
    tcpIdleTimeoutMs: {
      doc: 'An ICE-TCP connection that has passed no ICE check within this long (ms) is closed.',
      format: 'bounded-int',
      min: 500,
      max: 120000,
      default: 10000,
      env: 'WEBRTC_TCP_IDLE_TIMEOUT_MS',
      arg: 'webrtc-tcp-idle-timeout-ms',
    },
    bwe: {
      enabled: {
        doc: 'Send-side bandwidth estimation towards subscribers: transport-cc is answered on the m-lines the agent sends when the client offers it, every RTP packet sent on that transport carries a transport-wide sequence number, and the client\'s feedback drives a delay- and loss-based estimate per transport (getStats `bwe`). Off: transport-cc is answered only where the client publishes.',
        format: 'bool',
        default: true,
        env: 'WEBRTC_BWE_ENABLED',
        arg: 'webrtc-bwe-enabled',
      },
      initialBitrate: {
        doc: 'The estimate (bits/s) a transport starts from, before any feedback; probing starts at 3x and 6x it. Must be within minBitrate..maxBitrate.',
        format: 'bounded-int',
        min: 50000,
        max: 100000000,
        default: 1000000,
        env: 'WEBRTC_BWE_INITIAL_BITRATE',
        arg: 'webrtc-bwe-initial-bitrate',
      },
      minBitrate: {
        doc: 'The estimate never goes below this (bits/s).',
        format: 'bounded-int',
        min: 10000,
        max: 100000000,
        default: 50000,
        env: 'WEBRTC_BWE_MIN_BITRATE',
        arg: 'webrtc-bwe-min-bitrate',
      },
      maxBitrate: {
        doc: 'The estimate never goes above this (bits/s), and probes never ask for more.',
        format: 'bounded-int',
        min: 50000,
        max: 1000000000,
        default: 20000000,
        env: 'WEBRTC_BWE_MAX_BITRATE',
        arg: 'webrtc-bwe-max-bitrate',
      },
      probing: {
        doc: 'Probe for headroom with bursts of RTP padding on a video subscription\'s RTX stream (at the start, and every 5 s while the media leaves the estimate unused). Off: the estimate only grows with what the media sends.',
        format: 'bool',
        default: true,
        env: 'WEBRTC_BWE_PROBING',
        arg: 'webrtc-bwe-probing',
      },
    },
  },
  speakers: {
    enabled: {
      doc: 'Read the audio level (RFC 6464 ssrc-audio-level, one byte per packet) of every WebRTC audio publication that negotiated it, and detect the dominant and most active speakers per controller (onSpeakerUpdate events). Off: levels are not read, no speaker events.',
      format: 'bool',
      default: true,
      env: 'SPEAKERS_ENABLED',
      arg: 'speakers-enabled',
    },
    intervalMs: {
      doc: 'How often (ms) each node thread hands the levels it read to the detector, and how often the detector decides.',
      format: 'bounded-int',
      min: 20,
      max: 5000,
      default: 100,
      env: 'SPEAKERS_INTERVAL_MS',
      arg: 'speakers-interval-ms',
    },
    windowMs: {
      doc: 'The window (ms) a speaker\'s activity is averaged over: the mean loudness above the noise floor of its packets in the last windowMs (silence and missing packets count as 0).',
      format: 'bounded-int',
      min: 200,
      max: 30000,
      default: 1500,
      env: 'SPEAKERS_WINDOW_MS',
      arg: 'speakers-window-ms',
    },
    activeCount: {
      doc: 'How many of the most active speakers the active set holds (K).',
      format: 'bounded-int',
      min: 1,
      max: 32,
      default: 3,
      env: 'SPEAKERS_ACTIVE_COUNT',
      arg: 'speakers-active-count',
    },
    switchMargin: {
      doc: 'Hysteresis: another speaker becomes dominant only when its activity exceeds the dominant speaker\'s by this much (dB above the noise floor, averaged over the window) ...',
      format: 'bounded-int',
      min: 0,
      max: 127,
      default: 6,
      env: 'SPEAKERS_SWITCH_MARGIN',
      arg: 'speakers-switch-margin',
    },
    holdMs: {
      doc: '... without a break for this long (ms).',
      format: 'bounded-int',
      min: 0,
      max: 30000,
      default: 500,
      env: 'SPEAKERS_HOLD_MS',
      arg: 'speakers-hold-ms',
    },
    minActivity: {
      doc: 'Activity (dB above the noise floor, averaged over the window) below which a participant is not speaking: not in the active set, never made dominant.',
      format: 'bounded-int',
      min: 1,
      max: 127,
      default: 3,
      env: 'SPEAKERS_MIN_ACTIVITY',
      arg: 'speakers-min-activity',
    },
    noiseFloor: {
      doc: 'Levels at or below this loudness (in -dBov as RFC 6464 carries them: 127 is silence) count as no speech, so room noise makes no speaker.',
      format: 'bounded-int',
      min: 0,
      max: 127,
      default: 70,
      env: 'SPEAKERS_NOISE_FLOOR',
      arg: 'speakers-noise-floor',
    },
    activeSetIntervalMs: {
      doc: 'Send the active set (the K most active speakers with their activity) to the controller at most this often (ms) while anyone speaks, and once when everyone fell silent. 0 = never (dominant-speaker changes only).',
      format: 'bounded-int',
      min: 0,
      max: 60000,
      default: 0,
      env: 'SPEAKERS_ACTIVE_SET_INTERVAL_MS',
      arg: 'speakers-active-set-interval-ms',
    },
  },
  metrics: {
    enabled: {
      doc: 'Serve `/metrics` (Prometheus text), `/healthz` and `/readyz` over HTTP (docs/metrics.md). The agent does not start when the address cannot be had.',
      format: 'bool',
      default: true,
      env: 'METRICS_ENABLED',
      arg: 'metrics-enabled',
    },
    listenIp: {
      doc: 'Address the HTTP endpoint listens on (loopback by default: put it on a reachable address for a remote Prometheus).',
      format: 'ipaddress',
      default: '127.0.0.1',
      env: 'METRICS_LISTEN_IP',
      arg: 'metrics-listen-ip',
    },
    port: {
      doc: 'TCP port of the HTTP endpoint; 0 = one the system picks (printed in the ready line).',
      format: 'bounded-int',
      min: 0,
      max: 65535,
      default: 9474,
      env: 'METRICS_PORT',
      arg: 'metrics-port',
    },
  },
};

/** A schema leaf with its dotted path. */
export interface LeafEntry {
  path: string;
  section: keyof AgentConfig;
  leaf: Leaf<unknown>;
}

function isLeaf(node: object): node is Leaf<unknown> {
  return 'default' in node;
}

/** Every leaf of the schema, in declaration order. */
export function schemaLeaves(): LeafEntry[] {
  const out: LeafEntry[] = [];
  const walk = (node: Record<string, unknown>, prefix: string, section: keyof AgentConfig | undefined): void => {
    for (const [k, child] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${k}` : k;
      const sec = section ?? (k as keyof AgentConfig);
      if (isLeaf(child as object)) out.push({ path, section: sec, leaf: child as Leaf<unknown> });
      else walk(child as Record<string, unknown>, path, sec);
    }
  };
  walk(configSchema as unknown as Record<string, unknown>, '', undefined);
  return out;
}

/** The schema defaults as a plain nested object. */
export function schemaDefaults(): AgentConfig {
  const out: Record<string, unknown> = {};
  for (const { path, leaf } of schemaLeaves()) setPath(out, path, leaf.default);
  return out as unknown as AgentConfig;
}

/** Read a dotted path of a plain object (undefined when absent). */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, k)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop() as string;
  let cur = obj;
  for (const k of keys) cur = (cur[k] ??= {}) as Record<string, unknown>;
  cur[last] = value;
}
