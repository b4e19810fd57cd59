/**
 * Credit refills, as Unkey's daily keyrefill cron does them: at 00:00 UTC every
 * key with `refill_amount` set, not deleted, and `remaining` NULL or below the
 * amount gets `remaining = refill_amount` (set, not added) when the day matches
 * (`refill_day` NULL = daily; else that day of the month, or the month's last
 * day when `refill_day` is beyond it). Refills never happen during verification.
 *
 * How it runs here (the choice, and why): refills are applied by catch-up.
 * `runDueRefills(store, now)` compares the UTC midnight of `now` with the
 * midnight it last saw (persisted in `refill_state`) and applies the refill of
 * every midnight crossed in between, oldest first. The server calls it before
 * each request with the request's clock, so under `--test-clock` a request with
 * `X-Test-Time` one day later sees exactly the refill a real midnight would have
 * made, with no sleeping and no timer races; a process that was down over
 * midnight catches up on its first request. When the clock goes backwards (a test
 * pinning an earlier time) the position follows it without refilling, so a test
 * can start a fresh timeline at any date. For real time, `startRefillScheduler`
 * also fires just after each midnight so idle servers refill on time; it must
 * not run with the test clock, whose timeline it would disturb.
 */
import type { Store } from "./store/store.js";
import { claimRefillsUpTo, getRefillPosition, initRefillPosition, oldestRefillableKeyCreatedAt, refillKeysAt, rewindRefillPosition } from "./store/refill.js";
import { utcDayInfo, utcMidnightAtOrBefore, utcMidnightsCrossed } from "./refill-dates.js";

const lastSeen = new WeakMap<Store, number>();

/** Applies the refill of one midnight; returns how many keys were refilled. */
export function applyRefillAt(store: Store, midnightMs: number): number {
  const { day, lastDay } = utcDayInfo(midnightMs);
  return refillKeysAt(store, midnightMs, day, lastDay);
}

/**
 * Applies every refill due between the last call and `now` (unix ms); cheap
 * (no query) when the UTC day has not changed since this process last looked.
 * Returns the number of key refills.
 *
 * The per-process cache is only a hint: several processes may serve one data
 * dir, so the transaction re-reads the stored position and claims the window
 * with a conditional UPDATE (`WHERE last_midnight < today`). Only the process
 * whose UPDATE changed the row applies the refills; the others skip, so a
 * midnight is never refilled twice (credits spent after the first refill stay
 * spent).
 *
 * Test clock: a request without X-Test-Time uses the real clock, so after
 * requests pinned to past dates it moves the position forward to today and
 * applies the refills of the midnights in between (the newest 62 at most),
 * exactly as if the server had been down since the pinned date.
 */
export function runDueRefills(store: Store, now: number): number {
  const today = utcMidnightAtOrBefore(now);
  if (lastSeen.get(store) === today) return 0;
  return store.tx(() => {
    let last = getRefillPosition(store);
    if (last === undefined) {
      // First run on this database: its timeline starts at the oldest refillable key's
      // creation (nothing could have been due before it), or today when there is none.
      const oldest = oldestRefillableKeyCreatedAt(store);
      last = oldest !== undefined && oldest < today ? utcMidnightAtOrBefore(oldest) : today;
      initRefillPosition(store, last);
    }
    if (today <= last) {
      // Already done (by this or another process), or the test clock went backwards: then the
      // position follows it without refilling, so a test can start a fresh timeline at any date.
      if (today < last) rewindRefillPosition(store, today);
      lastSeen.set(store, today);
      return 0;
    }
    const claimed = claimRefillsUpTo(store, today);
    lastSeen.set(store, today);
    if (!claimed) return 0;
    // Refills set rather than add and nothing is spent in between, so beyond two
    // months of missed days only the latest 62 can change anything.
    let refilled = 0;
    for (const m of utcMidnightsCrossed(last, today, 62)) refilled += applyRefillAt(store, m);
    return refilled;
  });
}

/**
 * Runs `runDueRefills` just after every real UTC midnight until stopped. The
 * timer is unref'd so it never keeps the process alive.
 */
export function startRefillScheduler(store: Store, clock: () => number = Date.now): () => void {
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    const now = clock();
    const next = utcMidnightAtOrBefore(now) + 86_400_000 + 1_000;
    timer = setTimeout(() => {
      try {
        runDueRefills(store, clock());
      } catch {
        // A closed store (server shutting down) ends the loop quietly.
        return;
      }
      schedule();
    }, next - now);
    timer.unref();
  };
  schedule();
  return () => {
    if (timer) clearTimeout(timer);
  };
}
