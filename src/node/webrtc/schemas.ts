/**
 * Payload schemas of the WebRTC node methods (OWT's webrtc node API).
 * Bounded like every other payload: a hostile controller cannot grow the
 * node's maps without limit through one call.
 */
import { z } from 'zod';
import { id, kind } from '../media/schemas';
import { MAX_LAYER_ID } from './layerStreams';

/** A NATS subject token: events go to <prefix>.controller.<controller>.<event>. */
export const controller = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a subject token (letters, digits, _ and -)');
/** A mid becomes part of track ids (<transportId>-<mid>). */
export const mid = z
  .string()
  .min(1, 'must not be empty')
  .max(32, 'must be at most 32 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'may hold only letters, digits, _ and -');
const codecRef = z.looseObject({ codec: z.string().min(1).max(32) });
export const formatPreference = z
  .object({ preferred: codecRef.optional(), optional: z.array(codecRef).max(16).optional() })
  .strict();

export const createTransportSchema = z.object({ transportId: id, controller }).strict();

const publishTrack = z
  .object({ mid, type: kind, formatPreference: formatPreference.optional(), scalabilityMode: z.string().max(16).optional() })
  .strict();
/** Where a source on another agent lives: the internal address of its node (getInternalAddress there). */
const source = z
  .object({ ip: z.ipv4({ message: 'must be an IPv4 address' }), port: z.number().int().min(1).max(65535) })
  .strict();
/**
 * A speaker slot instead of a fixed source (not in OWT): 'speaker', one of the
 * most active speakers (the subscriber's speaker slots of a kind together
 * hold the most active ones); 'dominant', the dominant speaker. The agent
 * picks and switches the source (docs/api.md); `layer` picks a simulcast
 * layer (rid) of a video source.
 */
const slot = z.enum(['speaker', 'dominant']);
const subscribeTrackFields = {
  mid,
  type: kind,
  slot: slot.optional(),
  layer: z.string().min(1).max(16).optional(),
  source: source.optional(),
  formatPreference: formatPreference.optional(),
  dropSilence: z.boolean().optional(),
};
/** A subscribed track as the node gets it: with its source (for a slot, the one the agent picked first). */
const subscribeTrack = z.object({ ...subscribeTrackFields, from: id }).strict();
/** As a controller sends it: a source, or a slot. */
const subscribeTrackOrSlot = z
  .object({ ...subscribeTrackFields, from: id.optional() })
  .strict()
  .refine((t) => t.from !== undefined || t.slot !== undefined, { path: ['from'], message: 'a source (from) or a slot is required' })
  .refine((t) => t.slot === undefined || (t.from === undefined && t.source === undefined), {
    path: ['slot'],
    message: 'a slot takes no from or source (the agent picks among its own tracks)',
  });
const owner = z.string().max(128).optional();

export const publishSchema = z
  .object({
    operationId: id,
    connectionType: z.literal('webrtc'),
    options: z
      .object({ transportId: id, tracks: z.array(publishTrack).min(1).max(16), controller, owner })
      .strict(),
  })
  .strict();

const subscribeOf = <T extends z.ZodType>(track: T) =>
  z
    .object({
      operationId: id,
      connectionType: z.literal('webrtc'),
      options: z
        .object({ transportId: id, tracks: z.array(track).min(1).max(16), controller, owner, enableBWE: z.boolean().optional() })
        .strict(),
    })
    .strict();
export const subscribeSchema = subscribeOf(subscribeTrack);
/** subscribe as it comes over NATS (the SlotManager fills in the source of each slot). */
export const slotSubscribeSchema = subscribeOf(subscribeTrackOrSlot);

export const operationSchema = z.object({ operationId: id }).strict();

/**
 * OWT's setVideoBitrate: a cap for a subscription to a layered publication
 * (kbit/s, as OWT's bitrates; 0: none). trackId: one out-track of the
 * operation (default: all its layered video).
 */
export const setVideoBitrateSchema = z
  .object({ operationId: id, trackId: id.optional(), bitrate: z.number().min(0).max(1_000_000) })
  .strict();
/**
 * A layered subscription's preferred highest spatial / temporal layer
 * (null: no limit) and its priority against the transport's other video.
 * Fields left out keep their value.
 */
export const setLayerPreferenceSchema = z
  .object({
    operationId: id,
    trackId: id.optional(),
    maxSpatialLayer: z.number().int().min(0).max(3).nullable().optional(),
    maxTemporalLayer: z.number().int().min(0).max(3).nullable().optional(),
    priority: z.number().int().min(-100).max(100).optional(),
  })
  .strict();
/**
 * OWT's createLayerStreams(trackId, {spatial, temporal}): per dimension,
 * true (one stream per layer), a layer id, or false / -1 / left out (all
 * of that dimension in each stream).
 */
const layerChoice = z
  .union([z.boolean(), z.number().int().min(-1).max(MAX_LAYER_ID)], { error: `must be true, false or a layer id 0..${MAX_LAYER_ID} (-1: all)` })
  .optional();
export const createLayerStreamsSchema = z.object({ trackId: id, spatial: layerChoice, temporal: layerChoice }).strict();
export type CreateLayerStreamsRequest = z.infer<typeof createLayerStreamsSchema>;
export type SetVideoBitrateRequest = z.infer<typeof setVideoBitrateSchema>;
export type SetLayerPreferenceRequest = z.infer<typeof setLayerPreferenceSchema>;

/** OWT's mediaOnOff(operationId, trackIds, direction, action). */
export const mediaOnOffSchema = z
  .object({
    operationId: id,
    tracks: z.array(id).min(1).max(32),
    direction: z.enum(['in', 'out']),
    action: z.enum(['on', 'off']),
  })
  .strict();
export type MediaOnOffRequest = z.infer<typeof mediaOnOffSchema>;

const candidate = z
  .object({ sdpMid: z.string().max(32).nullish(), sdpMLineIndex: z.number().int().min(0).max(1024).nullish(), candidate: z.string().max(1024) })
  .strict();
export const signalingMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('offer'), sdp: z.string().max(256 * 1024) }).strict(),
  z.object({ type: z.literal('candidate'), candidate }).strict(),
  z.object({ type: z.literal('removed-candidates'), candidates: z.array(z.unknown()).max(256) }).strict(),
]);
export const onTransportSignalingSchema = z.object({ transportId: id, message: signalingMessage }).strict();

/** What a track carries, as the answer agreed it (internal: set by the LinkManager on a subscriber's node). */
export const trackFormat = z
  .object({
    name: z.string().min(1).max(32),
    clockRate: z.number().int().min(1000).max(192000),
    channels: z.number().int().min(1).max(8).optional(),
    fmtp: z.record(z.string(), z.string()),
    owner: z.string().max(128).optional(),
  })
  .strict();
/** The LinkManager hands a stand-in its format and, for a simulcast layer, its publication's layer track ids (lowest first). */
export const setTrackFormatSchema = z.object({ trackId: id, format: trackFormat, layers: z.array(id).min(2).max(8).optional() }).strict();

export type PublishRequest = z.infer<typeof publishSchema>;
export type SubscribeRequest = z.infer<typeof subscribeSchema>;
export type SignalingMessage = z.infer<typeof signalingMessage>;
