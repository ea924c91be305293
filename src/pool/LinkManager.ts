/**
 * LinkManager: makes a room bigger than one node thread work. It knows which
 * node each track was published on, and when a subscriber on another node
 * asks for that track it links the two nodes through shared-memory rings
 * (one per direction, created here, handed to both threads) and has the
 * publisher's node export the track into the ring and the subscriber's node
 * import it as a local stand-in. Media then flows thread to thread with no
 * JavaScript and no socket in the way; key-frame requests flow back.
 *
 * Close cascade: a track unpublished (or its transport destroyed, or its node
 * gone) is dropped on every node that imported it, which ends the
 * subscriptions there; a node gone is detached from every peer.
 *
 * Every node-API call goes through call(), which lets the media methods that
 * need it (publishTrack, subscribeTrack, unpublishTrack, destroyTransport)
 * update the map around the node's own work.
 *
 * WebRTC publications are made inside the node thread when an offer is
 * answered, so they are learnt from the node's own onTrackUpdate events
 * (track-added in / track-removed), which pass through the main thread on
 * their way to the controller; the event carries the track's format, kept
 * with its home. A WebRTC subscribe is linked before the node sees it, and
 * the subscriber's node is handed the format of each source track living
 * elsewhere, so it can answer the subscriber's offer with it.
 */
import type { Logger } from 'pino';
import { ConflictError } from '../errors';
import {
  defaultClockRate,
  destroyTransportSchema,
  publishTrackSchema,
  subscribeTrackSchema,
  unpublishTrackSchema,
  type Removed,
} from '../node/media/schemas';
import { fromMediaFormat, type MediaFormat, type TrackFormat } from '../node/webrtc/format';
import { operationSchema, publishSchema, subscribeSchema } from '../node/webrtc/schemas';
import type { NodeEvent } from '../node/protocol';
import { parsePayload } from '../util/validate';
import type { NodeManager } from './NodeManager';
import { createRingBuffer } from './ring';

interface TrackHome {
  nodeId: string;
  kind: 'audio' | 'video';
  clockRate: number;
  /** Known for tracks published over WebRTC. */
  format?: TrackFormat;
  /** The payload format of a plain track published with one (key frames are then recognised). */
  codec?: string;
  /** importer nodeId -> link id */
  links: Map<string, number>;
}

/**
 * A track id taken before its track exists: a plain publishTrack in flight,
 * or a WebRTC publish operation, whose tracks are named <transportId>-<mid>
 * (and <transportId>-<mid>:<rid> for simulcast layers) only when the offer
 * is answered. Taken on the main thread before anything is awaited, so two
 * concurrent publishes of one id, on one node or two, cannot both pass.
 */
interface Claim {
  nodeId: string;
  transportId: string;
  /** The WebRTC publish operation holding it (released with it); none for a plain publish. */
  operationId?: string;
  /** A WebRTC base id: <id>:<rid> is taken too. */
  layers: boolean;
}

interface PeerPair {
  a: string;
  b: string;
  /** a -> b and b -> a */
  rings: [SharedArrayBuffer, SharedArrayBuffer];
}

export interface LinkManagerOptions {
  nodes: NodeManager;
  ringBytes: number;
  log: Logger;
}

export class LinkManager {
  readonly #nodes: NodeManager;
  readonly #ringBytes: number;
  readonly #log: Logger;
  readonly #homes = new Map<string, TrackHome>();
  readonly #claims = new Map<string, Claim>();
  readonly #pairs = new Map<string, PeerPair>();
  /** Link set-ups in flight, so concurrent subscribers share one. */
  readonly #pending = new Map<string, Promise<void>>();
  #nextLink = 1;
  readonly #forgetHooks: Array<(nodeId: string, trackId: string) => void> = [];

  constructor(o: LinkManagerOptions) {
    this.#nodes = o.nodes;
    this.#ringBytes = o.ringBytes;
    this.#log = o.log;
    this.#nodes.on('nodeGone', (id) => void this.#onNodeGone(id));
    this.#nodes.on('nodeEvent', (id, ev) => this.#onNodeEvent(id, ev));
  }

