/**
 * Media node methods: plain RTP transports, tracks and subscriptions, run
 * inside the node thread and carried out by the addon's router. The internal
 * methods (names starting with '_') link tracks between node threads; only
 * the main thread's LinkManager calls them, never NATS.
 */
import { checkLimit } from '../limits';
import type { NodeMethod } from '../NodeMethod';
import type { NodeRuntime } from '../NodeRuntime';
import { defaultClockRate } from './defaults';

// Schemas load in the main thread only (methods.ts says why).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S = (): typeof import('./schemas') => require('./schemas') as typeof import('./schemas');

function m(def: NodeMethod<any>): NodeMethod {
  return def as NodeMethod;
}

/** 503 naming the cap when the node already holds its most of `kind`. */
function room(rt: NodeRuntime, kind: 'transports' | 'tracks' | 'subscriptions'): void {
  checkLimit(rt.settings.media.limits, kind, rt.media.mediaObjects()[kind]);
}

export const mediaMethods: Record<string, NodeMethod> = {
  createPlainTransport: m({
    schema: () => S().createPlainTransportSchema,
    run: (rt, a) => {
      room(rt, 'transports');
      const port = rt.media.mediaCreatePlainTransport(a.transportId, a.comedia);
      return { transportId: a.transportId, ip: rt.settings.media.announcedIp, port };
    },
  }),
  connectPlainTransport: m({
    schema: () => S().connectPlainTransportSchema,
    run: (rt, a) => {
      rt.media.mediaConnect(a.transportId, a.ip, a.port);
      return { ok: true };
    },
  }),
  destroyTransport: m({
    schema: () => S().destroyTransportSchema,
    run: (rt, a) => ({ ok: true, removed: rt.media.mediaCloseTransport(a.transportId) }),
  }),
  publishTrack: m({
    schema: () => S().publishTrackSchema,
    run: (rt, a) => {
      room(rt, 'tracks');
      rt.media.mediaPublish(a.transportId, a.trackId, a.kind, a.ssrc ?? 0, a.payloadType ?? -1, a.clockRate ?? defaultClockRate(a.kind), a.nack);
      if (a.codec) rt.media.mediaSetTrackCodec(a.trackId, a.codec);
      return { trackId: a.trackId };
    },
  }),
  unpublishTrack: m({
    schema: () => S().unpublishTrackSchema,
    run: (rt, a) => ({ ok: true, removed: rt.media.mediaUnpublish(a.trackId) }),
  }),
  subscribeTrack: m({
    schema: () => S().subscribeTrackSchema,
    run: (rt, a) => {
      room(rt, 'subscriptions');
      const ssrc = rt.media.mediaSubscribe(a.transportId, a.trackId, a.subscriptionId, a.ssrc ?? 0, a.payloadType ?? -1);
      return { subscriptionId: a.subscriptionId, ssrc };
    },
  }),
  unsubscribeTrack: m({
    schema: () => S().unsubscribeTrackSchema,
    run: (rt, a) => {
      rt.media.mediaUnsubscribe(a.subscriptionId);
      return { ok: true };
    },
  }),
  requestKeyframe: m({
    schema: () => S().requestKeyframeSchema,
    run: (rt, a) => {
      rt.media.mediaRequestKeyframe(a.trackId);
      return { ok: true };
    },
  }),

  // --- internal: linking tracks between node threads ---
  _attachPeer: m({
    schema: () => S().attachPeerSchema,
    internal: true,
    run: (rt, a) => {
      rt.media.mediaAttachPeer(a.peer, a.outbound, a.inbound);
      return { ok: true };
    },
  }),
  _detachPeer: m({
    schema: () => S().detachPeerSchema,
    internal: true,
    run: (rt, a) => {
      rt.media.mediaDetachPeer(a.peer);
      return { ok: true };
    },
  }),
  _importTrack: m({
    schema: () => S().importTrackSchema,
    internal: true,
    run: (rt, a) => {
      room(rt, 'tracks');
      rt.media.mediaImport(a.trackId, a.kind, a.clockRate, a.peer, a.link);
      // A plain track published with its codec: the stand-in's subscribers
      // start at a key frame too (WebRTC tracks get theirs with the format).
      if (a.codec) rt.media.mediaSetTrackCodec(a.trackId, a.codec);
      return { ok: true };
    },
  }),
  _exportTrack: m({
    schema: () => S().exportTrackSchema,
    internal: true,
    run: (rt, a) => {
      rt.media.mediaExport(a.trackId, a.peer, a.link);
      return { ok: true };
    },
  }),

  // --- internal: media between agents (the main thread's RemoteLinks) ---
  /** A stand-in for a track on another agent, fed by the internal port from ip:port with this SSRC. */
  _importRemote: m({
    schema: () => S().importRemoteSchema,
    internal: true,
    run: (rt, a) => {
      room(rt, 'tracks');
      rt.internalAddress();
      const transportId = rt.media.mediaInternalPeer(a.ip, a.port);
      if (a.remoteKey) {
        rt.media.mediaInternalEnableSrtp(transportId);
        rt.media.mediaInternalSetRemoteKey(transportId, Buffer.from(a.remoteKey, 'base64'));
      }
      rt.media.mediaPublish(transportId, a.trackId, a.kind, a.ssrc, -1, a.clockRate, false);
      // Its subscribers then start at a key frame, as on the source's agent.
      if (a.codec) rt.media.mediaSetTrackCodec(a.trackId, a.codec);
      return { transportId };
    },
  }),
  /** Sends a track to another agent's node at ip:port under the SSRC that node chose. */
  _exportRemote: m({
    schema: () => S().exportRemoteSchema,
    internal: true,
    run: (rt, a) => {
      room(rt, 'subscriptions');
      rt.internalAddress();
      const transportId = rt.media.mediaInternalPeer(a.ip, a.port);
      let key: string | undefined;
      if (a.remoteKey) {
        key = rt.media.mediaInternalEnableSrtp(transportId).toString('base64');
        rt.media.mediaInternalSetRemoteKey(transportId, Buffer.from(a.remoteKey, 'base64'));
      }
      rt.media.mediaSubscribe(transportId, a.trackId, a.exportId, a.ssrc, -1);
      return { transportId, ...(key ? { key } : {}) };
    },
  }),
  /** This node's SRTP sending key towards ip:port (drawn on first use), to hand to that node's agent. */
  _internalKey: m({
    schema: () => S().internalKeySchema,
    internal: true,
    run: (rt, a) => {
      rt.internalAddress();
      const transportId = rt.media.mediaInternalPeer(a.ip, a.port);
      return { key: rt.media.mediaInternalEnableSrtp(transportId).toString('base64') };
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
      const s = rt.media.mediaStats();
      const t = s.transports.find((x) => x.remote?.ip === a.ip && x.remote?.port === a.port && x.id.startsWith('internal:'));
      if (!t || s.tracks.some((x) => x.transportId === t.id) || s.subscriptions.some((x) => x.transportId === t.id)) return { dropped: false };
      rt.media.mediaCloseTransport(t.id);
      return { dropped: true };
    },
  }),
  /** Whether a track has no reader left here (no subscriber, no ring export). */
  _isUnused: m({
    schema: () => S().isUnusedSchema,
    internal: true,
    run: (rt, a) => {
      const t = rt.media.mediaStats().tracks.find((x) => x.id === a.trackId);
      return { unused: t !== undefined && t.subscribers === 0 && t.exports === 0 };
    },
  }),
  _unexportTrack: m({
    schema: () => S().exportTrackSchema,
    internal: true,
    run: (rt, a) => {
      rt.media.mediaUnexport(a.trackId, a.peer, a.link);
      return { ok: true };
    },
  }),
};
