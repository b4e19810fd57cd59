/**
 * Override resolution as in Unkey's matchOverride (pkg/match/wildcard.go):
 * an override whose identifier equals the request's wins; otherwise the first
 * override (in creation order) whose pattern matches, where `*` means any
 * run of characters and everything else is literal, anchored at both ends.
 */

export interface OverrideLike {
  readonly identifier: string;
}

const patternCache = new Map<string, RegExp>();

/** Compiles a wildcard identifier (`premium_*`, `*@acme.com`) into an anchored RegExp. */
export function wildcardToRegExp(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    const source = pattern
      .split("*")
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*");
    re = new RegExp(`^${source}$`, "s");
    if (patternCache.size > 10_000) patternCache.clear();
    patternCache.set(pattern, re);
  }
  return re;
}

/**
 * Picks the override that applies to `identifier`; `overrides` must be in
 * creation order. Returns undefined when none applies.
 */
export function matchOverride<T extends OverrideLike>(overrides: readonly T[], identifier: string): T | undefined {
  const exact = overrides.find((o) => o.identifier === identifier);
  if (exact) return exact;
  return overrides.find((o) => o.identifier.includes("*") && wildcardToRegExp(o.identifier).test(identifier));
}
