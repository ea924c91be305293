/**
 * Payload schemas of media between agents: the node methods linkup and
 * cutoff (OWT's shape, served by the main thread for the node), and the
 * requests one agent sends to another on `<prefix>.internal.<address>.*`.
 */
import { z } from 'zod';
import { trackFormat } from '../node/webrtc/schemas';
import { codec, id, kind, srtpKey } from '../node/media/schemas';

const ipv4 = z.ipv4({ message: 'must be an IPv4 address' });
const port = z.number().int().min(1).max(65535);
const ssrc = z.number().int().min(1).max(0xffffffff);

/** One source of a linkup: the track and the internal address of the node holding it. */
const source = z
  .object({ id, ip: ipv4, port, ssrc: ssrc.optional(), payloadType: z.number().int().min(0).max(127).optional() })
  .strict();

export const linkupSchema = z
  .object({
    subscriptionId: id,
    transportId: id,
    audio: source.optional(),
    video: source.optional(),
  })
  .strict()
  .refine((v) => v.audio !== undefined || v.video !== undefined, {
    message: 'one of audio or video is required',
    path: ['audio'],
  });
export type LinkupRequest = z.infer<typeof linkupSchema>;

export const cutoffSchema = z.object({ subscriptionId: id }).strict();

// --- agent to agent, on <prefix>.internal.<ip-with-dashes>-<port>.<method> ---

/** A sender's SRTP key for what it sends on the internal transport. */
export const SRTP_PROFILE = 'SRTP_AEAD_AES_128_GCM';
const srtp = z.object({ profile: z.literal(SRTP_PROFILE), key: srtpKey }).strict();

/** "Send track trackId to my internal address ip:port under this SSRC." */
export const exportTrackSchema = z
  .object({ trackId: id, ip: ipv4, port, ssrc, agentId: z.string().min(1).max(256), srtp: srtp.optional() })
  .strict();
export const exportTrackReply = z
  .object({ exportId: id, kind, clockRate: z.number().int().min(1000).max(192000), format: trackFormat.optional(), codec: codec.optional(), srtp: srtp.optional() })
  .strict();
export type ExportTrackReply = z.infer<typeof exportTrackReply>;
export const unexportTrackSchema = z.object({ exportId: id }).strict();
/** "The track you import from me under this SSRC is gone." */
export const sourceGoneSchema = z.object({ trackId: id, ssrc }).strict();
export const pingSchema = z.object({}).strict();
