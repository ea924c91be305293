/**
 * The agent's part in the cluster: its entry in the agents bucket
 * (Membership), the view of everyone else's (Directory), the schedule
 * endpoint (Scheduler) and agent-loss detection (LossDetector).
 * docs/cluster.md describes the model, the KV layout and the failure behaviour.
 */
import os from 'node:os';
import { JSONCodec, type KV, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { Directory } from './Directory';
import { agentKey, agentsBucket, ClusterSubjects, roomsBucket, splitList, type AgentEntry } from './layout';
import { LoadCollector, type LoadMetric } from './LoadCollector';
import { LossDetector } from './LossDetector';
import { Membership } from './Membership';
import { Scheduler, type Strategy } from './Scheduler';

/** Missed reports before an agent counts as lost. */
export const LOST_AFTER_INTERVALS = 3;
/** The agents bucket's maxAge, in report intervals (entries of dead agents vanish after it). */
export const AGENTS_MAX_AGE_INTERVALS = 10;

export interface ClusterOptions {
  nc: NatsConnection;
  agentId: string;
  cluster: string;
  subjectPrefix: string;
  version: string;
  ip: string;
  reportIntervalMs: number;
  maxLoad: number;
  strategy: Strategy;
  isps: string;
  regions: string;
  loadMetric: LoadMetric;
  networkInterface: string;
  networkMaxScaleMbit: number;
  kvReplicas: number;
  /** Bound (ms) on the JetStream requests of the rooms bucket, reservations and loss claims. */
  requestTimeoutMs: number;
  stats: () => { nodes: number; rooms: string[]; internalAddresses?: string[]; draining?: string };
  log: Logger;
}

const entryCodec = JSONCodec<AgentEntry>();

/** The agents bucket for this agent's periodic reports: every request fails within one report interval (at least 100 ms). */
export function bindReportBucket(nc: NatsConnection, bucket: string, reportIntervalMs: number): Promise<KV> {
  const js = nc.jetstream({ timeout: Math.max(100, reportIntervalMs), checkAPI: false });
  return js.views.kv(bucket, { bindOnly: true });
}

export class Cluster {
  readonly subjects: ClusterSubjects;
  readonly membership: Membership;
  readonly directory: Directory;
  readonly scheduler: Scheduler;
  readonly loss: LossDetector;
  readonly agents: KV;
  readonly rooms: KV;

  private constructor(p: {
    subjects: ClusterSubjects;
    membership: Membership;
    directory: Directory;
    scheduler: Scheduler;
    loss: LossDetector;
    agents: KV;
    rooms: KV;
  }) {
    this.subjects = p.subjects;
    this.membership = p.membership;
    this.directory = p.directory;
    this.scheduler = p.scheduler;
    this.loss = p.loss;
    this.agents = p.agents;
    this.rooms = p.rooms;
  }

  static async start(o: ClusterOptions): Promise<Cluster> {
    const interval = o.reportIntervalMs;
    const lostAfterMs = LOST_AFTER_INTERVALS * interval;
    const js = o.nc.jetstream({ timeout: o.requestTimeoutMs });
    const agents = await js.views.kv(agentsBucket(o.cluster), {
      history: 1,
      ttl: AGENTS_MAX_AGE_INTERVALS * interval,
      replicas: o.kvReplicas,
    });
    // A report that cannot land fails within one interval and the next one
    // goes out on time: a put whose request was lost (its server stopped, a
    // JetStream leader changing) otherwise waits nats.requestTimeoutMs, the
    // reports pause meanwhile, and the others judge this agent lost after 3
    // intervals. nats.js bounds a put by its JetStream client's timeout (a
    // bucket's own `timeout` option bounds nothing), so reports go through a
    // client of their own; bindOnly with checkAPI off makes no request.
    const reportKv = await bindReportBucket(o.nc, agentsBucket(o.cluster), interval);
    // Reads of room entries go to the stream leader (no direct get from a lagging replica).
    const rooms = await js.views.kv(roomsBucket(o.cluster), { history: 1, replicas: o.kvReplicas, allow_direct: false });
    const subjects = new ClusterSubjects(o.subjectPrefix, o.cluster);
    const log = o.log;
    const collector = new LoadCollector({
      metric: o.loadMetric,
      networkInterface: o.networkInterface,
      networkMaxScaleMbit: o.networkMaxScaleMbit,
    });
    const membership = new Membership({
      kv: agents,
      reportKv,
      agentId: o.agentId,
      hostname: os.hostname(),
      ip: o.ip,
      internalAddress: o.ip,
      capacity: { isps: splitList(o.isps), regions: splitList(o.regions) },
      maxLoad: o.maxLoad,
      version: o.version,
      reportIntervalMs: interval,
      collector,
      stats: o.stats,
      log,
    });
    const directory = new Directory(agents, log);
    await directory.start();
    const scheduler = new Scheduler({
      nc: o.nc,
      rooms,
      js,
      roomsBucket: roomsBucket(o.cluster),
      directory,
      subject: subjects.schedule(),
      strategy: o.strategy,
      lostAfterMs,
      log,
    });
    const loss = new LossDetector({
      nc: o.nc,
      agents,
      rooms,
      js,
      agentsBucket: agentsBucket(o.cluster),
      roomsBucket: roomsBucket(o.cluster),
      directory,
      agentId: o.agentId,
      subject: subjects.lost(),
      intervalMs: interval,
      lostAfterMs,
      lastOkAt: () => membership.lastOkAt,
      healthySince: () => membership.healthySince,
      log,
    });
    try {
      await membership.start();
      scheduler.start();
      loss.start();
    } catch (err) {
      await membership.stop().catch(() => undefined);
      await directory.stop().catch(() => undefined);
      throw err;
    }
    log.info({ bucket: agentsBucket(o.cluster), schedule: subjects.schedule(), iface: collector.interfaceName }, 'joined the cluster');
    return new Cluster({ subjects, membership, directory, scheduler, loss, agents, rooms });
  }

  /**
   * Whether `agentId` is a live member of the cluster whose entry lists
   * ip:port as one of its nodes' internal addresses: who may ask this agent
   * to export a track, and where to. The watched directory first; an entry
   * it has not seen yet (a write a moment ago) is read from the bucket.
   */
  async memberAddress(agentId: string, ip: string, port: number): Promise<'ok' | 'not-member' | 'foreign-address'> {
    let e = this.directory.get(agentId);
    const address = `${ip}:${port}`;
    if (!e?.internalAddresses?.includes(address)) {
      const fresh = await this.agents.get(agentKey(agentId)).catch(() => null);
      if (fresh && fresh.operation === 'PUT') {
        try {
          e = entryCodec.decode(fresh.value);
        } catch {
          e = undefined;
        }
      } else if (!e) {
        e = undefined;
      }
    }
    if (!e) return 'not-member';
    return e.internalAddresses?.includes(address) ? 'ok' : 'foreign-address';
  }

  /** Leaves: no more schedules served, no more loss checks, the entry deleted. */
  async stop(): Promise<void> {
    await this.scheduler.stop();
    await this.loss.stop();
    await this.membership.stop();
    await this.directory.stop();
  }
}
