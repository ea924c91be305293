/**
 * The typed face of the addon's media functions (addon/router/router_binding.cc),
 * with native failures turned into the agent's named errors.
 */
import { ConflictError, InternalError, InvalidRequestError, NotFoundError, type AgentError } from '../../errors';
import type { NativeAddon } from '../addon';
import type { Removed } from './schemas';

export interface TransportStats {
  id: string;
  port: number;
  comedia: boolean;
  remote: { ip: string; port: number } | null;
  rtpIn: number;
  rtcpIn: number;
  rtpOut: number;
  rtcpOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Newest round trip measured from a subscriber's report on this transport (ms), or null. */
  rtt: number | null;
  datagramsIn: number;
  datagramsOut: number;
  /** WebRTC: transport-cc feedback packets sent, and the packets with a transport-wide number they report (null: not negotiated). */
  twccFeedbackSent?: number;
  twccPackets?: number | null;
  /** With transport-cc: numbers not reported (repeats, behind the history, jumps that restarted it). */
  twccDuplicates?: number;
  twccTooOld?: number;
  twccResets?: number;
  /** WebRTC: the send-side bandwidth estimate towards the client (null: transport-cc not answered where the agent sends). */
  bwe?: BweStats | null;
  drops: Record<string, number>;
  /** The estimate the transport's layer allocator last used (bit/s; null: none, taken as unlimited). */
  availableBitrate: number | null;
  /** What its layered subscriptions would take with no bandwidth limit (plus its audio and pinned video). */
  desiredBitrate: number;
}

/** A WebRTC transport's send-side bandwidth estimate (docs/api.md, getStats). */
export interface BweStats {
  /** Bits per second: the estimate, its delay- and loss-based parts, what arrived, what was sent. */
  estimateBps: number;
  delayBasedBps: number;
  lossBasedBps: number;
  ackedBps: number;
  sentBps: number;
  rttMs: number;
  /** Share of the last batch of reported packets lost, 0..1. */
  loss: number;
  delayState: 'normal' | 'overusing' | 'underusing';
  /** The delay trend (scaled slope) and the adaptive threshold it is read against. */
  delayTrend: number;
  delayThreshold: number;
  probing: 'init' | 'probing' | 'idle' | 'off';
  packetsNumbered: number;
  feedback: { received: number; malformed: number; statuses: number; packetsReceived: number; packetsLost: number; mediaLost: number; unknown: number; repeated: number };
  probes: { clusters: number; results: number; failures: number; distrusted: number; paddingPackets: number; paddingBytes: number; carrier: boolean };
  delayDecreases: number;
  lossDecreases: number;
}

export interface TrackStats {
  id: string;
  kind: 'audio' | 'video';
  ssrc: number;
  transportId: string | null;
  importedFrom: string | null;
  packets: number;
  bytes: number;
  wrongPayloadType: number;
  subscribers: number;
  exports: number;
  keyframeRequestsSent: number;
  keyframeRequestsMerged: number;
  paused: boolean;
  pausedDrops: number;
  /** Bits per second over the last report interval (1 s). */
  bitrate: number;
  /** Receive statistics (RFC 3550): tracks of a local transport only. */
  packetsExpected?: number;
  packetsLost?: number;
  /** Of the last RR interval, 0..1. */
  fractionLost?: number;
  /** Interarrival jitter in RTP timestamp units, and in ms. */
  jitter?: number;
  jitterMs?: number;
  duplicates?: number;
  reordered?: number;
  srReceived?: number;
  rrSent?: number;
  /** NACK generation towards the publisher. */
  nack: boolean;
  nacksSent: number;
  nackedPackets: number;
  nackMissing: number;
  retransmissionsReceived: number;
  nackExpired: number;
  nackKeyframes: number;
  rtxPackets: number;
  rtxPadding: number;
  rtxDuplicates: number;
  /** Dropped on arrival by the test-only receive-loss switch. */
  testDropped: number;
  /**
   * RFC 6464 levels in -dBov (0 loudest, 127 silence), for audio tracks whose
   * publisher negotiated ssrc-audio-level; null otherwise. level: smoothed
   * over about the last 8 packets; packets: that carried a level; silent: at
   * 127; voice: with the sender's V flag; missing: audio packets without it.
   */
  audioLevel: { level: number; lastLevel: number; packets: number; silent: number; voice: number; missing: number } | null;
}

