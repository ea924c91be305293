/**
 * Speaker slots: subscriptions whose source the agent picks and switches by
 * itself, following the SpeakerService's decisions, with no controller round
 * trip per switch (docs/api.md, subscribe `slot`). A slot is an ordinary
 * router subscription (one SSRC, continuous numbering: the RtpRewriter);
 * switching it is the router's subscription switch (audio at once, video
 * at the new source's key frame), reached through the LinkManager, which
 * links the new source's node first when it lives elsewhere.
 *
 * - 'speaker' slots of one subscriber (per transport and kind) together
 *   hold the most active speakers: a slot keeps its speaker while they stay
 *   among them (two speakers trading places swap nothing), a slot whose
 *   speaker fell out takes the most active one not held yet; with fewer
 *   speakers than slots, a slot keeps its source.
 * - 'dominant' slots follow the dominant speaker.
 * - Never the subscriber's own audio (nor video): a participant is known by
 *   the publish `owner`. A video slot takes the participant's video track
 *   (`layer`: the simulcast layer of that rid).
 * - A slot whose source goes is parked by the router (not ended) until the
 *   next decision gives it another.
 *
 * It sits in front of the node API path: a subscribe with slots gets each
 * slot's first source filled in here, then goes on as any subscribe.
 */
import type { Logger } from 'pino';
import { InvalidRequestError, NotFoundError } from '../errors';
import type { NodeEvent } from '../node/protocol';
import { slotSubscribeSchema, subscribeSchema } from '../node/webrtc/schemas';
import type { NodeApi } from '../pool/NodeApi';
import type { NodeManager } from '../pool/NodeManager';
import { parsePayload, vouch } from '../util/validate';
import { assignSlots } from './assignSlots';
import type { SpeakerDecision } from './SpeakerDetector';
import type { SpeakerService } from './SpeakerService';

type Kind = 'audio' | 'video';

interface Slot {
  nodeId: string;
  transportId: string;
  operationId: string;
  /** The router subscription (= the subscriber's out-track id). */
  id: string;
  controller: string;
  owner: string | undefined;
  kind: Kind;
  mode: 'speaker' | 'dominant';
  layer: string | undefined;
  /** The current source track ('' while parked). */
  source: string;
  /** The subscription exists at the router (its track-added came). */
  ready: boolean;
  /** A switch is in flight. */
  busy: boolean;
}

interface PublishedTrack {
  trackId: string;
  nodeId: string;
  controller: string;
  owner: string | undefined;
  kind: Kind;
  rid: string | undefined;
}

export interface SlotSwitch {
  type: 'slot-switched';
  transportId: string;
  trackId: string;
  from: string | null;
  to: string;
  owner?: string;
}

export interface SlotManagerOptions {
  nodes: NodeManager;
  /** The next stage of the node API chain (AgentBridge -> LinkManager). */
  next: NodeApi;
  /** Undefined when speakers.enabled is off: slots are then refused. */
  speakers: SpeakerService | undefined;
  /** Tells a controller of a switch (onSpeakerUpdate). */
  emit: (controller: string, update: SlotSwitch) => void;
  log: Logger;
}

export class SlotManager implements NodeApi {
  readonly #o: SlotManagerOptions;
  readonly #slots = new Map<string, Slot>();
  readonly #tracks = new Map<string, PublishedTrack>();
  readonly #last = new Map<string, SpeakerDecision>();

