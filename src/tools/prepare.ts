/**
 * What the executor does to arguments before validating them against the API's schema: the
 * MCP-side meaning of a few contract marks (docs/x-mcp.md, "Schema marks").
 *
 * - `x-mcp-time`: a time or duration a model may write as ISO 8601 becomes the unix ms or
 *   milliseconds the API expects (src/tools/times.ts);
 * - `x-mcp-default`: an omitted field gets the value MCP callers mean (the API's own default may
 *   differ: an omitted `autoApply` means "apply this limit on every verification");
 * - free-form objects (`meta`, …) are held to FREE_FORM_LIMITS.
 *
 * Rules are collected once per tool from its request schema (by the generator and defineTool)
 * and applied to a copy of the arguments, so the caller's object is never changed.
 */
import { freeFormProblem, isFreeFormSchema, isObject, FREE_FORM_LIMITS } from "../schemas/json-schema.js";
import type { JsonSchema } from "../schemas/loader.js";
import type { FieldProblem } from "./arguments.js";
import { TIME_KINDS, toDurationMs, toUnixMs, type TimeKind } from "./times.js";
import type { ArgumentRule } from "./types.js";

export type { ArgumentRule };

export type Prepared = { ok: true; args: Record<string, unknown> } | { ok: false; problems: FieldProblem[] };

/** The rules a request schema's marks imply, in schema order. */
export function collectArgumentRules(schema: JsonSchema): ArgumentRule[] {
  const rules: ArgumentRule[] = [];
  const walk = (node: JsonSchema, path: string, depth: number): void => {
    if (depth > 32) return;
    if (path !== "") {
      const rule: ArgumentRule = { path };
      const time = node["x-mcp-time"];
      if (typeof time === "string" && (TIME_KINDS as readonly string[]).includes(time)) {
        rule.time = time as TimeKind;
        if (typeof node.minimum === "number") rule.minimum = node.minimum;
      }
      if ("x-mcp-default" in node) rule.default = node["x-mcp-default"];
      if (isFreeFormSchema(node)) rule.freeForm = true;
      if (rule.time !== undefined || "default" in rule || rule.freeForm) rules.push(rule);
    }
    const props = isObject(node.properties) ? node.properties : {};
    for (const [name, sub] of Object.entries(props)) if (isObject(sub)) walk(sub, path ? `${path}.${name}` : name, depth + 1);
    if (isObject(node.items)) walk(node.items, `${path}[]`, depth + 1);
  };
  walk(schema, "", 0);
  return rules;
}

/** Applies `rules` to a copy of `args`; every problem names its field. */
export function prepareArguments(rules: readonly ArgumentRule[] | undefined, args: Record<string, unknown>, now: number): Prepared {
  if (!rules || rules.length === 0) return { ok: true, args };
  // Limits first, on the caller's object: copying a value nested thousands of levels deep is
  // exactly the recursion the limit exists to avoid.
  const problems: FieldProblem[] = [];
  for (const rule of rules) {
    if (!rule.freeForm) continue;
    forEachSlot(args, rule.path, (holder, key, field) => {
      const value = holder[key];
      if (value === null || typeof value !== "object") return;
      const problem = freeFormProblem(value);
      if (problem) {
        problems.push({
          field,
          problem,
          expected: `an object at most ${FREE_FORM_LIMITS.maxDepth} levels deep and ${FREE_FORM_LIMITS.maxBytes} bytes as JSON`,
          given: "a larger object",
        });
      }
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  const copy = structuredCopy(args);
  if (!copy.ok) return { ok: false, problems: [copy.problem] };
  const out = copy.value;
  for (const rule of rules) {
    if (rule.time === undefined && !("default" in rule)) continue;
    forEachSlot(out, rule.path, (holder, key, field) => {
      const present = Object.hasOwn(holder, key) && holder[key] !== undefined;
      if (!present) {
        if ("default" in rule) holder[key] = structuredClone(rule.default);
        return;
      }
      const value = holder[key];
      if (rule.time === undefined || value === null) return;
      const converted = rule.time === "duration" ? toDurationMs(value, rule.minimum) : toUnixMs(value, rule.time, now);
      if (converted.ok) holder[key] = converted.value;
      else problems.push({ field, problem: converted.problem, expected: converted.expected, given: JSON.stringify(value) ?? String(value) });
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, args: out };
}

/**
 * A deep copy of the arguments, refusing what JSON cannot carry (a cycle, a BigInt): such a value
 * can never be sent, so it is an argument problem, not a network failure.
 */
function structuredCopy(args: Record<string, unknown>): { ok: true; value: Record<string, unknown> } | { ok: false; problem: FieldProblem } {
  try {
    return { ok: true, value: JSON.parse(JSON.stringify(args)) as Record<string, unknown> };
  } catch (err) {
    return {
      ok: false,
      problem: {
        field: "(arguments)",
        problem: `cannot be serialised as JSON (${err instanceof Error ? err.message : String(err)})`,
        expected: "plain JSON values",
        given: "a value JSON cannot carry",
      },
    };
  }
}

/** Calls `visit` for every place `path` names in `root` (every item for `[]` steps). */
function forEachSlot(root: Record<string, unknown>, path: string, visit: (holder: Record<string, unknown>, key: string, field: string) => void): void {
  const segments = path.split(".").flatMap((s) => {
    const parts: string[] = [];
    let rest = s;
    while (rest.endsWith("[]")) {
      parts.unshift("[]");
      rest = rest.slice(0, -2);
    }
    return [rest, ...parts].filter((p) => p !== "");
  });
  const step = (node: unknown, i: number, field: string): void => {
    const seg = segments[i];
    const last = i === segments.length - 1;
    if (seg === "[]") {
      if (!Array.isArray(node)) return;
      node.forEach((item, index) => {
        step(item, i + 1, `${field}[${index}]`);
      });
      return;
    }
    if (!isObject(node)) return;
    const name = field === "" ? seg : `${field}.${seg}`;
    if (last) visit(node, seg, name);
    else step(node[seg], i + 1, name);
  };
  // `[]` at the end of a path (an array of free-form objects) visits each item through its holder.
  if (segments[segments.length - 1] === "[]") {
    const parentPath = segments.slice(0, -1);
    const walkTo = (node: unknown, i: number, field: string): void => {
      if (i === parentPath.length) {
        if (Array.isArray(node)) {
          node.forEach((_, index) => {
            visit(node as unknown as Record<string, unknown>, String(index), `${field}[${index}]`);
          });
        }
        return;
      }
      const seg = parentPath[i];
      if (seg === "[]") {
        if (Array.isArray(node)) {
          node.forEach((item, index) => {
            walkTo(item, i + 1, `${field}[${index}]`);
          });
        }
        return;
      }
      if (isObject(node)) walkTo(node[seg], i + 1, field === "" ? seg : `${field}.${seg}`);
    };
    walkTo(root, 0, "");
    return;
  }
  step(root, 0, "");
}
