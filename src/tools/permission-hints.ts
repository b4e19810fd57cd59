/**
 * The x-mcp permission rules as hint material: which permissions a call needs (its CNF with ids
 * filled in from the arguments), which ones Unkey's 403 says are missing, what a 404 looked up,
 * and the exact `--permission` flags of a local root key that holds them.
 */
import type { PermissionRequirement } from "../schemas/x-mcp.js";
import { conditionMatches } from "./guard.js";
import type { ToolDefinition } from "./types.js";

/** Permissions from Unkey's 403 detail: "Missing permission: 'x'" / "Missing one of these permissions: a or b and c". */
export function missingPermissions(detail: string | undefined): string[] | undefined {
  if (!detail) return undefined;
  const quoted = [...detail.matchAll(/'([^']+)'/g)].map((m) => m[1]);
  if (/missing permission/i.test(detail) && quoted.length > 0) return [quoted.join(" and ")];
  const m = /missing one of these permissions:\s*(.+)$/i.exec(detail);
  if (m) return [m[1].trim().replace(/\.$/, "")];
  return undefined;
}

/** The tool's permission CNF (plus conditional parts), with `<apiId>`-style ids filled in from the arguments. */
export function requiredPermissions(tool: Pick<ToolDefinition, "permissions" | "permissionsIf">, args: Record<string, unknown>): string[] {
  const cnf: PermissionRequirement = [...tool.permissions];
  for (const c of tool.permissionsIf ?? []) if (conditionMatches(c.when, args)) cnf.push(...c.require);
  const fill = (p: string): string => p.replace(/<([a-zA-Z]+)>/g, (whole, name: string) => (typeof args[name] === "string" ? (args[name] as string) : whole));
  return cnf.map((alts) => {
    const uniq = [...new Set(alts.map(fill))];
    return uniq.length === 1 ? uniq[0] : `(${uniq.join(" or ")})`;
  });
}

export function describeCnf(parts: string[]): string {
  return parts.length ? parts.join(" and ") : "no special permission";
}

/** The first alternative of each clause, as quoted `--permission` flags for the local CLI. */
export function permissionFlags(parts: string[]): string {
  return parts
    .flatMap((p) => p.split(/ and /))
    .map((p) => p.replace(/^\(/, "").split(/ or /)[0].replace(/\)$/, "").trim())
    .filter((p) => p !== "")
    .map((p) => `--permission ${shellQuote(p)}`)
    .join(" ");
}

/** Single-quoted for POSIX shells: `*` in a permission would otherwise be a glob (zsh aborts on no match). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The arguments that name the entity of a `…/data/<entity>_not_found` error: the 404 hint names
 * what was actually not found (the API of a create_key call, not its name or externalId).
 */
const NOT_FOUND_ARGS: Record<string, string[]> = {
  key: ["keyId"],
  api: ["apiId"],
  key_space: ["apiId"],
  role: ["roles", "role", "roleId"],
  permission: ["permissions", "permission", "permissionId"],
  identity: ["identity", "identityId", "externalId"],
  ratelimit_namespace: ["namespace", "namespaceId", "namespaceName"],
  ratelimit_override: ["identifier"],
};

/** `key` from `https://unkey.com/docs/errors/unkey/data/key_not_found`; undefined for other types. */
export function notFoundEntity(type: string | undefined): string | undefined {
  const m = /\/data\/([a-z_]+)_not_found\b/.exec(type ?? "");
  return m?.[1];
}

/** `name=value` for the arguments that identify what a 404 did not find. */
export function lookedUp(tool: Pick<ToolDefinition, "target">, args: Record<string, unknown>, type: string | undefined): string[] {
  const entity = notFoundEntity(type);
  const fromType = entity !== undefined ? (NOT_FOUND_ARGS[entity] ?? []) : [];
  // The tool's own target (the fields that name what it acts on) when the type says nothing usable.
  // Without a target either, only arguments that are ids by name (`keyId`, `apiId`, …).
  const fromTarget = tool.target ? Object.values(tool.target.args) : Object.keys(args).filter((k) => /[a-z]Id$/.test(k));
  const present = (names: string[]): string[] => names.filter((n) => isIdValue(args[n]));
  const names = present(fromType).length > 0 ? present(fromType) : entity === undefined || !(entity in NOT_FOUND_ARGS) ? present(fromTarget) : [];
  return [...new Set(names)].map((n) => `${n}=${JSON.stringify(args[n])}`);
}

function isIdValue(v: unknown): boolean {
  if (typeof v === "string" || typeof v === "number") return v !== "";
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string" || typeof x === "number");
}
