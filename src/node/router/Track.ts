/**
 * One track in the node thread's router: a publication on a transport, or a
 * stand-in imported from another node thread (fed over a ring, no
 * transport). Its subscriptions read it; closing it ends them (slot
 * subscriptions are parked instead: they wait for their next source).
 *
 * Close cascade (docs/architecture.md, "The node's media objects"): a track
 * ends once, either by its own close() or because its transport closed;
 * its subscriptions end (or park) first, then its 'close' event fires.
 */
import { EventEmitter } from 'node:events';
import type { TrackFormat } from '../webrtc/format';
import type { Removed } from '../media/schemas';
import type { MediaKind, RouterCore } from './RouterCore';
import type { Subscription } from './Subscription';
import type { Transport } from './Transport';

export interface TrackEvents {
  /** The track ended (its own close(), or its transport's). Fires once. */
  close: [];
}

/** What a WebRTC publication's packets are recognised by: the SSRC when non-zero, else the MID (and RID) header extensions. */
export interface TrackBinding {
  mid: string;
  rid: string;
  midExtId: number;
  ridExtId: number;
  ssrc: number;
}

export class Track extends EventEmitter<TrackEvents> {
  readonly id: string;
  readonly kind: MediaKind;
  /** The transport it arrives on; undefined for a stand-in imported from another node thread. */
  readonly transport: Transport | undefined;
  readonly #core: RouterCore;
  readonly #subscriptions = new Set<Subscription>();
  #format: TrackFormat | undefined;
  #publication: readonly string[] | undefined;
  #closed = false;

  /** Made by Transport.publish and MediaRouter.importTrack only. */
  constructor(core: RouterCore, id: string, kind: MediaKind, transport: Transport | undefined) {
    super();
    this.#core = core;
    this.id = id;
    this.kind = kind;
    this.transport = transport;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The subscriptions reading it (a layered one reads each of its layer tracks). */
  get subscriptions(): ReadonlySet<Subscription> {
    return this.#subscriptions;
  }

  /** The format a WebRTC answer agreed for it (or handed over for a stand-in): what a subscriber here is answered with. */
  get format(): TrackFormat | undefined {
    return this.#format;
  }

  /** Keeps its WebRTC format, and tells the router its codec (key frames are then recognised). */
  setFormat(format: TrackFormat): void {
    this.#format = format;
    this.setCodec(format.name);
  }

  /**
   * A stand-in for a simulcast layer: the layer track ids of its
   * publication, lowest first (handed over with its format: the publisher's
   * node knows the order, this one may have imported them in any order).
   */
  get publication(): readonly string[] | undefined {
    return this.#publication;
  }

  setPublication(layers: readonly string[]): void {
    this.#publication = layers;
  }

  /** The payload format (an SDP encoding name), for key-frame recognition. */
  setCodec(codec: string): void {
    this.#core.native.mediaSetTrackCodec({ trackId: this.id, codec });
  }

  /** RTX (RFC 4588) from the publisher on rtxSsrc is unwrapped into this track. */
  setRtx(rtxSsrc: number, rtxPayloadType: number): void {
    this.#core.native.mediaSetTrackRtx({ trackId: this.id, rtxSsrc, rtxPayloadType });
  }

  /** WebRTC: how its packets are recognised on the transport. */
  bind(b: TrackBinding): void {
    this.#core.native.webrtcBindTrack({ trackId: this.id, ...b });
  }

  /** Paused: nothing of it is forwarded. */
  setPaused(paused: boolean): void {
    this.#core.native.mediaSetTrackPaused({ trackId: this.id, paused });
  }

  requestKeyframe(): void {
    this.#core.native.mediaRequestKeyframe({ trackId: this.id });
  }

  /** Audio: reads the RFC 6464 level (extension extId) of each packet; levels at or below noiseFloor (-dBov) are no speech. */
  meterAudioLevel(extId: number, noiseFloor: number): void {
    this.#core.native.mediaSetAudioLevel({ trackId: this.id, extId, noiseFloor });
  }

  /** Each packet is also pushed into the ring towards node thread `peer`, under `link`. */
  exportTo(peer: string, link: number): void {
    this.#core.native.mediaExport({ trackId: this.id, peer, link });
  }

  unexport(peer: string, link: number): void {
    this.#core.native.mediaUnexport({ trackId: this.id, peer, link });
  }

  /** Ends the track and, first, its subscriptions: what went with it. */
  close(): Removed {
    if (this.#closed) return { tracks: [], subscriptions: [] };
    const removed = this.#core.native.mediaUnpublish({ trackId: this.id });
    this.#core.settle(removed);
    return removed;
  }

  /** The router's side of the cascade (RouterCore.settle only). */
  attach(s: Subscription): void {
    this.#subscriptions.add(s);
  }

  detach(s: Subscription): void {
    this.#subscriptions.delete(s);
  }

  ended(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close');
  }
}
