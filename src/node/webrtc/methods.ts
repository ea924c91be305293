/**
 * The WebRTC node methods (OWT's webrtc node API), served in the node
 * thread by that thread's WebrtcNode. destroyTransport is shared with the
 * plain transports: node/methods.ts composes it from the media method and
 * destroyWebrtcTransport.
 */
import type { NodeMethod } from '../NodeMethod';
import type { NodeRuntime } from '../NodeRuntime';
import type { Removed } from '../media/schemas';
// Schemas load in the main thread only (../methods.ts says why).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S = (): typeof import('./schemas') => require('./schemas') as typeof import('./schemas');
import type { WebrtcNode } from './WebrtcNode';

const nodes = new WeakMap<NodeRuntime, WebrtcNode>();

/** Closes `transportId` if it is one of this thread's WebRTC transports: what it took with it, else undefined. */
export function destroyWebrtcTransport(rt: NodeRuntime, transportId: string): Removed | undefined {
  const n = nodes.get(rt);
  return n?.has(transportId) ? n.destroyTransport(transportId) : undefined;
}

/** The thread's WebrtcNode, made on first use (a node that never does WebRTC opens no WebRTC port). */
export function webrtcNodeOf(rt: NodeRuntime): WebrtcNode {
  let n = nodes.get(rt);
  if (!n) {
    // The WebRTC stack (SDP, sdp-transform) loads with the first WebRTC call:
    // a thread that never does WebRTC does not pay for it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { WebrtcNode } = require('./WebrtcNode') as typeof import('./WebrtcNode');
    n = new WebrtcNode(rt.router, (c, name, p) => rt.emit(c, name, p), rt.settings.media, (notice) => rt.notifyTrack(notice), (l) => rt.postLevels(l));
    nodes.set(rt, n);
  }
  return n;
}

/** The thread's WebrtcNode if it was ever used (dump must not open a WebRTC port). */
export function existingWebrtcNode(rt: NodeRuntime): WebrtcNode | undefined {
  return nodes.get(rt);
}

function m(def: NodeMethod<any>): NodeMethod {
  return def as NodeMethod;
}

export const webrtcMethods: Record<string, NodeMethod> = {
  createTransport: m({
    schema: () => S().createTransportSchema,
    run: (rt, a) => {
      webrtcNodeOf(rt).createTransport(a.transportId, a.controller);
      return { ok: true };
    },
  }),
  publish: m({
    schema: () => S().publishSchema,
    run: (rt, a) => {
      webrtcNodeOf(rt).publish(a);
      return { ok: true };
    },
  }),
  subscribe: m({
    schema: () => S().subscribeSchema,
    run: (rt, a) => {
      webrtcNodeOf(rt).subscribe(a);
      return { ok: true };
    },
  }),
  unpublish: m({
    schema: () => S().operationSchema,
    run: (rt, a) => ({ ok: true, removed: webrtcNodeOf(rt).endOperation(a.operationId, 'publish') }),
  }),
  mediaOnOff: m({
    schema: () => S().mediaOnOffSchema,
    run: (rt, a) => {
      webrtcNodeOf(rt).mediaOnOff(a);
      return { ok: true };
    },
  }),
  setVideoBitrate: m({
    schema: () => S().setVideoBitrateSchema,
    run: (rt, a) => {
      webrtcNodeOf(rt).setLayerPreference(a.operationId, a.trackId, { maxBitrate: Math.round(a.bitrate * 1000) }, 'setVideoBitrate');
      return { ok: true };
    },
  }),
  setLayerPreference: m({
    schema: () => S().setLayerPreferenceSchema,
    run: (rt, a) => {
      webrtcNodeOf(rt).setLayerPreference(
        a.operationId,
        a.trackId,
        {
          ...(a.maxSpatialLayer !== undefined ? { maxSpatial: a.maxSpatialLayer } : {}),
          ...(a.maxTemporalLayer !== undefined ? { maxTemporal: a.maxTemporalLayer } : {}),
          ...(a.priority !== undefined ? { priority: a.priority } : {}),
        },
        'setLayerPreference',
      );
      return { ok: true };
    },
  }),
  createLayerStreams: m({
    schema: () => S().createLayerStreamsSchema,
    run: (rt, a) => ({ ok: true, ids: webrtcNodeOf(rt).createLayerStreams(a) }),
  }),
  unsubscribe: m({
    schema: () => S().operationSchema,
    run: (rt, a) => ({ ok: true, removed: webrtcNodeOf(rt).endOperation(a.operationId, 'subscribe') }),
  }),
  onTransportSignaling: m({
    schema: () => S().onTransportSignalingSchema,
    run: (rt, a) => {
      webrtcNodeOf(rt).signaling(a.transportId, a.message);
      return { ok: true };
    },
  }),
  // --- internal: the LinkManager hands a subscriber's node the format of a track published elsewhere ---
  _setTrackFormat: m({
    schema: () => S().setTrackFormatSchema,
    internal: true,
    run: (rt, a) => {
      webrtcNodeOf(rt).setTrackFormat(a.trackId, a.format, a.layers);
      return { ok: true };
    },
  }),
};
