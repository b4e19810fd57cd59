/**
 * Date math for credit refills (Unkey's keyrefill cron, svc/ctrl/worker/cron/keyrefill):
 * the job runs at 00:00 UTC; a key with `refill_day` NULL refills every day, a
 * monthly key on its `refill_day`, or on the month's last day when `refill_day`
 * is beyond it (refillDay 31 refills on 28/29 February, 30 April, …).
 */

const DAY_MS = 86_400_000;

/** Unix ms of the UTC midnight at or before `ms`. */
export function utcMidnightAtOrBefore(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** The UTC midnights m with `fromMs < m <= toMs`, oldest first, at most `max` (the newest ones). */
export function utcMidnightsCrossed(fromMs: number, toMs: number, max = 62): number[] {
  const out: number[] = [];
  for (let m = utcMidnightAtOrBefore(toMs); m > fromMs && out.length < max; m -= DAY_MS) out.push(m);
  return out.reverse();
}

/** Day of month (1-31) and whether it is the month's last day, for a UTC instant. */
export function utcDayInfo(ms: number): { day: number; lastDay: boolean } {
  const d = new Date(ms);
  const day = d.getUTCDate();
  const daysInMonth = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  return { day, lastDay: day === daysInMonth };
}

/**
 * Whether a key with this refill day (null = daily) is refilled by the run at `midnightMs`: the rule
 * in plain code, the reference test/unit/local-refill-sql.test.ts checks refill.ts's SQL against.
 */
export function refillsOn(refillDay: number | null, midnightMs: number): boolean {
  if (refillDay === null) return true;
  const { day, lastDay } = utcDayInfo(midnightMs);
  return refillDay === day || (lastDay && refillDay > day);
}
