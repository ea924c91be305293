/**
 * The agent: config in, NATS connected, node threads running, the service
 * registered, the cluster joined (when cluster.enabled; docs/cluster.md).
 * Close cascade (Agent.stop): leave the cluster (no schedules served, the KV
 * entry deleted) -> stop taking requests (service and node subscriptions end)
 * -> publish 'quit' -> end every node thread -> drain NATS -> stop the
 * embedded nats-server, if this agent started one.
 * Drain (Agent.drain): leave scheduling, take no new rooms, serve the rooms
 * held until they end or the drain's bound passes, then the close cascade.
 *
 * Events: 'draining' (DrainState), 'stopping' (reason): the close cascade began.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { Cluster } from './cluster/Cluster';
import { AgentMetrics } from './metrics/AgentMetrics';
import { HealthServer, type Verdict } from './metrics/HealthServer';
import type { NodeMetricsReply } from './node/NodeMetrics';
import type { AgentConfig } from './config/load';
import { UnavailableError } from './errors';
import { createLogger } from './log';
import { LogLevels } from './LogLevels';
import type { NodeHooks } from './node/protocol';
import { LinkManager } from './pool/LinkManager';
import { NodeManager, type RoomTasks } from './pool/NodeManager';
import { AgentBridge } from './rpc/AgentBridge';
import { AgentService } from './rpc/AgentService';
import { EventPublisher } from './rpc/EventPublisher';
import { EmbeddedNats } from './rpc/EmbeddedNats';
import { embeddedAuthorization, natsAuthOptions } from './rpc/natsAuth';
import { isListening } from './rpc/NatsServerProcess';
import { NatsWatch } from './rpc/NatsWatch';
import { SERVICE_NAME, Subjects } from './rpc/subjects';
import { SlotManager } from './speakers/SlotManager';
import { SpeakerService } from './speakers/SpeakerService';
import { VERSION } from './version';

export interface AgentStartOptions {
  log?: Logger;
  /** Test-only: hooks for the next nodes started, in order. */
  nextNodeHooks?: NodeHooks[];
}

/** A drain under way: why, since when, until when at the latest, and the rooms still held. */
export interface DrainState {
  reason: string;
  since: number;
  deadline: number;
  rooms: RoomTasks[];
}

export interface AgentEvents {
  draining: [state: DrainState];
  stopping: [reason: string];
}

export class Agent extends EventEmitter<AgentEvents> {
  readonly id: string;
  readonly natsUrl: string;
  readonly nc: NatsConnection;
  readonly nodes: NodeManager;
  readonly subjects: Subjects;
  readonly log: Logger;
  readonly #service: AgentService;
  readonly #events: EventPublisher;
  readonly #embedded: EmbeddedNats | undefined;
  /** The cluster membership; undefined when cluster.enabled is false. */
  readonly cluster: Cluster | undefined;
  /** Media between agents (linkup/cutoff, the internal addresses served). */
  readonly remote: AgentBridge;
  /** Prometheus metrics (always collected; served over HTTP when metrics.enabled). */
  readonly metrics: AgentMetrics;
  /** Speaker detection (onSpeakerUpdate); undefined when speakers.enabled is false. */
  readonly speakers: SpeakerService | undefined;
  readonly #http: HealthServer | undefined;
  readonly #nats: NatsWatch;
  #stopping: Promise<void> | undefined;
  readonly #drainTimeoutMs: number;
  #drain: DrainState | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  readonly #onNodeGone = () => this.#checkDrained();

  private constructor(p: {
    id: string;
    natsUrl: string;
    nc: NatsConnection;
    nodes: NodeManager;
    subjects: Subjects;
    log: Logger;
    service: AgentService;
    events: EventPublisher;
    embedded: EmbeddedNats | undefined;
    cluster: Cluster | undefined;
    remote: AgentBridge;
    metrics: AgentMetrics;
    http: HealthServer | undefined;
    nats: NatsWatch;
    drainTimeoutMs: number;
    speakers: SpeakerService | undefined;
  }) {
    super();
    this.id = p.id;
    this.natsUrl = p.natsUrl;
    this.nc = p.nc;
    this.nodes = p.nodes;
    this.subjects = p.subjects;
    this.log = p.log;
    this.#service = p.service;
    this.#events = p.events;
    this.#embedded = p.embedded;
    this.cluster = p.cluster;
    this.remote = p.remote;
    this.#drainTimeoutMs = p.drainTimeoutMs;
    this.metrics = p.metrics;
    this.#http = p.http;
    this.#nats = p.nats;
    this.speakers = p.speakers;
  }

