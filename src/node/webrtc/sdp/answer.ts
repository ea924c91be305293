/**
 * Answering a client's Unified Plan offer: the agent is an ICE-lite peer
 * that always answers, with rtcp-mux required and one ICE/DTLS transport
 * per BUNDLE group or per m-line outside the groups. For every m-line
 * the caller says what the agent does with it (receive a publication, or send
 * a subscription); the answer picks the codec, header extensions and
 * feedback both sides support, and reports what was agreed so the transport
 * can be set up from it.
 *
 * Parsing and writing use sdp-transform; what is written here is the
 * negotiation, which no library does for an SFU.
 */
import { randomBytes } from 'node:crypto';
import * as sdpTransform from 'sdp-transform';
import { InvalidRequestError } from '../../../errors';
import {
  parseFmtp,
  sameFormat,
  SUPPORTED_EXTENSIONS,
  SUPPORTED_FEEDBACK,
  supportedSpec,
  TRANSPORT_CC_EXTENSION,
  type MediaKind,
} from './codecs';
import { parseOffer } from './offer';

export interface LocalParameters {
  iceUfrag: string;
  icePwd: string;
  fingerprint: { algorithm: string; value: string };
  candidates: LocalCandidate[];
}

/** A host candidate of the agent: UDP, or ICE-TCP (RFC 6544; passive, the agent only accepts). */
export interface LocalCandidate {
  ip: string;
  port: number;
  protocol?: 'udp' | 'tcp';
}

/**
 * RFC 8445 §5.1.2.1 priority of a host candidate, component 1. UDP keeps
 * the full local preference; TCP gets a lower one (RFC 6544 §4.2: a passive
 * host candidate's direction preference, below UDP's), so a client that
 * can use both prefers UDP.
 */
function hostPriority(protocol: 'udp' | 'tcp', index: number): number {
  const localPreference = protocol === 'udp' ? 65535 : (2 << 13) + 8191;
  return 126 * 2 ** 24 + (localPreference - index) * 2 ** 8 + 255;
}

export interface SendPlan {
  /** The exact format the agent will send (the publisher's). */
  format: { name: string; fmtp: Record<string, string> };
  ssrc: number;
  /** video: the SSRC repairs go on as RTX (RFC 4588), if the client offers RTX. */
  rtxSsrc?: number;
  /** The agent estimates the bandwidth towards the client: answer transport-cc where it is offered. */
  transportCc?: boolean;
  cname: string;
  streamId: string;
  trackId: string;
}

export interface MidPlan {
  role: 'receive' | 'send';
  /** receive: codec names in order of preference; default: the offer's order. */
  preferred?: string[];
  /** send: what the agent will send on this m-line. */
  send?: SendPlan;
}

export interface NegotiatedCodec {
  name: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  fmtp: Record<string, string>;
  feedback: Array<{ type: string; subtype?: string }>;
}

export interface NegotiatedMedia {
  mid: string;
  kind: MediaKind;
  role: 'receive' | 'send';
  accepted: boolean;
  reason?: string;
  codec?: NegotiatedCodec;
  rtxPayloadType?: number;
  /** direction: as the answer writes it (RFC 8285), absent when the offer gave none. */
  extensions: Array<{ id: number; uri: string; direction?: string }>;
  /** receive: the SSRCs the client announced (media, then RTX). */
  remoteSsrcs: number[];
  remoteRtxSsrc?: number;
  /** receive: simulcast layers by RID, lowest first as offered. */
  rids: string[];
}

/** One ICE/DTLS transport the offer asks for, as answered. */
export interface AnswerLeg {
  /**
   * The transport group: a BUNDLE group's first mid (its offerer-tagged
   * m-line), or the mid of an m-line outside every group.
   */
  key: string;
  /** The accepted mids it carries, in offer order. */
  mids: string[];
  remote: RemoteTransport;
  /** Our DTLS role on it: the client (active) sends the ClientHello. */
  dtlsRole: 'client' | 'server';
}

export interface RemoteTransport {
  iceUfrag: string;
  icePwd: string;
  fingerprint: { algorithm: string; value: string };
}

export interface Answer {
  sdp: string;
  media: NegotiatedMedia[];
  /** The first leg's (the only one when everything is bundled). */
  remote: RemoteTransport;
  dtlsRole: 'client' | 'server';
  /** Every transport the accepted m-lines need: one per BUNDLE group, one per m-line outside the groups. */
  legs: AnswerLeg[];
}

