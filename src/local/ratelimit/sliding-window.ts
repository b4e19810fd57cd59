/**
 * The sliding-window limiter Unkey uses (internal/services/ratelimit): two fixed
 * buckets per (namespace, identifier, duration), the previous one weighted by how
 * much of it still overlaps the window.
 *
 *   seq       = floor(now / duration),  reset = (seq + 1) * duration
 *   effective = cur + floor(prev * (1 - elapsed / duration)) + cost
 *   deny if effective > limit (nothing counted, remaining 0)
 *   else cur += cost, remaining = max(0, limit - effective)
 *
 * Counters live in memory, as in Unkey (where they are per-node and only
 * eventually replicated): a restart of the local API forgets them. `now` is
 * always passed in, so the test clock (X-Test-Time) drives windows without sleeping.
 */

export interface LimitCheck {
  /** Counter namespace: the ratelimit namespace id, or the key ratelimit's name. */
  readonly namespace: string;
  readonly identifier: string;
  /** Effective limit; 0 (an override that bans an identifier) always denies. */
  readonly limit: number;
  readonly duration: number;
  readonly cost: number;
}

export interface LimitOutcome {
  readonly passed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Absolute unix ms at which the current fixed bucket ends. */
  readonly reset: number;
}

interface Counter {
  readonly duration: number;
  /** Bucket sequence number → count. Holds at most a few entries. */
  readonly buckets: Map<number, number>;
  lastSeq: number;
}

// Sweeping every N checks keeps memory bounded without a timer (timers would
// keep processes alive and need to be wired into the server's shutdown).
const SWEEP_EVERY = 4096;

export class SlidingWindowLimiter {
  private readonly counters = new Map<string, Counter>();
  private checksSinceSweep = 0;

  /** Checks one limit and, when it passes, counts it. */
  check(req: LimitCheck, now: number): LimitOutcome {
    this.maybeSweep(now);
    return this.apply(req, now);
  }

  /**
   * Checks several limits at one instant, all-or-nothing: every entry reports
   * its own result, and when any is denied the entries that passed are
   * uncounted again (their `remaining` gets the cost back), as Unkey's
   * multiLimit and verifyKey do.
   */
  checkAll(reqs: readonly LimitCheck[], now: number): { passed: boolean; outcomes: LimitOutcome[] } {
    this.maybeSweep(now);
    const outcomes = reqs.map((r) => this.apply(r, now));
    const passed = outcomes.every((o) => o.passed);
    if (!passed) {
      reqs.forEach((r, i) => {
        const o = outcomes[i]!;
        if (!o.passed) return;
        this.uncount(r, now);
        outcomes[i] = { ...o, remaining: Math.min(o.limit, o.remaining + r.cost) };
      });
    }
    return { passed, outcomes };
  }

  /** Number of live counters (for tests of the cleanup). */
  size(): number {
    return this.counters.size;
  }

  /** Drops counters whose buckets can no longer influence a check at `now`. */
  sweep(now: number): void {
    for (const [key, c] of this.counters) {
      const seq = Math.floor(now / c.duration);
      if (c.lastSeq < seq - 1) this.counters.delete(key);
    }
  }

  private maybeSweep(now: number): void {
    if (++this.checksSinceSweep >= SWEEP_EVERY) {
      this.checksSinceSweep = 0;
      this.sweep(now);
    }
  }

  private counterFor(req: LimitCheck): Counter {
    // NUL separators: names and identifiers are printable strings, so keys cannot collide.
    const key = `${req.namespace}\u0000${req.identifier}\u0000${req.duration}`;
    let c = this.counters.get(key);
    if (!c) {
      c = { duration: req.duration, buckets: new Map(), lastSeq: -Infinity };
      this.counters.set(key, c);
    }
    return c;
  }

  private apply(req: LimitCheck, now: number): LimitOutcome {
    const seq = Math.floor(now / req.duration);
    const reset = (seq + 1) * req.duration;
    const c = this.counterFor(req);
    if (req.limit <= 0) {
      // Unkey asserts limit > 0 (a 500); a 0 override is documented to block, so it always denies.
      return { passed: false, limit: req.limit, remaining: 0, reset };
    }
    const cur = c.buckets.get(seq) ?? 0;
    const prev = c.buckets.get(seq - 1) ?? 0;
    const elapsed = now - seq * req.duration;
    const effective = cur + Math.floor(prev * (1 - elapsed / req.duration)) + req.cost;
    if (effective > req.limit) {
      return { passed: false, limit: req.limit, remaining: 0, reset };
    }
    if (req.cost !== 0) {
      c.buckets.set(seq, cur + req.cost);
      if (seq > c.lastSeq) {
        c.lastSeq = seq;
        // Keep only the two buckets the window can still see (time can go backwards under the test clock,
        // so older ones are dropped only relative to the newest bucket).
        for (const s of c.buckets.keys()) if (s < seq - 1) c.buckets.delete(s);
      }
    }
    return { passed: true, limit: req.limit, remaining: Math.max(0, req.limit - effective), reset };
  }

  private uncount(req: LimitCheck, now: number): void {
    if (req.cost === 0) return;
    const seq = Math.floor(now / req.duration);
    const c = this.counterFor(req);
    const cur = c.buckets.get(seq) ?? 0;
    c.buckets.set(seq, Math.max(0, cur - req.cost));
  }
}
