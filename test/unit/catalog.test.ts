/**
 * Toolsets, profiles and selection, including per-request narrowing for HTTP.
 */
import { describe, expect, it } from "vitest";
import { loadContract } from "../../src/schemas/loader.js";
import { CatalogSelectionError, listProfiles, listToolsets, narrowSelection, selectTools, validateSelection } from "../../src/tools/catalog.js";
import type { ToolSelection } from "../../src/tools/catalog.js";
import { generateTools } from "../../src/tools/generate.js";
import type { ToolDefinition } from "../../src/tools/types.js";

const { tools: all } = generateTools(loadContract());
const names = (tools: readonly ToolDefinition[]): string[] => tools.map((t) => t.name);

function selectionError(fn: () => unknown): CatalogSelectionError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CatalogSelectionError) return err;
    throw err;
  }
  throw new Error("expected a CatalogSelectionError");
}

const RATELIMITS = [
  "check_ratelimit",
  "check_ratelimits",
  "set_ratelimit_override",
  "get_ratelimit_override",
  "list_ratelimit_overrides",
  "delete_ratelimit_override",
  "query_ratelimit_analytics",
];

describe("profiles and toolsets", () => {
  it("has the six toolsets and two profiles of the product", () => {
    expect(listToolsets(all)).toEqual(["analytics", "apis", "identities", "keys", "permissions", "ratelimit"]);
    expect(listProfiles(all)).toEqual(["full", "ratelimits"]);
  });

  it("full has all 41 tools", () => {
    expect(selectTools(all, { profile: "full" })).toHaveLength(41);
  });

  it("ratelimits has the ratelimit toolset plus the rate-limit analytics tool: 7 tools", () => {
    expect(names(selectTools(all, { profile: "ratelimits" }))).toEqual(RATELIMITS);
  });

  it("keeps every tool when no profile is given", () => {
    expect(selectTools(all, {})).toHaveLength(41);
  });
});

describe("selectTools", () => {
  it("narrows to toolsets", () => {
    const picked = selectTools(all, { profile: "full", toolsets: ["apis", "analytics"] });
    expect(names(picked)).toEqual(["create_api", "get_api", "list_keys", "delete_api", "query_key_verifications", "query_ratelimit_analytics"]);
  });

  it("narrows to named tools, trimming and deduplicating names", () => {
    expect(names(selectTools(all, { tools: [" get_key", "get_api", "get_key", ""] }))).toEqual(["get_api", "get_key"]);
  });

  it("adds named tools to chosen toolsets", () => {
    const picked = names(selectTools(all, { toolsets: ["apis"], tools: ["get_key"] }));
    expect(picked).toEqual(["create_api", "get_api", "list_keys", "delete_api", "get_key"]);
  });

  it("read-only keeps the read tools only", () => {
    const picked = selectTools(all, { profile: "full", readOnly: true });
    expect(picked).toHaveLength(14);
    expect(new Set(picked.map((t) => t.safety))).toEqual(new Set(["read"]));
    expect(names(picked)).not.toContain("verify_key");
  });

  it("read-only with allowConsume also keeps verify and rate-limit checks", () => {
    const picked = names(selectTools(all, { profile: "full", readOnly: true, allowConsume: true }));
    expect(picked).toHaveLength(17);
    expect(picked).toEqual(expect.arrayContaining(["verify_key", "check_ratelimit", "check_ratelimits"]));
  });

  it("does not reorder or copy-mutate the catalog", () => {
    const before = names(all);
    selectTools(all, { toolsets: ["keys"], readOnly: true });
    expect(names(all)).toEqual(before);
  });
});

