/**
 * One transport in the node thread's router: a plain RTP transport, a
 * native WebRTC transport (one ICE/DTLS leg of a PeerConnection), or the
 * internal transport towards another agent's node. Tracks are published on
 * it, subscriptions are sent on it.
 *
 * Close cascade: close() ends its tracks (each ending its subscriptions
 * first, wherever they are sent), then the subscriptions sent on it, then
 * the transport; each object's 'close' fires once, in that order.
 */
import { EventEmitter } from 'node:events';
import type { Removed } from '../media/schemas';
import type { MediaKind, RouterCore } from './RouterCore';
import { Subscription } from './Subscription';
import { Track } from './Track';

export type TransportKind = 'plain' | 'webrtc' | 'internal';

export interface TransportEvents {
  /** The transport ended, after its tracks and subscriptions. Fires once. */
  close: [];
}

export interface PublishOptions {
  trackId: string;
  kind: MediaKind;
  /** 0 (default): the first SSRC seen. */
  ssrc?: number;
  /** -1 (default): any. */
  payloadType?: number;
  clockRate: number;
  /** Ask the sender again for lost video packets. */
  nack?: boolean;
}

export interface SubscribeOptions {
  trackId: string;
  subscriptionId: string;
  /** 0 (default): the router picks one. */
  ssrc?: number;
  /** -1 (default): the source's. */
  payloadType?: number;
}

export interface SubscribeLayersOptions {
  /** The layer tracks of a simulcast publication, lowest first. */
  trackIds: string[];
  subscriptionId: string;
  /** The highest layer index it may get. */
  ceiling: number;
  /** The allocator picks the layer (enableBWE); false: pinned at the ceiling. */
  adaptive: boolean;
  ssrc?: number;
  payloadType?: number;
}

/** Send-side bandwidth estimation towards the client (bit/s bounds). */
export interface SendTransportCcOptions {
  extId: number;
  initialBps: number;
  minBps: number;
  maxBps: number;
  probing: boolean;
}

export class Transport extends EventEmitter<TransportEvents> {
  readonly id: string;
  readonly kind: TransportKind;
  /** Plain: the local port it listens on (0 for the others). */
  readonly port: number;
  readonly #core: RouterCore;
  readonly #tracks = new Set<Track>();
  readonly #subscriptions = new Set<Subscription>();
  #closed = false;

  /** Made by MediaRouter only. */
  constructor(core: RouterCore, id: string, kind: TransportKind, port = 0) {
    super();
    this.#core = core;
    this.id = id;
    this.kind = kind;
    this.port = port;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The tracks published on it. */
  get tracks(): ReadonlySet<Track> {
    return this.#tracks;
  }

  /** The subscriptions sent on it. */
  get subscriptions(): ReadonlySet<Subscription> {
    return this.#subscriptions;
  }

  /** Plain: where it sends (and, without comedia, what it accepts from). */
  connect(ip: string, port: number): void {
    this.#core.native.mediaConnect({ transportId: this.id, ip, port });
  }

  publish(o: PublishOptions): Track {
    this.#core.native.mediaPublish({ transportId: this.id, ...o });
    const track = new Track(this.#core, o.trackId, o.kind, this);
    this.#tracks.add(track);
    this.#core.added(track);
    return track;
  }

  /** A subscription to one track; with the id of one already sent here, a switch of it to that track. */
  subscribe(o: SubscribeOptions): Subscription {
    const track = this.#core.track(o.trackId);
    const ssrc = this.#core.native.mediaSubscribe({ transportId: this.id, ...o });
    return this.#subscribed(o.subscriptionId, ssrc, [track], false);
  }

  /** A subscription to a simulcast publication's layers (or a switch onto them). */
  subscribeLayers(o: SubscribeLayersOptions): Subscription {
    const ssrc = this.#core.native.mediaSubscribeLayers({ transportId: this.id, ...o });
    return this.#subscribed(o.subscriptionId, ssrc, o.trackIds.map((id) => this.#core.track(id)), true);
  }

  #subscribed(id: string, ssrc: number, sources: Track[], layered: boolean): Subscription {
    const existing = this.#core.findSubscription(id);
    if (existing) {
      existing.moveTo(sources, layered);
      return existing;
    }
    const s = new Subscription(this.#core, id, this, ssrc, [], layered);
    s.moveTo(sources, layered);
    this.#subscriptions.add(s);
    this.#core.added(s);
    return s;
  }

  /** WebRTC: the client's ICE and DTLS parameters, from its offer. */
  setRemote(iceUfrag: string, fingerprint: { algorithm: string; value: string }, dtlsRole: 'client' | 'server'): void {
    this.#core.native.webrtcSetRemote({ transportId: this.id, iceUfrag, fingerprintAlgorithm: fingerprint.algorithm, fingerprintValue: fingerprint.value, dtlsRole });
  }

  /** WebRTC, publishing: transport-cc feedback for this header extension id (0: off). */
  setTransportCc(extId: number): void {
    this.#core.native.webrtcSetTransportCc({ transportId: this.id, extId });
  }

  /** WebRTC, sending: bandwidth estimation from the client's transport-cc feedback (once). */
  setSendTransportCc(o: SendTransportCcOptions): void {
    this.#core.native.webrtcSetSendTransportCc({ transportId: this.id, ...o });
  }

  /** Internal: SRTP on (once); this side's sending key. */
  enableSrtp(): Buffer {
    return this.#core.native.mediaInternalEnableSrtp({ transportId: this.id });
  }

  /** Internal: the peer's sending key. */
  setRemoteKey(key: Buffer): void {
    this.#core.native.mediaInternalSetRemoteKey({ transportId: this.id, key });
  }

  /** Ends the transport, its tracks and the subscriptions on it: what went with it. */
  close(): Removed {
    if (this.#closed) return { tracks: [], subscriptions: [] };
    const removed = this.#core.native.mediaCloseTransport({ transportId: this.id });
    this.#core.settle(removed, this);
    return removed;
  }

  /** The router's side of the cascade (MediaRouter only). */
  forget(o: Track | Subscription): void {
    if (o instanceof Track) this.#tracks.delete(o);
    else this.#subscriptions.delete(o);
  }

  ended(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close');
  }
}
