/**
 * The local workspace and its root keys: bootstrap on first start, CLI administration, and the
 * per-request authentication Unkey performs (behavior doc §4 "Request pipeline and errors").
 * Root keys are stored only as sha256/base64 hashes and looked up on every request, so a key
 * created or revoked by the CLI in another process takes effect at once.
 */
import { ApiError } from "./errors.js";
import { generateKey, hashKey, keyStart, newId } from "./ids.js";
import type { RootKeyInfo } from "./context.js";
import type { Store } from "./store/store.js";
import {
  findLiveRootKeyByHash,
  findRootKeyByHash,
  firstWorkspaceId,
  insertRootKeyRow,
  insertWorkspace,
  listLiveRootKeys,
  revokeRootKeyRow,
  workspaceHasRootKeys,
} from "./store/root-keys.js";

const API_ACTIONS = [
  "create_api",
  "read_api",
  "delete_api",
  "update_api",
  "create_key",
  "read_key",
  "update_key",
  "delete_key",
  "verify_key",
  "encrypt_key",
  "decrypt_key",
  "read_analytics",
];
const IDENTITY_ACTIONS = ["create_identity", "read_identity", "update_identity", "delete_identity"];
const RBAC_ACTIONS = [
  "create_permission",
  "read_permission",
  "update_permission",
  "delete_permission",
  "create_role",
  "read_role",
  "update_role",
  "delete_role",
  "add_permission_to_key",
  "remove_permission_from_key",
  "add_role_to_key",
  "remove_role_from_key",
  "add_permission_to_role",
  "remove_permission_from_role",
];
const RATELIMIT_ACTIONS = [
  "create_namespace",
  "read_namespace",
  "update_namespace",
  "delete_namespace",
  "limit",
  "set_override",
  "read_override",
  "delete_override",
  "read_analytics",
];

/** Legacy permission actions by resource. */
export const PERMISSION_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  api: API_ACTIONS,
  identity: IDENTITY_ACTIONS,
  rbac: RBAC_ACTIONS,
  ratelimit: RATELIMIT_ACTIONS,
};

/** Every wildcard permission: what the bootstrap root key holds. */
export const ALL_PERMISSIONS: readonly string[] = Object.entries(PERMISSION_ACTIONS).flatMap(([res, actions]) => actions.map((a) => `${res}.*.${a}`));

const ROOT_KEY_PREFIX = "unkey";
const ROOT_KEY_BYTES = 16;

/** Returns a problem with a permission string, or undefined when it is well-formed. */
export function checkPermissionString(p: string): string | undefined {
  // Unkey also accepts URN permissions (`unkey:v1:<ws>:<path>#<action>`, behavior doc §3); the local
  // handlers check legacy tuples only, so a URN grant would be stored but never match. Refuse it.
  if (p.startsWith("unkey:")) {
    return `"${p}": URN permissions are not supported by the local API yet; use tuples like api.*.read_key`;
  }
  const m = /^([a-z]+)\.([a-zA-Z0-9_*]+)\.([a-z_]+)$/.exec(p);
  if (!m) return `"${p}" is not <resource>.<id|*>.<action> (e.g. api.*.read_key)`;
  const actions = PERMISSION_ACTIONS[m[1]];
  if (!actions) return `"${p}": unknown resource "${m[1]}" (expected one of ${Object.keys(PERMISSION_ACTIONS).join(", ")})`;
  if (!actions.includes(m[3])) return `"${p}": unknown action "${m[3]}" for ${m[1]} (expected one of ${actions.join(", ")})`;
  return undefined;
}

export interface WorkspaceBootstrap {
  workspaceId: string;
  /** The plaintext root key, only when this call created it. */
  createdRootKey?: string;
}

/** The workspace of this data dir, created on first use. */
export function ensureWorkspace(db: Store, now: number): string {
  return db.tx(() => {
    const existing = firstWorkspaceId(db);
    if (existing) return existing;
    const id = newId("ws");
    insertWorkspace(db, id, "local", now);
    return id;
  });
}

/** A start that cannot go on as asked (e.g. `--root-key` names a revoked key); the CLI exits 2. */
export class BootstrapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BootstrapError";
  }
}

/**
 * First start: a workspace and a root key holding every permission. `seed` makes that key (or, on a
 * later start, an additional all-permission key) exactly the given string. A seed that was revoked
 * stays revoked: passing it again must not undo `root-key revoke`.
 */
