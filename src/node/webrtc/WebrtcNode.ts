/**
 * The WebRTC side of one node thread (OWT's webrtc node API): transports,
 * publish and subscribe operations, offers answered into router tracks and
 * subscriptions, and the events the controller is told. Media never passes
 * through here: the addon's router moves it once the tracks are set up.
 *
 * Track ids follow OWT: `<transportId>-<mid>`, a simulcast layer
 * `<transportId>-<mid>:<rid>`. A subscription's router id is its out-track
 * id. The router's objects (src/node/router) carry the media: each
 * published Track keeps the format its answer agreed, so a subscriber on this
 * node can be answered with it; the LinkManager hands formats of tracks
 * published on other nodes over with setTrackFormat (onto their stand-ins).
 * A subscription of this node that ends in a close cascade (its source
 * went) tells its controller through its 'close' event.
 */
import type { Removed } from '../media/schemas';
import type { MediaSettings, SpeakerLevels, TrackNotice } from '../protocol';
import { LevelReporter } from '../speakers/LevelReporter';
import { ConflictError, InvalidRequestError, NotFoundError } from '../../errors';
import { checkLimit } from '../limits';
import { formatOf, toMediaFormat, type TrackFormat } from './format';
import { iceCredentials } from './iceCredentials';
import type { ListenInfo } from './native';
import type { MediaRouter } from '../router/MediaRouter';
import type { Subscription } from '../router/Subscription';
import type { CreateLayerStreamsRequest, MediaOnOffRequest, PublishRequest, SignalingMessage, SubscribeRequest } from './schemas';
import { layersOfMode, layerStreamId, parseLayerStreamId, planLayerStreams, type LayerRef } from './layerStreams';
import { answerOffer, type LocalCandidate, type NegotiatedMedia } from './sdp/answer';
import { TRANSPORT_CC_EXTENSION } from './sdp/codecs';
import { PeerConnection, type LayerPreferences, type Leg, type MidState, type Operation } from './PeerConnection';

/** An SVC subscription's ceiling: every spatial layer (VP9's SID is 3 bits). */
const SVC_ALL_SPATIAL = 7;
const NO_PREFERENCES: LayerPreferences = { maxSpatial: null, maxTemporal: null, priority: 0, maxBitrate: 0 };

export type Emit = (controller: string, name: string, payload: unknown) => void;

const MID_EXT = 'urn:ietf:params:rtp-hdrext:sdes:mid';
const RID_EXT = 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id';
const AUDIO_LEVEL_EXT = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

/** The answer's host candidates: the UDP port, and the ICE-TCP port when open (UDP first: preferred). */
function candidatesOf(listen: ListenInfo): LocalCandidate[] {
  const out: LocalCandidate[] = [{ ip: listen.ip, port: listen.port, protocol: 'udp' }];
  if (listen.tcpPort) out.push({ ip: listen.ip, port: listen.tcpPort, protocol: 'tcp' });
  return out;
}

function tolerate(fn: () => void): void {
  try {
    fn();
  } catch {
    // Already gone (a close cascade took it first): nothing left to undo.
  }
}

export class WebrtcNode {
  readonly #router: MediaRouter;
  readonly #emit: Emit;
  readonly #notify: (notice: TrackNotice) => void;
  readonly #settings: MediaSettings;
  readonly #transports = new Map<string, PeerConnection>();
  /** Native transport id (every leg's) -> its transport. */
  readonly #natives = new Map<string, PeerConnection>();
  readonly #operations = new Map<string, PeerConnection>();
  /** Router subscription id -> the transport sending it. */
  readonly #subscriptions = new Map<string, PeerConnection>();
  /** Subscriptions whose 'close' this node listens to. */
  readonly #watched = new WeakSet<Subscription>();
  /** Inside one of this node's own closes: subscriptions ended by the cascade, told after its own events. */
  #deferred: string[] | undefined;
  #listen: ListenInfo | undefined;
  /** Audio levels to the main thread (speaker detection); none when speakers are off. */
  readonly #levels: LevelReporter | undefined;

  /**
   * notify: the main thread's track registry, told of publications made and
   * ended here; postLevels: where audio levels go (speaker detection).
   */
  constructor(
    router: MediaRouter,
    emit: Emit,
    settings: MediaSettings,
    notify: (notice: TrackNotice) => void = () => undefined,
    postLevels?: (levels: SpeakerLevels) => void,
  ) {
    this.#router = router;
    this.#emit = emit;
    this.#settings = settings;
    this.#notify = notify;
    if (settings.speakers && postLevels) this.#levels = new LevelReporter(router, postLevels, settings.speakers.intervalMs);
  }

  /** How much this node's WebRTC bookkeeping holds (all 0 when idle). */
  objects(): { transports: number; operations: number; formats: number; subscriptions: number } {
    return {
      transports: this.#transports.size,
      operations: this.#operations.size,
      formats: this.#formatCount(),
      subscriptions: this.#subscriptions.size,
    };
  }