describe("selection errors name the field, the valid choices and what was given", () => {
  it("unknown profile", () => {
    const err = selectionError(() => selectTools(all, { profile: "ratelimit" }));
    expect(err.field).toBe("profile");
    expect(err.valid).toEqual(["full", "ratelimits"]);
    expect(err.message).toBe('profile: unknown profile "ratelimit"; expected one of full, ratelimits');
  });

  it("unknown toolset", () => {
    const err = selectionError(() => selectTools(all, { toolsets: ["keys", "key", "rbac"] }));
    expect(err.field).toBe("toolsets");
    expect(err.given).toEqual(["key", "rbac"]);
    expect(err.message).toBe('toolsets: unknown toolsets "key", "rbac"; expected one of analytics, apis, identities, keys, permissions, ratelimit');
  });

  it("a toolset outside the profile", () => {
    const err = selectionError(() => selectTools(all, { profile: "ratelimits", toolsets: ["keys"] }));
    expect(err.message).toBe('toolsets: unknown toolset "keys" in profile ratelimits; expected one of analytics, ratelimit');
  });

  it("unknown tool", () => {
    const err = selectionError(() => selectTools(all, { tools: ["create_keys"] }));
    expect(err.field).toBe("tools");
    expect(err.given).toEqual(["create_keys"]);
    expect(err.valid).toHaveLength(41);
    expect(err.message).toMatch(/^tools: unknown tool "create_keys"; expected one of create_api, get_api, /);
  });

  it("a tool outside the profile", () => {
    const err = selectionError(() => selectTools(all, { profile: "ratelimits", tools: ["create_key"] }));
    expect(err.message).toBe(`tools: unknown tool "create_key" in profile ratelimits; expected one of ${RATELIMITS.join(", ")}`);
  });

  it("a write or consume tool named in read-only mode", () => {
    const err = selectionError(() => selectTools(all, { readOnly: true, tools: ["get_key", "create_key", "verify_key"] }));
    expect(err.given).toEqual(["create_key", "verify_key"]);
    expect(err.valid).toEqual(["get_key"]);
    expect(err.message).toBe(
      "tools: read-only mode excludes create_key (write), verify_key (consume) (consume tools need allowConsume); available read-only: get_key",
    );
  });

  it("a selection that leaves nothing", () => {
    const writesOnly = selectTools(all, { tools: ["create_key", "create_api"] });
    const err = selectionError(() => selectTools(writesOnly, { readOnly: true }));
    expect(err.field).toBe("readOnly");
    expect(err.message).toBe("the selection (read-only) leaves no tools; drop read-only or choose other toolsets");
  });

  it("validateSelection throws the same errors and accepts good selections", () => {
    expect(() => validateSelection(all, { profile: "full", toolsets: ["keys"] })).not.toThrow();
    expect(() => validateSelection(all, { toolsets: ["nope"] })).toThrow(CatalogSelectionError);
  });
});

describe("narrowSelection (per-request, HTTP)", () => {
  const server = selectTools(all, { profile: "full", toolsets: ["keys", "apis"] });

  it("returns the server's tools for an empty request", () => {
    expect(names(narrowSelection(server, {}))).toEqual(names(server));
  });

  it("narrows to a toolset or tools within the server's set", () => {
    expect(names(narrowSelection(server, { toolsets: ["apis"] }))).toEqual(["create_api", "get_api", "list_keys", "delete_api"]);
    expect(names(narrowSelection(server, { tools: ["get_key"] }))).toEqual(["get_key"]);
  });

  it("narrows to read-only", () => {
    const picked = narrowSelection(server, { readOnly: true });
    expect(picked.every((t) => t.safety === "read")).toBe(true);
    expect(names(picked)).toContain("get_key");
  });

  it("cannot widen: a tool or toolset outside the server's set is an error naming the allowed ones", () => {
    const tool = selectionError(() => narrowSelection(server, { tools: ["check_ratelimit"] }));
    expect(tool.valid).toEqual(names(server));
    expect(tool.message).toMatch(/^tools: tool "check_ratelimit" is not available on this server; expected one of create_api, /);
    const set = selectionError(() => narrowSelection(server, { toolsets: ["ratelimit", "analytics"] }));
    expect(set.message).toBe('toolsets: toolsets "ratelimit", "analytics" are not available on this server; expected one of apis, keys');
  });

  it("cannot bring back consume tools a read-only server dropped", () => {
    const readOnlyServer = selectTools(all, { readOnly: true });
    const picked = narrowSelection(readOnlyServer, { readOnly: true, allowConsume: true } satisfies ToolSelection);
    expect(names(picked)).not.toContain("verify_key");
    expect(() => narrowSelection(readOnlyServer, { tools: ["verify_key"] })).toThrow(/is not available on this server/);
  });
});
