/**
 * Speaker detection for the whole agent, in the main thread. Levels are read
 * per packet by the addon on the publisher's node thread; each node thread
 * hands what it read to the main thread every speakers.intervalMs
 * (nodeLevels). A room may span node threads (agent.maxTasksPerNode), and
 * only here are all its audio tracks seen together, so the decisions are
 * made here: one SpeakerDetector per controller (OWT's controller of a
 * room: the one that published the audio), fed by the node threads, asked
 * to decide every intervalMs. What it decides goes to that controller as
 * onSpeakerUpdate events (docs/api.md).
 *
 * Which audio tracks exist, and whose they are, is learnt from the track
 * notices the node threads send the main thread (TrackNotice: a WebRTC
 * publication, with its controller and owner, sent before the controller's
 * onTrackUpdate), as the LinkManager's TrackRegistry learns them; a node
 * that goes takes its tracks with it.
 */
import { EventEmitter } from 'node:events';
import type { SpeakerLevels, TrackNotice } from '../node/protocol';
import type { NodeManager } from '../pool/NodeManager';
import { SpeakerDetector, type SpeakerDecision, type SpeakerDetectorOptions } from './SpeakerDetector';

export interface SpeakerServiceOptions extends SpeakerDetectorOptions {
  intervalMs: number;
  /** 0: the active set is never sent. */
  activeSetIntervalMs: number;
}

export interface AudioSource {
  trackId: string;
  nodeId: string;
  controller: string;
  owner?: string;
}

export interface SpeakerServiceEvents {
  /** An event for a controller (published as <prefix>.controller.<controller>.onSpeakerUpdate). */
  update: [controller: string, payload: SpeakerUpdate];
  /** A controller's decision, every interval (slots follow it). */
  decision: [controller: string, decision: SpeakerDecision];
}

export type SpeakerUpdate =
  | { type: 'dominant-speaker'; trackId: string | null; owner?: string; previous: string | null }
  | { type: 'active-speakers'; speakers: Array<{ trackId: string; owner?: string; activity: number }> };

interface Room {
  detector: SpeakerDetector;
  /** When the active set was last sent, and whether it was empty. */
  setSentAt: number;
  setWasEmpty: boolean;
}

export class SpeakerService extends EventEmitter<SpeakerServiceEvents> {
  readonly #o: SpeakerServiceOptions;
  readonly #sources = new Map<string, AudioSource>();
  readonly #rooms = new Map<string, Room>();
  #timer: NodeJS.Timeout | undefined;

  constructor(nodes: NodeManager, options: SpeakerServiceOptions) {
    super();
    this.#o = options;
    nodes.on('trackNotice', (nodeId, notice) => this.onTrackNotice(nodeId, notice));
    nodes.on('nodeLevels', (nodeId, levels) => this.onLevels(nodeId, levels, performance.now()));
    nodes.on('nodeGone', (nodeId) => {
      for (const s of [...this.#sources.values()]) if (s.nodeId === nodeId) this.#remove(s.trackId);
    });
  }

  /** An audio track known to take part (for slots and tests). */
  source(trackId: string): AudioSource | undefined {
    return this.#sources.get(trackId);
  }

  /** The detector of a controller's room, if it has audio tracks. */
  detector(controller: string): SpeakerDetector | undefined {
    return this.#rooms.get(controller)?.detector;
  }

  onTrackNotice(nodeId: string, n: TrackNotice): void {
    if (n.type === 'published') {
      if (n.kind !== 'audio' || this.#sources.has(n.trackId)) return;
      const src: AudioSource = { trackId: n.trackId, nodeId, controller: n.controller, ...(n.owner !== undefined ? { owner: n.owner } : {}) };
      this.#sources.set(n.trackId, src);
      let room = this.#rooms.get(n.controller);
      if (!room) {
        room = { detector: new SpeakerDetector(this.#o), setSentAt: -Infinity, setWasEmpty: true };
        this.#rooms.set(n.controller, room);
      }
      room.detector.add(n.trackId);
      this.#ensureTimer();
    } else {
      const src = this.#sources.get(n.trackId);
      if (src && src.nodeId === nodeId) this.#remove(n.trackId);
    }
  }

  onLevels(nodeId: string, l: SpeakerLevels, now: number): void {
    const v = l.levels;
    for (let i = 0; i + 2 < v.length; i += 3) {
      const trackId = v[i];
      const packets = v[i + 1];
      const sum = v[i + 2];
      if (typeof trackId !== 'string' || typeof packets !== 'number' || typeof sum !== 'number' || packets <= 0) continue;
      const src = this.#sources.get(trackId);
      if (!src || src.nodeId !== nodeId) continue;
      this.#rooms.get(src.controller)?.detector.observe(trackId, sum / packets, l.intervalMs, now);
    }
  }

  #remove(trackId: string): void {
    const src = this.#sources.get(trackId);
    if (!src) return;
    this.#sources.delete(trackId);
    const room = this.#rooms.get(src.controller);
    if (!room) return;
    room.detector.remove(trackId);
    if (room.detector.size === 0) {
      // The room's last audio went: say the dominant speaker is gone too.
      this.#decide(src.controller, room, performance.now());
      this.#rooms.delete(src.controller);
    }
    if (this.#rooms.size === 0) this.close();
  }

  #ensureTimer(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.tick(performance.now()), this.#o.intervalMs);
    this.#timer.unref();
  }

  /** Decides for every room (the timer calls it; tests may too). */
  tick(now: number): void {
    for (const [controller, room] of this.#rooms) this.#decide(controller, room, now);
  }

  #decide(controller: string, room: Room, now: number): void {
    const d = room.detector.decide(now);
    if (d.changed) {
      const to = d.changed.to;
      const owner = to ? this.#sources.get(to)?.owner : undefined;
      this.emit('update', controller, { type: 'dominant-speaker', trackId: to, ...(owner !== undefined ? { owner } : {}), previous: d.changed.from });
    }
    this.emit('decision', controller, d);
    const every = this.#o.activeSetIntervalMs;
    if (every > 0 && now - room.setSentAt >= every && !(d.active.length === 0 && room.setWasEmpty)) {
      room.setSentAt = now;
      room.setWasEmpty = d.active.length === 0;
      const speakers = d.active.map((a) => {
        const owner = this.#sources.get(a.id)?.owner;
        return { trackId: a.id, ...(owner !== undefined ? { owner } : {}), activity: Math.round(a.activity * 10) / 10 };
      });
      this.emit('update', controller, { type: 'active-speakers', speakers });
    }
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
