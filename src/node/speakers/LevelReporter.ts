/**
 * Inside a node thread: hands the audio levels the addon read (one byte per
 * packet, on the packet path) to the main thread every intervalMs, where the
 * SpeakerService detects speakers over all of a room's node threads. Runs
 * only while the thread meters at least one track; a report holds only the
 * tracks that received a level since the last one.
 */
import type { SpeakerLevels } from '../protocol';

export interface LevelSource {
  /** The levels since the previous call (flat: id, packets, audibility sum), and how many tracks are metered. */
  takeAudioLevels(): { metered: number; levels: Array<string | number> };
}

export class LevelReporter {
  readonly #source: LevelSource;
  readonly #post: (levels: SpeakerLevels) => void;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #last = 0;

  constructor(source: LevelSource, post: (levels: SpeakerLevels) => void, intervalMs: number) {
    this.#source = source;
    this.#post = post;
    this.#intervalMs = intervalMs;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Called when a track is metered: starts reporting if it was not. */
  ensureRunning(): void {
    if (this.#timer) return;
    this.#last = performance.now();
    this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
    this.#timer.unref();
  }

  #tick(): void {
    const now = performance.now();
    const { metered, levels } = this.#source.takeAudioLevels();
    if (levels.length) this.#post({ intervalMs: now - this.#last, levels });
    this.#last = now;
    if (metered === 0) this.stop();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
