/**
 * The agent's Prometheus metrics (prom-client, one registry per agent so two
 * agents in one process never share series). docs/metrics.md lists every
 * family, its labels and what it means.
 *
 * A scrape reads each node thread ONCE (the internal node method `metrics`,
 * one native mediaStats() read inside the thread, aggregated there), all
 * nodes in parallel, each bounded by NODE_READ_TIMEOUT_MS so a hung node
 * cannot hang the scrape. Concurrent scrapes (Prometheus, $SRV.STATS) share
 * one read. Nothing is counted per packet: the native counters exist anyway.
 *
 * Per-node series are rebuilt from scratch on every scrape (reset, then set),
 * so the series of a node that ended disappear with it.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { NodeMetricsReply } from '../node/NodeMetrics';

/** What AgentMetrics reads from the rest of the agent (the Agent fills it in). */
export interface MetricsSource {
  agentId: string;
  /** Node ids with their state and list (NodeManager.nodes()). */
  nodes(): { id: string; state: string; list: string; rooms: { room: string }[] }[];
  heartbeats(): { id: string; beatAgeMs: number }[];
  /** One metrics read of a node thread (NodeManager.call(id, 'metrics', {}, true)). */
  readNode(nodeId: string): Promise<NodeMetricsReply>;
  /** The last load report, or undefined (no cluster, or none yet). */
  load(): { load: number; maxLoad: number; parts: Record<string, number> } | undefined;
  decisions(): { strategy: string; result: string; count: number }[];
  health(): { healthy: boolean; natsConnected: boolean };
  readiness(): { ready: boolean };
}

/** Summary mirrored into each endpoint's `data` in `$SRV.STATS`. */
export interface StatsSummary {
  nodes: number;
  rooms: number;
  transports: number;
  tracks: number;
  subscriptions: number;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  drops: number;
  load: number | null;
  healthy: boolean;
  ready: boolean;
}

export const NODE_READ_TIMEOUT_MS = 1000;
/** A read younger than this serves further scrapes ($SRV.STATS asks once per endpoint). */
const REUSE_READ_MS = 250;

const P = 'webrtc_agent_';

export class AgentMetrics {
  readonly registry = new Registry();
  readonly #src: MetricsSource;
  #reading: Promise<Map<string, NodeMetricsReply>> | undefined;
  #lastRead: { at: number; replies: Map<string, NodeMetricsReply> } | undefined;

  readonly #nodes: Gauge<'state' | 'list'>;
  readonly #rooms: Gauge;
  readonly #transports: Gauge<'node' | 'type'>;
  readonly #tracks: Gauge<'node' | 'kind'>;
  readonly #subscriptions: Gauge<'node' | 'kind'>;
  readonly #packets: Counter<'node' | 'direction' | 'protocol'>;
  readonly #bytes: Counter<'node' | 'direction'>;
  readonly #drops: Counter<'node' | 'where' | 'reason'>;
  readonly #nack: Counter<'node' | 'direction'>;
  readonly #nackMissed: Counter<'node'>;
  readonly #rtx: Counter<'node' | 'direction'>;
  readonly #keyframes: Counter<'node' | 'direction'>;
  readonly #keyframesMerged: Counter<'node'>;
  readonly #rtt: Histogram<'node'>;
  readonly #loss: Histogram<'node' | 'side'>;
  readonly #jitter: Histogram<'node' | 'side'>;
  readonly #beatAge: Gauge<'node'>;
  readonly #loopDelay: Gauge<'node' | 'stat'>;
  readonly #heap: Gauge<'node'>;
  readonly #readSeconds: Gauge<'node'>;
  readonly #readErrors: Counter<'node'>;
  readonly #ringFill: Gauge<'node' | 'peer'>;
  readonly #ringRecords: Counter<'node' | 'direction'>;
  readonly #rpc: Histogram<'method' | 'code'>;
  readonly #load: Gauge<'metric'>;
  readonly #maxLoad: Gauge;
  readonly #decisions: Counter<'strategy' | 'result'>;
  readonly #healthy: Gauge;
  readonly #ready: Gauge;
  readonly #nats: Gauge;
  /** Distinct RPC method labels; capped so no caller can grow the series without bound. */
  readonly #rpcMethods = new Set<string>();