export interface SubscriptionStats {
  id: string;
  trackId: string;
  transportId: string;
  ssrc: number;
  packets: number;
  bytes: number;
  dropped: number;
  keyframeRequests: number;
  /**
   * NACK handling (docs/api.md): sequence numbers the subscriber NACKed
   * (repeats included), re-sends that went out (and their bytes, as
   * stored), of those as RTX; then the numbers not re-sent, by reason.
   */
  nackPackets: number;
  retransmitted: number;
  retransmittedBytes: number;
  /** The RTX SSRC repairs go on (null: repairs repeat the media packet). */
  rtxSsrc: number | null;
  rtxSent: number;
  nackMissed: number;
  nackDuplicates: number;
  nackBeforeSwitch: number;
  nackTooSoon: number;
  nackTooMany: number;
  nackOverBudget: number;
  /** The repair budget's rate, bits/s: a share of the subscriber's estimate (0: a share of the media sent instead). */
  repairBudgetBps: number;
  /** Dropped by the test-only loss switch. */
  testDropped: number;
  paused: boolean;
  /** Silent audio packets are not sent (subscribe option dropSilence), and how many were not. */
  dropSilence: boolean;
  silenceDropped: number;
  bitrate: number;
  srSent: number;
  /** From the subscriber's report blocks on our SSRC. */
  rrReceived: number;
  rtt: number | null;
  fractionLost: number;
  packetsLost: number;
  jitter: number;
  jitterMs: number;
  /** A subscription to a layered (simulcast) publication: where it is, where it is going and why (null: one track). */
  layers: LayerStats | null;
}

/** docs/api.md, "Layered subscriptions". Temporal layers: null = all of them. */
export interface LayerStats {
  /** The publication's layer tracks, lowest first. */
  tracks: string[];
  /** enableBWE: the allocator picks the layer; false: pinned at the ceiling. */
  adaptive: boolean;
  ceiling: number;
  /** -1: nothing sent yet (or paused for bandwidth). */
  currentSpatial: number;
  currentTemporal: number | null;
  /** -1: paused for bandwidth. */
  targetSpatial: number;
  targetTemporal: number | null;
  /** Why the target is what it is: optimal, bandwidth, hold, preference, cap, pinned, no-layers (null: not decided yet). */
  reason: string | null;
  pausedForBandwidth: boolean;
  maxSpatial: number | null;
  maxTemporal: number | null;
  priority: number;
  maxBitrate: number;
  switches: number;
  temporalDrops: number;
  bandwidthPauses: number;
  keyframeAsks: number;
}

export interface PeerStats {
  peer: string;
  outbound: boolean;
  inbound: boolean;
  outRecords: number;
  outDropped: number;
  inRecords: number;
  inBad: number;
  outFill: number;
}

export interface MediaObjects {
  transports: number;
  tracks: number;
  subscriptions: number;
  sendBuffers: number;
  /** The WebRTC port's tables: transports registered, ICE ufrags, bound 5-tuples. */
  webrtcRegistered: number;
  webrtcUfrags: number;
  webrtcTuples: number;
}

/** The node's internal port (media between agents); null until it is opened. */
export interface InternalPortStats {
  port: number;
  datagramsIn: number;
  datagramsOut: number;
  /** unknownPeer (a sender no linkup announced), notRtp, oversized, truncatedByKernel */
  drops: Record<string, number>;
}

export interface MediaStats {
  transports: TransportStats[];
  tracks: TrackStats[];
  subscriptions: SubscriptionStats[];
  peers: PeerStats[];
  /** The thread's WebRTC port (null until it opens): datagrams that reached no transport. */
  webrtcPort: {
    port: number;
    datagramsIn: number;
    datagramsOut: number;
    unknownUfrag: number;
    unknownTuple: number;
    notWebrtc: number;
    /** Bound 5-tuples dropped once their ICE pair expired or was evicted. */
    tuplesPruned: number;
    /** The ICE-TCP port (null: not open). */
    tcp: {
      port: number;
      connections: number;
      accepted: number;
      framesIn: number;
      framesOut: number;
      bytesIn: number;
      bytesOut: number;
      closed: { rejectedFull: number; byPeer: number; idle: number; slow: number; badFrame: number; errors: number };
    } | null;
  } | null;
  internal: InternalPortStats | null;
}

/**
 * The addon's media functions. Each control function takes one options
 * object (read field by field by addon/router/options_reader.h; a missing
 * or mistyped field throws naming the function and the field). Only the
 * node's media objects (src/node/router) call them.
 */
