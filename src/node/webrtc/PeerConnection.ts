/**
 * The bookkeeping of one PeerConnection (what OWT's webrtc node API calls a
 * transport, `transportId`): its operations, the m-line mids each one owns,
 * what was set up for each mid once an offer was answered, and its legs
 * (each a native WebRTC transport, a `Transport` of src/node/router). No
 * native calls here: WebrtcNode does those; this class decides what they
 * must be, so it is unit-tested alone.
 */
import { randomInt } from 'node:crypto';
import { ConflictError, InvalidRequestError, NotFoundError } from '../../errors';
import type { TrackFormat } from './format';
import type { MidPlan } from './sdp/answer';

export type OperationKind = 'publish' | 'subscribe';

export interface OperationTrack {
  mid: string;
  type: 'audio' | 'video';
  /** publish: codec names in order of preference (formatPreference). */
  preferred: string[];
  /** publish, video: the client's scalabilityMode (how many layers createLayerStreams may name). */
  scalabilityMode?: string;
  /** subscribe: the track sent on this mid, and its format. */
  from?: string;
  format?: TrackFormat;
  /** subscribe: a speaker slot (the main thread's SlotManager switches its source). */
  slot?: boolean;
  /** subscribe, audio: silent packets (RFC 6464 level 127) are not sent. */
  dropSilence?: boolean;
  /** subscribe: why this mid is refused whatever the offer says (e.g. own audio). */
  refuse?: string;
  /**
   * subscribe, video with enableBWE: the layer tracks of the simulcast
   * publication `from` names (lowest first), and the highest index it may
   * get (the layer named, or the top one for the whole publication).
   */
  layers?: string[];
  ceiling?: number;
  /**
   * subscribe, a layer stream (`<trackId>:l<S>t<T>`): false when pinned at
   * its layer (enableBWE false), and its temporal layer, a ceiling under
   * the controller's preferences.
   */
  adaptive?: boolean;
  maxTemporal?: number;
}

/** A layered subscription's preferences (setLayerPreference, setVideoBitrate). */
export interface LayerPreferences {
  maxSpatial: number | null;
  maxTemporal: number | null;
  priority: number;
  /** bit/s; 0: no cap. */
  maxBitrate: number;
}

export interface Operation {
  id: string;
  kind: OperationKind;
  transportId: string;
  controller: string;
  owner?: string;
  tracks: OperationTrack[];
  /** tracks-complete was sent. */
  complete: boolean;
}

/** What one mid of an operation became once answered. */
export interface MidState {
  mid: string;
  operationId: string;
  role: 'receive' | 'send';
  track: OperationTrack;
  /** send: the SSRC the agent sends with (chosen up front, stable across offers). */
  ssrc: number;
  /** send, video: the SSRC of its repairs as RTX, used if the client offers RTX. */
  rtxSsrc?: number;
  /** Answered (accepted or rejected); later offers leave it as is. */
  answered: boolean;
  rejected?: string;
  /** receive: one track per simulcast layer; send: the one track sent. */
  tracks: Array<{ trackId: string; rid?: string }>;
  /** send: the router subscription. */
  subscriptionId?: string;
  /** send, layered: the controller's preferences, kept across renegotiation. */
  preferences?: LayerPreferences;
  format?: TrackFormat;
  /** Accepted: the ICE/DTLS transport its media goes over. */
  leg?: Leg;
}

export interface RemoteParameters {
  iceUfrag: string;
  fingerprint: { algorithm: string; value: string };
}

/**
 * One ICE/DTLS transport of the PeerConnection, a native WebRTC transport:
 * what a BUNDLE group, or an m-line outside every group, runs on. An offer
 * that bundles everything (every browser, webrtcbin's max-bundle) needs one,
 * the transport's own; webrtcbin's balanced offers a leg per m-line.
 */
export interface Leg {
  /** The native transport's id: the transport's own for the first leg, `<transportId>+<n>` for others (`+` is in no id). */
  nativeId: string;
  iceUfrag: string;
  icePwd: string;
  /** The client's side, once an answer on it was given. */
  remote?: RemoteParameters;
  /** Its native transport exists (the first leg's is made with the transport). */
  created: boolean;
  connected: boolean;
}

export function randomSsrc(): number {
  return randomInt(1, 0xffffffff);
}

export class PeerConnection {
  readonly id: string;
  readonly controller: string;
  readonly iceUfrag: string;
  readonly icePwd: string;
  readonly operations = new Map<string, Operation>();
  readonly mids = new Map<string, MidState>();
  /** The first is the transport's own; more come with offers that do not bundle everything. */
  readonly legs: Leg[];
  #legsMade = 0;
  /** 'ready' was sent. */
  ready = false;

  constructor(id: string, controller: string, iceUfrag: string, icePwd: string) {
    this.id = id;
    this.controller = controller;
    this.iceUfrag = iceUfrag;
    this.icePwd = icePwd;
    this.legs = [{ nativeId: id, iceUfrag, icePwd, created: true, connected: false }];
  }

