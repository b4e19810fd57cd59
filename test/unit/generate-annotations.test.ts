/**
 * Annotations come from meaning (x-mcp.safety), not from the HTTP method: every Unkey call is a
 * POST. This table is the reviewed classification; a change in the contract that moves a tool to
 * another class, or a generator change to the hints, fails here.
 */
import { describe, expect, it } from "vitest";
import { loadContract } from "../../src/schemas/loader.js";
import type { SafetyClass } from "../../src/schemas/x-mcp.js";
import { annotationsFor, generateTools } from "../../src/tools/generate.js";

const { tools } = generateTools(loadContract());

/** tool → [safety class, may it be destructive (destructiveHint)]. */
const TABLE: Record<string, [SafetyClass, boolean]> = {
  create_api: ["write", false],
  get_api: ["read", false],
  list_keys: ["read", false],
  delete_api: ["destructive", true],
  create_key: ["write", false],
  get_key: ["read", false],
  whoami_key: ["read", false],
  verify_key: ["consume", false],
  update_key: ["write", true],
  update_key_credits: ["write", true],
  delete_key: ["destructive", true],
  reroll_key: ["destructive", true],
  migrate_keys: ["write", false],
  add_key_permissions: ["write", false],
  remove_key_permissions: ["destructive", true],
  set_key_permissions: ["destructive", true],
  add_key_roles: ["write", false],
  remove_key_roles: ["destructive", true],
  set_key_roles: ["destructive", true],
  create_identity: ["write", false],
  get_identity: ["read", false],
  list_identities: ["read", false],
  update_identity: ["write", true],
  delete_identity: ["destructive", true],
  create_permission: ["write", false],
  get_permission: ["read", false],
  list_permissions: ["read", false],
  delete_permission: ["destructive", true],
  create_role: ["write", false],
  get_role: ["read", false],
  list_roles: ["read", false],
  delete_role: ["destructive", true],
  set_role_permissions: ["destructive", true],
  check_ratelimit: ["consume", false],
  check_ratelimits: ["consume", false],
  set_ratelimit_override: ["write", true],
  get_ratelimit_override: ["read", false],
  list_ratelimit_overrides: ["read", false],
  delete_ratelimit_override: ["destructive", true],
  query_key_verifications: ["read", false],
  query_ratelimit_analytics: ["read", false],
};

describe("annotations by safety class", () => {
  it("covers exactly the generated tools", () => {
    expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(TABLE).sort());
  });

  it.each(Object.entries(TABLE))("%s is %j", (name, [safety, destructive]) => {
    const t = tools.find((x) => x.name === name);
    expect(t?.safety).toBe(safety);
    const a = t?.annotations;
    expect(a?.title).toBe(t?.title);
    expect(a?.openWorldHint).toBe(false);
    expect(a?.destructiveHint).toBe(destructive);
    expect(a?.readOnlyHint).toBe(safety === "read");
    // Only reads are idempotent; consume calls spend tokens every time.
    expect(a?.idempotentHint).toBe(safety === "read");
  });

  it("marks a write tool as possibly destructive exactly when it has destructiveWhen rules", () => {
    for (const t of tools.filter((x) => x.safety === "write")) {
      expect(t.annotations.destructiveHint, t.name).toBe((t.destructiveWhen?.length ?? 0) > 0);
    }
  });

  it("maps each class to the hints of design.md", () => {
    expect(annotationsFor("read", "T")).toEqual({ title: "T", openWorldHint: false, readOnlyHint: true, destructiveHint: false, idempotentHint: true });
    expect(annotationsFor("consume", "T")).toEqual({ title: "T", openWorldHint: false, readOnlyHint: false, destructiveHint: false, idempotentHint: false });
    expect(annotationsFor("write", "T")).toEqual({ title: "T", openWorldHint: false, readOnlyHint: false, destructiveHint: false, idempotentHint: false });
    expect(annotationsFor("write", "T", [{ field: "enabled", equals: false }]).destructiveHint).toBe(true);
    expect(annotationsFor("destructive", "T")).toEqual({ title: "T", openWorldHint: false, readOnlyHint: false, destructiveHint: true, idempotentHint: false });
  });
});
