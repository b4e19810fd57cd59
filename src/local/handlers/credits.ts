/** Credits input (remaining + refill) → the key's columns, with Unkey's validation rules. */
import { badRequest } from "../errors.js";

export interface CreditsInput {
  remaining?: number | null;
  refill?: { interval: string; amount: number; refillDay?: number } | null;
}

/** Refill → (refill_amount, refill_day); validates Unkey's rules for createKey-style input. */
export function refillColumns(refill: NonNullable<CreditsInput["refill"]>, field: string): { amount: number; day: number | null } {
  if (refill.interval === "monthly") {
    if (refill.refillDay === undefined) {
      throw badRequest("When interval is monthly, 'refillDay' must be provided.", [
        { location: `${field}.refillDay`, message: `${field}.refillDay is required when interval is monthly`, fix: "Set refillDay (1-31)." },
      ]);
    }
    return { amount: refill.amount, day: refill.refillDay };
  }
  // daily: Unkey ignores refillDay on create.
  return { amount: refill.amount, day: null };
}

/** createKey / migrateKeys credits → columns. `credits.refill` needs a non-null `remaining`. */
export function creditsColumns(
  credits: CreditsInput | undefined,
  field: string,
): { remaining: number | null; refillAmount: number | null; refillDay: number | null } {
  if (!credits) return { remaining: null, refillAmount: null, refillDay: null };
  const remaining = credits.remaining ?? null;
  if (credits.refill) {
    if (remaining === null) {
      throw badRequest("credits.remaining must be set when credits.refill is used.", [
        { location: `${field}.remaining`, message: `${field}.remaining is required with ${field}.refill`, fix: "Set remaining to the starting balance." },
      ]);
    }
    const { amount, day } = refillColumns(credits.refill, `${field}.refill`);
    return { remaining, refillAmount: amount, refillDay: day };
  }
  return { remaining, refillAmount: null, refillDay: null };
}
