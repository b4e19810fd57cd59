/**
 * Times and durations as a model can write them, converted to what Unkey expects (unix ms and
 * milliseconds), and unix-ms results given back with their ISO 8601 form.
 *
 * A model does not know the current time and easily confuses seconds with milliseconds, so:
 * - a timestamp accepts unix ms, an ISO 8601 date-time (`2027-03-01T00:00:00Z`) or an ISO 8601
 *   duration counted from now (`P90D`);
 * - a duration accepts milliseconds or an ISO 8601 duration (`PT1H` = 3,600,000);
 * - a number that can only be seconds, or a past time where the API needs a future one, is
 *   refused with the milliseconds that were probably meant.
 */

/** What an `x-mcp-time` mark says a field is (see docs/x-mcp.md). */
export type TimeKind = "timestamp" | "future" | "duration";

export const TIME_KINDS: readonly TimeKind[] = ["timestamp", "future", "duration"];

/** The model-visible description of each kind: short, with one example of each form. */
export const TIME_PHRASES: Record<TimeKind, string> = {
  timestamp: "Unix ms, ISO date-time, or ISO duration from now (P90D).",
  future: "Future time: unix ms, ISO date-time, or ISO duration from now (P90D).",
  duration: "ms or ISO duration (PT1H).",
};

export type Converted = { ok: true; value: number } | { ok: false; problem: string; expected: string };

/**
 * Unix ms below this are read as seconds: 1e11 ms is March 1973, while 1e11 s is the year 5138.
 * No Unkey timestamp a person means lies before 1973, and every seconds value of this century lies
 * between 1e9 and 1e11.
 */
const SECONDS_CEILING = 1e11;
const SECONDS_FLOOR = 1e8;

/** Converts one timestamp argument; `future` refuses times that are not after `now`. */
export function toUnixMs(value: unknown, kind: "timestamp" | "future", now: number): Converted {
  const expected =
    kind === "future"
      ? 'a future time as unix ms, an ISO 8601 date-time, or a duration from now such as "P90D"'
      : 'unix ms, an ISO 8601 date-time, or a duration from now such as "P90D"';
  let ms: number;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) return { ok: false, problem: "is not a whole number of milliseconds", expected };
    if (value >= SECONDS_FLOOR && value < SECONDS_CEILING) {
      const meant = value * 1000;
      return { ok: false, problem: `looks like seconds (as milliseconds it is ${iso(value)}); in milliseconds that is ${meant} (${iso(meant)})`, expected };
    }
    ms = value;
  } else if (typeof value === "string") {
    const text = value.trim();
    if (/^P/i.test(text)) {
      const d = parseIsoDuration(text);
      if (!d) return { ok: false, problem: "is not a valid ISO 8601 duration", expected };
      ms = addDuration(now, d);
    } else if (/^-?\d+$/.test(text)) {
      // A number sent as a string: the same rules as a number.
      return toUnixMs(Number(text), kind, now);
    } else {
      const parsed = parseIsoDateTime(text);
      if (parsed === undefined) return { ok: false, problem: "is not a valid ISO 8601 date-time", expected };
      ms = parsed;
    }
  } else {
    return { ok: false, problem: "has the wrong type", expected };
  }
  if (kind === "future" && ms <= now) {
    return { ok: false, problem: `is in the past (${iso(ms)}; now is ${iso(now)})`, expected };
  }
  return { ok: true, value: ms };
}

/** Converts one duration argument to milliseconds; `minimumMs` explains values that look like seconds. */
export function toDurationMs(value: unknown, minimumMs?: number): Converted {
  const expected = 'milliseconds, or an ISO 8601 duration such as "PT1H"';
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0) return { ok: false, problem: "is not a whole, non-negative number of milliseconds", expected };
    if (minimumMs !== undefined && value < minimumMs && value * 1000 >= minimumMs) {
      return { ok: false, problem: `is below the minimum of ${minimumMs} ms; if seconds were meant, that is ${value * 1000} ms`, expected };
    }
    return { ok: true, value };
  }
  if (typeof value === "string") {
    const text = value.trim();
    if (/^\d+$/.test(text)) return toDurationMs(Number(text), minimumMs);
    const d = parseIsoDuration(text);
    if (!d) return { ok: false, problem: "is not a valid ISO 8601 duration", expected };
    if (d.years !== 0 || d.months !== 0) {
      return { ok: false, problem: "uses years or months, which have no fixed length", expected: 'days or smaller units, e.g. "P30D"' };
    }
    return { ok: true, value: Math.round(fixedMs(d)) };
  }
  return { ok: false, problem: "has the wrong type", expected };
}

interface IsoDuration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const DURATION =
  /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/** `P90D`, `PT1H30M`, `P1Y2M`, `PT0.5S`; undefined when malformed or empty (`P`, `PT`). */
export function parseIsoDuration(text: string): IsoDuration | undefined {
  const m = DURATION.exec(text);
  if (!m || /T$/i.test(text) || m.slice(1).every((g) => g === undefined)) return undefined;
  const n = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]));
  return { years: n(1), months: n(2), weeks: n(3), days: n(4), hours: n(5), minutes: n(6), seconds: n(7) };
}

function fixedMs(d: IsoDuration): number {
  return ((((d.weeks * 7 + d.days) * 24 + d.hours) * 60 + d.minutes) * 60 + d.seconds) * 1000;
}

/** `now` plus a duration; years and months move the calendar date (UTC), the rest is fixed. */
function addDuration(now: number, d: IsoDuration): number {
  let base = now;
  if (d.years !== 0 || d.months !== 0) {
    const date = new Date(now);
    date.setUTCMonth(date.getUTCMonth() + Math.round(d.years * 12 + d.months));
    base = date.getTime();
  }
  return Math.round(base + fixedMs(d));
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** An ISO 8601 date or date-time; without a zone it is read as UTC. */
export function parseIsoDateTime(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone = "Z"] = m;
  const normalised = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone.toUpperCase()}`;
  const ms = Date.parse(normalised);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * ISO 8601 (UTC) of a unix-ms value, to the second: a model needs no milliseconds, and they cost
 * tokens in every row of a list.
 */
export function iso(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
