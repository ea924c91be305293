/**
 * Payload schemas of the media node methods (plain RTP transports, tracks,
 * subscriptions). Shared by the node thread, which validates every call, and
 * the main thread, which reads the same payloads to link tracks across nodes.
 */
import { z } from 'zod';

export const id = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9_.:@-]+$/, 'may hold only letters, digits and _ . : @ -');
const ssrc = z.number().int().min(1).max(0xffffffff);
const payloadType = z.number().int().min(0).max(127);
const ipv4 = z.ipv4({ message: 'must be an IPv4 address' });
const port = z.number().int().min(1).max(65535);
export const kind = z.enum(['audio', 'video']);
export const codec = z
  .string()
  .regex(/^(opus|vp8|vp9|h264|av1)$/i, 'one of opus, VP8, VP9, H264, AV1');

export const createPlainTransportSchema = z
  .object({ transportId: id, comedia: z.boolean().default(false) })
  .strict();
export const connectPlainTransportSchema = z.object({ transportId: id, ip: ipv4, port }).strict();
export const destroyTransportSchema = z.object({ transportId: id }).strict();
export const publishTrackSchema = z
  .object({
    transportId: id,
    trackId: id,
    kind,
    ssrc: ssrc.optional(),
    payloadType: payloadType.optional(),
    clockRate: z.number().int().min(1000).max(192000).optional(),
    /** The payload format (SDP encoding name): key frames and picture sizes are then recognised. */
    codec: codec.optional(),
    /** Ask the sender again for lost packets (generic NACK); video only, the sender must retransmit on the same SSRC. */
    nack: z.boolean().default(false),
    /** Audio: the id of the RFC 6464 audio-level header extension the sender puts on its packets; levels are then read (getStats, silence dropping). */
    audioLevelExt: z.number().int().min(1).max(255).optional(),
  })
  .strict()
  .refine((p) => p.audioLevelExt === undefined || p.kind === 'audio', { path: ['audioLevelExt'], message: 'for audio tracks only' });
export const unpublishTrackSchema = z.object({ trackId: id }).strict();
export const subscribeTrackSchema = z
  .object({
    transportId: id,
    trackId: id,
    subscriptionId: id,
    ssrc: ssrc.optional(),
    payloadType: payloadType.optional(),
    /** Audio packets at digital silence (RFC 6464 level 127) are not sent; no effect on video. */
    dropSilence: z.boolean().optional(),
    /** Only switch an existing subscription to trackId (404 if there is none): what speaker slots use. */
    switchOnly: z.boolean().optional(),
  })
  .strict();
export const unsubscribeTrackSchema = z.object({ subscriptionId: id }).strict();
export const requestKeyframeSchema = z.object({ trackId: id }).strict();

// Internal: sent by the main thread's LinkManager only, never over NATS.
const ringView = z.instanceof(Uint8Array);
export const attachPeerSchema = z.object({ peer: id, outbound: ringView, inbound: ringView }).strict();
export const detachPeerSchema = z.object({ peer: id }).strict();
export const importTrackSchema = z
  .object({ trackId: id, kind, clockRate: z.number().int().min(1000), peer: id, link: z.number().int().min(1), codec: codec.optional() })
  .strict();
export const exportTrackSchema = z.object({ trackId: id, peer: id, link: z.number().int().min(1) }).strict();

// Internal: the stand-in for a track on another agent, and an export to one.
/** A peer's SRTP sending key (master key || salt), base64, as it came over the RPC. */
export const srtpKey = z.base64().max(64);
export const importRemoteSchema = z
  .object({ trackId: id, kind, clockRate: z.number().int().min(1000).max(192000), ip: ipv4, port, ssrc, codec: codec.optional(), remoteKey: srtpKey.optional() })
  .strict();
export const exportRemoteSchema = z.object({ trackId: id, ip: ipv4, port, ssrc, exportId: id, remoteKey: srtpKey.optional() }).strict();
export const internalKeySchema = z.object({ ip: ipv4, port }).strict();
export const isUnusedSchema = z.object({ trackId: id }).strict();

export type PublishTrackRequest = z.infer<typeof publishTrackSchema>;
export type SubscribeTrackRequest = z.infer<typeof subscribeTrackSchema>;

/** What closing something took with it (the close cascade), as the node reports it. */
export interface Removed {
  tracks: string[];
  subscriptions: string[];
}

export { defaultClockRate } from './defaults';
