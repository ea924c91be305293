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
 * update the TrackRegistry (which track lives where, its readers, the ids
 * taken) around the node's own work.
 *
 * WebRTC publications are made inside the node thread when an offer is
 * answered: the node tells the registry explicitly (a TrackNotice message,
 * sent just before the controller's onTrackUpdate event), with the track's
 * format, kept with its home. A WebRTC subscribe is linked before the node sees it, and
 * the subscriber's node is handed the format of each source track living
 * elsewhere, so it can answer the subscriber's offer with it.
 */
import type { Logger } from 'pino';
import {
  defaultClockRate,
  destroyTransportSchema,
  publishTrackSchema,
  subscribeTrackSchema,
  unpublishTrackSchema,
  type Removed,
} from '../node/media/schemas';
import { fromMediaFormat, type MediaFormat, type TrackFormat } from '../node/webrtc/format';
import { parseLayerStreamId } from '../node/webrtc/layerStreams';
import { createLayerStreamsSchema, operationSchema, publishSchema, subscribeSchema } from '../node/webrtc/schemas';
import type { NodeEvent, TrackNotice } from '../node/protocol';
import { parseOnce } from '../util/validate';
import type { NodeApi } from './NodeApi';
import type { NodeManager } from './NodeManager';
import { createRingBuffer } from './ring';
import { TrackRegistry, type RemoteSource, type TrackEntry } from './TrackRegistry';

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

export class LinkManager implements NodeApi {
  readonly #nodes: NodeManager;
  readonly #ringBytes: number;
  readonly #log: Logger;
  readonly #tracks = new TrackRegistry();
  readonly #pairs = new Map<string, PeerPair>();
  /** Link set-ups in flight, so concurrent subscribers share one. */
  readonly #pending = new Map<string, Promise<void>>();
  /** Ring pair set-ups in flight (key: the two node ids). */
  readonly #pairing = new Map<string, Promise<void>>();
  #nextLink = 1;
  readonly #forgetHooks: Array<(nodeId: string, trackId: string, entry: TrackEntry) => void> = [];

  constructor(o: LinkManagerOptions) {
    this.#nodes = o.nodes;
    this.#ringBytes = o.ringBytes;
    this.#log = o.log;
    this.#nodes.on('nodeGone', (id) => void this.#onNodeGone(id));
    this.#nodes.on('nodeEvent', (id, ev) => this.#onNodeEvent(id, ev));
    this.#nodes.on('trackNotice', (id, n) => this.#onTrackNotice(id, n));
  }

  /** A WebRTC transport that failed is closed with its operations: their claims go too. */
  #onNodeEvent(nodeId: string, ev: NodeEvent): void {
    if (ev.name !== 'onTransportProgress') return;
    const p = ev.payload as { transportId?: string; status?: { type?: string } };
    if (p.status?.type === 'failed') this.#tracks.releaseClaims((c) => c.nodeId === nodeId && c.transportId === p.transportId);
  }

  /** WebRTC tracks come and go inside node threads; the nodes say so. */
  #onTrackNotice(nodeId: string, n: TrackNotice): void {
    if (n.type === 'published') {
      const known = this.#tracks.get(n.trackId);
      if (known) {
        // Cannot happen while every publish claims its ids; said aloud if it does.
        if (known.nodeId !== nodeId) this.#log.error({ trackId: n.trackId, nodeId, home: known.nodeId }, 'a track id published twice: the second is not reachable from other nodes');
        return;
      }
      const format = { ...fromMediaFormat(n.mediaFormat as MediaFormat), ...(n.owner !== undefined ? { owner: n.owner } : {}) };
      this.#tracks.add({ id: n.trackId, nodeId, kind: n.kind, clockRate: format.clockRate, format });
    } else {
      void this.#forgetTracks(nodeId, [n.trackId]).catch((err) => this.#log.warn({ err, trackId: n.trackId }, 'forgetting a track failed'));
    }
  }

  /** Where a track was published, if anywhere on this agent. */
  homeOf(trackId: string): string | undefined {
    return this.#tracks.get(trackId)?.nodeId;
  }

  /** What is known of a track homed on this agent (its node, kind, clock rate, format). */
  describe(trackId: string): { nodeId: string; kind: 'audio' | 'video'; clockRate: number; format?: TrackFormat; codec?: string } | undefined {
    const h = this.#tracks.get(trackId);
    if (!h) return undefined;
    const codec = h.codec ?? h.format?.name;
    return { nodeId: h.nodeId, kind: h.kind, clockRate: h.clockRate, ...(h.format ? { format: h.format } : {}), ...(codec ? { codec } : {}) };
  }

  /**
   * Records a track that appeared on a node by other means than a publish:
   * the stand-in for a track of another agent (AgentBridge). Other nodes of
   * this agent then reach it through rings like any local track.
   */
  adopt(trackId: string, nodeId: string, kind: 'audio' | 'video', clockRate: number, format?: TrackFormat, codec?: string, remote?: RemoteSource): void {
    // A stand-in replaces whatever was recorded under its id.
    this.#tracks.remove(trackId);
    this.#tracks.add({ id: trackId, nodeId, kind, clockRate, ...(format ? { format } : {}), ...(codec ? { codec } : {}), ...(remote ? { remote } : {}) });
  }

  /** The stand-ins for tracks of other agents (the AgentBridge's imports), by reference. */
  remoteImports(): Array<TrackEntry & { remote: RemoteSource }> {
    return this.#tracks.remotes();
  }

  /** The stand-in for `trackId` if it is one. */
  remoteImport(trackId: string): (TrackEntry & { remote: RemoteSource }) | undefined {
    const t = this.#tracks.get(trackId);
    return t?.remote ? (t as TrackEntry & { remote: RemoteSource }) : undefined;
  }

  /** Forgets where a stand-in came from (its entry stays while the track does), if it is still `remote`. */
  dropRemote(trackId: string, remote: RemoteSource): void {
    const t = this.#tracks.get(trackId);
    if (t?.remote === remote) delete t.remote;
  }

  /** Called for every track homed here that goes (after its stand-ins on other nodes went). */
  onForget(fn: (nodeId: string, trackId: string, entry: TrackEntry) => void): void {
    this.#forgetHooks.push(fn);
  }

  pairs(): Array<{ a: string; b: string }> {
    return [...this.#pairs.values()].map(({ a, b }) => ({ a, b }));
  }

  /** Track ids claimed and not (yet) published: tests check that ends leave none behind. */
  claims(): number {
    return this.#tracks.claims();
  }

  async call(nodeId: string, method: string, args: unknown): Promise<unknown> {
    switch (method) {
      case 'publishTrack': {
        const p = parseOnce(publishTrackSchema, args ?? {});
        this.#tracks.claimTrack(p.trackId, nodeId, p.transportId);
        try {
          const reply = await this.#nodes.call(nodeId, method, p);
          this.#tracks.add({ id: p.trackId, nodeId, kind: p.kind, clockRate: p.clockRate ?? defaultClockRate(p.kind), ...(p.codec ? { codec: p.codec } : {}) });
          return reply;
        } finally {
          this.#tracks.releaseClaim(p.trackId);
        }
      }
      case 'publish': {
        // The operation's tracks will be <transportId>-<mid>[:<rid>]: claimed now, held while it lasts.
        const p = parseOnce(publishSchema, args ?? {});
        const bases = p.options.tracks.map((tr) => `${p.options.transportId}-${tr.mid}`);
        const fresh = this.#tracks.claimBases(bases, nodeId, p.options.transportId, p.operationId);
        try {
          return await this.#nodes.call(nodeId, method, p);
        } catch (err) {
          for (const b of fresh) this.#tracks.releaseClaim(b);
          throw err;
        }
      }
      case 'createTransport': {
        // A transport of this id was just made on this node, so none was
        // there: claims left by one the node closed by itself (the client
        // went) are stale and go.
        const reply = await this.#nodes.call(nodeId, method, args);
        const transportId = (args as { transportId?: unknown }).transportId;
        this.#tracks.releaseClaims((c) => c.nodeId === nodeId && c.transportId === transportId);
        return reply;
      }
      case 'unpublish': {
        const p = parseOnce(operationSchema, args ?? {});
        const reply = await this.#nodes.call(nodeId, method, p);
        this.#tracks.releaseClaims((c) => c.nodeId === nodeId && c.operationId === p.operationId);
        return reply;
      }
      case 'subscribeTrack': {
        const p = parseOnce(subscribeTrackSchema, args ?? {});
        const home = this.#tracks.get(p.trackId);
        if (home && home.nodeId !== nodeId) {
          await this.#link(home, nodeId);
          // A WebRTC track's codec, so a video subscriber switched to its
          // stand-in starts at a key frame (as subscribe does).
          if (home.format) await this.#nodes.call(nodeId, '_setTrackFormat', { trackId: p.trackId, format: home.format }, true);
        }
        return this.#nodes.call(nodeId, method, p);
      }
      case 'subscribe': {
        const p = parseOnce(subscribeSchema, args ?? {});
        for (const tr of p.options.tracks) {
          const publication = tr.type === 'video' ? this.#tracks.layersOf(tr.from) : undefined;
          if (publication) {
            await this.#linkLayers(publication, tr.from, p.options.enableBWE !== false, nodeId);
            continue;
          }
          const home = this.#tracks.get(tr.from) ?? this.#layerStreamSource(tr.type, tr.from);
          if (!home || home.nodeId === nodeId) continue;
          await this.#link(home, nodeId);
          if (home.format) await this.#nodes.call(nodeId, '_setTrackFormat', { trackId: home.id, format: home.format }, true);
        }
        return this.#nodes.call(nodeId, method, p);
      }
      case 'createLayerStreams': {
        // The ids name the track anywhere in the agent: a node that does
        // not hold the track (or the simulcast publication) has its home answer.
        const p = parseOnce(createLayerStreamsSchema, args ?? {});
        const home = this.#tracks.get(p.trackId)?.nodeId ?? this.#tracks.layersOf(p.trackId)?.[0]?.nodeId;
        return this.#nodes.call(home ?? nodeId, method, p);
      }
      case 'unpublishTrack':
      case 'destroyTransport': {
        const p = parseOnce(method === 'unpublishTrack' ? unpublishTrackSchema : destroyTransportSchema, args ?? {}) as { transportId?: string };
        const reply = (await this.#nodes.call(nodeId, method, p)) as { removed: Removed };
        if (p.transportId !== undefined) this.#tracks.releaseClaims((c) => c.nodeId === nodeId && c.transportId === p.transportId);
        await this.#forgetTracks(nodeId, reply.removed.tracks);
        return reply;
      }
      default:
        return this.#nodes.call(nodeId, method, args);
    }
  }

  /**
   * A subscription to a simulcast publication (`from`: the whole of it, or
   * one layer) on a node other than the layers' home: the layer tracks it
   * reads are linked like single tracks (once per node, shared by all its
   * subscribers), and each stand-in is handed its format with the
   * publication's layer ids, lowest first, so the node serves the layered
   * subscription as it would on the publisher's node. A layered (enableBWE)
   * subscription reads every layer; a pinned one only the layer it is sent
   * (the top one for the whole publication).
   */
  async #linkLayers(layers: TrackEntry[], from: string, adaptive: boolean, importer: string): Promise<void> {
    const ids = layers.map((l) => l.id);
    const read = adaptive ? layers : [layers.find((l) => l.id === from) ?? layers[layers.length - 1]!];
    for (const home of read) {
      if (home.nodeId === importer) continue;
      await this.#link(home, importer);
      if (home.format) await this.#nodes.call(importer, '_setTrackFormat', { trackId: home.id, format: home.format, layers: ids }, true);
    }
  }

  /** The VP9 track a layer stream id (createLayerStreams: `<trackId>:l<S>t<T>`) names: what a subscription to it reads. */
  #layerStreamSource(kind: 'audio' | 'video', from: string): TrackEntry | undefined {
    const base = kind === 'video' ? parseLayerStreamId(from)?.base : undefined;
    const home = base === undefined ? undefined : this.#tracks.get(base);
    return home?.format?.name.toLowerCase() === 'vp9' ? home : undefined;
  }

  #link(home: TrackEntry, importer: string): Promise<void> {
    if (home.readers.has(importer)) return Promise.resolve();
    const key = `${home.id}>${importer}`;
    let p = this.#pending.get(key);
    if (!p) {
      p = this.#doLink(home, importer).finally(() => this.#pending.delete(key));
      this.#pending.set(key, p);
    }
    return p;
  }

  async #doLink(home: TrackEntry, importer: string): Promise<void> {
    const trackId = home.id;
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
    home.readers.set(importer, link);
    this.#log.debug({ trackId, from: home.nodeId, to: importer, link }, 'track linked across nodes');
  }

  // Concurrent first links between two nodes (two subscribers of different
  // tracks) share one set-up: a second _attachPeer of the pair is refused.
  #ensurePair(x: string, y: string): Promise<void> {
    const [a, b] = x < y ? [x, y] : [y, x];
    const key = `${a}|${b}`;
    if (this.#pairs.has(key)) return Promise.resolve();
    let p = this.#pairing.get(key);
    if (!p) {
      p = this.#makePair(a, b, key).finally(() => this.#pairing.delete(key));
      this.#pairing.set(key, p);
    }
    return p;
  }

  async #makePair(a: string, b: string, key: string): Promise<void> {
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
      const home = this.#tracks.get(trackId);
      if (!home || home.nodeId !== nodeId) continue;
      this.#tracks.remove(trackId);
      for (const importer of home.readers.keys()) {
        await this.#nodes.call(importer, 'unpublishTrack', { trackId }).catch(() => undefined);
      }
      for (const fn of this.#forgetHooks) fn(nodeId, trackId, home);
    }
  }

  async #onNodeGone(id: string): Promise<void> {
    this.#tracks.releaseClaims((c) => c.nodeId === id);
    await this.#forgetTracks(id, this.#tracks.homedOn(id));
    for (const home of [...this.#tracks.entries()]) {
      const link = home.readers.get(id);
      if (link === undefined) continue;
      home.readers.delete(id);
      await this.#nodes.call(home.nodeId, '_unexportTrack', { trackId: home.id, peer: id, link }, true).catch(() => undefined);
    }
    for (const [key, pair] of [...this.#pairs]) {
      if (pair.a !== id && pair.b !== id) continue;
      this.#pairs.delete(key);
      const other = pair.a === id ? pair.b : pair.a;
      await this.#nodes.call(other, '_detachPeer', { peer: id }, true).catch(() => undefined);
    }
  }
}