const FINGERPRINT_ALGORITHMS = new Set(['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512']);

function fail(message: string): never {
  throw new InvalidRequestError('sdp', message);
}

type Media = sdpTransform.MediaDescription;

/**
 * `local` gives the agent's side of each transport group (AnswerLeg.key,
 * and every mid the offer puts in the group): one set of parameters for
 * all, or a function when the groups get transports of their own (their
 * ICE credentials differ).
 */
export function answerOffer(
  offerSdp: string,
  local: LocalParameters | ((leg: string, mids: string[]) => LocalParameters),
  plans: Record<string, MidPlan>,
): Answer {
  const offer = parseOffer(offerSdp);
  if (!offer.media?.length) fail('no m-lines');
  const localFor = typeof local === 'function' ? local : () => local;

  // Transport groups (RFC 8843): the m-lines of a BUNDLE group share one
  // ICE/DTLS transport (every browser's policy, webrtcbin's max-bundle and
  // max-compat); an m-line outside every group has one of its own
  // (webrtcbin's balanced and none offer no group at all). A group is
  // keyed by its first mid, the offerer-tagged m-line.
  const legOf = new Map<string, string>();
  const bundled = new Set<string>();
  for (const g of offer.groups ?? []) {
    if (g.type !== 'BUNDLE') continue;
    const mids = String(g.mids).split(' ').filter(Boolean);
    for (const mid of mids) {
      if (bundled.has(mid)) fail(`mid ${mid} is in two BUNDLE groups`);
      bundled.add(mid);
      legOf.set(mid, mids[0]!);
    }
  }
  for (const m of offer.media) if (m.mid !== undefined && !legOf.has(m.mid)) legOf.set(m.mid, m.mid);
  const membersOf = (key: string) => offer.media.filter((m) => m.mid !== undefined && legOf.get(m.mid) === key);

  // The remote side of each group that carries a planned m-line, checked up
  // front: the first of its m-lines that states a value gives it (the
  // tagged one; a=bundle-only ones may leave it out), else the session.
  const legs = new Map<string, AnswerLeg & { setup: string }>();
  const remoteOf = (key: string, members: Media[]): AnswerLeg & { setup: string } => {
    const pick = <K extends 'iceUfrag' | 'icePwd' | 'fingerprint' | 'setup'>(k: K) => members.find((x) => x[k] !== undefined)?.[k] ?? (offer as Partial<Media>)[k];
    // parseOffer made every string field a string (a ufrag of digits included).
    const iceUfrag = pick('iceUfrag');
    const icePwd = pick('icePwd');
    if (!iceUfrag || !icePwd) fail('ice-ufrag and ice-pwd are required');
    const fp = pick('fingerprint');
    if (!fp) fail('a DTLS fingerprint is required');
    if (!FINGERPRINT_ALGORITHMS.has(fp.type.toLowerCase())) fail(`unsupported fingerprint algorithm ${fp.type}`);
    const setup = pick('setup') ?? 'actpass';
    if (setup === 'holdconn') fail('setup:holdconn is not supported');
    // The offerer chooses or lets us choose; we prefer to be the DTLS server,
    // which spares an ICE-lite agent a round trip before it knows the path.
    const dtlsRole: 'client' | 'server' = setup === 'passive' ? 'client' : 'server';
    return {
      key,
      mids: [],
      remote: { iceUfrag, icePwd, fingerprint: { algorithm: fp.type.toLowerCase(), value: fp.hash } },
      dtlsRole,
      setup: dtlsRole === 'client' ? 'active' : 'passive',
    };
  };
  for (const m of offer.media) {
    const key = m.mid !== undefined ? legOf.get(m.mid)! : undefined;
    if (key === undefined || !plans[m.mid!] || legs.has(key)) continue;
    legs.set(key, remoteOf(key, membersOf(key)));
  }
  // No m-line is part of an operation: the first m-line's group still has
  // to be a transport the agent could answer on.
  if (!legs.size) {
    const m0 = offer.media[0]!;
    const key = m0.mid !== undefined ? legOf.get(m0.mid)! : '';
    legs.set(key, remoteOf(key, m0.mid !== undefined ? membersOf(key) : [m0]));
  }

  const media: NegotiatedMedia[] = [];
  const answerMedia: Media[] = [];
  for (const m of offer.media) {
    const mid = m.mid ?? '';
    const kind = m.type as MediaKind;
    const plan = plans[mid];
    const result: NegotiatedMedia = {
      mid,
      kind,
      role: plan?.role ?? 'receive',
      accepted: false,
      extensions: [],
      remoteSsrcs: [],
      rids: [],
    };
    const reject = (reason: string) => {
      result.reason = reason;
      media.push(result);
      answerMedia.push(rejectedMedia(m, mid));
    };
    if (!mid) {
      reject('no a=mid');
      continue;
    }
    if (kind !== 'audio' && kind !== 'video') {
      reject(`${m.type} is not supported`);
      continue;
    }
    // Port 0 rejects an m-line, unless it is bundle-only in a BUNDLE group
    // (RFC 8843 §6: max-bundle offers every m-line but the first so): then
    // it is part of the group and answered in it (JSEP §5.3.1).
    if (m.port === 0 && !(m.bundleOnly && bundled.has(mid))) {
      reject('rejected by the offerer');
      continue;
    }
    if (!plan) {
      reject('not part of any operation');
      continue;
    }
    const leg = legs.get(legOf.get(mid)!)!;
    // The tagged m-line's rtcp-mux covers the group's others (RFC 8843).
    const tagged = offer.media.find((x) => x.mid === leg.key);
    if (!m.rtcpMux && !tagged?.rtcpMux) fail(`rtcp-mux is required (mid ${mid})`);
    if (!/^UDP\/TLS\/RTP\/SAVPF$/i.test(m.protocol)) fail(`mid ${mid}: protocol ${m.protocol} is not supported`);
    const dir = m.direction ?? 'sendrecv';
    if (plan.role === 'receive' && dir !== 'sendonly' && dir !== 'sendrecv') fail(`mid ${mid}: the client does not send on an m-line it publishes (${dir})`);
    if (plan.role === 'send' && dir !== 'recvonly' && dir !== 'sendrecv') fail(`mid ${mid}: the client does not receive on an m-line it subscribes (${dir})`);

    const codec = pickCodec(m, kind, plan);
    if (!codec) {
      reject(plan.role === 'send' ? `the client cannot receive ${plan.send?.format.name}` : 'no codec in common');
      continue;
    }
    result.accepted = true;
    result.codec = codec;
    // RTX from the client is accepted when the offer ties its SSRC to the
    // media SSRC (a=ssrc-group:FID): the agent unwraps it into the track.
    // Without that (simulcast by RID) RTX is left out of the answer, so the
    // client retransmits on the media SSRC itself. Towards a client that
    // offers RTX for the codec (apt=), repairs go as RTX on their own SSRC
    // (announced in the answer's FID group), so the client's loss counts on
    // the media SSRC stay honest; without it the agent repeats the packet.
    const fidGroup = m.ssrcGroups?.find((g) => g.semantics === 'FID');
    if (plan.role === 'receive') {
      result.rtxPayloadType = fidGroup && !m.rids?.length ? findRtx(m, codec.payloadType) : undefined;
    } else if (kind === 'video' && plan.send?.rtxSsrc !== undefined) {
      result.rtxPayloadType = findRtx(m, codec.payloadType);
    }
    result.extensions = (m.ext ?? [])
      .filter((e) => SUPPORTED_EXTENSIONS.includes(e.uri) && extensionFlows(e.direction, plan.role))
      .filter((e) => plan.role === 'receive' || (!e.uri.includes('rtp-stream-id') && (e.uri !== TRANSPORT_CC_EXTENSION || plan.send?.transportCc === true)))
      .map((e) => (e.direction ? { id: e.value, uri: e.uri, direction: ANSWER_DIRECTION[e.direction]! } : { id: e.value, uri: e.uri }));
    if (plan.role === 'receive') {
      const fid = m.ssrcGroups?.find((g) => g.semantics === 'FID');
      if (fid) {
        const [main, rtx] = fid.ssrcs.split(' ').map(Number);
        result.remoteSsrcs = [main!];
        result.remoteRtxSsrc = rtx;
      } else {
        result.remoteSsrcs = [...new Set((m.ssrcs ?? []).map((s) => Number(s.id)))];
      }
      result.rids = (m.rids ?? []).filter((r) => r.direction === 'send').map((r) => String(r.id));
    }
    media.push(result);
    leg.mids.push(mid);
    answerMedia.push(acceptedMedia(m, mid, result, plan, localFor(leg.key, membersOf(leg.key).map((x) => x.mid!)), leg.setup));
  }

  // The answer groups what the offer grouped, less what it rejected.
  const groups = (offer.groups ?? [])
    .filter((g) => g.type === 'BUNDLE')
    .map((g) => legs.get(String(g.mids).split(' ').filter(Boolean)[0]!)?.mids ?? [])
    .filter((mids) => mids.length)
    .map((mids) => ({ type: 'BUNDLE', mids: mids.join(' ') }));
  const used = [...legs.values()].filter((l) => l.mids.length).map(({ setup: _setup, ...l }) => l);
  const first = used[0] ?? [...legs.values()][0]!;
  const answer: sdpTransform.SessionDescription = {
    version: 0,
    origin: {
      username: '-',
      sessionId: BigInt.asUintN(63, BigInt(`0x${randomBytes(8).toString('hex')}`)).toString(),
      sessionVersion: 2,
      netType: 'IN',
      ipVer: 4,
      address: '127.0.0.1',
    },
    name: '-',
    timing: { start: 0, stop: 0 },
    icelite: 'ice-lite',
    groups,
    msidSemantic: { semantic: 'WMS', token: '*' },
    media: answerMedia,
  } as sdpTransform.SessionDescription;
  return {
    sdp: sdpTransform.write(answer),
    media,
    remote: first.remote,
    dtlsRole: first.dtlsRole,
    legs: used,
  };
}

