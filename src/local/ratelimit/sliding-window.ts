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
 * eventually replicated): a restart of the local API forgets them. They are
 * held in a bounded, expiring CounterStore (counter-store.ts). `now` is always
 * passed in, so the test clock (X-Test-Time) drives windows without sleeping.
 */
import { CounterStore, DEFAULT_MAX_COUNTERS } from "./counter-store.js";

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

export class SlidingWindowLimiter {
  private readonly store: CounterStore;

  constructor(opts: { maxCounters?: number } = {}) {
    this.store = new CounterStore(opts.maxCounters ?? DEFAULT_MAX_COUNTERS);
  }

  /** Checks one limit and, when it passes, counts it. */
  check(req: LimitCheck, now: number): LimitOutcome {
    return this.apply(req, now);
  }

  /**
   * Checks several limits at one instant, all-or-nothing: every entry reports
   * its own result, and when any is denied the entries that passed are
   * uncounted again (their `remaining` gets the cost back), as Unkey's
   * multiLimit and verifyKey do.
   */
  checkAll(reqs: readonly LimitCheck[], now: number): { passed: boolean; outcomes: LimitOutcome[] } {
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
    return this.store.size;
  }

  /** Drops counters whose buckets can no longer influence a check at `now`; returns how many. */
  sweep(now: number): number {
    return this.store.sweep(now);
  }

  private apply(req: LimitCheck, now: number): LimitOutcome {
    this.store.sweepSome(now);
    const seq = Math.floor(now / req.duration);
    const reset = (seq + 1) * req.duration;
    if (req.limit <= 0) {
      // Unkey asserts limit > 0 (a 500); a 0 override is documented to block, so it always denies.
      return { passed: false, limit: req.limit, remaining: 0, reset };
    }
    const cur = this.store.read(req.namespace, req.duration, req.identifier, seq);
    const prev = this.store.read(req.namespace, req.duration, req.identifier, seq - 1);
    const elapsed = now - seq * req.duration;
    const effective = cur + Math.floor(prev * (1 - elapsed / req.duration)) + req.cost;
    if (effective > req.limit) {
      return { passed: false, limit: req.limit, remaining: 0, reset };
    }
    // A store full of live windows has no room for a new identifier: deny rather than forget a live window.
    if (req.cost !== 0 && !this.store.add(req.namespace, req.duration, req.identifier, seq, req.cost, now)) {
      return { passed: false, limit: req.limit, remaining: 0, reset };
    }
    return { passed: true, limit: req.limit, remaining: Math.max(0, req.limit - effective), reset };
  }

  private uncount(req: LimitCheck, now: number): void {
    if (req.cost === 0) return;
    this.store.add(req.namespace, req.duration, req.identifier, Math.floor(now / req.duration), -req.cost, now);
  }
}
