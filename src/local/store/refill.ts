/** The SQL of credit refills (src/local/refill.ts decides when they run). */
import type { Store } from "./store.js";

/**
 * Sets `remaining = refill_amount` on every live key due at this midnight whose balance is below
 * the amount. `day` is the UTC day of the month; on a month's last day keys whose refill day lies
 * beyond it are due too. Returns how many keys were refilled.
 */
export function refillKeysAt(db: Store, midnightMs: number, day: number, lastDayOfMonth: boolean): number {
  return db.run(
    `UPDATE keys SET remaining = refill_amount, last_refill_at = ?
     WHERE refill_amount IS NOT NULL
       AND deleted_at IS NULL
       AND (remaining IS NULL OR remaining < refill_amount)
       AND (refill_day IS NULL OR refill_day = ? OR (? = 1 AND refill_day > ?))`,
    midnightMs,
    day,
    lastDayOfMonth ? 1 : 0,
    day,
  ).changes;
}

/** The last UTC midnight whose refills were applied, or undefined on a database that never ran one. */
export function getRefillPosition(db: Store): number | undefined {
  return db.get<{ last_midnight: number }>("SELECT last_midnight FROM refill_state WHERE id = 1")?.last_midnight;
}

export function initRefillPosition(db: Store, midnightMs: number): void {
  db.run("INSERT INTO refill_state (id, last_midnight) VALUES (1, ?)", midnightMs);
}

/** Moves the position back (the test clock went backwards); never refills. */
export function rewindRefillPosition(db: Store, midnightMs: number): void {
  db.run("UPDATE refill_state SET last_midnight = ? WHERE id = 1", midnightMs);
}

/**
 * Claims the refills up to `today` for this process: true only for the one caller whose
 * conditional update moved the position, so a midnight is never refilled twice.
 */
export function claimRefillsUpTo(db: Store, today: number): boolean {
  return db.run("UPDATE refill_state SET last_midnight = ? WHERE id = 1 AND last_midnight < ?", today, today).changes > 0;
}

/** The creation time of the oldest live key that has a refill, if any. */
export function oldestRefillableKeyCreatedAt(db: Store): number | undefined {
  return db.get<{ t: number | null }>("SELECT min(created_at) AS t FROM keys WHERE refill_amount IS NOT NULL AND deleted_at IS NULL")?.t ?? undefined;
}