export interface MediaNative {
  mediaConfigure(o: { listenIp: string; portMin: number; portMax: number }): void;
  /** -> the local port. */
  mediaCreatePlainTransport(o: { transportId: string; comedia: boolean }): number;
  mediaConnect(o: { transportId: string; ip: string; port: number }): void;
  mediaCloseTransport(o: { transportId: string }): Removed;
  /** ssrc 0 (default): the first seen; payloadType -1 (default): any. */
  mediaPublish(o: { transportId: string; trackId: string; kind: 'audio' | 'video'; ssrc?: number; payloadType?: number; clockRate: number; nack?: boolean }): void;
  mediaSetTrackRtx(o: { trackId: string; rtxSsrc: number; rtxPayloadType: number }): void;
  mediaUnpublish(o: { trackId: string }): Removed;
  /** -> the subscription's SSRC (ssrc 0 or absent: picked). The id of an existing subscription switches it. */
  mediaSubscribe(o: { transportId: string; trackId: string; subscriptionId: string; ssrc?: number; payloadType?: number }): number;
  /** A subscription to a layered publication: its layer tracks (lowest first), the highest it may get, adaptive (enableBWE). */
  mediaSubscribeLayers(o: { transportId: string; trackIds: string[]; subscriptionId: string; ceiling: number; adaptive: boolean; ssrc?: number; payloadType?: number }): number;
  /** A layered subscription's preferences: max spatial/temporal layer (-1: none), priority, bitrate cap (bit/s, 0: none). */
  mediaSetLayerPreferences(o: { subscriptionId: string; maxSpatial: number; maxTemporal: number; priority: number; maxBitrate: number }): void;
  /** Repairs towards this (video, WebRTC) subscription go as RTX (RFC 4588) on rtxSsrc. */
  mediaSetSubscriptionRtx(o: { subscriptionId: string; rtxSsrc: number; rtxPayloadType: number }): void;
  mediaUnsubscribe(o: { subscriptionId: string }): void;
  mediaRequestKeyframe(o: { trackId: string }): void;
  /** The track's payload format (an SDP encoding name), for key-frame recognition. */
  mediaSetTrackCodec(o: { trackId: string; codec: string }): void;
  mediaImport(o: { trackId: string; kind: 'audio' | 'video'; clockRate: number; peer: string; link: number }): void;
  mediaExport(o: { trackId: string; peer: string; link: number }): void;
  mediaUnexport(o: { trackId: string; peer: string; link: number }): void;
  mediaAttachPeer(o: { peer: string; outbound: Uint8Array; inbound: Uint8Array }): void;
  mediaDetachPeer(o: { peer: string }): void;
  mediaStats(): MediaStats;
  /** How many objects the thread's media plane holds (all 0 when idle). */
  mediaObjects(): MediaObjects;
  /** Opens the node's internal port (once); returns it. */
  mediaInternalListen(o: { listenIp: string; portMin: number; portMax: number }): number;
  /** The transport towards another agent's node at ip:port (made on first use): its id. */
  mediaInternalPeer(o: { ip: string; port: number }): string;
  /** Turns SRTP on for that transport (once); returns this side's sending key. */
  mediaInternalEnableSrtp(o: { transportId: string }): Buffer;
  /** The peer's sending key. */
  mediaInternalSetRemoteKey(o: { transportId: string; key: Uint8Array }): void;
  mediaTestSetSendLoss(o: { percent: number }): void;
  mediaTestSetReceiveLoss(o: { percent: number }): void;
  mediaSetTrackPaused(o: { trackId: string; paused: boolean }): void;
  mediaSetSubscriptionPaused(o: { subscriptionId: string; paused: boolean }): void;
  /** Reads the RFC 6464 level (extension id extId; 0: stop) of an audio track's packets; levels at or below noiseFloor (-dBov) are no speech. */
  mediaSetAudioLevel(o: { trackId: string; extId: number; noiseFloor: number }): void;
  /** Levels read since the previous call (flat: trackId, packets, audibility sum), and how many tracks are metered. */
  mediaTakeAudioLevels(): { metered: number; levels: Array<string | number> };
  /** Silent audio packets (level 127) are not sent to this subscription. */
  mediaSetDropSilence(o: { subscriptionId: string; on: boolean }): void;
  /** A speaker slot: when its source goes it is parked (trackId ''), not ended, until switched again. */
  mediaSetSlot(o: { subscriptionId: string; on: boolean }): void;
}

function translate(err: unknown): AgentError {
  const e = err as Error & { status?: number };
  const msg = e?.message ?? String(err);
  if (e?.status === 400) {
    const colon = msg.indexOf(': ');
    return colon > 0 ? new InvalidRequestError(msg.slice(0, colon), msg.slice(colon + 2)) : new InvalidRequestError('', msg);
  }
  if (e?.status === 404) return new NotFoundError(msg);
  if (e?.status === 409) {
    const colon = msg.indexOf(': ');
    return colon > 0 ? new ConflictError(msg.slice(0, colon), msg.slice(colon + 2)) : new ConflictError('', msg);
  }
  return new InternalError(msg);
}

/** Wraps every media function so native errors come out as AgentErrors. */
export function mediaOf(addon: NativeAddon): MediaNative {
  const raw = addon as unknown as MediaNative;
  return new Proxy(raw, {
    get(target, prop: keyof MediaNative) {
      const fn = target[prop] as unknown as (...a: unknown[]) => unknown;
      if (typeof fn !== 'function') throw new InternalError(`addon has no ${String(prop)}`);
      return (...args: unknown[]) => {
        try {
          return fn.apply(target, args);
        } catch (err) {
          throw translate(err);
        }
      };
    },
  });
}
