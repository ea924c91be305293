/**
 * Active-speaker detection for one room (one controller's audio
 * publications), sans-I/O: levels and a clock in, decisions out. No timers,
 * no sockets; the SpeakerService feeds it and acts on what it decides.
 *
 * A speaker's **activity** is the mean audibility of its packets over the
 * last `windowMs`: each report covers an interval (the node thread's
 * reporting period) and carries the mean of how many dB each packet's
 * RFC 6464 level was above the noise floor (0 for silence and room noise).
 * Time with no report (a muted or stopped sender, DTX) counts as 0, so a
 * speaker who stops fades out over one window.
 *
 * **Active set**: the `activeCount` speakers with the highest activity at
 * or above `minActivity`. Ties keep the previous order (no flapping between
 * equals), then the order speakers were first added.
 *
 * **Dominant speaker**, with hysteresis: the first active speaker becomes
 * dominant at once; after that another speaker takes over only when its
 * activity exceeds the dominant's by `switchMargin` for `holdMs` without a
 * break (the same challenger all along). When everyone is silent the
 * dominant speaker stays (the last one who spoke). A dominant speaker who is
 * removed is replaced by the most active one at once (or none).
 */

export interface SpeakerDetectorOptions {
  windowMs: number;
  activeCount: number;
  switchMargin: number;
  holdMs: number;
  minActivity: number;
}

export interface ActiveSpeaker {
  id: string;
  /** Mean dB above the noise floor over the window. */
  activity: number;
}

export interface SpeakerDecision {
  dominant: string | null;
  /** Set when the dominant speaker changed in this decide(). */
  changed?: { from: string | null; to: string | null };
  /** The most active speakers, most active first (at most activeCount). */
  active: ActiveSpeaker[];
  /** Everyone at or above minActivity, most active first (what slots choose from). */
  ranked: ActiveSpeaker[];
}

interface Sample {
  at: number;
  audibility: number;
  durationMs: number;
}

interface Speaker {
  /** Order of first add: the last tie-break. */
  order: number;
  samples: Sample[];
}

/** More samples than any window holds at the shortest report interval; a bound on what a speaker keeps. */
const MAX_SAMPLES = 1600;

export class SpeakerDetector {
  readonly #o: SpeakerDetectorOptions;
  readonly #speakers = new Map<string, Speaker>();
  #nextOrder = 0;
  #dominant: string | null = null;
  #challenger: { id: string; since: number } | undefined;
  /** The last active set's order, for ties. */
  #lastRank = new Map<string, number>();

  constructor(options: SpeakerDetectorOptions) {
    this.#o = options;
  }

  get dominant(): string | null {
    return this.#dominant;
  }

  get size(): number {
    return this.#speakers.size;
  }

  has(id: string): boolean {
    return this.#speakers.has(id);
  }

  add(id: string): void {
    if (!this.#speakers.has(id)) this.#speakers.set(id, { order: this.#nextOrder++, samples: [] });
  }

  remove(id: string): void {
    this.#speakers.delete(id);
    this.#lastRank.delete(id);
    if (this.#challenger?.id === id) this.#challenger = undefined;
  }

  /**
   * A report: over the `durationMs` before `now`, the speaker's packets were
   * on average `audibility` dB above the noise floor. Unknown ids are ignored.
   */
  observe(id: string, audibility: number, durationMs: number, now: number): void {
    const s = this.#speakers.get(id);
    if (!s || !(audibility >= 0) || !(durationMs > 0)) return;
    s.samples.push({ at: now, audibility, durationMs });
    if (s.samples.length > MAX_SAMPLES) s.samples.splice(0, s.samples.length - MAX_SAMPLES);
  }

  /** The speaker's activity at `now` (0 for an unknown id). */
  activity(id: string, now: number): number {
    const s = this.#speakers.get(id);
    if (!s) return 0;
    const from = now - this.#o.windowMs;
    // Samples are in time order: drop the ones that left the window.
    let old = 0;
    while (old < s.samples.length && s.samples[old]!.at <= from) old++;
    if (old) s.samples.splice(0, old);
    let sum = 0;
    for (const x of s.samples) sum += x.audibility * Math.min(x.durationMs, x.at - from);
    return sum / this.#o.windowMs;
  }

  decide(now: number): SpeakerDecision {
    const all: Array<ActiveSpeaker & { order: number; rank: number }> = [];
    for (const [id, s] of this.#speakers) {
      all.push({ id, activity: this.activity(id, now), order: s.order, rank: this.#lastRank.get(id) ?? Infinity });
    }
    const ranked = all
      .filter((x) => x.activity >= this.#o.minActivity)
      .sort((a, b) => b.activity - a.activity || a.rank - b.rank || a.order - b.order);
    const active = ranked.slice(0, this.#o.activeCount).map(({ id, activity }) => ({ id, activity }));
    this.#lastRank = new Map(ranked.map((x, i) => [x.id, i]));

    const before = this.#dominant;
    if (before !== null && !this.#speakers.has(before)) {
      this.#dominant = ranked[0]?.id ?? null;
      this.#challenger = undefined;
    } else if (before === null) {
      if (ranked[0]) this.#dominant = ranked[0].id;
    } else {
      const own = all.find((x) => x.id === before)!.activity;
      const challenger = ranked.find((x) => x.id !== before);
      if (challenger && challenger.activity >= own + this.#o.switchMargin) {
        if (this.#challenger?.id !== challenger.id) this.#challenger = { id: challenger.id, since: now };
        if (now - this.#challenger.since >= this.#o.holdMs) {
          this.#dominant = challenger.id;
          this.#challenger = undefined;
        }
      } else {
        this.#challenger = undefined;
      }
    }
    const decision: SpeakerDecision = { dominant: this.#dominant, active, ranked: ranked.map(({ id, activity }) => ({ id, activity })) };
    if (this.#dominant !== before) decision.changed = { from: before, to: this.#dominant };
    return decision;
  }
}