function pickCodec(m: Media, kind: MediaKind, plan: MidPlan): NegotiatedCodec | undefined {
  const offered = (m.rtp ?? []).map((r) => ({
    payloadType: r.payload,
    name: r.codec,
    clockRate: r.rate ?? 0,
    channels: channelsOf(r.encoding),
    fmtp: parseFmtp(m.fmtp?.find((f) => f.payload === r.payload)?.config),
  }));
  let candidates = offered.filter((o) => supportedSpec(o.name, kind, o.clockRate));
  if (plan.role === 'send') {
    const want = plan.send?.format;
    if (!want) return undefined;
    candidates = candidates.filter((o) => sameFormat(o, want));
  } else if (plan.preferred?.length) {
    const rank = (n: string) => {
      const i = plan.preferred!.findIndex((p) => p.toLowerCase() === n.toLowerCase());
      return i < 0 ? plan.preferred!.length : i;
    };
    candidates = [...candidates].sort((a, b) => rank(a.name) - rank(b.name));
  }
  // For H264, prefer packetization-mode 1 (what browsers send).
  const chosen = candidates.find((c) => c.name.toLowerCase() !== 'h264' || c.fmtp['packetization-mode'] === '1') ?? candidates[0];
  if (!chosen) return undefined;
  const feedback = (m.rtcpFb ?? [])
    .filter((f) => String(f.payload) === String(chosen.payloadType) || f.payload === '*')
    .map((f) => ({ type: f.type, subtype: f.subtype }))
    .filter((f) => SUPPORTED_FEEDBACK.some((s) => s.type === f.type && s.subtype === f.subtype))
    // transport-cc where the client sends (audio too: every numbered packet
    // counts), and where the agent sends if it estimates the bandwidth
    // towards the client; the rest is video feedback.
    .filter((f) =>
      f.type === 'transport-cc'
        ? hasTransportCc(m, plan.role) && (plan.role === 'receive' || plan.send?.transportCc === true)
        : kind === 'video',
    );
  return { ...chosen, feedback };
}