  constructor(src: MetricsSource) {
    this.#src = src;
    const r = this.registry;
    r.setDefaultLabels({ agent: src.agentId });
    collectDefaultMetrics({ register: r });
    const gauge = <L extends string>(name: string, help: string, labelNames: L[] = []): Gauge<L> =>
      new Gauge({ name: P + name, help, labelNames, registers: [r] });
    const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
      new Counter({ name: P + name, help, labelNames, registers: [r] });
    const hist = <L extends string>(name: string, help: string, labelNames: L[], buckets: number[]): Histogram<L> =>
      new Histogram({ name: P + name, help, labelNames, buckets, registers: [r] });

    this.#nodes = gauge('nodes', 'Node threads by state (starting, ready) and list (idle, in-use).', ['state', 'list']);
    this.#rooms = gauge('rooms', 'Rooms held by this agent.');
    this.#transports = gauge('transports', 'Transports per node thread, by type (plain, webrtc, internal).', ['node', 'type']);
    this.#tracks = gauge('tracks', 'Tracks per node thread, by kind.', ['node', 'kind']);
    this.#subscriptions = gauge('subscriptions', 'Subscriptions per node thread, by kind of their track.', ['node', 'kind']);
    this.#packets = counter('packets_total', 'RTP and RTCP packets received (in) and sent (out) by transports.', ['node', 'direction', 'protocol']);
    this.#bytes = counter('bytes_total', 'Bytes received (in) and sent (out) by transports.', ['node', 'direction']);
    this.#drops = counter('drops_total', 'Packets dropped, by where (transport, track, subscription, ring, webrtcPort, internalPort) and reason.', ['node', 'where', 'reason']);
    this.#nack = counter('nack_packets_total', 'Sequence numbers NACKed: to_publishers (asked by the agent), from_subscribers (asked of the agent).', ['node', 'direction']);
    this.#nackMissed = counter('nack_missed_total', 'Sequence numbers subscribers NACKed that were no longer in the send buffer.', ['node']);
    this.#rtx = counter('retransmissions_total', 'Retransmissions received from publishers (in) and sent to subscribers (out).', ['node', 'direction']);
    this.#keyframes = counter('keyframe_requests_total', 'Key-frame requests: PLI/FIR from_subscribers, PLI sent to_publishers.', ['node', 'direction']);
    this.#keyframesMerged = counter('keyframe_requests_merged_total', 'Key-frame requests merged into one already sent (at most one per track per second).', ['node']);
    this.#rtt = hist('subscriber_rtt_seconds', 'Round-trip time of each subscription, from its receiver reports (a snapshot over current subscriptions).', ['node'], [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6]);
    this.#loss = hist('fraction_lost', 'Fraction lost in the last report interval, per subscription (side=subscriber) or published track (side=publisher); a snapshot.', ['node', 'side'], [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]);
    this.#jitter = hist('jitter_seconds', 'Interarrival jitter per subscription (side=subscriber, as reported) or published track (side=publisher); a snapshot.', ['node', 'side'], [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2]);
    this.#beatAge = gauge('node_heartbeat_age_seconds', 'Time since the node thread last bumped its heartbeat.', ['node']);
    this.#loopDelay = gauge('node_event_loop_delay_seconds', "Event-loop delay of the node thread since the previous scrape (stat: mean, p50, p99, max).", ['node', 'stat']);
    this.#heap = gauge('node_heap_used_bytes', 'V8 heap used by the node thread.', ['node']);
    this.#readSeconds = gauge('node_metrics_read_seconds', 'How long reading this node for the scrape took (the thread hop and the native read).', ['node']);
    this.#readErrors = counter('node_metrics_read_errors_total', 'Scrapes that got no answer from a node in time (its series are left out of that scrape).', ['node']);
    this.#ringFill = gauge('ring_fill_ratio', 'Fill (0..1) of the shared-memory ring from this node thread to a peer thread.', ['node', 'peer']);
    this.#ringRecords = counter('ring_records_total', 'Packets through the shared-memory rings: out (written), in (read).', ['node', 'direction']);
    this.#rpc = hist('rpc_duration_seconds', 'NATS requests answered, by method (agent method, or node.<method>) and code (200 or the error code); _count is the request count.', ['method', 'code'], [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);
    this.#load = gauge('cluster_load', 'The load last reported to the cluster: metric=load (what scheduling uses), network, cpu, processCpu, memory.', ['metric']);
    this.#maxLoad = gauge('cluster_max_load', 'Above this load the agent takes no new rooms (cluster.maxLoadPercent / 100).');
    this.#decisions = counter('schedule_decisions_total', 'Schedule requests this agent answered for the cluster, by strategy and result (ok or the error code).', ['strategy', 'result']);
    this.#healthy = gauge('healthy', '1 when /healthz answers 200 (NATS connected, every node heartbeating).');
    this.#ready = gauge('ready', '1 when /readyz answers 200 (the agent takes new rooms).');
    this.#nats = gauge('nats_connected', '1 while the NATS connection is up.');
  }

