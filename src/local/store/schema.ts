/**
 * The local API's SQLite schema, as numbered migrations applied in order and tracked in
 * `PRAGMA user_version`. Append a migration to change the schema; never edit a shipped one.
 *
 * Conventions: times are unix ms (INTEGER); JSON values are TEXT; soft deletes are a
 * `deleted_at` timestamp (NULL = live). Secrets are stored only as sha256/base64 hashes.
 * Tables without an INTEGER PRIMARY KEY keep SQLite's implicit rowid, which is insertion order:
 * `ORDER BY rowid` is how ratelimit_overrides find "the first matching wildcard".
 */
import type { Database } from "better-sqlite3";

export const MIGRATIONS: readonly string[] = [
  // 1: everything the 41 operations need.
  `
  CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
  );

  -- Root keys: only the hash is stored. permissions is a JSON array of permission strings.
  CREATE TABLE root_keys (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name TEXT,
    hash TEXT NOT NULL UNIQUE,
    start TEXT NOT NULL,
    permissions TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    expires INTEGER,
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
  );

  CREATE TABLE key_spaces (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    default_prefix TEXT,
    default_bytes INTEGER,
    ip_whitelist TEXT,
    store_encrypted_keys INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE apis (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    name TEXT NOT NULL,
    key_space_id TEXT NOT NULL REFERENCES key_spaces(id),
    delete_protection INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
  );
  CREATE INDEX apis_key_space ON apis(key_space_id);

  CREATE TABLE identities (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    external_id TEXT NOT NULL,
    meta TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER,
    deleted_at INTEGER
  );
  CREATE UNIQUE INDEX identities_external_id ON identities(workspace_id, external_id) WHERE deleted_at IS NULL;

  CREATE TABLE keys (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    key_space_id TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    start TEXT NOT NULL,
    name TEXT,
    meta TEXT,
    identity_id TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    expires INTEGER,
    remaining INTEGER,
    refill_amount INTEGER,
    refill_day INTEGER,
    last_refill_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER,
    last_used_at INTEGER,
    deleted_at INTEGER,
    migration_id TEXT
  );
  CREATE INDEX keys_key_space ON keys(key_space_id, id);
  CREATE INDEX keys_identity ON keys(identity_id);

  -- Key-level (key_id set) and identity-level (identity_id set) ratelimit configs.
  CREATE TABLE ratelimit_configs (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    name TEXT NOT NULL,
    "limit" INTEGER NOT NULL,
    duration INTEGER NOT NULL,
    auto_apply INTEGER NOT NULL DEFAULT 0,
    key_id TEXT,
    identity_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER
  );
  CREATE INDEX ratelimit_configs_key ON ratelimit_configs(key_id);
  CREATE INDEX ratelimit_configs_identity ON ratelimit_configs(identity_id);

  CREATE TABLE permissions (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    description TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER
  );
  CREATE UNIQUE INDEX permissions_slug ON permissions(workspace_id, slug);

  CREATE TABLE roles (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER
  );
  CREATE UNIQUE INDEX roles_name ON roles(workspace_id, name);

  CREATE TABLE keys_permissions (
    key_id TEXT NOT NULL,
    permission_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (key_id, permission_id)
  );
  CREATE INDEX keys_permissions_permission ON keys_permissions(permission_id);

  CREATE TABLE keys_roles (
    key_id TEXT NOT NULL,
    role_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (key_id, role_id)
  );
  CREATE INDEX keys_roles_role ON keys_roles(role_id);

  CREATE TABLE roles_permissions (
    role_id TEXT NOT NULL,
    permission_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (role_id, permission_id)
  );
  CREATE INDEX roles_permissions_permission ON roles_permissions(permission_id);

  -- migrateKeys runs under a migration id; the local API creates the record on first use.
  CREATE TABLE key_migrations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE ratelimit_namespaces (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER,
    deleted_at INTEGER
  );
  CREATE UNIQUE INDEX ratelimit_namespaces_name ON ratelimit_namespaces(workspace_id, name);

  -- rowid order = insertion order: "the first matching wildcard" is the lowest rowid.
  CREATE TABLE ratelimit_overrides (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    namespace_id TEXT NOT NULL,
    identifier TEXT NOT NULL,
    "limit" INTEGER NOT NULL,
    duration INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER,
    deleted_at INTEGER
  );
  CREATE UNIQUE INDEX ratelimit_overrides_identifier ON ratelimit_overrides(namespace_id, identifier);

  -- Analytics events (Unkey's key_verifications_raw_v2 / ratelimits_raw_v2).
  CREATE TABLE key_verifications (
    request_id TEXT NOT NULL,
    time INTEGER NOT NULL,
    workspace_id TEXT NOT NULL,
    key_space_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    identity_id TEXT NOT NULL DEFAULT '',
    external_id TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL,
    region TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    spent_credits INTEGER NOT NULL DEFAULT 0,
    latency REAL NOT NULL DEFAULT 0
  );
  CREATE INDEX key_verifications_time ON key_verifications(workspace_id, time);

  CREATE TABLE ratelimits (
    request_id TEXT NOT NULL,
    time INTEGER NOT NULL,
    workspace_id TEXT NOT NULL,
    namespace_id TEXT NOT NULL,
    identifier TEXT NOT NULL,
    passed INTEGER NOT NULL,
    latency REAL NOT NULL DEFAULT 0,
    override_id TEXT NOT NULL DEFAULT '',
    "limit" INTEGER NOT NULL,
    remaining INTEGER NOT NULL,
    reset_at INTEGER NOT NULL,
    tokens INTEGER NOT NULL DEFAULT 1
  );
  CREATE INDEX ratelimits_time ON ratelimits(workspace_id, time);
  `,
  // 2: the refill job's position (src/local/refill.ts): the UTC midnight of the last time it
  // looked, so refills missed while the process was down are caught up on the next request.
  `
  CREATE TABLE refill_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_midnight INTEGER NOT NULL
  );
  `,
  // 3: Unkey's MySQL columns use a case-insensitive collation, so permission slugs and role names are
  // unique regardless of case ("Admin" clashes with "admin"). Lookups by slug / name use
  // COLLATE NOCASE to match (and to use these indexes). NOCASE folds ASCII only; slugs are ASCII by
  // the contract's pattern. (Permission names are not unique upstream: only the slug index exists.)
  `
  DROP INDEX permissions_slug;
  CREATE UNIQUE INDEX permissions_slug_nocase ON permissions(workspace_id, slug COLLATE NOCASE);
  DROP INDEX roles_name;
  CREATE UNIQUE INDEX roles_name_nocase ON roles(workspace_id, name COLLATE NOCASE);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Applies the migrations the database has not seen yet, each in its own transaction. */
export function migrate(db: Database): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`The local API data was written by a newer version (schema ${current}, this build knows ${SCHEMA_VERSION}).`);
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    try {
      db.transaction(() => {
        db.exec(MIGRATIONS[v]);
        db.pragma(`user_version = ${v + 1}`);
      }).immediate();
    } catch (err) {
      // E.g. step 3 on data holding two slugs or role names that differ only in case: nothing was
      // changed (the step is one transaction); say which step and why.
      throw new Error(`The local API data could not be upgraded to schema ${v + 1}: ${(err as Error).message}`);
    }
  }
}