  /** WebRTC tracks come and go inside node threads; their events say so. */
  #onNodeEvent(nodeId: string, ev: NodeEvent): void {
    if (ev.name === 'onTransportProgress') {
      // A WebRTC transport that failed is closed with its operations: their claims go too.
      const p = ev.payload as { transportId?: string; status?: { type?: string } };
      if (p.status?.type === 'failed') this.#release((c) => c.nodeId === nodeId && c.transportId === p.transportId);
      return;
    }
    if (ev.name !== 'onTrackUpdate') return;
    const u = (ev.payload as { update?: { type?: string; trackId?: string; direction?: string; mediaType?: string; mediaFormat?: MediaFormat; owner?: string } }).update;
    if (!u?.trackId) return;
    if (u.type === 'track-added' && u.direction === 'in' && u.mediaFormat) {
      const known = this.#homes.get(u.trackId);
      if (known) {
        // Cannot happen while every publish claims its ids; said aloud if it does.
        if (known.nodeId !== nodeId) this.#log.error({ trackId: u.trackId, nodeId, home: known.nodeId }, 'a track id published twice: the second is not reachable from other nodes');
        return;
      }
      const format = { ...fromMediaFormat(u.mediaFormat), ...(typeof u.owner === 'string' ? { owner: u.owner } : {}) };
      const kind = u.mediaType === 'audio' ? 'audio' : 'video';
      this.#homes.set(u.trackId, { nodeId, kind, clockRate: format.clockRate, format, links: new Map() });
    } else if (u.type === 'track-removed') {
      void this.#forgetTracks(nodeId, [u.trackId]).catch((err) => this.#log.warn({ err, trackId: u.trackId }, 'forgetting a track failed'));
    }
  }

  /** Where a track was published, if anywhere on this agent. */
  homeOf(trackId: string): string | undefined {
    return this.#homes.get(trackId)?.nodeId;
  }

  /** What is known of a track homed on this agent (its node, kind, clock rate, format). */
  describe(trackId: string): { nodeId: string; kind: 'audio' | 'video'; clockRate: number; format?: TrackFormat; codec?: string } | undefined {
    const h = this.#homes.get(trackId);
    if (!h) return undefined;
    const codec = h.codec ?? h.format?.name;
    return { nodeId: h.nodeId, kind: h.kind, clockRate: h.clockRate, ...(h.format ? { format: h.format } : {}), ...(codec ? { codec } : {}) };
  }

  /**
   * Records a track that appeared on a node by other means than a publish:
   * the stand-in for a track of another agent (RemoteLinks). Other nodes of
   * this agent then reach it through rings like any local track.
   */
  adopt(trackId: string, nodeId: string, kind: 'audio' | 'video', clockRate: number, format?: TrackFormat, codec?: string): void {
    this.#homes.set(trackId, { nodeId, kind, clockRate, ...(format ? { format } : {}), ...(codec ? { codec } : {}), links: new Map() });
  }

  /** Called for every track homed here that goes (after its stand-ins on other nodes went). */
  onForget(fn: (nodeId: string, trackId: string) => void): void {
    this.#forgetHooks.push(fn);
  }

  pairs(): Array<{ a: string; b: string }> {
    return [...this.#pairs.values()].map(({ a, b }) => ({ a, b }));
  }

  /** Where a track id is taken on this agent (a track, or a claim), if it is. */
  #holderOf(trackId: string): string | undefined {
    const home = this.#homes.get(trackId);
    if (home) return home.nodeId;
    const claim = this.#claims.get(trackId);
    if (claim) return claim.nodeId;
    const colon = trackId.lastIndexOf(':');
    const base = colon > 0 ? this.#claims.get(trackId.slice(0, colon)) : undefined;
    return base?.layers ? base.nodeId : undefined;
  }

  /** A WebRTC base id is free when neither it nor any <base>:<rid> is taken. */
  #baseHolder(base: string): string | undefined {
    const held = this.#holderOf(base);
    if (held) return held;
    const prefix = `${base}:`;
    for (const [id, h] of this.#homes) if (id.startsWith(prefix)) return h.nodeId;
    for (const [id, c] of this.#claims) if (id.startsWith(prefix)) return c.nodeId;
    return undefined;
  }

  #release(pred: (c: Claim) => boolean): void {
    for (const [id, c] of this.#claims) if (pred(c)) this.#claims.delete(id);
  }

  /** Track ids claimed and not (yet) published: tests check that ends leave none behind. */
  claims(): number {
    return this.#claims.size;
  }

  async call(nodeId: string, method: string, args: unknown): Promise<unknown> {
    switch (method) {
      case 'publishTrack': {
        const p = parsePayload(publishTrackSchema, args ?? {});
        const held = this.#holderOf(p.trackId);
        if (held) throw new ConflictError('trackId', `already exists on this agent: ${p.trackId}${held === nodeId ? '' : ` (node ${held})`}`);
        this.#claims.set(p.trackId, { nodeId, transportId: p.transportId, layers: false });
        try {
          const reply = await this.#nodes.call(nodeId, method, args);
          this.#homes.set(p.trackId, { nodeId, kind: p.kind, clockRate: p.clockRate ?? defaultClockRate(p.kind), ...(p.codec ? { codec: p.codec } : {}), links: new Map() });
          return reply;
        } finally {
          this.#claims.delete(p.trackId);
        }
      }
      case 'publish': {
        // The operation's tracks will be <transportId>-<mid>[:<rid>]: claimed now, held while it lasts.
        const p = parsePayload(publishSchema, args ?? {});
        const bases = p.options.tracks.map((tr) => `${p.options.transportId}-${tr.mid}`);
        bases.forEach((base, i) => {
          const held = this.#baseHolder(base);
          if (held) throw new ConflictError(`options.tracks.${i}.mid`, `track id ${base} is already taken on this agent${held === nodeId ? '' : ` (node ${held})`}`);
        });
        const fresh = bases.filter((b) => !this.#claims.has(b));
        for (const b of fresh) this.#claims.set(b, { nodeId, transportId: p.options.transportId, operationId: p.operationId, layers: true });
        try {
          return await this.#nodes.call(nodeId, method, args);
        } catch (err) {
          for (const b of fresh) this.#claims.delete(b);
          throw err;
        }
      }
      case 'createTransport': {
        // A transport of this id was just made on this node, so none was
        // there: claims left by one the node closed by itself (the client
        // went) are stale and go.
        const reply = await this.#nodes.call(nodeId, method, args);
        const transportId = (args as { transportId?: unknown }).transportId;
        this.#release((c) => c.nodeId === nodeId && c.transportId === transportId);
        return reply;
      }
      case 'unpublish': {
        const p = parsePayload(operationSchema, args ?? {});
        const reply = await this.#nodes.call(nodeId, method, args);
        this.#release((c) => c.nodeId === nodeId && c.operationId === p.operationId);
        return reply;
      }
      case 'subscribeTrack': {
        const p = parsePayload(subscribeTrackSchema, args ?? {});
        const home = this.#homes.get(p.trackId);
        if (home && home.nodeId !== nodeId) await this.#link(p.trackId, home, nodeId);
        return this.#nodes.call(nodeId, method, args);
      }
      case 'subscribe': {
        const p = parsePayload(subscribeSchema, args ?? {});
        for (const tr of p.options.tracks) {
          // A whole simulcast publication (<transportId>-<mid>), or a layer
          // of one, is served from all its layer tracks (in the order they
          // were published: lowest first).
          const colon = tr.from.lastIndexOf(':');
          const base = this.#homes.has(tr.from) && colon > 0 ? tr.from.slice(0, colon) : tr.from;
          const layers = tr.type === 'video' ? [...this.#homes.keys()].filter((k) => k.startsWith(`${base}:`)) : [];
          for (const trackId of layers.length > 1 ? layers : [tr.from]) {
            const home = this.#homes.get(trackId);
            if (!home || home.nodeId === nodeId) continue;
            await this.#link(trackId, home, nodeId);
            if (home.format) await this.#nodes.call(nodeId, '_setTrackFormat', { trackId, format: home.format }, true);
          }
        }
        return this.#nodes.call(nodeId, method, args);
      }
      case 'unpublishTrack':
      case 'destroyTransport': {
        const p = parsePayload(method === 'unpublishTrack' ? unpublishTrackSchema : destroyTransportSchema, args ?? {}) as { transportId?: string };
        const reply = (await this.#nodes.call(nodeId, method, args)) as { removed: Removed };
        if (p.transportId !== undefined) this.#release((c) => c.nodeId === nodeId && c.transportId === p.transportId);
        await this.#forgetTracks(nodeId, reply.removed.tracks);
        return reply;
      }
      default:
        return this.#nodes.call(nodeId, method, args);
    }
  }

  #link(trackId: string, home: TrackHome, importer: string): Promise<void> {
    if (home.links.has(importer)) return Promise.resolve();
    const key = `${trackId}>${importer}`;
    let p = this.#pending.get(key);
    if (!p) {
      p = this.#doLink(trackId, home, importer).finally(() => this.#pending.delete(key));
      this.#pending.set(key, p);
    }
    return p;
  }

  async #doLink(trackId: string, home: TrackHome, importer: string): Promise<void> {
    await this.#ensurePair(home.nodeId, importer);
    const link = this.#nextLink++;
    await this.#nodes.call(
      importer,
      '_importTrack',
      { trackId, kind: home.kind, clockRate: home.clockRate, peer: home.nodeId, link, ...(home.codec ? { codec: home.codec } : {}) },
      true,
    );
    try {
      await this.#nodes.call(home.nodeId, '_exportTrack', { trackId, peer: importer, link }, true);
    } catch (err) {
      await this.#nodes.call(importer, 'unpublishTrack', { trackId }).catch(() => undefined);
      throw err;
    }
    home.links.set(importer, link);
    this.#log.debug({ trackId, from: home.nodeId, to: importer, link }, 'track linked across nodes');
  }

  async #ensurePair(x: string, y: string): Promise<void> {
    const [a, b] = x < y ? [x, y] : [y, x];
    const key = `${a}|${b}`;
    if (this.#pairs.has(key)) return;
    const ab = createRingBuffer(this.#ringBytes);
    const ba = createRingBuffer(this.#ringBytes);
    // Both threads must hold both rings before any record flows.
    await this.#nodes.call(a, '_attachPeer', { peer: b, outbound: new Uint8Array(ab), inbound: new Uint8Array(ba) }, true);
    try {
      await this.#nodes.call(b, '_attachPeer', { peer: a, outbound: new Uint8Array(ba), inbound: new Uint8Array(ab) }, true);
    } catch (err) {
      await this.#nodes.call(a, '_detachPeer', { peer: b }, true).catch(() => undefined);
      throw err;
    }
    this.#pairs.set(key, { a, b, rings: [ab, ba] });
  }

  /** Tracks removed on their home node: drop their stand-ins everywhere else. */
  async #forgetTracks(nodeId: string, trackIds: string[]): Promise<void> {
    for (const trackId of trackIds) {
      const home = this.#homes.get(trackId);
      if (!home || home.nodeId !== nodeId) continue;
      this.#homes.delete(trackId);
      for (const importer of home.links.keys()) {
        await this.#nodes.call(importer, 'unpublishTrack', { trackId }).catch(() => undefined);
      }
      for (const fn of this.#forgetHooks) fn(nodeId, trackId);
    }
  }

  async #onNodeGone(id: string): Promise<void> {
    this.#release((c) => c.nodeId === id);
    const lost = [...this.#homes].filter(([, h]) => h.nodeId === id).map(([t]) => t);
    await this.#forgetTracks(id, lost);
    for (const [trackId, home] of this.#homes) {
      const link = home.links.get(id);
      if (link === undefined) continue;
      home.links.delete(id);
      await this.#nodes.call(home.nodeId, '_unexportTrack', { trackId, peer: id, link }, true).catch(() => undefined);
    }
    for (const [key, pair] of [...this.#pairs]) {
      if (pair.a !== id && pair.b !== id) continue;
      this.#pairs.delete(key);
      const other = pair.a === id ? pair.b : pair.a;
      await this.#nodes.call(other, '_detachPeer', { peer: id }, true).catch(() => undefined);
    }
  }
}