  /** Records one answered NATS request (AgentService's onRequest). */
  observeRpc(method: string, code: number, seconds: number): void {
    if (!this.#rpcMethods.has(method)) {
      if (this.#rpcMethods.size >= 256) method = 'other';
      else this.#rpcMethods.add(method);
    }
    this.#rpc.observe({ method, code: String(code) }, seconds);
  }

  /** The Prometheus text exposition of everything, read now. */
  async scrape(): Promise<string> {
    // Health as it is when the scrape comes, not after the node reads (a hung
    // node would have time to recover while its read times out).
    const health = this.#src.health();
    const ready = this.#src.readiness().ready;
    this.#fill(await this.#read(false), health, ready);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The summary for `$SRV.STATS`. */
  async summary(): Promise<StatsSummary> {
    const replies = await this.#read(true);
    const s: StatsSummary = {
      nodes: 0, rooms: 0, transports: 0, tracks: 0, subscriptions: 0,
      packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, drops: 0,
      load: this.#src.load()?.load ?? null,
      healthy: this.#src.health().healthy,
      ready: this.#src.readiness().ready,
    };
    const nodes = this.#src.nodes();
    s.nodes = nodes.length;
    s.rooms = new Set(nodes.flatMap((n) => n.rooms.map((r) => r.room))).size;
    for (const m of replies.values()) {
      s.transports += sum(Object.values(m.transports));
      s.tracks += m.tracks.audio + m.tracks.video;
      s.subscriptions += m.subscriptions.audio + m.subscriptions.video;
      for (const [k, v] of Object.entries(m.totals)) {
        if (k.startsWith('packets.in.')) s.packetsIn += v;
        else if (k.startsWith('packets.out.')) s.packetsOut += v;
        else if (k === 'bytes.in') s.bytesIn += v;
        else if (k === 'bytes.out') s.bytesOut += v;
        else if (k.startsWith('drops.')) s.drops += v;
      }
    }
    return s;
  }

  /** Every ready node read once, in parallel; shared by concurrent callers (and, with reuse, by calls right after). */
  #read(reuse: boolean): Promise<Map<string, NodeMetricsReply>> {
    const last = this.#lastRead;
    if (reuse && last && performance.now() - last.at < REUSE_READ_MS) return Promise.resolve(last.replies);
    this.#reading ??= this.#readNodes().finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  async #readNodes(): Promise<Map<string, NodeMetricsReply>> {
    const out = new Map<string, NodeMetricsReply>();
    this.#readSeconds.reset();
    const ids = this.#src.nodes().filter((n) => n.state === 'ready').map((n) => n.id);
    await Promise.all(
      ids.map(async (id) => {
        const t0 = performance.now();
        try {
          out.set(id, await withTimeout(this.#src.readNode(id), NODE_READ_TIMEOUT_MS));
          this.#readSeconds.set({ node: id }, (performance.now() - t0) / 1000);
        } catch {
          this.#readErrors.inc({ node: id });
        }
      }),
    );
    this.#lastRead = { at: performance.now(), replies: out };
    return out;
  }

  #fill(replies: Map<string, NodeMetricsReply>, h: { healthy: boolean; natsConnected: boolean }, ready: boolean): void {
    const src = this.#src;
    const nodes = src.nodes();
    this.#nodes.reset();
    for (const n of nodes) this.#nodes.inc({ state: n.state, list: n.list });
    this.#rooms.set(new Set(nodes.flatMap((n) => n.rooms.map((r) => r.room))).size);
    this.#beatAge.reset();
    for (const b of src.heartbeats()) this.#beatAge.set({ node: b.id }, b.beatAgeMs / 1000);

    for (const m of [this.#transports, this.#tracks, this.#subscriptions, this.#loopDelay, this.#heap, this.#ringFill]) m.reset();
    for (const m of [this.#packets, this.#bytes, this.#drops, this.#nack, this.#nackMissed, this.#rtx, this.#keyframes, this.#keyframesMerged, this.#ringRecords]) m.reset();
    for (const m of [this.#rtt, this.#loss, this.#jitter]) m.reset();

    for (const [node, m] of replies) {
      for (const [type, n] of Object.entries(m.transports)) this.#transports.set({ node, type }, n);
      for (const kind of ['audio', 'video'] as const) {
        this.#tracks.set({ node, kind }, m.tracks[kind]);
        this.#subscriptions.set({ node, kind }, m.subscriptions[kind]);
      }
      const t = (k: string): number => m.totals[k] ?? 0;
      for (const direction of ['in', 'out'] as const) {
        for (const protocol of ['rtp', 'rtcp'] as const) this.#packets.inc({ node, direction, protocol }, t(`packets.${direction}.${protocol}`));
        this.#bytes.inc({ node, direction }, t(`bytes.${direction}`));
        this.#rtx.inc({ node, direction }, t(`retransmissions.${direction}`));
        this.#ringRecords.inc({ node, direction }, t(`ring.${direction}`));
      }
      for (const [k, v] of Object.entries(m.totals)) {
        if (!k.startsWith('drops.')) continue;
        const [, where, reason] = k.split('.') as [string, string, string];
        this.#drops.inc({ node, where, reason }, v);
      }
      this.#nack.inc({ node, direction: 'to_publishers' }, t('nack.sentPackets'));
      this.#nack.inc({ node, direction: 'from_subscribers' }, t('nack.receivedPackets'));
      this.#nackMissed.inc({ node }, t('nack.missed'));
      this.#keyframes.inc({ node, direction: 'from_subscribers' }, t('keyframeRequests.received'));
      this.#keyframes.inc({ node, direction: 'to_publishers' }, t('keyframeRequests.sent'));
      this.#keyframesMerged.inc({ node }, t('keyframeRequests.merged'));

      const sm = m.samples;
      for (const v of sm.subscriberRttMs) this.#rtt.observe({ node }, v / 1000);
      for (const v of sm.subscriberLoss) this.#loss.observe({ node, side: 'subscriber' }, v);
      for (const v of sm.publisherLoss) this.#loss.observe({ node, side: 'publisher' }, v);
      for (const v of sm.subscriberJitterMs) this.#jitter.observe({ node, side: 'subscriber' }, v / 1000);
      for (const v of sm.publisherJitterMs) this.#jitter.observe({ node, side: 'publisher' }, v / 1000);

      for (const r of m.rings) this.#ringFill.set({ node, peer: r.peer }, r.outFill);
      this.#loopDelay.set({ node, stat: 'mean' }, m.loop.meanMs / 1000);
      this.#loopDelay.set({ node, stat: 'p50' }, m.loop.p50Ms / 1000);
      this.#loopDelay.set({ node, stat: 'p99' }, m.loop.p99Ms / 1000);
      this.#loopDelay.set({ node, stat: 'max' }, m.loop.maxMs / 1000);
      this.#heap.set({ node }, m.heapUsed);
    }

    this.#load.reset();
    const load = src.load();
    if (load) {
      this.#load.set({ metric: 'load' }, load.load);
      for (const [metric, v] of Object.entries(load.parts)) this.#load.set({ metric }, v);
      this.#maxLoad.set(load.maxLoad);
    }
    this.#decisions.reset();
    for (const d of src.decisions()) this.#decisions.inc({ strategy: d.strategy, result: d.result }, d.count);
    this.#healthy.set(h.healthy ? 1 : 0);
    this.#nats.set(h.natsConnected ? 1 : 0);
    this.#ready.set(ready ? 1 : 0);
  }
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
