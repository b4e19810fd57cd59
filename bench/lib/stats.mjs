// Small, dependency-free statistics for the benchmarks. Plain ESM JavaScript so `node bench/run.mjs`
// runs without a compile step; the types live next to it in stats.d.mts for the unit test.
import { readFileSync } from "node:fs";

function checkSample(values, name) {
  if (!Array.isArray(values) || values.length === 0) {
    throw new RangeError(`${name}: expected a non-empty array of numbers, got ${Array.isArray(values) ? "an empty array" : typeof values}`);
  }
  for (const v of values) {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new TypeError(`${name}: expected finite numbers, got ${JSON.stringify(v)}`);
    }
  }
}

/**
 * The p-th percentile (0–100) by linear interpolation between closest ranks (the "R-7" rule that
 * numpy and spreadsheets use), so p50 of an even-sized sample is the mean of the middle two and
 * p99 of a small sample does not collapse onto the maximum.
 */
export function percentile(values, p) {
  checkSample(values, "percentile");
  if (typeof p !== "number" || !(p >= 0 && p <= 100)) {
    throw new RangeError(`percentile: p must be a number from 0 to 100, got ${JSON.stringify(p)}`);
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  if (lo === hi) return sorted[lo];
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export function median(values) {
  checkSample(values, "median");
  return percentile(values, 50);
}

export function mean(values) {
  checkSample(values, "mean");
  return values.reduce((s, v) => s + v, 0) / values.length;
}

/** Rounds to `digits` decimals; keeps JSON output readable without pretending to more precision. */
export function round(value, digits = 2) {
  if (typeof value !== "number" || !Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** n, min, p50, p90, p99, max, mean of a latency sample (rounded to 3 decimals: ms → µs). */
export function summarize(values) {
  checkSample(values, "summarize");
  return {
    n: values.length,
    min: round(Math.min(...values), 3),
    p50: round(percentile(values, 50), 3),
    p90: round(percentile(values, 90), 3),
    p99: round(percentile(values, 99), 3),
    max: round(Math.max(...values), 3),
    mean: round(mean(values), 3),
  };
}

/** a / b rounded, or null when either side is missing (a benchmark part that did not run). */
export function ratio(a, b, digits = 2) {
  if (typeof a !== "number" || typeof b !== "number" || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return round(a / b, digits);
}

/**
 * Peak resident set size in kB from the text of /proc/<pid>/status (the `VmHWM` line: the
 * kernel's high-water mark, so a sample taken at the end still sees the peak).
 */
export function parseVmHwmKb(statusText) {
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(String(statusText));
  return m ? Number(m[1]) : undefined;
}

/** Peak RSS of a live process in kB, or undefined when /proc is not there or the process is gone. */
export function readPeakRssKb(pid) {
  try {
    return parseVmHwmKb(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return undefined;
  }
}

/** Elapsed milliseconds since a process.hrtime.bigint() mark, with sub-ms resolution. */
export function msSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}
