/**
 * The one normaliser for a root key as a person or a client config supplies it: an environment
 * variable, a flag, or a request header. All of them see the same mistakes (quotes pasted along,
 * a `Bearer ` prefix, a placeholder the shell or mcp-remote never expanded), so all of them
 * accept and refuse the same things.
 *
 * Messages never contain the key itself; an unexpanded placeholder is not a secret and is named.
 */

export type RootKeyCheck =
  | { ok: true; key: string }
  | { ok: false; reason: "missing" }
  | { ok: false; reason: "unexpanded"; placeholder: string; variable: string }
  | { ok: false; reason: "malformed"; problem: string };

// `${VAR}` (also `${}`) anywhere, or a whole value `$VAR` / `%VAR%` (POSIX and Windows forms).
const BRACED = /\$\{([^}]*)\}/;
const BARE = /^\$([A-Za-z_][A-Za-z0-9_]*)$/;
const PERCENT = /^%([A-Za-z_][A-Za-z0-9_]*)%$/;
const BEARER = /^bearer(\s+|$)/i;

/**
 * Trims, strips one pair of matching quotes and a leading `Bearer` (any case); empty → missing;
 * an unexpanded placeholder or whitespace inside the key → refused.
 */
export function normaliseRootKey(raw: string | undefined): RootKeyCheck {
  if (raw === undefined) return { ok: false, reason: "missing" };
  let v = raw.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) v = v.slice(1, -1).trim();
  const bearer = BEARER.exec(v);
  if (bearer) v = v.slice(bearer[0].length).trim();
  if (v === "") return { ok: false, reason: "missing" };
  const placeholder = BRACED.exec(v) ?? BARE.exec(v) ?? PERCENT.exec(v);
  if (placeholder) return { ok: false, reason: "unexpanded", placeholder: placeholder[0], variable: placeholder[1] };
  if (/\s/.test(v)) return { ok: false, reason: "malformed", problem: "a root key has no whitespace inside; check what was pasted" };
  return { ok: true, key: v };
}

/** One sentence for an unexpanded placeholder, naming the variable (or saying none was named). */
export function describeUnexpanded(check: { placeholder: string; variable: string }, where: string): string {
  if (check.variable === "") {
    return `${where} holds the unexpanded placeholder ${JSON.stringify(check.placeholder)}, which names no variable: put a variable name inside (e.g. \${UNKEY_ROOT_KEY}) or the root key itself.`;
  }
  return `${where} holds the unexpanded placeholder ${JSON.stringify(check.placeholder)}: the environment variable ${check.variable} was not expanded (it is not set where the value is read). Set ${check.variable} to your Unkey root key.`;
}
