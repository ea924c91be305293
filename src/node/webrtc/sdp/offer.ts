/**
 * The parse boundary for a client's offer: sdp-transform's output with every
 * field the negotiation reads given the type it is declared with.
 *
 * sdp-transform turns any captured token that reads back as the same number
 * into a number (`toIntIfInt`), and leaves an empty `\d*` capture as an
 * empty string. So a declared string can arrive as a number (a=fmtp:63 11
 * gives `config: 11`, an all-digit ice-ufrag gives a number) and a declared
 * number as '' or as a value no RTP field can hold. Rather than guard every
 * use, the offer is normalised here once:
 *
 * - string fields (ufrag, pwd, fingerprint, setup, mid, direction, protocol,
 *   codec names, fmtp configs, feedback types, extension URIs, ssrc-group
 *   lists, rids, BUNDLE mids) become strings;
 * - number fields (m-line port, payload types, clock rates, extension ids,
 *   SSRCs) must be integers in their range: a line whose number is not is
 *   dropped, as a line sdp-transform could not read would be (an m-line
 *   port is answered with 400 instead);
 * - what the offer can multiply is bounded (simulcast layers, their ids),
 *   since each becomes a router track.
 */
import * as sdpTransform from 'sdp-transform';
import { InvalidRequestError } from '../../../errors';

/** Simulcast layers per m-line (browsers send up to 3) and the length of a rid (it becomes part of a track id). */
export const MAX_RIDS = 8;
export const MAX_RID_LENGTH = 16;
/** m-lines per offer (each mid is also bounded by the operations that name it). */
export const MAX_MEDIA = 64;

type Raw = Record<string, unknown>;

function fail(message: string): never {
  throw new InvalidRequestError('sdp', message);
}

function int(v: unknown, min: number, max: number): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

function list(v: unknown): Raw[] {
  return Array.isArray(v) ? (v as Raw[]) : [];
}

/** Strings where strings are declared; entries whose numbers are out of range dropped. */
function normaliseMedia(m: Raw, i: number): void {
  m.type = String(m.type ?? '');
  const port = int(m.port, 0, 65535);
  if (port === undefined) fail(`m-line ${i}: port ${String(m.port)} is not 0..65535`);
  m.port = port;
  m.protocol = String(m.protocol ?? '');
  if (m.payloads !== undefined) m.payloads = String(m.payloads);
  for (const k of ['mid', 'iceUfrag', 'icePwd', 'setup', 'direction', 'rtcpMux'] as const) {
    if (m[k] !== undefined) m[k] = String(m[k]);
  }
  normaliseFingerprint(m);
  m.rtp = list(m.rtp).flatMap((r) => {
    const payload = int(r.payload, 0, 127);
    if (payload === undefined) return [];
    const rate = r.rate === undefined || r.rate === '' ? undefined : int(r.rate, 1, 1_000_000);
    if (r.rate !== undefined && r.rate !== '' && rate === undefined) return [];
    return [{ payload, codec: String(r.codec ?? ''), ...(rate !== undefined ? { rate } : {}), ...(r.encoding !== undefined ? { encoding: String(r.encoding) } : {}) }];
  });
  m.fmtp = list(m.fmtp).flatMap((f) => {
    const payload = int(f.payload, 0, 127);
    return payload === undefined ? [] : [{ payload, config: String(f.config ?? '') }];
  });
  if (m.rtcpFb !== undefined) {
    m.rtcpFb = list(m.rtcpFb).map((f) => ({ payload: String(f.payload ?? ''), type: String(f.type ?? ''), ...(f.subtype !== undefined ? { subtype: String(f.subtype) } : {}) }));
  }
  if (m.ext !== undefined) {
    m.ext = list(m.ext).flatMap((e) => {
      // One-byte (1..14) and two-byte (1..255) header extension ids, RFC 8285.
      const value = int(e.value, 1, 255);
      return value === undefined ? [] : [{ value, uri: String(e.uri ?? ''), ...(e.direction !== undefined ? { direction: String(e.direction) } : {}) }];
    });
  }
  if (m.ssrcs !== undefined) {
    m.ssrcs = list(m.ssrcs).flatMap((s) => {
      const id = int(s.id, 1, 0xffffffff);
      return id === undefined ? [] : [{ ...s, id, attribute: String(s.attribute ?? ''), ...(s.value !== undefined ? { value: String(s.value) } : {}) }];
    });
  }
  if (m.ssrcGroups !== undefined) {
    m.ssrcGroups = list(m.ssrcGroups).flatMap((g) => {
      const ssrcs = String(g.ssrcs ?? '').split(' ').filter(Boolean);
      // FID is media + RTX: both SSRCs must be 32-bit numbers.
      if (ssrcs.length === 0 || !ssrcs.every((s) => int(s, 1, 0xffffffff) !== undefined)) return [];
      return [{ semantics: String(g.semantics ?? ''), ssrcs: ssrcs.join(' ') }];
    });
  }
  if (m.rids !== undefined) {
    const rids = list(m.rids).map((r) => ({ ...r, id: String(r.id ?? ''), direction: String(r.direction ?? '') }));
    if (rids.length > MAX_RIDS) fail(`m-line ${i}: more than ${MAX_RIDS} a=rid lines`);
    for (const r of rids) if (r.id.length > MAX_RID_LENGTH) fail(`m-line ${i}: rid longer than ${MAX_RID_LENGTH} characters`);
    m.rids = rids;
  }
}

function normaliseFingerprint(o: Raw): void {
  const fp = o.fingerprint as Raw | undefined;
  if (fp) o.fingerprint = { type: String(fp.type ?? ''), hash: String(fp.hash ?? '') };
}

/** Parses an offer into sdp-transform's shape, every field typed as declared (400 naming the problem otherwise). */
export function parseOffer(offerSdp: string): sdpTransform.SessionDescription {
  if (typeof offerSdp !== 'string' || !offerSdp.startsWith('v=0')) fail('not a session description (must start with v=0)');
  let offer: Raw;
  try {
    offer = sdpTransform.parse(offerSdp) as unknown as Raw;
  } catch (err) {
    fail(`cannot parse: ${(err as Error).message}`);
  }
  for (const k of ['iceUfrag', 'icePwd', 'setup'] as const) if (offer[k] !== undefined) offer[k] = String(offer[k]);
  normaliseFingerprint(offer);
  if (offer.groups !== undefined) {
    offer.groups = list(offer.groups).map((g) => ({ type: String(g.type ?? ''), mids: String(g.mids ?? '') }));
  }
  const media = list(offer.media);
  if (media.length > MAX_MEDIA) fail(`more than ${MAX_MEDIA} m-lines`);
  media.forEach((m, i) => normaliseMedia(m, i));
  return offer as unknown as sdpTransform.SessionDescription;
}