export function bootstrap(db: Store, now: number, seed?: string): WorkspaceBootstrap {
  return db.tx(() => {
    const workspaceId = ensureWorkspace(db, now);
    if (seed !== undefined) {
      const existing = findRootKeyByHash(db, hashKey(seed));
      if (!existing) {
        insertRootKey(db, workspaceId, seed, "seeded", ALL_PERMISSIONS, now);
      } else if (existing.deleted_at !== null) {
        throw new BootstrapError(
          `the --root-key given was revoked (root key ${existing.id}); a revoked key is never restored. ` +
            "Pass a different --root-key, or create one with `unkey-mcp local root-key create --permission …`.",
        );
      }
      return { workspaceId };
    }
    if (workspaceHasRootKeys(db, workspaceId)) return { workspaceId };
    const key = generateKey(ROOT_KEY_PREFIX, ROOT_KEY_BYTES);
    insertRootKey(db, workspaceId, key, "bootstrap", ALL_PERMISSIONS, now);
    return { workspaceId, createdRootKey: key };
  });
}

function insertRootKey(db: Store, workspaceId: string, key: string, name: string | undefined, permissions: readonly string[], now: number): string {
  const id = newId("key");
  const prefix = key.startsWith(`${ROOT_KEY_PREFIX}_`) ? ROOT_KEY_PREFIX : undefined;
  insertRootKeyRow(db, {
    id,
    workspaceId,
    name: name ?? null,
    hash: hashKey(key),
    start: keyStart(key, prefix),
    permissions: [...new Set(permissions)],
    now,
  });
  return id;
}

/** A new least-privilege root key. Throws on malformed permission strings. */
export function createRootKey(db: Store, opts: { name?: string; permissions: string[]; now: number }): { id: string; key: string; workspaceId: string } {
  if (opts.permissions.length === 0) throw new Error("a root key needs at least one --permission");
  const problems = opts.permissions.map(checkPermissionString).filter((p): p is string => p !== undefined);
  if (problems.length > 0) throw new Error(`invalid permission:\n- ${problems.join("\n- ")}`);
  return db.tx(() => {
    const workspaceId = ensureWorkspace(db, opts.now);
    const key = generateKey(ROOT_KEY_PREFIX, ROOT_KEY_BYTES);
    const id = insertRootKey(db, workspaceId, key, opts.name, opts.permissions, opts.now);
    return { id, key, workspaceId };
  });
}

export interface RootKeySummary {
  id: string;
  name: string | null;
  start: string;
  permissions: string[];
  createdAt: number;
}

export function listRootKeys(db: Store): RootKeySummary[] {
  return listLiveRootKeys(db).map((r) => ({
    id: r.id,
    name: r.name,
    start: r.start,
    permissions: JSON.parse(r.permissions) as string[],
    createdAt: r.created_at,
  }));
}

/** Soft-deletes a root key; returns false when no live key has that id. */
export function revokeRootKey(db: Store, id: string, now: number): boolean {
  return revokeRootKeyRow(db, id, now);
}

/** Permission sets are parsed once per distinct JSON text, not once per request. */
const permissionSets = new Map<string, Set<string>>();

function permissionSet(json: string): Set<string> {
  let set = permissionSets.get(json);
  if (!set) {
    set = new Set(JSON.parse(json) as string[]);
    if (permissionSets.size > 1000) permissionSets.clear();
    permissionSets.set(json, set);
  }
  return set;
}

/** Unkey's root-key authentication: 400 missing/malformed, 401 unknown, 403 disabled/expired. */
export function authenticate(db: Store, authorization: string | undefined, now: number): { workspaceId: string; rootKey: RootKeyInfo } {
  // pkg/zen/auth.go Bearer(): an absent or empty header is `missing`; otherwise the trimmed header
  // must start with exactly "Bearer " (case-sensitive, one space) and leave a non-empty token.
  if (authorization === undefined || authorization === "") {
    throw new ApiError(400, "unkey/authentication/missing", "Authorization header is required but was not provided.", [
      { location: "header.Authorization", message: "missing", fix: "Send Authorization: Bearer <root key>." },
    ]);
  }
  const header = authorization.trim();
  const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
  if (token === "") {
    throw new ApiError(400, "unkey/authentication/malformed", "Your authorization header is missing the 'Bearer ' prefix.", [
      { location: "header.Authorization", message: "malformed", fix: "Send Authorization: Bearer <root key>." },
    ]);
  }
  const row = findLiveRootKeyByHash(db, hashKey(token));
  if (!row) throw new ApiError(401, "unkey/authentication/key_not_found", "The provided root key is invalid.");
  if (row.enabled !== 1) throw new ApiError(403, "unkey/authorization/key_disabled", "The root key is disabled.");
  if (row.expires !== null && now > row.expires) {
    throw new ApiError(403, "unkey/authorization/forbidden", "The root key has expired.");
  }
  return { workspaceId: row.workspace_id, rootKey: { id: row.id, permissions: permissionSet(row.permissions) } };
}