  /** Tracks here that carry a WebRTC format (published here, or handed over for a stand-in). */
  #formatCount(): number {
    let n = 0;
    for (const track of this.#router.tracks()) if (track.format) n++;
    return n;
  }

  has(transportId: string): boolean {
    return this.#transports.has(transportId);
  }

  /** The thread's WebRTC port and certificate, opened on first use. */
  #listenInfo(): ListenInfo {
    if (!this.#listen) {
      const s = this.#settings;
      this.#listen = this.#router.listenWebrtc({ listenIp: s.listenIp, announcedIp: s.announcedIp, portMin: s.portMin, portMax: s.portMax, tcp: s.tcp });
      this.#router.onWebrtcEvent((transportId, type, detail) => this.onNativeEvent(transportId, type, detail));
    }
    return this.#listen;
  }

  createTransport(transportId: string, controller: string): void {
    if (this.#transports.has(transportId)) throw new ConflictError('transportId', `already exists: ${transportId}`);
    checkLimit(this.#settings.limits, 'transports', this.#router.objects().transports);
    this.#listenInfo();
    const { ufrag, pwd } = iceCredentials();
    this.#router.createWebrtcTransport({ transportId, iceUfrag: ufrag, icePwd: pwd, consentTimeoutMs: this.#settings.consentTimeoutMs });
    const t = new PeerConnection(transportId, controller, ufrag, pwd);
    this.#transports.set(transportId, t);
    this.#natives.set(transportId, t);
  }

  #transport(transportId: string): PeerConnection {
    const t = this.#transports.get(transportId);
    if (!t) throw new NotFoundError(`transport not found: ${transportId}`);
    return t;
  }

  #checkNewOperation(operationId: string): void {
    if (this.#operations.has(operationId)) throw new ConflictError('operationId', `already exists: ${operationId}`);
    checkLimit(this.#settings.limits, 'operations', this.#operations.size);
  }

  publish(r: PublishRequest): void {
    this.#checkNewOperation(r.operationId);
    const t = this.#transport(r.options.transportId);
    const op: Operation = {
      id: r.operationId,
      kind: 'publish',
      transportId: t.id,
      controller: r.options.controller,
      ...(r.options.owner !== undefined ? { owner: r.options.owner } : {}),
      tracks: r.options.tracks.map((x) => ({
        mid: x.mid,
        type: x.type,
        preferred: [x.formatPreference?.preferred?.codec, ...(x.formatPreference?.optional ?? []).map((o) => o.codec)].filter(
          (c): c is string => !!c,
        ),
        ...(x.scalabilityMode !== undefined ? { scalabilityMode: x.scalabilityMode } : {}),
      })),
      complete: false,
    };
    t.addOperation(op);
    this.#operations.set(op.id, t);
  }

  /**
   * The layers of the simulcast publication `from` names (`<t>-<mid>`, the
   * whole publication, or `<t>-<mid>:<rid>`, one of its layers): its layer
   * tracks in the order the publisher's offer listed them (lowest first),
   * and the highest index a subscription to `from` may get. A VP9 track of
   * its own (no simulcast) is one layer track with its spatial layers inside
   * (SVC): the ceiling is then the highest spatial layer id there can be.
   * Undefined: not a layered publication.
   */
  #layersOf(from: string): { layers: string[]; ceiling: number } | undefined {
    const colon = from.lastIndexOf(':');
    const base = this.formatOf(from) && colon > 0 ? from.slice(0, colon) : from;
    let layers: string[] = [];
    // A publication on another node: its stand-ins carry its layer ids
    // (the LinkManager brought in the ones a subscription to `from` reads).
    let handed: readonly string[] | undefined;
    for (const track of this.#router.tracks()) {
      if (!track.format || !track.id.startsWith(`${base}:`)) continue;
      layers.push(track.id);
      handed ??= track.publication;
    }
    if (handed) layers = [...handed];
    if (layers.length === 0 && this.formatOf(from)?.name.toLowerCase() === 'vp9') return { layers: [from], ceiling: SVC_ALL_SPATIAL };
    if (layers.length < 2) return undefined;
    const ceiling = base === from ? layers.length - 1 : layers.indexOf(from);
    return ceiling < 0 ? undefined : { layers, ceiling };
  }

  /** The publish-time scalabilityMode of a track published here, if the client gave one. */
  #scalabilityModeOf(trackId: string): string | undefined {
    for (const t of this.#transports.values()) {
      for (const m of t.mids.values()) if (m.role === 'receive' && m.tracks.some((x) => x.trackId === trackId)) return m.track.scalabilityMode;
    }
    return undefined;
  }

  /**
   * OWT's createLayerStreams: ids a subscription can take as `from`, one
   * per layer asked for. A VP9 track's are layer stream names
   * (`<trackId>:l<S>t<T>`, see layerStreams.ts; nothing is kept per id, so
   * the same layer always gives the same id); a simulcast publication's are
   * its layer tracks. The layer counts come from the publish-time
   * scalabilityMode (VP9) or the layer tracks (simulcast).
   */
  createLayerStreams(r: CreateLayerStreamsRequest): string[] {
    // A simulcast publication is no track itself: its layers are.
    const published = this.formatOf(r.trackId) ? undefined : this.#layersOf(r.trackId);
    if (published) {
      if (r.temporal === true || (typeof r.temporal === 'number' && r.temporal >= 0)) {
        throw new InvalidRequestError(
          'temporal',
          `${r.trackId} is a simulcast publication: its layer streams are its simulcast layers (spatial); subscribe to one and set maxTemporalLayer with setLayerPreference`,
        );
      }
      const n = published.layers.length;
      return planLayerStreams(r, { spatial: n }, `${r.trackId} (simulcast, ${n} layers)`).map((ref) => published.layers[ref.spatial!]!);
    }
    const track = this.#router.findTrack(r.trackId);
    if (!track) throw new NotFoundError(`trackId: no track ${r.trackId} on this node`);
    if (track.kind !== 'video' || track.format?.name.toLowerCase() !== 'vp9') {
      throw new InvalidRequestError('trackId', `${r.trackId} is not a layered publication (a VP9 track, or a simulcast publication <transportId>-<mid>)`);
    }
    const mode = this.#scalabilityModeOf(r.trackId);
    return planLayerStreams(r, layersOfMode(mode) ?? {}, mode !== undefined ? `${r.trackId} (scalabilityMode ${mode})` : r.trackId).map((ref) =>
      layerStreamId(r.trackId, ref),
    );
  }

  /**
   * The VP9 track and layer a subscription's `from` names when it is a
   * layer stream id of a track here (undefined otherwise); a layer the
   * publication's scalabilityMode does not have is a 404.
   */
  #layerStreamOf(from: string, i: number): ({ base: string } & LayerRef) | undefined {
    const ref = parseLayerStreamId(from);
    if (!ref || this.formatOf(ref.base)?.name.toLowerCase() !== 'vp9' || this.#layersOf(ref.base)?.layers[0] !== ref.base) return undefined;
    const mode = this.#scalabilityModeOf(ref.base);
    const count = layersOfMode(mode);
    for (const d of ['spatial', 'temporal'] as const) {
      const v = ref[d];
      if (count && v !== undefined && v >= count[d]) {
        throw new NotFoundError(`options.tracks.${i}.from: no layer stream ${from}: ${ref.base} has ${count[d]} ${d} layers (scalabilityMode ${mode})`);
      }
    }
    return ref;
  }

  subscribe(r: SubscribeRequest): void {
    this.#checkNewOperation(r.operationId);
    const t = this.#transport(r.options.transportId);
    const tracks = r.options.tracks.map((x, i) => {
      // A layer stream of a VP9 track (createLayerStreams): an SVC
      // subscription to the track, up to that layer (enableBWE) or pinned at it.
      const stream = x.type === 'video' && !this.formatOf(x.from) ? this.#layerStreamOf(x.from, i) : undefined;
      if (stream) {
        return {
          mid: x.mid,
          type: x.type,
          preferred: [],
          from: x.from,
          format: this.formatOf(stream.base)!,
          layers: [stream.base],
          ceiling: stream.spatial ?? SVC_ALL_SPATIAL,
          ...(r.options.enableBWE === false ? { adaptive: false } : {}),
          ...(stream.temporal !== undefined ? { maxTemporal: stream.temporal } : {}),
          ...(x.slot ? { slot: true } : {}),
        };
      }
      // A simulcast publication, whole or up to a layer: with enableBWE
      // (the default for video) the allocator picks the layer.
      const layered = x.type === 'video' ? this.#layersOf(x.from) : undefined;
      const adaptive = layered && r.options.enableBWE !== false;
      // enableBWE false on a whole publication: its top layer, pinned.
      const from = layered && !adaptive && !this.formatOf(x.from) ? layered.layers[layered.ceiling]! : x.from;
      // The agent forwards, never transcodes: the subscriber gets the source's format.
      let format = this.formatOf(adaptive ? layered.layers[0]! : from);
      const preferred = x.formatPreference?.preferred?.codec;
      if (!format && preferred) format = { name: preferred, clockRate: x.type === 'audio' ? 48000 : 90000, fmtp: {} };
      if (!format) throw new NotFoundError(`options.tracks.${i}.from: no track ${x.from} with a known format (publish it over WebRTC, or name its codec in formatPreference.preferred)`);
      // Like OWT: a participant is never sent their own audio (it would echo).
      const own = x.type === 'audio' && r.options.owner !== undefined && format.owner === r.options.owner;
      return {
        mid: x.mid,
        type: x.type,
        preferred: [],
        from,
        format,
        ...(x.dropSilence && x.type === 'audio' ? { dropSilence: true } : {}),
        ...(x.slot ? { slot: true } : {}),
        ...(own ? { refuse: 'own audio' } : {}),
        ...(adaptive ? { layers: layered.layers, ceiling: layered.ceiling } : {}),
      };
    });
    const op: Operation = {
      id: r.operationId,
      kind: 'subscribe',
      transportId: t.id,
      controller: r.options.controller,
      ...(r.options.owner !== undefined ? { owner: r.options.owner } : {}),
      tracks,
      complete: false,
    };
    t.addOperation(op);
    this.#operations.set(op.id, t);
  }

  /**
   * Pauses or resumes tracks of an operation (OWT's mediaOnOff): 'in' for a
   * publication's tracks (nothing of them is forwarded), 'out' for a
   * subscription's (that subscriber is sent nothing). Resuming video asks
   * for a key frame.
   */
  mediaOnOff(r: MediaOnOffRequest): void {
    const t = this.#operations.get(r.operationId);
    const op = t?.operations.get(r.operationId);
    if (!t || !op) throw new NotFoundError(`operation not found: ${r.operationId}`);
    const want = r.direction === 'in' ? 'publish' : 'subscribe';
    if (op.kind !== want) throw new InvalidRequestError('direction', `'${r.direction}' is for ${want} operations; ${r.operationId} is a ${op.kind}`);
    const owned = new Map<string, MidState>();
    for (const m of t.mids.values()) if (m.operationId === op.id) for (const x of m.tracks) owned.set(x.trackId, m);
    r.tracks.forEach((trackId, i) => {
      if (!owned.has(trackId)) throw new NotFoundError(`tracks.${i}: ${trackId} is not a track of ${r.operationId}`);
    });
    for (const trackId of r.tracks) {
      const m = owned.get(trackId)!;
      if (m.role === 'receive') this.#router.track(trackId).setPaused(r.action === 'off');
      else if (m.subscriptionId) this.#router.subscription(m.subscriptionId).setPaused(r.action === 'off');
    }
  }

  /**
   * A layered subscription's preferences (setLayerPreference) or bitrate cap
   * (setVideoBitrate): on one out-track of a subscribe operation, or on all
   * its layered video. Fields not given keep their value.
   */
  setLayerPreference(operationId: string, trackId: string | undefined, change: Partial<LayerPreferences>, method: string): void {
    const t = this.#operations.get(operationId);
    const op = t?.operations.get(operationId);
    if (!t || !op) throw new NotFoundError(`operation not found: ${operationId}`);
    if (op.kind !== 'subscribe') throw new InvalidRequestError('operationId', `${method} is for subscribe operations; ${operationId} is a ${op.kind}`);
    const mids = [...t.mids.values()].filter((m) => m.operationId === op.id && m.track.type === 'video' && (trackId === undefined || m.subscriptionId === trackId));
    if (trackId !== undefined && mids.length === 0) throw new NotFoundError(`trackId: ${trackId} is not a video track of ${operationId}`);
    const layered = mids.filter((m) => m.track.layers && m.track.adaptive !== false && m.subscriptionId);
    if (layered.length === 0) {
      throw new InvalidRequestError(
        trackId !== undefined ? 'trackId' : 'operationId',
        'not a subscription to a layered publication with enableBWE (subscribe with from: "<transportId>-<mid>" of a simulcast or VP9 publication); a single track of another codec cannot be adapted',
      );
    }
    for (const m of layered) {
      const p: LayerPreferences = { ...(m.preferences ?? NO_PREFERENCES), ...change };
      this.#applyPreferences(m, p);
      m.preferences = p;
    }
  }

  /** Tells the router a layered subscription's preferences; a layer stream's temporal layer stays a ceiling under them. */
  #applyPreferences(m: MidState, p: LayerPreferences): void {
    const cap = m.track.maxTemporal;
    const maxTemporal = cap === undefined ? p.maxTemporal : p.maxTemporal === null ? cap : Math.min(cap, p.maxTemporal);
    this.#router.subscription(m.subscriptionId!).setLayerPreferences({ maxSpatial: p.maxSpatial ?? -1, maxTemporal: maxTemporal ?? -1, priority: p.priority, maxBitrate: p.maxBitrate });
  }

  /** Ends a publish or subscribe operation: its tracks go, with track-removed events. */
  endOperation(operationId: string, kind: 'publish' | 'subscribe'): Removed {
    const t = this.#operations.get(operationId);
    const op = t?.operations.get(operationId);
    if (!t || !op || op.kind !== kind) throw new NotFoundError(`${kind} operation not found: ${operationId}`);
    const { mids } = t.removeOperation(operationId);
    this.#operations.delete(operationId);
    return this.#batched(() => {
      const removed: Removed = { tracks: [], subscriptions: [] };
      for (const m of mids) this.#teardownMid(m, removed);
      for (const m of mids) for (const x of m.tracks) this.#trackRemoved(op.controller, t.id, x.trackId, op.id);
      return removed;
    });
  }

  /**
   * Runs one of this node's own closes: subscriptions of other transports
   * that the cascade ends meanwhile are told after its own events (its
   * track-removed first, then theirs).
   */
  #batched<T>(fn: () => T): T {
    if (this.#deferred) return fn();
    this.#deferred = [];
    try {
      return fn();
    } finally {
      const gone = this.#deferred;
      this.#deferred = undefined;
      this.#subscriptionsGone(gone);
    }
  }

  /** A subscription of this node ended (its own close, or a cascade). */
  #subscriptionClosed(id: string): void {
    if (this.#deferred) this.#deferred.push(id);
    else this.#subscriptionsGone([id]);
  }

  #teardownMid(m: MidState, removed: Removed): void {
    if (m.role === 'receive') {
      for (const x of m.tracks) {
        tolerate(() => {
          const r = this.#router.track(x.trackId).close();
          removed.tracks.push(...r.tracks);
          removed.subscriptions.push(...r.subscriptions);
        });
      }
    } else if (m.subscriptionId) {
      const sub = m.subscriptionId;
      this.#subscriptions.delete(sub);
      tolerate(() => {
        this.#router.subscription(sub).close();
        removed.subscriptions.push(sub);
      });
    }
  }

  /**
   * Handed over by the LinkManager: the format of a track published on
   * another node and, for a simulcast layer, its publication's layer ids.
   */
  setTrackFormat(trackId: string, format: TrackFormat, layers?: readonly string[]): void {
    // The local stand-in (imported from the publisher's node) exists by
    // now: it keeps the format (it goes with it), and its subscribers start
    // at a key frame too.
    const track = this.#router.findTrack(trackId);
    if (!track) return;
    tolerate(() => track.setFormat(format));
    if (layers) track.setPublication(layers);
  }

  /** The format of a track here (published here, or a stand-in's), if it has one. */
  formatOf(trackId: string): TrackFormat | undefined {
    return this.#router.findTrack(trackId)?.format;
  }

  signaling(transportId: string, message: SignalingMessage): void {
    const t = this.#transport(transportId);
    // An ICE-lite agent gathers nothing and needs none of the client's
    // candidates: it answers connectivity checks from wherever they come.
    if (message.type !== 'offer') return;
    this.#offer(t, message.sdp);
  }

  #offer(t: PeerConnection, sdp: string): void {
    const listen = this.#listenInfo();
    const candidates = candidatesOf(listen);
    // Each transport group of the offer (a BUNDLE group, or an m-line
    // outside every group) gets a leg: its own ICE credentials in the
    // answer, its own native transport. Legs new to this offer are made
    // natively only once the whole answer is sure.
    const chosen = new Map<string, Leg>();
    const answer = answerOffer(
      sdp,
      (key, mids) => {
        let leg = chosen.get(key);
        if (!leg) {
          leg = t.legFor(mids, new Set(chosen.values()), iceCredentials);
          chosen.set(key, leg);
        }
        return { iceUfrag: leg.iceUfrag, icePwd: leg.icePwd, fingerprint: listen.fingerprint, candidates };
      },
      t.plans(this.#settings.bwe !== undefined),
    );
    const legs = answer.legs.map((al) => ({ leg: chosen.get(al.key)!, remote: { iceUfrag: al.remote.iceUfrag, fingerprint: al.remote.fingerprint }, dtlsRole: al.dtlsRole }));
    // Nothing accepted: the transport's own leg still takes the client's side.
    if (!legs.length && !t.legs[0]!.remote) legs.push({ leg: t.legs[0]!, remote: { iceUfrag: answer.remote.iceUfrag, fingerprint: answer.remote.fingerprint }, dtlsRole: answer.dtlsRole });
    for (const { leg, remote } of legs) {
      if (!leg.remote) continue;
      if (leg.remote.iceUfrag !== remote.iceUfrag) throw new InvalidRequestError('sdp', 'ICE restart is not supported (ice-ufrag changed)');
      if (leg.remote.fingerprint.value.toUpperCase() !== remote.fingerprint.value.toUpperCase()) {
        throw new InvalidRequestError('sdp', 'the DTLS fingerprint changed');
      }
    }
    const legOfMid = new Map<string, Leg>();
    for (const al of answer.legs) for (const mid of al.mids) legOfMid.set(mid, chosen.get(al.key)!);
    // Set up every mid answered for the first time; undo them all if one fails.
    const fresh: MidState[] = [];
    const made: Leg[] = [];
    try {
      for (const { leg } of legs) {
        if (leg.created) continue;
        checkLimit(this.#settings.limits, 'transports', this.#router.objects().transports);
        this.#router.createWebrtcTransport({ transportId: leg.nativeId, iceUfrag: leg.iceUfrag, icePwd: leg.icePwd, consentTimeoutMs: this.#settings.consentTimeoutMs });
        leg.created = true;
        made.push(leg);
        this.#natives.set(leg.nativeId, t);
      }
      for (const nm of answer.media) {
        const m = t.mids.get(nm.mid);
        // A mid rejected before (say, no codec in common) gets another chance.
        if (!m || (m.answered && !m.rejected)) continue;
        delete m.rejected;
        this.#setupMid(t, m, nm, legOfMid.get(nm.mid));
        fresh.push(m);
      }
      for (const { leg, remote, dtlsRole } of legs) {
        if (leg.remote) continue;
        this.#router.transport(leg.nativeId).setRemote(remote.iceUfrag, remote.fingerprint, dtlsRole);
        leg.remote = remote;
      }
    } catch (err) {
      const ignored: Removed = { tracks: [], subscriptions: [] };
      for (const m of [...fresh, ...[...t.mids.values()].filter((x) => !x.answered && x.tracks.length)]) {
        this.#teardownMid(m, ignored);
        m.answered = false;
        m.tracks = [];
        delete m.subscriptionId;
        delete m.rejected;
        delete m.format;
        delete m.leg;
      }
      for (const leg of made) {
        this.#natives.delete(leg.nativeId);
        tolerate(() => this.#router.transport(leg.nativeId).close());
      }
      throw err;
    }
    for (const leg of made) t.legs.push(leg);
    this.#emit(t.controller, 'onTransportProgress', { transportId: t.id, status: { type: 'answer', sdp: answer.sdp } });
    for (const m of fresh) {
      const op = t.operations.get(m.operationId)!;
      for (const x of m.tracks) {
        const mediaFormat = toMediaFormat(m.track.type, m.format!);
        if (m.role === 'receive') {
          this.#notify({ type: 'published', trackId: x.trackId, kind: m.track.type, mediaFormat, controller: op.controller, ...(op.owner !== undefined ? { owner: op.owner } : {}) });
        }
        this.#emit(op.controller, 'onTrackUpdate', {
          transportId: t.id,
          update: {
            type: 'track-added',
            trackId: x.trackId,
            mediaType: m.track.type,
            mediaFormat,
            // Not in OWT's event: lets the main thread keep the owner with the track.
            ...(m.role === 'receive' && op.owner !== undefined ? { owner: op.owner } : {}),
            direction: m.role === 'receive' ? 'in' : 'out',
            operationId: op.id,
            mid: m.mid,
            ...(x.rid ? { rid: x.rid } : {}),
            active: true,
          },
        });
      }
    }
    for (const op of t.takeCompleted()) {
      const rejected = op.tracks
        .map((x) => t.mids.get(x.mid)!)
        .filter((m) => m.rejected)
        .map((m) => ({ mid: m.mid, reason: m.rejected! }));
      this.#emit(op.controller, 'onTrackUpdate', {
        transportId: t.id,
        update: { type: 'tracks-complete', operationId: op.id, ...(rejected.length ? { rejected } : {}) },
      });
    }
  }

  #setupMid(t: PeerConnection, m: MidState, nm: NegotiatedMedia, leg: Leg | undefined): void {
    if (!nm.accepted || !leg) {
      m.answered = true;
      m.rejected = m.track.refuse ?? nm.reason ?? 'rejected';
      return;
    }
    const transport = this.#router.transport(leg.nativeId);
    if (nm.kind !== m.track.type) throw new InvalidRequestError('sdp', `mid ${m.mid} is ${nm.kind} in the offer, ${m.track.type} in its operation`);
    const codec = nm.codec!;
    if (m.role === 'receive') {
      const owner = t.operations.get(m.operationId)?.owner;
      const format = { ...formatOf(codec), ...(owner !== undefined ? { owner } : {}) };
      const midExt = nm.extensions.find((e) => e.uri === MID_EXT)?.id ?? 0;
      const ridExt = nm.extensions.find((e) => e.uri === RID_EXT)?.id ?? 0;
      // Answered on a published m-line: the transport reports the arrival of
      // every numbered packet (all m-lines of the bundle share the id).
      const twccExt = nm.extensions.find((e) => e.uri === TRANSPORT_CC_EXTENSION)?.id;
      if (twccExt !== undefined) transport.setTransportCc(twccExt);
      const layers = nm.rids.length ? nm.rids : [''];
      checkLimit(this.#settings.limits, 'tracks', this.#router.objects().tracks, layers.length);
      // Generic NACK (a=rtcp-fb:<pt> nack) negotiated: the agent asks the
      // publisher again for lost video packets.
      const nack = nm.kind === 'video' && codec.feedback.some((f) => f.type === 'nack' && !f.subtype);
      for (const rid of layers) {
        const trackId = rid ? `${t.id}-${m.mid}:${rid}` : `${t.id}-${m.mid}`;
        const track = transport.publish({ trackId, kind: nm.kind, payloadType: codec.payloadType, clockRate: codec.clockRate, nack });
        track.setFormat(format);
        m.tracks.push(rid ? { trackId, rid } : { trackId });
        const ssrc = rid ? 0 : (nm.remoteSsrcs[0] ?? 0);
        track.bind({ mid: m.mid, rid, midExtId: midExt, ridExtId: ridExt, ssrc });
        if (ssrc && nm.remoteRtxSsrc && nm.rtxPayloadType !== undefined) track.setRtx(nm.remoteRtxSsrc, nm.rtxPayloadType);
      }
      // RFC 6464 negotiated on an audio m-line: the addon reads each packet's level.
      const levelExt = nm.extensions.find((e) => e.uri === AUDIO_LEVEL_EXT)?.id;
      if (nm.kind === 'audio' && levelExt !== undefined && this.#levels && this.#settings.speakers) {
        for (const x of m.tracks) this.#router.track(x.trackId).meterAudioLevel(levelExt, this.#settings.speakers.noiseFloor);
        this.#levels.ensureRunning();
      }
      m.format = format;
    } else {
      const subscriptionId = `${t.id}-${m.mid}`;
      checkLimit(this.#settings.limits, 'subscriptions', this.#router.objects().subscriptions);
      const sub = m.track.layers
        ? transport.subscribeLayers({ trackIds: m.track.layers, subscriptionId, ceiling: m.track.ceiling!, adaptive: m.track.adaptive !== false, ssrc: m.ssrc, payloadType: codec.payloadType })
        : transport.subscribe({ trackId: m.track.from!, subscriptionId, ssrc: m.ssrc, payloadType: codec.payloadType });
      if (!this.#watched.has(sub)) {
        this.#watched.add(sub);
        sub.once('close', () => this.#subscriptionClosed(sub.id));
      }
      // The client offered RTX (apt=) for the codec: repairs go as RTX.
      if (nm.rtxPayloadType !== undefined && m.rtxSsrc !== undefined) sub.setRtx(m.rtxSsrc, nm.rtxPayloadType);
      if (m.track.dropSilence) sub.setDropSilence(true);
      if (m.track.slot) sub.setSlot(true);
      m.subscriptionId = subscriptionId;
      if (m.track.maxTemporal !== undefined) this.#applyPreferences(m, m.preferences ?? NO_PREFERENCES);
      // transport-cc answered where the agent sends: every packet sent on
      // the transport is numbered and the client's feedback drives the
      // transport's bandwidth estimate (all m-lines of a bundle share the id).
      const sendTwccExt = nm.extensions.find((e) => e.uri === TRANSPORT_CC_EXTENSION)?.id;
      const bwe = this.#settings.bwe;
      if (sendTwccExt !== undefined && bwe) {
        transport.setSendTransportCc({ extId: sendTwccExt, initialBps: bwe.initialBitrate, minBps: bwe.minBitrate, maxBps: bwe.maxBitrate, probing: bwe.probing });
      }
      this.#subscriptions.set(subscriptionId, t);
      m.tracks.push({ trackId: subscriptionId });
      m.format = formatOf(codec);
    }
    m.leg = leg;
    m.answered = true;
  }

  /** Closes a transport and everything on it; track-removed for every track. */
  destroyTransport(transportId: string): Removed {
    const t = this.#transport(transportId);
    return this.#close(t, true);
  }

  #close(t: PeerConnection, native: boolean): Removed {
    return this.#batched(() => this.#closeNow(t, native));
  }

  #closeNow(t: PeerConnection, native: boolean): Removed {
    this.#transports.delete(t.id);
    for (const leg of t.legs) this.#natives.delete(leg.nativeId);
    for (const opId of t.operations.keys()) this.#operations.delete(opId);
    const removed: Removed = { tracks: [], subscriptions: [] };
    const closeLeg = (nativeId: string) => {
      const r = this.#router.transport(nativeId).close();
      removed.tracks.push(...r.tracks);
      removed.subscriptions.push(...r.subscriptions);
    };
    // The transport's own leg answers for it (its 404 stands when asked);
    // the others follow it, whatever state they are in.
    try {
      if (native) closeLeg(t.id);
      else tolerate(() => closeLeg(t.id));
    } finally {
      for (const leg of t.legs.slice(1)) tolerate(() => closeLeg(leg.nativeId));
    }
    for (const m of t.mids.values()) if (m.subscriptionId) this.#subscriptions.delete(m.subscriptionId);
    for (const x of t.allTracks()) {
      const op = t.operations.get(x.operationId);
      this.#trackRemoved(op?.controller ?? t.controller, t.id, x.trackId, x.operationId);
    }
    return removed;
  }

  /**
   * Subscriptions the router dropped in a close cascade (their source track
   * went: unpublished, its transport closed, or its node gone): their
   * out-tracks are gone, and the controller is told. The operation stays
   * until it is unsubscribed.
   */
  #subscriptionsGone(subscriptionIds: string[]): void {
    for (const id of subscriptionIds) {
      const t = this.#subscriptions.get(id);
      if (!t) continue;
      this.#subscriptions.delete(id);
      for (const m of t.mids.values()) {
        if (m.subscriptionId !== id) continue;
        delete m.subscriptionId;
        const op = t.operations.get(m.operationId);
        for (const x of m.tracks) this.#trackRemoved(op?.controller ?? t.controller, t.id, x.trackId, m.operationId);
        m.tracks = [];
      }
    }
  }

  /** A published track's picture size changed (native detail: "<trackId> <width> <height>"): OWT's onMediaUpdate. */
  #mediaUpdate(t: PeerConnection, detail: string): void {
    const [trackId, w, h] = detail.split(' ');
    const width = Number(w);
    const height = Number(h);
    if (!trackId || !(width > 0) || !(height > 0)) return;
    let controller = t.controller;
    for (const m of t.mids.values()) {
      if (m.tracks.some((x) => x.trackId === trackId)) controller = t.operations.get(m.operationId)?.controller ?? controller;
    }
    this.#emit(controller, 'onMediaUpdate', { trackId, direction: 'in', mediaUpdate: { video: { parameters: { resolution: { width, height } } } } });
  }

  /**
   * A layered subscription's target changed (native detail: "<subscriptionId>
   * <spatial> <temporal> <reason>"; spatial -1: paused for bandwidth,
   * temporal >= 7: all): onLayerUpdate.
   */
  #layerUpdate(t: PeerConnection, detail: string): void {
    const [subscriptionId, s, tl, reason] = detail.split(' ');
    const m = [...t.mids.values()].find((x) => x.subscriptionId === subscriptionId);
    // A pinned layer stream is never moved: nothing to tell.
    if (!m || !m.track.layers || m.track.adaptive === false) return;
    const spatial = Number(s);
    const temporal = Number(tl);
    // SVC: one track, whatever the spatial layer.
    const layer = spatial >= 0 ? m.track.layers[m.track.layers.length === 1 ? 0 : spatial] : undefined;
    const op = t.operations.get(m.operationId);
    this.#emit(op?.controller ?? t.controller, 'onLayerUpdate', {
      transportId: t.id,
      trackId: subscriptionId,
      operationId: m.operationId,
      paused: spatial < 0,
      spatial: spatial >= 0 ? spatial : null,
      temporal: spatial >= 0 && temporal >= 0 && temporal < 7 ? temporal : null,
      source: layer ?? null,
      reason,
    });
  }

  /** A simulcast layer of a publication here lost (or got back) every reader (native detail: its track id): onLayerUsage. */
  #layerUsage(t: PeerConnection, trackId: string, used: boolean): void {
    const m = [...t.mids.values()].find((x) => x.role === 'receive' && x.tracks.some((y) => y.trackId === trackId));
    if (!m) return;
    const op = t.operations.get(m.operationId);
    const rid = m.tracks.find((y) => y.trackId === trackId)?.rid;
    this.#emit(op?.controller ?? t.controller, 'onLayerUsage', { transportId: t.id, trackId, operationId: m.operationId, ...(rid ? { rid } : {}), used });
  }

  #trackRemoved(controller: string, transportId: string, trackId: string, operationId: string): void {
    this.#notify({ type: 'removed', trackId });
    this.#emit(controller, 'onTrackUpdate', { transportId, update: { type: 'track-removed', trackId, operationId } });
  }

  /** The addon's transport events (one callback per thread). */
  onNativeEvent(nativeId: string, type: string, detail: string): void {
    const t = this.#natives.get(nativeId);
    if (!t) return;
    const transportId = t.id;
    switch (type) {
      case 'connected': {
        const leg = t.legs.find((l) => l.nativeId === nativeId);
        if (leg) leg.connected = true;
        // Ready once every leg is: media of each m-line can flow.
        if (!t.ready && t.allConnected()) {
          t.ready = true;
          this.#emit(t.controller, 'onTransportProgress', { transportId, status: { type: 'ready' } });
        }
        break;
      }
      case 'failed':
        this.#emit(t.controller, 'onTransportProgress', { transportId, status: { type: 'failed', reason: detail || 'failed' } });
        this.#close(t, false);
        break;
      case 'closed':
        // Closed by the native side on its own: the bookkeeping follows.
        this.#close(t, false);
        break;
      case 'media-update':
        this.#mediaUpdate(t, detail);
        break;
      case 'layer-update':
        this.#layerUpdate(t, detail);
        break;
      case 'layer-idle':
      case 'layer-active':
        this.#layerUsage(t, detail, type === 'layer-active');
        break;
      default:
        // ice-connected, ice-disconnected, dtls-connected: steps towards 'connected'.
        break;
    }
  }
}
