/**
 * One subscription in the node thread's router: a track (or the layer
 * tracks of a simulcast publication) sent to a transport under its own SSRC.
 * A switch (Transport.subscribe with its id again) moves it to another
 * source and keeps its SSRC and numbering. A slot subscription whose source
 * goes is parked (no track) until it is switched again.
 *
 * Close cascade: it ends once, by its own close(), its source's close (not
 * a slot) or its transport's close; then its 'close' event fires.
 */
import { EventEmitter } from 'node:events';
import type { RouterCore } from './RouterCore';
import type { Track } from './Track';
import type { Transport } from './Transport';

export interface SubscriptionEvents {
  /** The subscription ended. Fires once. */
  close: [];
  /** A slot subscription lost its source and waits for the next (switch). */
  park: [];
}

/** A layered subscription's preferences; -1 / 0: none. */
export interface LayerPreferenceOptions {
  maxSpatial: number;
  maxTemporal: number;
  priority: number;
  /** bit/s; 0: no cap. */
  maxBitrate: number;
}

export class Subscription extends EventEmitter<SubscriptionEvents> {
  readonly id: string;
  readonly transport: Transport;
  /** The SSRC it is sent with (kept across switches). */
  readonly ssrc: number;
  readonly #core: RouterCore;
  /** What it reads: one track, or a simulcast publication's layer tracks (lowest first); empty when parked. */
  #sources: Track[];
  #layered: boolean;
  #closed = false;

  /** Made by Transport.subscribe / subscribeLayers only. */
  constructor(core: RouterCore, id: string, transport: Transport, ssrc: number, sources: Track[], layered: boolean) {
    super();
    this.#core = core;
    this.id = id;
    this.transport = transport;
    this.ssrc = ssrc;
    this.#sources = sources;
    this.#layered = layered;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Its source; undefined for a parked slot (and the lowest layer for a layered one). */
  get track(): Track | undefined {
    return this.#sources[0];
  }

  /** Every track it reads (the layer tracks of a layered subscription). */
  get sources(): readonly Track[] {
    return this.#sources;
  }

  get layered(): boolean {
    return this.#layered;
  }

  /** Repairs towards it (video on WebRTC) go as RTX (RFC 4588) on rtxSsrc. */
  setRtx(rtxSsrc: number, rtxPayloadType: number): void {
    this.#core.native.mediaSetSubscriptionRtx({ subscriptionId: this.id, rtxSsrc, rtxPayloadType });
  }

  /** Paused: the subscriber is sent nothing. */
  setPaused(paused: boolean): void {
    this.#core.native.mediaSetSubscriptionPaused({ subscriptionId: this.id, paused });
  }

  /** Silent audio packets (RFC 6464 level 127) are not sent. */
  setDropSilence(on: boolean): void {
    this.#core.native.mediaSetDropSilence({ subscriptionId: this.id, on });
  }

  /** A speaker slot: when its source goes it is parked, not ended. */
  setSlot(on: boolean): void {
    this.#core.native.mediaSetSlot({ subscriptionId: this.id, on });
  }

  /** A layered subscription's preferences. */
  setLayerPreferences(p: LayerPreferenceOptions): void {
    this.#core.native.mediaSetLayerPreferences({ subscriptionId: this.id, ...p });
  }

  /** Ends the subscription. */
  close(): void {
    if (this.#closed) return;
    this.#core.native.mediaUnsubscribe({ subscriptionId: this.id });
    this.#core.settle({ tracks: [], subscriptions: [this.id] });
  }

  /** The router's side (Transport.subscribe, RouterCore.settle only). */
  moveTo(sources: Track[], layered: boolean): void {
    for (const t of this.#sources) t.detach(this);
    this.#sources = sources;
    this.#layered = layered;
    for (const t of sources) t.attach(this);
  }

  park(): void {
    this.moveTo([], false);
    this.emit('park');
  }

  ended(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#sources) t.detach(this);
    this.emit('close');
  }
}
