/**
 * Hints point at real things: every hint template, for every tool, names only tools of the
 * caller's catalog, and every local root-key command it suggests is one the CLI accepts.
 */
import { describe, expect, it } from "vitest";
import type { UnkeyResponse } from "../../src/client/unkey-client.js";
import { checkPermissionString } from "../../src/local/root-keys.js";
import { selectTools } from "../../src/tools/catalog.js";
import { HINT_SITUATIONS, localRootKeyCommand, missingRootKeyHint } from "../../src/tools/hints.js";
import { apiErrorResult } from "../../src/tools/results.js";
import { tool, tools } from "../helpers/catalog.js";

const response = (status: number, error: Record<string, unknown>): UnkeyResponse => ({
  status,
  body: { meta: { requestId: "req_h" }, error: { title: "t", ...error } },
  headers: { "retry-after": "3" },
  attempts: 1,
  requestId: "req_h",
});

/** Snake_case words that are not parts of a permission (`api.*.read_api`) or an identifier. */
function toolNamesIn(text: string): string[] {
  return [...text.matchAll(/(?<![.\w*'"<-])[a-z]+(?:_[a-z]+)+(?![.\w*'"(-]|\.\w)/g)].map((m) => m[0]);
}

const args = { apiId: "api_1", keyId: "key_1", namespace: "ns", identity: "id_1", roles: ["r"], permissions: ["p.*.x"], identifier: "u" };

function hintsFor(catalog: readonly { name: string }[]): Array<{ where: string; hint: string }> {
  const available = new Set(catalog.map((t) => t.name));
  const out: Array<{ where: string; hint: string }> = [];
  for (const t of tools) {
    for (const s of HINT_SITUATIONS) {
      const r = apiErrorResult(t, args, response(s.status, { ...(s.type ? { type: s.type } : {}), ...(s.detail ? { detail: s.detail } : {}) }), { available });
      const hint = (r.structuredContent as { error: { hint?: string } }).error.hint ?? "";
      out.push({ where: `${t.name} ${s.status} ${s.type ?? ""}`, hint });
    }
    out.push({ where: `${t.name} no root key`, hint: missingRootKeyHint(t, {}) });
  }
  return out;
}

describe("hint templates", () => {
  it("the tool-name finder finds tool names and skips permissions (it is not blind)", () => {
    expect(toolNamesIn("call check_ratelimit with {…}; needs `api.*.read_api` and UNKEY_ROOT_KEY")).toEqual(["check_ratelimit"]);
  });

  it("name only tools of the full catalog", () => {
    const all = new Set(tools.map((t) => t.name));
    const bad = hintsFor(tools).flatMap(({ where, hint }) =>
      toolNamesIn(hint)
        .filter((n) => !all.has(n))
        .map((n) => `${where}: ${n}`),
    );
    expect(bad).toEqual([]);
  });

  it("name only tools of a narrowed catalog (the ratelimits profile, and a read-only keys set)", () => {
    for (const narrowed of [selectTools(tools, { profile: "ratelimits" }), selectTools(tools, { toolsets: ["keys"], readOnly: true })]) {
      const names = new Set(narrowed.map((t) => t.name));
      const bad = hintsFor(narrowed).flatMap(({ where, hint }) =>
        toolNamesIn(hint)
          .filter((n) => !names.has(n))
          .map((n) => `${where}: ${n}`),
      );
      expect(bad).toEqual([]);
    }
  });

  it("the missing-namespace hint says to call check_ratelimit once with cost 0, with the exact arguments", () => {
    const r = apiErrorResult(
      tool("set_ratelimit_override"),
      { namespace: "new_ns", identifier: "u", limit: 1, duration: 1000 },
      response(404, { type: "https://unkey.com/docs/errors/unkey/data/ratelimit_namespace_not_found", detail: "This namespace does not exist." }),
      {
        available: new Set(tools.map((t) => t.name)),
      },
    );
    const hint = (r.structuredContent as { error: { hint: string } }).error.hint;
    expect(hint).toContain(
      'call check_ratelimit with {"namespace":"new_ns","identifier":"setup","limit":1,"duration":60000,"cost":0} once (cost 0 spends nothing) to create it',
    );
    expect(hint).not.toMatch(/list tool/);
  });

  it("never promises a list tool for APIs or namespaces", () => {
    for (const { where, hint } of hintsFor(tools)) {
      expect(hint, where).not.toMatch(/a list tool|list_apis|list_namespaces|list_ratelimit_namespaces/);
    }
  });

  it("suggest local root-key commands the CLI accepts", () => {
    const commands = hintsFor(tools).flatMap(({ hint }) => [...hint.matchAll(/`(unkey-mcp local root-key create[^`]*)`/g)].map((m) => m[1]));
    commands.push(...tools.map((t) => localRootKeyCommand(t, args)));
    expect(commands.length).toBeGreaterThan(tools.length);
    for (const command of commands) {
      const permissions = [...command.matchAll(/--permission '([^']+)'/g)].map((m) => m[1]);
      expect(permissions.length, command).toBeGreaterThan(0);
      for (const p of permissions) expect(checkPermissionString(p), `${command}: ${p}`).toBeUndefined();
      // Only flags the CLI knows, and no placeholder left for a person to fill in.
      expect(
        command
          .replace(/ …$/, "")
          .replace(/--permission '[^']+'/g, "")
          .trim(),
        command,
      ).toBe("unkey-mcp local root-key create");
    }
  });
});
