/**
 * Layer streams (OWT's createLayerStreams): names for one spatial and/or
 * temporal layer of a VP9 SVC track, usable as a subscription's `from`.
 * A name is `<trackId>:l<S>` (spatial layer S with all its temporal
 * layers), `<trackId>:t<T>` (temporal layer T across every spatial layer)
 * or `<trackId>:l<S>t<T>`; the agent keeps nothing per name: subscribe reads
 * the layer from it. Pure functions: no router, no I/O.
 */
import { InvalidRequestError } from '../../errors';

/** The highest spatial or temporal layer id a layer stream may name (as setLayerPreference's). */
export const MAX_LAYER_ID = 3;

/** How many spatial and temporal layers a publication has, where known. */
export interface LayerCount {
  spatial?: number;
  temporal?: number;
}

/** One layer stream of a track: a layer id per dimension, or undefined for all of that dimension. */
export interface LayerRef {
  spatial?: number;
  temporal?: number;
}

/**
 * The layer counts a WebRTC scalability mode names (W3C webrtc-svc: L3T3,
 * L3T3_KEY, L2T2_KEY_SHIFT, L1T3, S3T3h, ...); undefined for anything else.
 */
export function layersOfMode(mode: string | undefined): { spatial: number; temporal: number } | undefined {
  const m = mode === undefined ? null : /^[LS]([1-4])T([1-4])(?:h|_KEY|_KEY_SHIFT)?$/.exec(mode);
  return m ? { spatial: Number(m[1]), temporal: Number(m[2]) } : undefined;
}

export function layerStreamId(trackId: string, ref: LayerRef): string {
  return `${trackId}:${ref.spatial !== undefined ? `l${ref.spatial}` : ''}${ref.temporal !== undefined ? `t${ref.temporal}` : ''}`;
}

/** The track and layer a layer stream id names; undefined when `id` is not one. */
export function parseLayerStreamId(id: string): ({ base: string } & LayerRef) | undefined {
  const m = /^(.+):(?:l([0-9]))?(?:t([0-9]))?$/.exec(id);
  if (!m || (m[2] === undefined && m[3] === undefined)) return undefined;
  const spatial = m[2] === undefined ? undefined : Number(m[2]);
  const temporal = m[3] === undefined ? undefined : Number(m[3]);
  if ((spatial ?? 0) > MAX_LAYER_ID || (temporal ?? 0) > MAX_LAYER_ID) return undefined;
  return { base: m[1]!, ...(spatial !== undefined ? { spatial } : {}), ...(temporal !== undefined ? { temporal } : {}) };
}

/** What a request asks of one dimension: every layer (true), one layer id, or all of it at once (false, -1, left out). */
export type LayerChoice = boolean | number | undefined;

type Dimension = 'spatial' | 'temporal';

/**
 * The layer streams a createLayerStreams request asks for: `true` on one
 * dimension, one stream per layer of it (the other dimension's number, if
 * any, applies to each); numbers, the one stream of those layers. `count`
 * bounds the layer ids where the publication's layers are known (`what`
 * says from where, for messages).
 */
export function planLayerStreams(req: { spatial?: LayerChoice; temporal?: LayerChoice }, count: LayerCount, what: string): LayerRef[] {
  const pick = (c: LayerChoice): number | 'each' | undefined => (c === true ? 'each' : typeof c === 'number' && c >= 0 ? c : undefined);
  const spatial = pick(req.spatial);
  const temporal = pick(req.temporal);
  if (spatial === 'each' && temporal === 'each') {
    throw new InvalidRequestError('temporal', 'one dimension at a time: spatial or temporal may be true, not both');
  }
  if (spatial === undefined && temporal === undefined) {
    throw new InvalidRequestError('spatial', 'name a layer (spatial or temporal: a layer id, or true for one stream per layer)');
  }
  const check = (d: Dimension, v: number): void => {
    const n = count[d];
    if (n !== undefined && v >= n) throw new InvalidRequestError(d, `no ${d} layer ${v} in ${what} (${d} layers 0..${n - 1})`);
  };
  if (typeof spatial === 'number') check('spatial', spatial);
  if (typeof temporal === 'number') check('temporal', temporal);
  const each = spatial === 'each' ? 'spatial' : temporal === 'each' ? 'temporal' : undefined;
  if (!each) return [{ ...(spatial !== undefined ? { spatial } : {}), ...(temporal !== undefined ? { temporal } : {}) } as LayerRef];
  const n = count[each];
  if (n === undefined) {
    throw new InvalidRequestError(
      each,
      `the number of ${each} layers of ${what} is not known (publish it with scalabilityMode, e.g. L3T3_KEY, or name one layer by its id)`,
    );
  }
  const other = each === 'spatial' ? temporal : spatial;
  return Array.from({ length: Math.min(n, MAX_LAYER_ID + 1) }, (_, i) => ({
    [each]: i,
    ...(typeof other === 'number' ? { [each === 'spatial' ? 'temporal' : 'spatial']: other } : {}),
  }));
}
