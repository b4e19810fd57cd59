/**
 * Drift test: our contract against Unkey's upstream v2 spec, for the operations we carry.
 * Same paths; same request property names, types, required sets, enums and limits; same response
 * `data` property names and types; same error statuses. Deliberate differences live in
 * test/drift-allowlist.yaml with a reason; an entry that no longer occurs fails too.
 *
 * Not compared: limits inside responses (they describe what a server sends; the local API's own
 * responses are checked against our contract in the integration tests) and oneOf/anyOf branches
 * (none occur in the operations we carry).
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { dereference, listOperations, loadContract, type OpenApiDocument } from "../../src/schemas/loader.js";

const REFERENCE = fileURLToPath(new URL("../../../shared/reference/unkey-openapi.yaml", import.meta.url));
const ALLOWLIST = fileURLToPath(new URL("../drift-allowlist.yaml", import.meta.url));
const present = existsSync(REFERENCE);
if (!present) {
  console.warn(`[drift] SKIPPED: reference spec not found at ${REFERENCE} (a clone outside the shared setup)`);
}

type Node = Record<string, unknown>;
const LIMITS = ["minimum", "maximum", "minLength", "maxLength", "pattern", "minItems", "maxItems", "maxProperties", "default"];

function types(n: Node): string {
  const t = n.type;
  return JSON.stringify(Array.isArray(t) ? [...t].sort() : t === undefined ? [] : [t]);
}

/** Differences between two dereferenced schemas, as readable strings. */
function compare(ours: Node, up: Node, at: string, out: string[], withLimits: boolean): void {
  if (types(ours) !== types(up)) out.push(`${at} type: ours ${types(ours)}, upstream ${types(up)}`);
  if (withLimits) {
    for (const k of LIMITS) {
      if (JSON.stringify(ours[k]) !== JSON.stringify(up[k])) {
        out.push(`${at} ${k}: ours ${JSON.stringify(ours[k])}, upstream ${JSON.stringify(up[k])}`);
      }
    }
    const oe = JSON.stringify([...((ours.enum as unknown[]) ?? [])].sort());
    const ue = JSON.stringify([...((up.enum as unknown[]) ?? [])].sort());
    if (oe !== ue) out.push(`${at} enum: ours ${oe}, upstream ${ue}`);
    const or = JSON.stringify([...((ours.required as string[]) ?? [])].sort());
    const ur = JSON.stringify([...((up.required as string[]) ?? [])].sort());
    if (or !== ur) out.push(`${at} required: ours ${or}, upstream ${ur}`);
  }
  const op = (ours.properties ?? {}) as Record<string, Node>;
  const uppr = (up.properties ?? {}) as Record<string, Node>;
  for (const name of new Set([...Object.keys(op), ...Object.keys(uppr)])) {
    if (!(name in op)) out.push(`${at}.${name}: missing in ours`);
    else if (!(name in uppr)) out.push(`${at}.${name}: not in upstream`);
    else compare(op[name], uppr[name], `${at}.${name}`, out, withLimits);
  }
  if (ours.items || up.items) {
    if (!ours.items || !up.items) out.push(`${at}[]: items only in ${ours.items ? "ours" : "upstream"}`);
    else compare(ours.items as Node, up.items as Node, `${at}[]`, out, withLimits);
  }
}

function dataOf(schema: Node | undefined): Node {
  return ((schema?.properties as Record<string, Node> | undefined)?.data ?? {}) as Node;
}

describe.skipIf(!present)("contract drift against Unkey's upstream spec", () => {
  const ours = loadContract();
  const upstream = present ? (parse(readFileSync(REFERENCE, "utf8"), { maxAliasCount: -1 }) as OpenApiDocument) : undefined;
  const allow = (parse(readFileSync(ALLOWLIST, "utf8")) as { difference: string; reason: string }[]) ?? [];

  it("has the same paths, request fields, limits, response data and error statuses (41 operations)", () => {
    const doc = upstream!;
    const differences: string[] = [];
    let matched = 0;
    for (const op of listOperations(ours)) {
      const upItem = doc.paths[op.path] as Node | undefined;
      const upOp = upItem?.[op.method] as Node | undefined;
      if (!upOp) {
        differences.push(`${op.operationId}: path ${op.path} not in upstream`);
        continue;
      }
      const upDeref = dereference(upOp, doc) as Node;
      const before = differences.length;
      if (upDeref.operationId !== op.operationId) {
        differences.push(`${op.operationId}: upstream operationId ${String(upDeref.operationId)}`);
      }
      const upReq = ((((upDeref.requestBody as Node)?.content as Node)?.["application/json"] as Node)?.schema ?? {}) as Node;
      compare(op.requestSchema ?? {}, upReq, `${op.operationId} request`, differences, true);
      const upResponses = upDeref.responses as Record<string, Node>;
      const upOk = ((upResponses["200"]?.content as Node)?.["application/json"] as Node)?.schema as Node | undefined;
      compare(dataOf(op.responseSchema), dataOf(upOk), `${op.operationId} response.data`, differences, false);
      const ourStatuses = op.errors.map((e) => e.status);
      const upStatuses = Object.keys(upResponses)
        .map(Number)
        .filter((s) => s >= 400);
      for (const s of ourStatuses.filter((s) => !upStatuses.includes(s))) {
        differences.push(`${op.operationId} errors: ours declares ${s}, upstream does not`);
      }
      for (const s of upStatuses.filter((s) => !ourStatuses.includes(s))) {
        differences.push(`${op.operationId} errors: upstream declares ${s}, ours does not`);
      }
      for (const e of op.errors) {
        const upContent = Object.keys((upResponses[String(e.status)]?.content as Node) ?? {})[0];
        if (upContent && upContent !== e.contentType) {
          differences.push(`${op.operationId} errors: ${e.status} content type ours ${e.contentType}, upstream ${upContent}`);
        }
      }
      const own = differences.slice(before).filter((d) => !allow.some((a) => a.difference === d));
      if (own.length === 0) matched++;
    }
    const unexpected = differences.filter((d) => !allow.some((a) => a.difference === d));
    const stale = allow.filter((a) => !differences.includes(a.difference)).map((a) => a.difference);
    console.log(
      `[drift] ${matched}/${listOperations(ours).length} operations match upstream ` + `(${differences.length - unexpected.length} allow-listed differences)`,
    );
    expect(unexpected, "differences not in test/drift-allowlist.yaml").toEqual([]);
    expect(stale, "allow-list entries that no longer occur").toEqual([]);
    expect(matched).toBe(41);
  });

  it("keeps every allow-list entry justified", () => {
    expect(allow.length).toBeLessThanOrEqual(5);
    for (const entry of allow) expect(entry.reason?.length ?? 0, entry.difference).toBeGreaterThan(20);
  });
});
