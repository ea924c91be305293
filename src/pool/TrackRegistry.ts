/**
 * TrackRegistry: the main thread's one record of the tracks homed on this
 * agent's nodes: each track's id, home node, kind, clock rate, format (its
 * owner with it) and readers (the other nodes that import it, with their
 * ring link), and the ids taken before their track exists (claims). Pure
 * bookkeeping, no I/O: the LinkManager drives it around the node calls.
 *
 * A stand-in for a track of another agent (AgentBridge) carries where its
 * packets come from (`remote`): the registry is its record too.
 *
 * Id uniqueness is enforced here, synchronously: a check and its claim
 * happen in one call, before the caller awaits anything, so two concurrent
 * publishes of one id (on one node or two) cannot both pass.
 */
import { ConflictError } from '../errors';
import type { TrackFormat } from '../node/webrtc/format';

/** Where a stand-in for a track of another agent gets its packets (AgentBridge). */
export interface RemoteSource {
  /** The internal address of the node that holds the source. */
  ip: string;
  port: number;
  /** The SSRC the source sends the stand-in's packets with. */
  ssrc: number;
  /** The source agent's id for the export (to end it). */
  exportId: string;
  /** The source said it is gone (or its agent was lost): it is not asked to unexport. */
  gone: boolean;
}

export interface TrackEntry {
  readonly id: string;
  /** The node the track was published on (or imported to, for a track of another agent). */
  readonly nodeId: string;
  readonly kind: 'audio' | 'video';
  readonly clockRate: number;
  /** Known for tracks published over WebRTC; carries the owner. */
  readonly format?: TrackFormat;
  /** The payload format of a plain track published with one (key frames are then recognised). */
  readonly codec?: string;
  /** The nodes that read it through a ring: importer nodeId -> ring link id. */
  readonly readers: Map<string, number>;
  /** A stand-in's source on another agent. */
  remote?: RemoteSource;
}

/**
 * A track id taken before its track exists: a plain publishTrack in flight,
 * or a WebRTC publish operation, whose tracks are named <transportId>-<mid>
 * (and <transportId>-<mid>:<rid> for simulcast layers) only when the offer
 * is answered.
 */
export interface Claim {
  nodeId: string;
  transportId: string;
  /** The WebRTC publish operation holding it (released with it); none for a plain publish. */
  operationId?: string;
  /** A WebRTC base id: <id>:<rid> is taken too. */
  layers: boolean;
}

export type NewTrack = Omit<TrackEntry, 'readers'>;

export class TrackRegistry {
  readonly #tracks = new Map<string, TrackEntry>();
  readonly #claims = new Map<string, Claim>();

  get(trackId: string): TrackEntry | undefined {
    return this.#tracks.get(trackId);
  }

  /**
   * Records a track. False (nothing changed) if the id is homed already:
   * the first record stands.
   */
  add(t: NewTrack): boolean {
    if (this.#tracks.has(t.id)) return false;
    this.#tracks.set(t.id, { ...t, readers: new Map() });
    return true;
  }

  /** Forgets a track; its entry (with its readers), if there was one. */
  remove(trackId: string): TrackEntry | undefined {
    const t = this.#tracks.get(trackId);
    this.#tracks.delete(trackId);
    return t;
  }

  /** The stand-ins for tracks of other agents. */
  remotes(): Array<TrackEntry & { remote: RemoteSource }> {
    return [...this.#tracks.values()].filter((t): t is TrackEntry & { remote: RemoteSource } => t.remote !== undefined);
  }

  /**
   * The layer tracks of the simulcast publication `from` names (`<t>-<mid>`,
   * the whole publication, or `<t>-<mid>:<rid>`, one of its layers), in the
   * order they were published (the publisher's offer lists them lowest
   * first); undefined when `from` names no publication of two or more WebRTC
   * layer tracks.
   */
  layersOf(from: string): TrackEntry[] | undefined {
    const colon = from.lastIndexOf(':');
    const base = this.#tracks.has(from) && colon > 0 ? from.slice(0, colon) : from;
    const prefix = `${base}:`;
    const layers = [...this.#tracks.values()].filter((t) => t.format && t.id.startsWith(prefix));
    if (layers.length < 2) return undefined;
    return base === from || layers.some((t) => t.id === from) ? layers : undefined;
  }

  /** The ids of the tracks homed on `nodeId`. */
  homedOn(nodeId: string): string[] {
    return [...this.#tracks.values()].filter((t) => t.nodeId === nodeId).map((t) => t.id);
  }

  entries(): IterableIterator<TrackEntry> {
    return this.#tracks.values();
  }

  /** Where a track id is taken on this agent (a track, or a claim), if it is. */
  holderOf(trackId: string): string | undefined {
    const t = this.#tracks.get(trackId);
    if (t) return t.nodeId;
    const claim = this.#claims.get(trackId);
    if (claim) return claim.nodeId;
    const colon = trackId.lastIndexOf(':');
    const base = colon > 0 ? this.#claims.get(trackId.slice(0, colon)) : undefined;
    return base?.layers ? base.nodeId : undefined;
  }

  /** A WebRTC base id is free when neither it nor any <base>:<rid> is taken. */
  baseHolder(base: string): string | undefined {
    const held = this.holderOf(base);
    if (held) return held;
    const prefix = `${base}:`;
    for (const [id, t] of this.#tracks) if (id.startsWith(prefix)) return t.nodeId;
    for (const [id, c] of this.#claims) if (id.startsWith(prefix)) return c.nodeId;
    return undefined;
  }

  /** Takes a plain track's id for its publish, or throws 409 naming who holds it. */
  claimTrack(trackId: string, nodeId: string, transportId: string): void {
    const held = this.holderOf(trackId);
    if (held) throw new ConflictError('trackId', `already exists on this agent: ${trackId}${held === nodeId ? '' : ` (node ${held})`}`);
    this.#claims.set(trackId, { nodeId, transportId, layers: false });
  }

  /**
   * Takes a WebRTC publish operation's base ids (each with its layers), all
   * or none: 409 naming the first taken one (`options.tracks.N.mid`). The
   * ids it newly took (a base the same operation already holds is kept).
   */
  claimBases(bases: string[], nodeId: string, transportId: string, operationId: string): string[] {
    bases.forEach((base, i) => {
      const held = this.baseHolder(base);
      if (held) throw new ConflictError(`options.tracks.${i}.mid`, `track id ${base} is already taken on this agent${held === nodeId ? '' : ` (node ${held})`}`);
    });
    const fresh = bases.filter((b) => !this.#claims.has(b));
    for (const b of fresh) this.#claims.set(b, { nodeId, transportId, operationId, layers: true });
    return fresh;
  }

  releaseClaim(trackId: string): void {
    this.#claims.delete(trackId);
  }

  releaseClaims(pred: (c: Claim) => boolean): void {
    for (const [id, c] of this.#claims) if (pred(c)) this.#claims.delete(id);
  }

  /** Track ids claimed and not (yet) published: tests check that ends leave none behind. */
  claims(): number {
    return this.#claims.size;
  }
}