  /**
   * The leg an offer's transport group (its mids) goes on: the one that
   * already carries one of those mids; else the first leg while no answer
   * used it; else a new leg (not yet made natively), with `credentials`.
   * `taken`: legs given to other groups of the same offer.
   */
  legFor(mids: readonly string[], taken: ReadonlySet<Leg>, credentials: () => { ufrag: string; pwd: string }): Leg {
    for (const mid of mids) {
      const leg = this.mids.get(mid)?.leg;
      if (leg && !taken.has(leg)) return leg;
    }
    const first = this.legs[0]!;
    if (!first.remote && !taken.has(first) && ![...this.mids.values()].some((m) => m.leg === first)) return first;
    const { ufrag, pwd } = credentials();
    return { nativeId: `${this.id}+${++this.#legsMade}`, iceUfrag: ufrag, icePwd: pwd, created: false, connected: false };
  }

  /** Every leg made natively has connected (ICE and DTLS). */
  allConnected(): boolean {
    return this.legs.every((l) => !l.created || !l.remote || l.connected);
  }

  /** Adds an operation owning its mids; 409 if a mid is taken, 400 if it is listed twice. */
  addOperation(op: Operation): void {
    const seen = new Set<string>();
    op.tracks.forEach((t, i) => {
      const owner = this.mids.get(t.mid);
      if (owner) throw new ConflictError(`options.tracks.${i}.mid`, `mid ${t.mid} already belongs to operation ${owner.operationId}`);
      if (seen.has(t.mid)) throw new InvalidRequestError(`options.tracks.${i}.mid`, `mid ${t.mid} listed twice`);
      seen.add(t.mid);
    });
    this.operations.set(op.id, op);
    for (const track of op.tracks) {
      const ssrc = op.kind === 'subscribe' ? randomSsrc() : 0;
      let rtxSsrc: number | undefined;
      if (op.kind === 'subscribe' && track.type === 'video') {
        do rtxSsrc = randomSsrc();
        while (rtxSsrc === ssrc);
      }
      this.mids.set(track.mid, {
        mid: track.mid,
        operationId: op.id,
        role: op.kind === 'publish' ? 'receive' : 'send',
        track,
        ssrc,
        ...(rtxSsrc !== undefined ? { rtxSsrc } : {}),
        answered: false,
        tracks: [],
      });
    }
  }

  /** Removes an operation; returns the state of its mids (for the native clean-up). */
  removeOperation(operationId: string): { op: Operation; mids: MidState[] } {
    const op = this.operations.get(operationId);
    if (!op) throw new NotFoundError(`operation not found: ${operationId}`);
    this.operations.delete(operationId);
    const mids: MidState[] = [];
    for (const t of op.tracks) {
      const m = this.mids.get(t.mid);
      if (m && m.operationId === operationId) {
        mids.push(m);
        this.mids.delete(t.mid);
      }
    }
    return { op, mids };
  }

  /**
   * What answerOffer does with each mid, from the operations. transportCc:
   * the agent estimates the bandwidth towards the client (config
   * webrtc.bwe.enabled), so transport-cc is answered where it sends.
   */
  plans(transportCc = false): Record<string, MidPlan> {
    const plans: Record<string, MidPlan> = {};
    for (const m of this.mids.values()) {
      if (m.role === 'receive') {
        plans[m.mid] = m.track.preferred.length ? { role: 'receive', preferred: m.track.preferred } : { role: 'receive' };
      } else {
        // Its source went (close cascade): nothing to send, the m-line is rejected.
        if (m.answered && !m.rejected && !m.subscriptionId) continue;
        if (m.track.refuse) continue; // no plan: the answer rejects the m-line
        const op = this.operations.get(m.operationId)!;
        plans[m.mid] = {
          role: 'send',
          send: {
            format: { name: m.track.format!.name, fmtp: m.track.format!.fmtp },
            ssrc: m.ssrc,
            ...(m.rtxSsrc !== undefined ? { rtxSsrc: m.rtxSsrc } : {}),
            ...(transportCc ? { transportCc } : {}),
            cname: `webrtc-agent-${op.id}`,
            // One subscription is one MediaStream: its audio and video play in sync.
            streamId: op.id,
            trackId: `${this.id}-${m.mid}`,
          },
        };
      }
    }
    return plans;
  }

  /** Operations whose every mid is answered and that were not reported complete yet. */
  takeCompleted(): Operation[] {
    const done: Operation[] = [];
    for (const op of this.operations.values()) {
      if (op.complete) continue;
      if (op.tracks.every((t) => this.mids.get(t.mid)?.answered)) {
        op.complete = true;
        done.push(op);
      }
    }
    return done;
  }

  /** Every track of the transport (in and out), for track-removed on close. */
  allTracks(): Array<{ trackId: string; direction: 'in' | 'out'; operationId: string }> {
    const out: Array<{ trackId: string; direction: 'in' | 'out'; operationId: string }> = [];
    for (const m of this.mids.values()) {
      for (const t of m.tracks) out.push({ trackId: t.trackId, direction: m.role === 'receive' ? 'in' : 'out', operationId: m.operationId });
    }
    return out;
  }
}
