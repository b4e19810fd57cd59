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
 *
 * Memory: counters are grouped by (namespace, duration), so the identifier string itself is the
 * key (no per-counter concatenated key), and a counter is three numbers. `npm run bench` measures
 * the RSS of 1,000,000 live counters.
 */

interface Counter {
  /** The newest bucket's sequence number (floor(now / duration)) and its count. */
  seq: number;
  cur: number;
  /** The count of bucket seq - 1. */
  prev: number;
  /**
   * Buckets older than seq - 1, only ever written when the test clock goes backwards by more than
   * a window after a newer bucket exists; absent otherwise.
   */
  older?: Map<number, number>;
}

/** The counters of one (namespace, duration). */
interface Group {
  readonly key: string;
  readonly duration: number;
  readonly counters: Map<string, Counter>;
}

/** Default cap: about 1,000,000 identifiers within their windows at once (see the bench for RSS). */
export const DEFAULT_MAX_COUNTERS = 1_000_000;

/** Counters examined per check by the incremental sweep. */
const SWEEP_STEP = 2;

export class CounterStore {
  private readonly groups = new Map<string, Group>();
  private total = 0;
  /** While every counter is live, the earliest time one can expire: no full sweep before then. */
  private fullSweepNotBefore = Number.NEGATIVE_INFINITY;
  /**
   * The incremental sweep's position (a group and a place in it). It persists between calls:
   * restarting a Map iterator at the front every time would walk over the holes deletions leave
   * there (quadratic).
   */
  private groupCursor: Iterator<Group> = this.groups.values();
  private current?: { group: Group; cursor: Iterator<[string, Counter]> };

  constructor(readonly maxCounters: number = DEFAULT_MAX_COUNTERS) {
    if (!Number.isInteger(maxCounters) || maxCounters < 1) throw new Error(`maxCounters must be a positive integer, got ${maxCounters}`);
  }

  /** Number of counters held. */
  get size(): number {
    return this.total;
  }

  /** The count of bucket `seq` of the counter (0 when there is none). */
  read(namespace: string, duration: number, identifier: string, seq: number): number {
    const c = this.groups.get(groupKey(namespace, duration))?.counters.get(identifier);
    if (!c) return 0;
    return bucket(c, seq);
  }

  /**
   * Adds `delta` (may be negative; counts never go below 0) to bucket `seq` of the counter.
   * Returns false, changing nothing, when the counter does not exist yet and the store is full
   * of live counters.
   */
  add(namespace: string, duration: number, identifier: string, seq: number, delta: number, now: number): boolean {
    const key = groupKey(namespace, duration);
    let group = this.groups.get(key);
    let c = group?.counters.get(identifier);
    if (!c) {
      if (delta <= 0) return true;
      if (this.total >= this.maxCounters && !this.makeRoom(now)) return false;
      group = this.groups.get(key); // makeRoom may have dropped an emptied group
      if (!group) {
        group = { key, duration, counters: new Map() };
        this.groups.set(key, group);
      }
      c = { seq, cur: 0, prev: 0 };
      group.counters.set(identifier, c);
      this.total++;
    }
    if (seq > c.seq) {
      c.prev = seq === c.seq + 1 ? c.cur : 0;
      c.cur = 0;
      c.seq = seq;
      c.older = undefined; // only seq and seq - 1 can be seen from here on
    }
    const after = Math.max(0, bucket(c, seq) + delta);
    if (seq === c.seq) c.cur = after;
    else if (seq === c.seq - 1) c.prev = after;
    else {
      c.older ??= new Map();
      c.older.set(seq, after);
    }
    return true;
  }

  /** Drops every expired counter; returns how many were dropped. */
  sweep(now: number): number {
    let dropped = 0;
    let earliest = Number.POSITIVE_INFINITY;
    for (const group of this.groups.values()) {
      for (const [identifier, c] of group.counters) {
        const expiresAt = expiry(c, group.duration);
        if (expiresAt <= now) {
          group.counters.delete(identifier);
          dropped++;
        } else if (expiresAt < earliest) earliest = expiresAt;
      }
      if (group.counters.size === 0) this.groups.delete(group.key);
    }
    this.total -= dropped;
    // A Map iterator keeps the table it last read alive (rehashed or not): let go of both cursors,
    // or an idle store would hold the backing store of every counter it just dropped.
    this.current = undefined;
    this.groupCursor = this.groups.values();
    this.fullSweepNotBefore = this.total >= this.maxCounters ? earliest : Number.NEGATIVE_INFINITY;
    return dropped;
  }

  /**
   * The incremental sweep, run once per check (passed or denied): looks at the next few counters
   * round the store and drops the expired ones.
   */
  sweepSome(now: number): void {
    for (let n = Math.min(SWEEP_STEP, this.total); n > 0; n--) {
      const next = this.nextCounter();
      if (!next) return;
      const [identifier, c] = next.entry;
      if (expiry(c, next.group.duration) <= now) {
        next.group.counters.delete(identifier);
        this.total--;
        if (next.group.counters.size === 0 && this.groups.get(next.group.key) === next.group) {
          this.groups.delete(next.group.key);
          this.current = undefined;
        }
      }
    }
  }

  /** The next counter round the store, or undefined when there is none. */
  private nextCounter(): { group: Group; entry: [string, Counter] } | undefined {
    // Each group is visited at most twice per call (once to finish it, once after wrapping round).
    for (let hops = 0; hops <= 2 * this.groups.size + 1; hops++) {
      if (this.current) {
        const r = this.current.cursor.next();
        if (!r.done) return { group: this.current.group, entry: r.value };
      }
      let g = this.groupCursor.next();
      if (g.done) {
        this.groupCursor = this.groups.values();
        g = this.groupCursor.next();
        if (g.done) return undefined;
      }
      this.current = { group: g.value, cursor: g.value.counters.entries() };
    }
    return undefined;
  }

  /** Full sweep at the cap, at most once per expiry while the store stays full of live counters. */
  private makeRoom(now: number): boolean {
    if (now >= this.fullSweepNotBefore) this.sweep(now);
    return this.total < this.maxCounters;
  }
}

/** NUL separator: namespaces are printable strings, so keys cannot collide. */
function groupKey(namespace: string, duration: number): string {
  return `${namespace}\u0000${duration}`;
}

function bucket(c: Counter, seq: number): number {
  if (seq === c.seq) return c.cur;
  if (seq === c.seq - 1) return c.prev;
  return c.older?.get(seq) ?? 0;
}

/** The instant from which a counter can no longer affect any check at or after it. */
function expiry(c: Counter, duration: number): number {
  // A backwards write (`older`) matters only to checks at earlier times; the newest bucket decides.
  return (c.seq + 2) * duration;
}