/** a=rtpmap's third part for audio: a channel count (1..8), else none. */
function channelsOf(encoding: string | number | undefined): number | undefined {
  const n = Number(encoding);
  return encoding !== undefined && Number.isInteger(n) && n >= 1 && n <= 8 ? n : undefined;
}

function hasTransportCc(m: Media, role: 'receive' | 'send'): boolean {
  return (m.ext ?? []).some((e) => e.uri === TRANSPORT_CC_EXTENSION && extensionFlows(e.direction, role));
}

/**
 * RFC 8285 §7: an extmap direction is the offerer's. A header extension the
 * client sends (publish: no direction, sendrecv or sendonly) or receives
 * (subscribe: none, sendrecv or recvonly) is usable; the answer mirrors the
 * direction. Firefox writes `a=extmap:9/sendonly ...rtp-stream-id`.
 */
function extensionFlows(direction: string | undefined, role: 'receive' | 'send'): boolean {
  if (!direction || direction === 'sendrecv') return true;
  return direction === (role === 'receive' ? 'sendonly' : 'recvonly');
}

const ANSWER_DIRECTION: Record<string, string> = { sendrecv: 'sendrecv', sendonly: 'recvonly', recvonly: 'sendonly' };

function findRtx(m: Media, apt: number): number | undefined {
  const rtx = (m.rtp ?? []).find(
    (r) => r.codec.toLowerCase() === 'rtx' && parseFmtp(m.fmtp?.find((f) => f.payload === r.payload)?.config).apt === String(apt),
  );
  return rtx?.payload;
}

