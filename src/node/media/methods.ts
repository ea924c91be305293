/**
 * Media node methods: plain RTP transports, tracks and subscriptions, run
 * inside the node thread and carried out by the addon's router. The internal
 * methods (names starting with '_') link tracks between node threads; only
 * the main thread's LinkManager calls them, never NATS.
 */
import { checkLimit } from '../limits';
import type { NodeMethod } from '../NodeMethod';
import type { NodeRuntime } from '../NodeRuntime';
import { DEFAULT_NOISE_FLOOR, defaultClockRate } from './defaults';

// Schemas load in the main thread only (methods.ts says why).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S = (): typeof import('./schemas') => require('./schemas') as typeof import('./schemas');

function m(def: NodeMethod<any>): NodeMethod {
  return def as NodeMethod;
}

/** 503 naming the cap when the node already holds its most of `kind`. */
function room(rt: NodeRuntime, kind: 'transports' | 'tracks' | 'subscriptions'): void {
  checkLimit(rt.settings.media.limits, kind, rt.router.objects()[kind]);
}

export const mediaMethods: Record<string, NodeMethod> = {
  createPlainTransport: m({
    schema: () => S().createPlainTransportSchema,
    run: (rt, a) => {
      room(rt, 'transports');
      const t = rt.router.createPlainTransport({ transportId: a.transportId, comedia: a.comedia });
      return { transportId: t.id, ip: rt.settings.media.announcedIp, port: t.port };
    },
  }),
  connectPlainTransport: m({
    schema: () => S().connectPlainTransportSchema,
    run: (rt, a) => {
      rt.router.transport(a.transportId).connect(a.ip, a.port);
      return { ok: true };
    },
  }),
  destroyTransport: m({
    schema: () => S().destroyTransportSchema,
    run: (rt, a) => ({ ok: true, removed: rt.router.transport(a.transportId).close() }),
  }),
  publishTrack: m({
    schema: () => S().publishTrackSchema,
    run: (rt, a) => {
      room(rt, 'tracks');
      const track = rt.router.transport(a.transportId).publish({
        trackId: a.trackId,
        kind: a.kind,
        ...(a.ssrc !== undefined ? { ssrc: a.ssrc } : {}),
        ...(a.payloadType !== undefined ? { payloadType: a.payloadType } : {}),
        clockRate: a.clockRate ?? defaultClockRate(a.kind),
        nack: a.nack,
      });
      if (a.codec) track.setCodec(a.codec);
      if (a.audioLevelExt) track.meterAudioLevel(a.audioLevelExt, rt.settings.media.speakers?.noiseFloor ?? DEFAULT_NOISE_FLOOR);
      return { trackId: a.trackId };
    },
  }),
  unpublishTrack: m({
    schema: () => S().unpublishTrackSchema,
    run: (rt, a) => ({ ok: true, removed: rt.router.track(a.trackId).close() }),
  }),
  subscribeTrack: m({
    schema: () => S().subscribeTrackSchema,
    run: (rt, a) => {
      let transport;
      if (a.switchOnly) {
        // A switch never makes a subscription (404 when it is gone), and goes
        // to the transport it is sent on (a WebRTC m-line's own leg when the
        // client did not bundle).
        transport = rt.router.subscription(a.subscriptionId).transport;
      } else {
        room(rt, 'subscriptions');
        transport = rt.router.transport(a.transportId);
      }
      const sub = transport.subscribe({
        trackId: a.trackId,
        subscriptionId: a.subscriptionId,
        ...(a.ssrc !== undefined ? { ssrc: a.ssrc } : {}),
        ...(a.payloadType !== undefined ? { payloadType: a.payloadType } : {}),
      });
      if (a.dropSilence !== undefined) sub.setDropSilence(a.dropSilence);
      return { subscriptionId: sub.id, ssrc: sub.ssrc };
    },
  }),
  unsubscribeTrack: m({
    schema: () => S().unsubscribeTrackSchema,
    run: (rt, a) => {
      rt.router.subscription(a.subscriptionId).close();
      return { ok: true };
    },
  }),
  requestKeyframe: m({
    schema: () => S().requestKeyframeSchema,
    run: (rt, a) => {
      rt.router.track(a.trackId).requestKeyframe();
      return { ok: true };
    },
  }),

  // --- internal: linking tracks between node threads ---
  _attachPeer: m({
    schema: () => S().attachPeerSchema,
    internal: true,
    run: (rt, a) => {
      rt.router.attachPeer(a.peer, a.outbound, a.inbound);
      return { ok: true };
    },
  }),
  _detachPeer: m({
    schema: () => S().detachPeerSchema,
    internal: true,
    run: (rt, a) => {
      rt.router.detachPeer(a.peer);
      return { ok: true };
    },
  }),
  _importTrack: m({
    schema: () => S().importTrackSchema,
    internal: true,
    run: (rt, a) => {
      room(rt, 'tracks');
      const track = rt.router.importTrack({ trackId: a.trackId, kind: a.kind, clockRate: a.clockRate, peer: a.peer, link: a.link });
      // A plain track published with its codec: the stand-in's subscribers
      // start at a key frame too (WebRTC tracks get theirs with the format).
      if (a.codec) track.setCodec(a.codec);
      return { ok: true };
    },
  }),
  _exportTrack: m({
    schema: () => S().exportTrackSchema,
    internal: true,
    run: (rt, a) => {
      rt.router.track(a.trackId).exportTo(a.peer, a.link);
      return { ok: true };
    },
  }),

  // --- internal: media between agents (the main thread's AgentBridge) ---
  /** A stand-in for a track on another agent, fed by the internal port from ip:port with this SSRC. */
  _importRemote: m({
    schema: () => S().importRemoteSchema,
    internal: true,
    run: (rt, a) => {
      room(rt, 'tracks');
      rt.internalAddress();
      const transport = rt.router.internalTransport(a.ip, a.port);
      if (a.remoteKey) {
        transport.enableSrtp();
        transport.setRemoteKey(Buffer.from(a.remoteKey, 'base64'));
      }
      const track = transport.publish({ trackId: a.trackId, kind: a.kind, ssrc: a.ssrc, clockRate: a.clockRate });
      // Its subscribers then start at a key frame, as on the source's agent.
      if (a.codec) track.setCodec(a.codec);
      return { transportId: transport.id };
    },
  }),
  /** Sends a track to another agent's node at ip:port under the SSRC that node chose. */
  _exportRemote: m({
    schema: () => S().exportRemoteSchema,
    internal: true,
    run: (rt, a) => {
      room(rt, 'subscriptions');
      rt.internalAddress();
      const transport = rt.router.internalTransport(a.ip, a.port);
      let key: string | undefined;
      if (a.remoteKey) {
        key = transport.enableSrtp().toString('base64');
        transport.setRemoteKey(Buffer.from(a.remoteKey, 'base64'));
      }
      transport.subscribe({ trackId: a.trackId, subscriptionId: a.exportId, ssrc: a.ssrc });
      return { transportId: transport.id, ...(key ? { key } : {}) };
    },
  }),
  /** This node's SRTP sending key towards ip:port (drawn on first use), to hand to that node's agent. */
  _internalKey: m({
    schema: () => S().internalKeySchema,
    internal: true,
    run: (rt, a) => {
      rt.internalAddress();
      return { key: rt.router.internalTransport(a.ip, a.port).enableSrtp().toString('base64') };
    },
  }),
  /**
   * Closes the internal transport towards ip:port if nothing rides on it: the
   * one a linkup made for a source address that no agent serves (its SRTP
   * key is drawn before the request), so such addresses leave nothing behind.
   */
  _dropInternalPeer: m({
    schema: () => S().internalKeySchema,
    internal: true,
    run: (rt, a) => {
      const t = rt.router.findInternalTransport(a.ip, a.port);
      if (!t || t.tracks.size > 0 || t.subscriptions.size > 0) return { dropped: false };
      t.close();
      return { dropped: true };
    },
  }),
  /** Whether a track has no reader left here (no subscriber, no ring export). */
  _isUnused: m({
    schema: () => S().isUnusedSchema,
    internal: true,
    run: (rt, a) => {
      const t = rt.router.stats().tracks.find((x) => x.id === a.trackId);
      return { unused: t !== undefined && t.subscribers === 0 && t.exports === 0 };
    },
  }),
  _unexportTrack: m({
    schema: () => S().exportTrackSchema,
    internal: true,
    run: (rt, a) => {
      rt.router.track(a.trackId).unexport(a.peer, a.link);
      return { ok: true };
    },
  }),
};
