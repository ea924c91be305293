/**
 * What the agent can forward, and how an offered codec is matched against
 * it. The agent never transcodes: it takes a publisher's codec as offered
 * and hands the same bitstream to subscribers, so "support" means knowing
 * the payload format well enough to forward it (key frames, layers).
 */
import { isSameProfile } from 'h264-profile-level-id';

export type MediaKind = 'audio' | 'video';

export interface CodecSpec {
  /** As written in a=rtpmap, compared case-insensitively. */
  name: string;
  kind: MediaKind;
  clockRate: number;
  channels?: number;
}

export const SUPPORTED_CODECS: readonly CodecSpec[] = [
  { name: 'opus', kind: 'audio', clockRate: 48000, channels: 2 },
  { name: 'VP8', kind: 'video', clockRate: 90000 },
  { name: 'VP9', kind: 'video', clockRate: 90000 },
  { name: 'H264', kind: 'video', clockRate: 90000 },
  { name: 'AV1', kind: 'video', clockRate: 90000 },
];

/**
 * The transport-wide sequence number. Answered (with `a=rtcp-fb:<pt>
 * transport-cc`) only on m-lines the client publishes: the agent notes every
 * numbered packet's arrival and sends transport-cc feedback (RTPFB FMT 15)
 * every 50 ms, which a browser that negotiated it steers its sending rate by
 * (with it and no feedback, Chromium's estimate fell to its 30 kbit/s floor
 * in ~10 s). Left out where the agent sends: it does no bandwidth estimation
 * towards subscribers, so their feedback would be read for nothing.
 */
export const TRANSPORT_CC_EXTENSION = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

/** Header extensions the agent understands; others are not answered. */
export const SUPPORTED_EXTENSIONS: readonly string[] = [
  'urn:ietf:params:rtp-hdrext:sdes:mid',
  'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  TRANSPORT_CC_EXTENSION,
  'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
];

/** RTCP feedback the agent acts on (transport-cc: that it sends, see above). */
export const SUPPORTED_FEEDBACK: ReadonlyArray<{ type: string; subtype?: string }> = [
  { type: 'nack' },
  { type: 'nack', subtype: 'pli' },
  { type: 'ccm', subtype: 'fir' },
  { type: 'transport-cc' },
];

export function parseFmtp(config: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!config) return out;
  for (const part of config.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

export function supportedSpec(name: string, kind: MediaKind, clockRate: number): CodecSpec | undefined {
  return SUPPORTED_CODECS.find((c) => c.kind === kind && c.name.toLowerCase() === name.toLowerCase() && c.clockRate === clockRate);
}

/**
 * Whether two offered formats carry the same bitstream, so one can be
 * forwarded as the other: same codec, and for H264 the same profile and
 * packetization mode (RFC 6184), for VP9 the same profile-id.
 */
export function sameFormat(
  a: { name: string; fmtp: Record<string, string> },
  b: { name: string; fmtp: Record<string, string> },
): boolean {
  if (a.name.toLowerCase() !== b.name.toLowerCase()) return false;
  switch (a.name.toLowerCase()) {
    case 'h264':
      return (
        (a.fmtp['packetization-mode'] ?? '0') === (b.fmtp['packetization-mode'] ?? '0') &&
        isSameProfile(a.fmtp as Record<string, string>, b.fmtp as Record<string, string>)
      );
    case 'vp9':
      return (a.fmtp['profile-id'] ?? '0') === (b.fmtp['profile-id'] ?? '0');
    default:
      return true;
  }
}
