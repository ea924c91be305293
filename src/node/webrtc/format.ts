/**
 * A track's format: what the publisher's answer agreed, kept so that a
 * subscriber's offer can be answered with the same bitstream. The event
 * form (OWT's mediaFormat) carries it whole, so the main thread's
 * LinkManager can hand it to the node of a subscriber elsewhere.
 */
import type * as H264 from 'h264-profile-level-id';
import type { NegotiatedCodec } from './sdp/answer';

export interface TrackFormat {
  name: string;
  clockRate: number;
  channels?: number;
  fmtp: Record<string, string>;
  /** The publishing operation's owner: nobody is sent their own audio. */
  owner?: string;
}

/** OWT's mediaFormat, plus clockRate and fmtp (what a subscriber's answer needs). */
export interface MediaFormat {
  codec: string;
  sampleRate?: number;
  channelNum?: number;
  profile?: string;
  clockRate: number;
  fmtp: Record<string, string>;
}

/**
 * OWT's name of an H264 profile-level-id's profile. h264-profile-level-id
 * (and its debug dependency) loads on first use: the main thread imports
 * this file for fromMediaFormat only, and would pay ~0.6 MiB for nothing.
 */
function h264Profile(profileLevelId: string): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseProfileLevelId, Profile } = require('h264-profile-level-id') as typeof H264;
  const names: Record<number, string> = {
    [Profile.ConstrainedBaseline]: 'CB',
    [Profile.Baseline]: 'B',
    [Profile.Main]: 'M',
    [Profile.ConstrainedHigh]: 'CHP',
    [Profile.High]: 'H',
  };
  const p = parseProfileLevelId(profileLevelId);
  return p ? names[p.profile] : undefined;
}

export function formatOf(c: NegotiatedCodec): TrackFormat {
  return { name: c.name, clockRate: c.clockRate, ...(c.channels ? { channels: c.channels } : {}), fmtp: { ...c.fmtp } };
}

export function toMediaFormat(kind: 'audio' | 'video', f: TrackFormat): MediaFormat {
  const out: MediaFormat = { codec: f.name.toLowerCase(), clockRate: f.clockRate, fmtp: f.fmtp };
  if (kind === 'audio') {
    out.sampleRate = f.clockRate;
    if (f.channels) out.channelNum = f.channels;
  }
  if (f.name.toLowerCase() === 'h264') {
    const profile = f.fmtp['profile-level-id'] ? h264Profile(f.fmtp['profile-level-id']) : undefined;
    if (profile) out.profile = profile;
  }
  return out;
}

export function fromMediaFormat(m: MediaFormat): TrackFormat {
  return { name: m.codec, clockRate: m.clockRate, ...(m.channelNum ? { channels: m.channelNum } : {}), fmtp: m.fmtp ?? {} };
}
