/**
 * The in-memory counters of the sliding-window limiter: bounded and expiring.
 *
 * A counter holds the two fixed buckets a window can see (the newest and the one before it); it
 * expires once `now` has moved two whole durations past its newest bucket, because from then on
 * every check would read zero from it. Expired counters are dropped
 *   - a few per operation, by a cursor going round the store (so memory decays with traffic, at
 *     a constant cost per check),
 *   - all at once when the store reaches its cap, and
 *   - by `sweep(now)`, which the server runs on a timer while it idles.
 *
 * The cap is hard: a live counter is never evicted, since that would reset its window and let
 * its identifier overspend. When every counter is live and the store is full, a check that would
 * need a NEW counter is refused (`add` returns false and the limiter denies it: fail closed) until
 * windows expire. Counters for identifiers already counted keep working unchanged.
 */

interface Counter {
  readonly duration: number;
  /** The newest bucket's sequence number (floor(now / duration)) and its count. */
  seq: number;
  cur: number;
  /** The count of bucket seq - 1. */
  prev: number;
  /**
   * Buckets older than seq - 1, only ever written when the test clock goes backwards by more than
   * a window after a newer bucket exists; absent otherwise, so a counter stays a few numbers.
   */
  older?: Map<number, number>;
}

/** Default cap: about 1,000,000 identifiers within their windows at once (see the bench for RSS). */
export const DEFAULT_MAX_COUNTERS = 1_000_000;

/** Entries examined per operation by the incremental sweep. */
const SWEEP_STEP = 2;

export class CounterStore {
  private readonly counters = new Map<string, Counter>();
  /** While every counter is live, the earliest time one can expire: no full sweep before then. */
  private fullSweepNotBefore = Number.NEGATIVE_INFINITY;
  /**
   * The incremental sweep's position. It persists between operations: restarting a Map iterator
   * at the front on every call would walk over the holes deletions leave there (quadratic).
   */
  private cursor: Iterator<[string, Counter]> = this.counters.entries();

  constructor(readonly maxCounters: number = DEFAULT_MAX_COUNTERS) {
    if (!Number.isInteger(maxCounters) || maxCounters < 1) throw new Error(`maxCounters must be a positive integer, got ${maxCounters}`);
  }

  /** Number of counters held. */
  get size(): number {
    return this.counters.size;
  }

  /** The count of bucket `seq` of a counter (0 when it has none). */
  read(key: string, seq: number): number {
    const c = this.counters.get(key);
    if (!c) return 0;
    if (seq === c.seq) return c.cur;
    if (seq === c.seq - 1) return c.prev;
    return c.older?.get(seq) ?? 0;
  }

  /**
   * Adds `delta` (may be negative; counts never go below 0) to bucket `seq` of the counter `key`.
   * Returns false, changing nothing, when the counter does not exist yet and the store is full
   * of live counters.
   */
  add(key: string, duration: number, seq: number, delta: number, now: number): boolean {
    let c = this.counters.get(key);
    if (!c) {
      if (delta <= 0) return true;
      if (this.counters.size >= this.maxCounters && !this.makeRoom(now)) return false;
      c = { duration, seq, cur: 0, prev: 0 };
      this.counters.set(key, c);
    }
    if (seq > c.seq) {
      c.prev = seq === c.seq + 1 ? c.cur : 0;
      c.cur = 0;
      c.seq = seq;
      c.older = undefined; // only seq and seq - 1 can be seen from here on
    }
    const before = this.read(key, seq);
    const after = Math.max(0, before + delta);
    if (seq === c.seq) c.cur = after;
    else if (seq === c.seq - 1) c.prev = after;
    else (c.older ??= new Map()).set(seq, after);
    return true;
  }

  /** Drops every expired counter; returns how many were dropped. */
  sweep(now: number): number {
    let dropped = 0;
    let earliest = Number.POSITIVE_INFINITY;
    for (const [key, c] of this.counters) {
      const expiresAt = expiry(c);
      if (expiresAt <= now) {
        this.counters.delete(key);
        dropped++;
      } else if (expiresAt < earliest) earliest = expiresAt;
    }
    this.fullSweepNotBefore = this.counters.size >= this.maxCounters ? earliest : Number.NEGATIVE_INFINITY;
    return dropped;
  }

  /** Full sweep at the cap, at most once per expiry while the store stays full of live counters. */
  private makeRoom(now: number): boolean {
    if (now >= this.fullSweepNotBefore) this.sweep(now);
    return this.counters.size < this.maxCounters;
  }

  /**
   * The incremental sweep, run once per check (passed or denied): looks at the next few counters
   * round the store and drops the expired ones.
   */
  sweepSome(now: number): void {
    for (let n = Math.min(SWEEP_STEP, this.counters.size); n > 0; n--) {
      let next = this.cursor.next();
      if (next.done) {
        this.cursor = this.counters.entries();
        next = this.cursor.next();
        if (next.done) return;
      }
      const [key, c] = next.value;
      if (expiry(c) <= now) this.counters.delete(key);
    }
  }
}

/** The instant from which a counter can no longer affect any check at or after it. */
function expiry(c: Counter): number {
  // A backwards write (`older`) matters only to checks at earlier times; the newest bucket decides.
  return (c.seq + 2) * c.duration;
}