  /** Where /metrics, /healthz and /readyz are served; undefined when metrics.enabled is false. */
  get metricsUrl(): string | undefined {
    return this.#http?.url;
  }

  /**
   * /healthz: the process answers, NATS is connected, and every ready node
   * thread's heartbeat moved within max(2 heartbeats, half the check window)
   * (the liveness check ends a node at the whole window).
   */
  health(): Verdict {
    const reasons: string[] = [];
    if (!this.#nats.connected) reasons.push('NATS is not connected');
    const staleMs = Math.max(2 * this.nodes.heartbeatMs, this.nodes.checkWindowMs / 2);
    const beats = this.nodes.heartbeats();
    for (const b of beats) if (b.beatAgeMs > staleMs) reasons.push(`node ${b.id}: no heartbeat for ${b.beatAgeMs} ms`);
    if (this.#stopping) reasons.push('the agent is stopping');
    return { ok: reasons.length === 0, reasons, nats: this.#nats.connected, nodes: beats.length };
  }

  /**
   * /readyz, and the ONE place that says whether this agent takes new rooms:
   * not stopping, and (in a cluster) a load reported and not above maxLoad,
   * the same rule the cluster's scheduler applies to this agent's entry.
   */
  readiness(): Verdict {
    const reasons: string[] = [];
    if (this.#stopping || this.nodes.closing) reasons.push('the agent is stopping');
    if (this.nodes.draining !== undefined) reasons.push(`the agent is draining (${this.nodes.draining})`);
    const last = this.cluster?.membership.last;
    const load = last?.load ?? null;
    const maxLoad = last?.maxLoad ?? null;
    if (this.cluster) {
      if (load === null) reasons.push('no load reported to the cluster yet');
      else if (maxLoad !== null && load > maxLoad) reasons.push(`load ${load.toFixed(3)} is above maxLoad ${maxLoad}`);
    }
    return { ok: reasons.length === 0, reasons, load, maxLoad };
  }

  get serviceName(): string {
    return SERVICE_NAME;
  }

  /** The supervised embedded nats-server, when this agent started one. */
  get embeddedNats(): EmbeddedNats | undefined {
    return this.#embedded;
  }

  static async start(cfg: AgentConfig, opts: AgentStartOptions = {}): Promise<Agent> {
    const id = cfg.agent.id || `${cfg.agent.idPrefix}-${randomBytes(4).toString('hex')}`;
    const log = opts.log ?? createLogger(cfg.log, { agent: id });
    const logLevels = new LogLevels(log);
    const { servers, embedded } = await resolveNats(cfg, log);
    let nc: NatsConnection | undefined;
    let nodes: NodeManager | undefined;
    let service: AgentService | undefined;
    let agentBridge: AgentBridge | undefined;
    let http: HealthServer | undefined;
    // The service answers `drain` for the agent it is part of, made last.
    let self: Agent | undefined;
    try {
      // One connection for everything (agent API, nodes, cluster KV, media between agents): one set of credentials.
      nc = await connect({
        servers,
        name: id,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        timeout: cfg.nats.requestTimeoutMs,
        ...natsAuthOptions(cfg.nats),
      });
      logNatsStatus(nc, log);
      const nats = new NatsWatch(nc);
      const subjects = new Subjects(cfg.nats.subjectPrefix, id);
      const events = new EventPublisher(nc, subjects);
      nodes = new NodeManager({
        agentId: id,
        maxNodes: cfg.agent.maxNodes,
        prerunNodes: cfg.agent.prerunNodes,
        reuseNode: cfg.agent.reuseNode,
        consumeNodeByRoom: cfg.agent.consumeNodeByRoom,
        heartbeatMs: cfg.agent.heartbeatMs,
        checkWindowMs: cfg.agent.checkWindowMs,
        readyTimeoutMs: cfg.agent.readyTimeoutMs,
        testHooks: cfg.agent.testHooks,
        logLevel: cfg.log.level,
        internalIp: announcedIp(cfg),
        media: {
          listenIp: cfg.webrtc.listenIp,
          announcedIp: announcedIp(cfg),
          portMin: cfg.webrtc.portMin,
          portMax: cfg.webrtc.portMax,
          consentTimeoutMs: cfg.webrtc.consentTimeoutMs,
          bwe: cfg.webrtc.bwe.enabled
            ? {
                initialBitrate: cfg.webrtc.bwe.initialBitrate,
                minBitrate: cfg.webrtc.bwe.minBitrate,
                maxBitrate: cfg.webrtc.bwe.maxBitrate,
                probing: cfg.webrtc.bwe.probing,
              }
            : undefined,
          tcp: cfg.webrtc.tcp
            ? {
                portMin: cfg.webrtc.tcpPortMin,
                portMax: cfg.webrtc.tcpPortMax,
                maxConnections: cfg.webrtc.tcpMaxConnections,
                idleTimeoutMs: cfg.webrtc.tcpIdleTimeoutMs,
              }
            : undefined,
          speakers: cfg.speakers.enabled ? { intervalMs: cfg.speakers.intervalMs, noiseFloor: cfg.speakers.noiseFloor } : undefined,
          limits: {
            transports: cfg.agent.maxTransportsPerNode,
            operations: cfg.agent.maxOperationsPerNode,
            tracks: cfg.agent.maxTracksPerNode,
            subscriptions: cfg.agent.maxSubscriptionsPerNode,
          },
        },
        maxTasksPerNode: cfg.agent.maxTasksPerNode,
        log: logLevels.module('pool'),
        nextNodeHooks: opts.nextNodeHooks,
      });
      nodes.on('abnormal', (q) => events.abnormal(q));
      nodes.on('nodeEvent', (nodeId, ev) => events.toController(nodeId, ev));
      const sp = cfg.speakers;
      const speakers = sp.enabled
        ? new SpeakerService(nodes, {
            intervalMs: sp.intervalMs,
            windowMs: sp.windowMs,
            activeCount: sp.activeCount,
            switchMargin: sp.switchMargin,
            holdMs: sp.holdMs,
            minActivity: sp.minActivity,
            activeSetIntervalMs: sp.activeSetIntervalMs,
          })
        : undefined;
      speakers?.on('update', (controller, payload) => events.speakerUpdate(controller, payload));
      const links = new LinkManager({ nodes, ringBytes: cfg.agent.linkRingBytes, log: logLevels.module('links') });
      const remote = new AgentBridge({
        nc,
        subjects,
        nodes,
        links,
        agentId: id,
        rpcTimeoutMs: cfg.agent.internalRpcTimeoutMs,
        keepaliveMs: cfg.agent.internalKeepaliveMs,
        srtp: cfg.agent.internalSrtp,
        maxExportsPerNode: cfg.agent.maxExportsPerNode,
        log: logLevels.module('links'),
      });
      agentBridge = remote;
      // Speaker slots pick their sources in front of the node API path.
      const slots = new SlotManager({
        nodes,
        next: remote,
        speakers,
        emit: (controller, update) => events.speakerUpdate(controller, update),
        log: logLevels.module('links'),
      });
      const nm0 = nodes;
      let clusterRef: Cluster | undefined;
      const metrics = new AgentMetrics({
        agentId: id,
        nodes: () => nm0.nodes(),
        heartbeats: () => nm0.heartbeats(),
        readNode: (nodeId) => nm0.call(nodeId, 'metrics', {}, true) as Promise<NodeMetricsReply>,
        load: () => {
          const last = clusterRef?.membership.last;
          if (!last || last.load === null) return undefined;
          return { load: last.load, maxLoad: last.maxLoad, parts: last.metrics ?? {} };
        },
        decisions: () => clusterRef?.scheduler.decisions() ?? [],
        health: () => {
          const h = self?.health();
          return { healthy: h?.ok ?? false, natsConnected: nats.connected };
        },
        readiness: () => ({ ready: self?.readiness().ok ?? false }),
      });
      await nodes.start();
      remote.start();
      service = await AgentService.start({
        nc,
        nodes,
        nodeApi: slots,
        subjects,
        agentId: id,
        cluster: cfg.cluster.name,
        version: VERSION,
        drain: (reason, timeoutMs) => {
          if (!self) throw new UnavailableError('agent is starting');
          return self.drain(reason, timeoutMs);
        },
        logLevels,
        log,
        onRequest: (method, code, seconds) => metrics.observeRpc(method, code, seconds),
        statsData: () => metrics.summary(),
      });
      const nm = nodes;
      const cluster = cfg.cluster.enabled
        ? await Cluster.start({
            nc,
            agentId: id,
            cluster: cfg.cluster.name,
            subjectPrefix: cfg.nats.subjectPrefix,
            version: VERSION,
            ip: announcedIp(cfg),
            reportIntervalMs: cfg.cluster.reportIntervalMs,
            maxLoad: cfg.cluster.maxLoadPercent / 100,
            strategy: cfg.cluster.strategy,
            isps: cfg.cluster.isps,
            regions: cfg.cluster.regions,
            loadMetric: cfg.cluster.loadMetric,
            networkInterface: cfg.cluster.networkInterface,
            networkMaxScaleMbit: cfg.cluster.networkMaxScaleMbit,
            kvReplicas: cfg.cluster.kvReplicas,
            requestTimeoutMs: cfg.nats.requestTimeoutMs,
            stats: () => {
              const list = nm.nodes();
              return {
                nodes: list.length,
                rooms: [...new Set(list.flatMap((n) => n.rooms.map((r) => r.room)))],
                internalAddresses: remote.addresses(),
                draining: nm.draining,
              };
            },
            log: logLevels.module('cluster'),
          })
        : undefined;
      clusterRef = cluster;
      if (cfg.metrics.enabled) {
        http = await HealthServer.start({
          host: cfg.metrics.listenIp,
          port: cfg.metrics.port,
          scrape: () => metrics.scrape(),
          contentType: metrics.contentType,
          health: () => self!.health(),
          readiness: () => self!.readiness(),
          log,
        });
      }
      if (cluster) {
        remote.setGate({
          memberAddress: (agentId, ip, port) => cluster.memberAddress(agentId, ip, port),
          ensureListed: (address) => cluster.membership.ensureListed(address),
        });
      }
      self = new Agent({
        id,
        natsUrl: servers.join(','),
        nc,
        nodes,
        subjects,
        log,
        service,
        events,
        embedded,
        cluster,
        remote,
        drainTimeoutMs: cfg.agent.drainTimeoutMs,
        metrics,
        http,
        nats,
        speakers,
      });
      return self;
    } catch (err) {
      await http?.stop().catch(() => undefined);
      await agentBridge?.stop().catch(() => undefined);
      await service?.stop().catch(() => undefined);
      await nodes?.close().catch(() => undefined);
      await nc?.close().catch(() => undefined);
      await embedded?.stop().catch(() => undefined);
      throw err;
    }
  }

  /** The drain under way, if any. */
  get draining(): DrainState | undefined {
    return this.#drain && { ...this.#drain, rooms: this.nodes.rooms() };
  }

  /**
   * Takes the agent out of service without cutting calls: its cluster entry
   * says draining (the scheduler passes it by), getNode answers 503 for a
   * room no node holds, the 'draining' event names the rooms held and the
   * deadline; when the last room is recycled, or at the deadline, the close
   * cascade runs ('drained' / 'drain-timeout'). Calling it again changes
   * nothing and answers the drain under way.
   */
  async drain(reason = 'drain', timeoutMs = this.#drainTimeoutMs): Promise<DrainState> {
    if (this.#stopping) throw new UnavailableError('agent is shutting down');
    if (!this.#drain) {
      const since = Date.now();
      const state: DrainState = { reason, since, deadline: since + timeoutMs, rooms: [] };
      this.#drain = state;
      state.rooms = await this.nodes.drain(reason);
      this.log.info({ reason, timeoutMs, rooms: state.rooms.length }, 'draining');
      this.#events.draining(reason, state.rooms, state.deadline);
      this.emit('draining', { ...state });
      if (this.#stopping) return { ...state };
      this.#drainTimer = setTimeout(() => void this.stop('drain-timeout'), timeoutMs);
      this.#drainTimer.unref();
      this.nodes.on('nodeGone', this.#onNodeGone);
      await this.cluster?.membership.report().catch((err: Error) => this.log.warn({ err: err.message }, 'could not report draining'));
      this.#checkDrained();
    }
    return this.draining!;
  }

  #checkDrained(): void {
    if (this.#drain && !this.#stopping && this.nodes.rooms().length === 0) void this.stop('drained');
  }

  /** The close cascade; safe to call more than once. */
  stop(reason = 'shutdown'): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = this.#stop(reason);
      this.emit('stopping', reason);
    }
    return this.#stopping;
  }

  async #stop(reason: string): Promise<void> {
    if (this.#drainTimer) clearTimeout(this.#drainTimer);
    this.nodes.off('nodeGone', this.#onNodeGone);
    // Health answers 503 from the first moment of the stop; the listener goes last but one.
    await this.cluster?.stop().catch((err: Error) => this.log.warn({ err: err.message }, 'leaving the cluster failed'));
    await this.remote.stop();
    await this.#service.stop();
    if (!this.nc.isClosed()) {
      this.#events.quit(reason, this.nodes.rooms());
      await this.nc.flush().catch(() => undefined);
    }
    await this.nodes.close();
    this.speakers?.close();
    await this.#http?.stop();
    await this.nc.drain().catch(() => undefined);
    await this.#embedded?.stop();
  }
}

/** Which NATS to use, starting the embedded one when the config says so. */
async function resolveNats(
  cfg: AgentConfig,
  log: Logger,
): Promise<{ servers: string[]; embedded: EmbeddedNats | undefined }> {
  const configured = cfg.nats.servers
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const port = cfg.nats.embeddedPort;
  const local = `nats://127.0.0.1:${port}`;
  const mode = cfg.nats.embedded;
  if (mode === 'never') return { servers: configured.length ? configured : [local], embedded: undefined };
  if (mode === 'auto') {
    if (configured.length) return { servers: configured, embedded: undefined };
    if (await isListening('127.0.0.1', port)) {
      log.info({ url: local }, 'using the NATS server already listening');
      return { servers: [local], embedded: undefined };
    }
  }
  const dataDir = path.resolve(cfg.nats.embeddedDataDir);
  const embedded = await EmbeddedNats.start({
    port,
    dataDir,
    restartAttempts: cfg.nats.embeddedRestartAttempts,
    restartBackoffMs: cfg.nats.embeddedRestartBackoffMs,
    authorization: embeddedAuthorization(cfg.nats),
  });
  log.info({ url: embedded.url, dataDir, pid: embedded.pid }, 'started embedded nats-server');
  embedded.on('exited', (e) => log.error({ url: embedded.url, code: e.code, signal: e.signal }, 'embedded nats-server exited; restarting it'));
  embedded.on('restarted', (url, pid) => log.warn({ url, pid, restarts: embedded.restarts }, 'embedded nats-server restarted'));
  return { servers: [embedded.url], embedded };
}

/** Logs the connection's disconnects and reconnects (and errors) with the server URL, until it closes. */
function logNatsStatus(nc: NatsConnection, log: Logger): void {
  void (async () => {
    for await (const s of nc.status()) {
      const url = typeof s.data === 'string' ? s.data : undefined;
      if (s.type === 'disconnect') log.warn({ url }, 'NATS disconnected');
      else if (s.type === 'reconnect') log.info({ url }, 'NATS reconnected');
      else if (s.type === 'error') log.warn({ err: String(s.data) }, 'NATS error');
      else if (s.type === 'ldm') log.warn({ url }, 'NATS server entering lame duck mode');
    }
  })().catch(() => undefined);
}

/**
 * The address put in ICE candidates and internal addresses: the configured
 * one, else the listen address, else (listening on every interface) the
 * machine's first non-loopback IPv4 address: browsers ignore loopback
 * candidates, so 127.0.0.1 would work for tests only.
 */
export function announcedIp(cfg: AgentConfig, interfaces = os.networkInterfaces()): string {
  if (cfg.webrtc.announcedIp) return cfg.webrtc.announcedIp;
  if (cfg.webrtc.listenIp !== '0.0.0.0') return cfg.webrtc.listenIp;
  for (const addrs of Object.values(interfaces)) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
