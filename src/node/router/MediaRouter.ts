/**
 * The node thread's face of its addon router: every transport, track and
 * subscription the thread holds is an object here (Transport, Track,
 * Subscription), made through this class and its transports, ended by
 * their close() in one written cascade (RouterCore.settle). The node
 * methods (media/methods.ts, webrtc/WebrtcNode.ts) work on these objects;
 * only these files call the addon's media functions.
 */
import { NotFoundError } from '../../errors';
import type { MediaObjects, MediaStats } from '../media/native';
import type { Removed } from '../media/schemas';
import type { ListenInfo } from '../webrtc/native';
import type { MediaKind, RouterCore, RouterNative } from './RouterCore';
import { Subscription } from './Subscription';
import { Track } from './Track';
import { Transport } from './Transport';

export interface ImportOptions {
  trackId: string;
  kind: MediaKind;
  clockRate: number;
  /** The node thread it comes from, and the link id of its ring records. */
  peer: string;
  link: number;
}

export interface WebrtcTransportOptions {
  transportId: string;
  iceUfrag: string;
  icePwd: string;
  consentTimeoutMs: number;
}

export class MediaRouter implements RouterCore {
  readonly native: RouterNative;
  readonly #transports = new Map<string, Transport>();
  readonly #tracks = new Map<string, Track>();
  readonly #subscriptions = new Map<string, Subscription>();
  /** Internal transports by the remote node's "ip:port". */
  readonly #internal = new Map<string, Transport>();

  constructor(native: RouterNative) {
    this.native = native;
  }

  // --- making ---

  createPlainTransport(o: { transportId: string; comedia: boolean }): Transport {
    const port = this.native.mediaCreatePlainTransport(o);
    return this.#addTransport(new Transport(this, o.transportId, 'plain', port));
  }

  /** A native WebRTC transport (one leg of a PeerConnection); the thread's WebRTC port must be open. */
  createWebrtcTransport(o: WebrtcTransportOptions): Transport {
    this.native.webrtcCreateTransport(o);
    return this.#addTransport(new Transport(this, o.transportId, 'webrtc'));
  }

  /** The transport towards another agent's node at ip:port, made on first use (the internal port must be open). */
  internalTransport(ip: string, port: number): Transport {
    const key = `${ip}:${port}`;
    const known = this.#internal.get(key);
    if (known && !known.closed) return known;
    const id = this.native.mediaInternalPeer({ ip, port });
    const t = this.#addTransport(new Transport(this, id, 'internal'));
    this.#internal.set(key, t);
    t.once('close', () => {
      if (this.#internal.get(key) === t) this.#internal.delete(key);
    });
    return t;
  }

  /** The internal transport towards ip:port if there is one. */
  findInternalTransport(ip: string, port: number): Transport | undefined {
    return this.#internal.get(`${ip}:${port}`);
  }

  /** A stand-in for a track published on another node thread, fed from the ring of `peer`. */
  importTrack(o: ImportOptions): Track {
    this.native.mediaImport(o);
    const track = new Track(this, o.trackId, o.kind, undefined);
    this.added(track);
    return track;
  }

  #addTransport(t: Transport): Transport {
    this.#transports.set(t.id, t);
    return t;
  }

  // --- finding (404s carry the addon's own messages) ---

  transport(id: string): Transport {
    const t = this.#transports.get(id);
    if (!t) throw new NotFoundError(`no such transport: ${id}`);
    return t;
  }

  track(id: string): Track {
    const t = this.#tracks.get(id);
    if (!t) throw new NotFoundError(`no such track: ${id}`);
    return t;
  }

  subscription(id: string): Subscription {
    const s = this.#subscriptions.get(id);
    if (!s) throw new NotFoundError(`no such subscription: ${id}`);
    return s;
  }

  findTransport(id: string): Transport | undefined {
    return this.#transports.get(id);
  }

  findTrack(id: string): Track | undefined {
    return this.#tracks.get(id);
  }

  findSubscription(id: string): Subscription | undefined {
    return this.#subscriptions.get(id);
  }

  /** Every track here (in the order they were made). */
  tracks(): IterableIterator<Track> {
    return this.#tracks.values();
  }

  // --- the close cascade ---

  added(o: Track | Subscription): void {
    if (o instanceof Track) this.#tracks.set(o.id, o);
    else this.#subscriptions.set(o.id, o);
  }

  settle(removed: Removed, transport?: Transport): void {
    const subs = new Set(removed.subscriptions);
    for (const id of removed.tracks) {
      const track = this.#tracks.get(id);
      if (!track) continue;
      for (const s of [...track.subscriptions]) {
        if (subs.delete(s.id)) this.#endSubscription(s);
        else s.park(); // a slot: the router parked it, it waits for its next source
      }
      this.#tracks.delete(id);
      track.transport?.forget(track);
      track.ended();
    }
    for (const id of subs) {
      const s = this.#subscriptions.get(id);
      if (s) this.#endSubscription(s);
    }
    if (transport && this.#transports.get(transport.id) === transport) {
      this.#transports.delete(transport.id);
      transport.ended();
    }
  }

  #endSubscription(s: Subscription): void {
    this.#subscriptions.delete(s.id);
    s.transport.forget(s);
    s.ended();
  }

  // --- the thread's ports, rings and counters ---

  configure(listenIp: string, portMin: number, portMax: number): void {
    this.native.mediaConfigure({ listenIp, portMin, portMax });
  }

  /** Opens the thread's WebRTC UDP port (and ICE-TCP port when tcp is given) once; later calls return the same. */
  listenWebrtc(o: {
    listenIp: string;
    announcedIp: string;
    portMin: number;
    portMax: number;
    tcp?: { portMin: number; portMax: number; maxConnections: number; idleTimeoutMs: number } | undefined;
  }): ListenInfo {
    const listen = this.native.webrtcListen({ listenIp: o.listenIp, announcedIp: o.announcedIp, portMin: o.portMin, portMax: o.portMax });
    if (o.tcp) listen.tcpPort = this.native.webrtcListenTcp({ listenIp: o.listenIp, ...o.tcp });
    return listen;
  }

  /** One callback per thread: the WebRTC transports' events (connected, failed, ...). */
  onWebrtcEvent(callback: (transportId: string, type: string, detail: string) => void): void {
    this.native.webrtcOnEvent(callback);
  }

  /** The thread's internal port (media between agents), opened once. */
  listenInternal(listenIp: string, portMin: number, portMax: number): number {
    return this.native.mediaInternalListen({ listenIp, portMin, portMax });
  }

  attachPeer(peer: string, outbound: Uint8Array, inbound: Uint8Array): void {
    this.native.mediaAttachPeer({ peer, outbound, inbound });
  }

  detachPeer(peer: string): void {
    this.native.mediaDetachPeer({ peer });
  }

  stats(): MediaStats {
    return this.native.mediaStats();
  }

  objects(): MediaObjects {
    return this.native.mediaObjects();
  }

  takeAudioLevels(): { metered: number; levels: Array<string | number> } {
    return this.native.mediaTakeAudioLevels();
  }

  setTestSendLoss(percent: number): void {
    this.native.mediaTestSetSendLoss({ percent });
  }

  setTestReceiveLoss(percent: number): void {
    this.native.mediaTestSetReceiveLoss({ percent });
  }
}