function rejectedMedia(m: Media, mid: string): Media {
  return {
    type: m.type,
    port: 0,
    protocol: m.protocol,
    payloads: m.payloads,
    connection: { version: 4, ip: '0.0.0.0' },
    mid: mid || undefined,
    direction: 'inactive',
    rtp: [],
    fmtp: [],
  } as unknown as Media;
}

function acceptedMedia(
  m: Media,
  mid: string,
  r: NegotiatedMedia,
  plan: MidPlan,
  local: LocalParameters,
  setup: string,
): Media {
  const c = r.codec!;
  const rtp: Media['rtp'] = [{ payload: c.payloadType, codec: c.name, rate: c.clockRate, encoding: c.channels }];
  const fmtp: Media['fmtp'] = [];
  const fmtpText = Object.entries(c.fmtp).map(([k, v]) => `${k}=${v}`).join(';');
  if (fmtpText) fmtp.push({ payload: c.payloadType, config: fmtpText });
  if (r.rtxPayloadType !== undefined) {
    rtp.push({ payload: r.rtxPayloadType, codec: 'rtx', rate: c.clockRate });
    fmtp.push({ payload: r.rtxPayloadType, config: `apt=${c.payloadType}` });
  }
  const out: Record<string, unknown> = {
    type: m.type,
    port: local.candidates[0]?.port ?? 9,
    protocol: m.protocol,
    payloads: rtp.map((x) => x.payload).join(' '),
    connection: { version: 4, ip: local.candidates[0]?.ip ?? '0.0.0.0' },
    mid,
    iceUfrag: local.iceUfrag,
    icePwd: local.icePwd,
    fingerprint: { type: local.fingerprint.algorithm, hash: local.fingerprint.value },
    setup,
    direction: plan.role === 'receive' ? 'recvonly' : 'sendonly',
    rtcpMux: 'rtcp-mux',
    rtcpRsize: 'rtcp-rsize',
    rtp,
    fmtp,
    rtcpFb: c.feedback.map((f) => ({ payload: c.payloadType, type: f.type, subtype: f.subtype })),
    ext: r.extensions.map((e) => ({ value: e.id, uri: e.uri, direction: e.direction })),
    candidates: local.candidates.map((cand, i) => ({
      foundation: String(i + 1),
      component: 1,
      transport: cand.protocol ?? 'udp',
      priority: hostPriority(cand.protocol ?? 'udp', i),
      ip: cand.ip,
      port: cand.port,
      type: 'host',
      ...(cand.protocol === 'tcp' ? { tcptype: 'passive' } : {}),
    })),
    endOfCandidates: 'end-of-candidates',
  };
  if (plan.role === 'receive' && r.rids.length) {
    out.rids = r.rids.map((id) => ({ id, direction: 'recv' }));
    out.simulcast = { dir1: 'recv', list1: r.rids.join(';') };
  }
  if (plan.role === 'send' && plan.send) {
    const s = plan.send;
    out.msid = [{ id: s.streamId, appdata: s.trackId }];
    out.ssrcs = [
      { id: s.ssrc, attribute: 'cname', value: s.cname },
      { id: s.ssrc, attribute: 'msid', value: `${s.streamId} ${s.trackId}` },
    ];
    if (r.rtxPayloadType !== undefined && s.rtxSsrc !== undefined) {
      out.ssrcGroups = [{ semantics: 'FID', ssrcs: `${s.ssrc} ${s.rtxSsrc}` }];
      (out.ssrcs as unknown[]).push(
        { id: s.rtxSsrc, attribute: 'cname', value: s.cname },
        { id: s.rtxSsrc, attribute: 'msid', value: `${s.streamId} ${s.trackId}` },
      );
    }
  }
  return out as unknown as Media;
}
