/**
 * Schema step 3 (case-insensitive uniqueness of permission slugs and role names) upgrades a data dir
 * written by schema 2; data it cannot upgrade (two slugs differing only in case) is left untouched
 * with an error naming the step.
 */
import { afterEach, expect, test } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type Store } from "../../src/local/store/store.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A data dir as schema 2 left it (case-sensitive unique indexes), holding the given slugs. */
async function schema2Dir(slugs: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "unkey-schema-"));
  dirs.push(dir);
  const store = await openStore({ dataDir: dir });
  store.run("DROP INDEX permissions_slug_nocase");
  store.run("DROP INDEX roles_name_nocase");
  store.run("CREATE UNIQUE INDEX permissions_slug ON permissions(workspace_id, slug)");
  store.run("CREATE UNIQUE INDEX roles_name ON roles(workspace_id, name)");
  for (const [i, slug] of slugs.entries()) {
    store.run("INSERT INTO permissions (id, workspace_id, name, slug, created_at) VALUES (?, 'ws', ?, ?, 0)", `perm_${i}`, slug, slug);
  }
  store.run("PRAGMA user_version = 2");
  store.close();
  return dir;
}

function insertSlug(store: Store, id: string, slug: string): void {
  store.run("INSERT INTO permissions (id, workspace_id, name, slug, created_at) VALUES (?, 'ws', ?, ?, 0)", id, slug, slug);
}

test("a schema-2 data dir is upgraded: slugs then clash regardless of case", async () => {
  const dir = await schema2Dir(["docs.read"]);
  const store = await openStore({ dataDir: dir });
  try {
    expect(() => insertSlug(store, "perm_x", "DOCS.READ")).toThrow(/UNIQUE/);
    insertSlug(store, "perm_y", "docs.write");
  } finally {
    store.close();
  }
});

test("data the step cannot upgrade is refused with the step named, and left as it was", async () => {
  const dir = await schema2Dir(["Docs.Read", "docs.read"]);
  await expect(openStore({ dataDir: dir })).rejects.toThrow(/could not be upgraded to schema 3: .*UNIQUE/);
});