  constructor(o: SlotManagerOptions) {
    this.#o = o;
    o.nodes.on('nodeEvent', (nodeId, ev) => this.#onNodeEvent(nodeId, ev));
    o.nodes.on('nodeGone', (nodeId) => {
      this.#forget((s) => s.nodeId === nodeId);
      for (const [id, t] of [...this.#tracks]) if (t.nodeId === nodeId) this.#tracks.delete(id);
    });
    o.speakers?.on('decision', (controller, d) => {
      this.#last.set(controller, d);
      this.#follow(controller, d);
    });
  }

  /** What slots hold now (tests, dumps). */
  slots(): Array<{ id: string; nodeId: string; source: string; ready: boolean }> {
    return [...this.#slots.values()].map((s) => ({ id: s.id, nodeId: s.nodeId, source: s.source, ready: s.ready }));
  }

  async call(nodeId: string, method: string, args: unknown): Promise<unknown> {
    if (method === 'unsubscribe' || method === 'destroyTransport') {
      // Whatever the reply: slots of an operation or transport that is gone
      // (or never was) are forgotten, answered or not.
      const a = (args ?? {}) as { operationId?: unknown; transportId?: unknown };
      try {
        return await this.#o.next.call(nodeId, method, args);
      } finally {
        this.#forget((s) => s.nodeId === nodeId && (method === 'unsubscribe' ? s.operationId === a.operationId : s.transportId === a.transportId));
      }
    }
    if (method !== 'subscribe') return this.#o.next.call(nodeId, method, args);
    const p = parsePayload(slotSubscribeSchema, args ?? {});
    // Parsed once here: every track has a source (a slot gets its first one
    // below), which is what the node's own schema asks, so no layer below
    // parses it again (util/validate.ts, parseOnce).
    if (!p.options.tracks.some((t) => t.slot)) return this.#o.next.call(nodeId, method, vouch(p, subscribeSchema));
    if (!this.#o.speakers) throw new InvalidRequestError('options.tracks', 'slots need speaker detection (speakers.enabled)');
    const { transportId, controller, owner } = p.options;
    const taken = new Set<string>();
    const planned: Slot[] = [];
    const tracks = p.options.tracks.map((t, i) => {
      if (!t.slot) return t;
      const slot: Slot = {
        nodeId, transportId, operationId: p.operationId, id: `${transportId}-${t.mid}`, controller, owner, kind: t.type, mode: t.slot, layer: t.layer, source: '', ready: false, busy: false,
      };
      const first = this.#firstSource(slot, taken);
      if (!first) throw new NotFoundError(`options.tracks.${i}.slot: no ${t.type} source for it yet (no other participant of controller ${controller} publishes ${t.type}${t.layer ? ` layer ${t.layer}` : ''})`);
      taken.add(first);
      slot.source = first;
      planned.push(slot);
      return { ...t, from: first };
    });
    const reply = await this.#o.next.call(nodeId, method, vouch({ ...p, options: { ...p.options, tracks } }, subscribeSchema));
    for (const s of planned) this.#slots.set(`${s.nodeId}|${s.id}`, s);
    return reply;
  }

  #forget(pred: (s: Slot) => boolean): void {
    for (const [key, s] of [...this.#slots]) if (pred(s)) this.#slots.delete(key);
  }

  #onNodeEvent(nodeId: string, ev: NodeEvent): void {
    if (ev.name === 'onTransportProgress') {
      // A transport that failed was closed with its operations.
      const p = ev.payload as { transportId?: string; status?: { type?: string } };
      if (p.status?.type === 'failed') this.#forget((s) => s.nodeId === nodeId && s.transportId === p.transportId);
      return;
    }
    if (ev.name !== 'onTrackUpdate') return;
    const u = (ev.payload as { update?: { type?: string; trackId?: string; direction?: string; mediaType?: string; owner?: unknown; rid?: unknown } }).update;
    if (!u?.trackId) return;
    const key = `${nodeId}|${u.trackId}`;
    if (u.type === 'track-added' && u.direction === 'in') {
      this.#tracks.set(u.trackId, {
        trackId: u.trackId, nodeId, controller: ev.controller, owner: typeof u.owner === 'string' ? u.owner : undefined,
        kind: u.mediaType === 'audio' ? 'audio' : 'video', rid: typeof u.rid === 'string' ? u.rid : undefined,
      });
    } else if (u.type === 'track-added' && u.direction === 'out') {
      const s = this.#slots.get(key);
      if (s) s.ready = true;
    } else if (u.type === 'track-removed') {
      // An out-track: the slot ended. An in-track: slots on it are parked.
      if (this.#slots.delete(key)) return;
      const t = this.#tracks.get(u.trackId);
      if (t?.nodeId !== nodeId) return;
      this.#tracks.delete(u.trackId);
      for (const s of this.#slots.values()) if (s.source === u.trackId) s.source = '';
    }
  }

  /** The track of `kind` of the participant whose audio is `audioTrack`, usable by this slot. */
  #trackFor(s: Slot, audioTrack: string): string | undefined {
    const a = this.#tracks.get(audioTrack);
    if (!a || a.controller !== s.controller) return undefined;
    if (s.owner !== undefined && a.owner === s.owner) return undefined; // never one's own
    if (s.kind === 'audio') return audioTrack;
    if (a.owner === undefined) return undefined; // a video is tied to its speaker by owner
    let best: PublishedTrack | undefined;
    for (const t of this.#tracks.values()) {
      if (t.kind !== 'video' || t.controller !== s.controller || t.owner !== a.owner) continue;
      if (s.layer !== undefined ? t.rid === s.layer : t.rid === undefined) return t.trackId;
      if (s.layer === undefined && !best) best = t; // no layer asked: any layer of it
    }
    return best?.trackId;
  }

  #firstSource(s: Slot, taken: Set<string>): string | undefined {
    const d = this.#last.get(s.controller);
    const order = [...(d?.dominant ? [d.dominant] : []), ...(d?.ranked ?? []).map((x) => x.id)];
    // Then every audio publication of the room, in the order they came.
    for (const t of this.#tracks.values()) if (t.kind === 'audio' && t.controller === s.controller) order.push(t.trackId);
    for (const audio of order) {
      const src = this.#trackFor(s, audio);
      if (src && !taken.has(src)) return src;
    }
    return undefined;
  }

  #follow(controller: string, d: SpeakerDecision): void {
    const groups = new Map<string, Slot[]>();
    for (const s of this.#slots.values()) {
      if (s.controller !== controller || !s.ready) continue;
      if (s.mode === 'dominant') {
        const want = d.dominant ? this.#trackFor(s, d.dominant) : undefined;
        if (want && want !== s.source) this.#switch(s, want);
        continue;
      }
      const g = `${s.nodeId}|${s.transportId}|${s.kind}`;
      groups.set(g, [...(groups.get(g) ?? []), s]);
    }
    for (const slots of groups.values()) {
      const wanted: string[] = [];
      for (const x of d.ranked) {
        if (wanted.length === slots.length) break;
        const src = this.#trackFor(slots[0]!, x.id);
        if (src && !wanted.includes(src)) wanted.push(src);
      }
      const next = assignSlots(slots.map((s) => s.source), wanted);
      slots.forEach((s, i) => {
        if (next[i] !== s.source) this.#switch(s, next[i]!);
      });
    }
  }

  #switch(s: Slot, to: string): void {
    if (s.busy) return;
    s.busy = true;
    const from = s.source;
    this.#o.next
      .call(s.nodeId, 'subscribeTrack', { transportId: s.transportId, trackId: to, subscriptionId: s.id, switchOnly: true })
      .then(
        () => {
          if (this.#slots.get(`${s.nodeId}|${s.id}`) !== s) return;
          s.source = to;
          const owner = this.#tracks.get(to)?.owner;
          this.#o.emit(s.controller, { type: 'slot-switched', transportId: s.transportId, trackId: s.id, from: from || null, to, ...(owner !== undefined ? { owner } : {}) });
        },
        (err: Error) => this.#o.log.debug({ slot: s.id, to, err: err.message }, 'slot switch failed; the next decision tries again'),
      )
      .finally(() => {
        s.busy = false;
      });
  }
}
