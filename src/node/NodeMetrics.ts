/**
 * What a node thread hands the main thread for one metrics scrape, built in
 * the thread from ONE read of the native counters (mediaStats, the same call
 * as getStats): object counts, totals that only go up (MonotonicTotals), the
 * per-subscriber and per-publisher RTT / loss / jitter values, ring fill, and
 * the thread's event-loop delay. Nothing here runs per packet; the reply is
 * small (a few numbers per object at most) so it crosses the thread cheaply.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { MonotonicTotals, type Counters } from './MonotonicTotals';
import type { MediaStats } from './media/native';

export interface NodeMetricsReply {
  transports: Record<string, number>;
  tracks: { audio: number; video: number };
  subscriptions: { audio: number; video: number };
  /** Monotonic totals; keys are documented in docs/metrics.md (see AgentMetrics). */
  totals: Counters;
  /** One value per object that has one (ms, or a 0..1 fraction). */
  samples: {
    subscriberRttMs: number[];
    subscriberLoss: number[];
    subscriberJitterMs: number[];
    publisherLoss: number[];
    publisherJitterMs: number[];
  };
  rings: { peer: string; outFill: number }[];
  /** Event-loop delay of the thread since the previous read, ms. */
  loop: { meanMs: number; p50Ms: number; p99Ms: number; maxMs: number };
  heapUsed: number;
}

type Row = readonly [string, Counters];

export class NodeMetrics {
  readonly #totals = new MonotonicTotals();
  readonly #loop: IntervalHistogram;

  constructor() {
    // 10 ms sampling: coarse enough to cost nothing, fine enough to see a stall.
    this.#loop = monitorEventLoopDelay({ resolution: 10 });
    this.#loop.enable();
  }

  read(s: MediaStats): NodeMetricsReply {
    const transports: Record<string, number> = {};
    const tracks = { audio: 0, video: 0 };
    const subscriptions = { audio: 0, video: 0 };
    const kindOf = new Map<string, 'audio' | 'video'>();
    const rows: Row[] = [];
    const samples: NodeMetricsReply['samples'] = {
      subscriberRttMs: [],
      subscriberLoss: [],
      subscriberJitterMs: [],
      publisherLoss: [],
      publisherJitterMs: [],
    };

    for (const t of s.transports) {
      const type = (t as { type?: string }).type ?? 'plain';
      transports[type] = (transports[type] ?? 0) + 1;
      const c: Counters = {
        'packets.in.rtp': t.rtpIn,
        'packets.in.rtcp': t.rtcpIn,
        'packets.out.rtp': t.rtpOut,
        'packets.out.rtcp': t.rtcpOut,
        'bytes.in': t.bytesIn,
        'bytes.out': t.bytesOut,
      };
      for (const [reason, n] of Object.entries(t.drops)) c[`drops.transport.${reason}`] = n;
      rows.push([`t:${t.id}`, c]);
    }
    for (const tr of s.tracks) {
      tracks[tr.kind]++;
      kindOf.set(tr.id, tr.kind);
      rows.push([
        `k:${tr.id}`,
        {
          'drops.track.wrongPayloadType': tr.wrongPayloadType,
          'drops.track.paused': tr.pausedDrops,
          'nack.sent': tr.nacksSent,
          'nack.sentPackets': tr.nackedPackets,
          'retransmissions.in': tr.retransmissionsReceived,
          'keyframeRequests.sent': tr.keyframeRequestsSent,
          'keyframeRequests.merged': tr.keyframeRequestsMerged,
        },
      ]);
      if (tr.fractionLost !== undefined && tr.packetsExpected) samples.publisherLoss.push(tr.fractionLost);
      if (tr.jitterMs !== undefined && tr.packetsExpected) samples.publisherJitterMs.push(tr.jitterMs);
    }
    for (const sub of s.subscriptions) {
      const kind = kindOf.get(sub.trackId);
      if (kind) subscriptions[kind]++;
      rows.push([
        `s:${sub.id}`,
        {
          'drops.subscription.sendFailed': sub.dropped,
          'nack.receivedPackets': sub.nackPackets,
          'retransmissions.out': sub.retransmitted,
          'nack.missed': sub.nackMissed,
          'keyframeRequests.received': sub.keyframeRequests,
        },
      ]);
      // A subscriber that has not reported yet has no figures to show.
      if (sub.rrReceived > 0) {
        if (sub.rtt !== null) samples.subscriberRttMs.push(sub.rtt);
        samples.subscriberLoss.push(sub.fractionLost);
        samples.subscriberJitterMs.push(sub.jitterMs);
      }
    }
    const rings: NodeMetricsReply['rings'] = [];
    for (const p of s.peers) {
      rings.push({ peer: p.peer, outFill: p.outFill });
      rows.push([`p:${p.peer}`, { 'drops.ring.full': p.outDropped, 'drops.ring.bad': p.inBad, 'ring.out': p.outRecords, 'ring.in': p.inRecords }]);
    }
    if (s.webrtcPort) {
      const w = s.webrtcPort;
      rows.push([
        'webrtcPort',
        {
          'drops.webrtcPort.unknownUfrag': w.unknownUfrag,
          'drops.webrtcPort.unknownTuple': w.unknownTuple,
          'drops.webrtcPort.notWebrtc': w.notWebrtc,
        },
      ]);
    }
    if (s.internal) {
      const c: Counters = {};
      for (const [reason, n] of Object.entries(s.internal.drops)) c[`drops.internalPort.${reason}`] = n;
      rows.push(['internalPort', c]);
    }

    const h = this.#loop;
    const ms = (ns: number): number => (Number.isFinite(ns) ? ns / 1e6 : 0);
    const loop = { meanMs: ms(h.mean), p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max) };
    h.reset();
    return {
      transports,
      tracks,
      subscriptions,
      totals: this.#totals.update(rows),
      samples,
      rings,
      loop,
      heapUsed: process.memoryUsage().heapUsed,
    };
  }

  close(): void {
    this.#loop.disable();
  }
}
