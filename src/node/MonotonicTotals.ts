/**
 * Totals that only go up, made from counters that live and die with their
 * objects (a transport's bytes, a subscription's NACKs). Summing the live
 * objects alone would make a total fall whenever an object ends, which
 * Prometheus reads as a counter reset; so the last values seen of an object
 * that is gone (or that came back under the same id with smaller counters)
 * are kept in a retired sum. What an object counted between the last update
 * and its end is not seen: updates come once per scrape, and that is the
 * price of reading nothing per packet.
 *
 * Sans-I/O: objects in, totals out. Memory: one entry per live object.
 */
export type Counters = Record<string, number>;

export class MonotonicTotals {
  #last = new Map<string, Counters>();
  readonly #retired: Counters = {};

  /** Feeds the live objects (id -> counters); returns the totals, retired ones included. */
  update(objects: Iterable<readonly [string, Counters]>): Counters {
    const next = new Map<string, Counters>();
    for (const [id, c] of objects) {
      const prev = this.#last.get(id);
      if (prev && restarted(prev, c)) this.#retire(prev);
      next.set(id, c);
    }
    for (const [id, c] of this.#last) if (!next.has(id)) this.#retire(c);
    this.#last = next;
    const out: Counters = { ...this.#retired };
    for (const c of next.values()) add(out, c);
    return out;
  }

  #retire(c: Counters): void {
    add(this.#retired, c);
  }
}

function restarted(prev: Counters, cur: Counters): boolean {
  for (const k in prev) if ((cur[k] ?? 0) < prev[k]!) return true;
  return false;
}

function add(into: Counters, c: Counters): void {
  for (const k in c) into[k] = (into[k] ?? 0) + c[k]!;
}
