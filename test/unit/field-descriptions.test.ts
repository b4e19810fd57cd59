/**
 * Every input field a model could misread carries a description. The fields that carry none are
 * listed here by name with the reason they need nothing; the README repeats each reason
 * ("Fields without a description"), and a new undescribed field fails until it is described or
 * argued for in both places.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { tool, tools } from "../helpers/catalog.js";

/** Field name → why a model cannot misread it. */
const NEEDS_NO_DESCRIPTION: Record<string, string> = {
  apiId: "an id copied from an earlier result; the tool description names the entity",
  keyId: "an id copied from an earlier result; the tool description names the entity",
  roleId: "an id copied from an earlier result; the tool description names the entity",
  cursor: "copied from the previous page; the result's `next` spells out the call",
  limit: "a page size in list tools; requests per window beside a described `duration` elsewhere",
  name: "a display name the person chooses",
  description: "free text the person chooses",
  enabled: "a boolean whose name says it; false disables",
  interval: "an enum (daily, monthly) inside a described refill object",
  operation: "an enum (set, increment, decrement) beside a described value",
  ratelimits: "a list whose item fields are described",
  checks: "a list whose item fields are described",
  keys: "a list whose item fields are described",
  credits: "an object whose fields are described",
  amount: "its refill object's description says remaining resets to amount",
  confirm: 'the tool description ends "Previews first; repeat with confirm." and the preview result gives the exact repeat call with its token',
};

function undescribed(): string[] {
  const out: string[] = [];
  const walk = (schema: Record<string, unknown>, path: string): void => {
    const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const [name, sub] of Object.entries(props)) {
      if (typeof sub.description !== "string" || sub.description.trim() === "") out.push(`${path}.${name}`);
      walk(sub, `${path}.${name}`);
      if (sub.items && typeof sub.items === "object") walk(sub.items as Record<string, unknown>, `${path}.${name}[]`);
    }
  };
  for (const t of tools) walk(t.inputSchema, t.name);
  return out;
}

const fieldName = (path: string): string => path.split(".").pop()?.replace(/\[\]$/, "") ?? path;

describe("input field descriptions", () => {
  it("every undescribed field is one the allow-list argues for", () => {
    const unexplained = undescribed().filter((p) => !(fieldName(p) in NEEDS_NO_DESCRIPTION));
    expect(unexplained).toEqual([]);
  });

  it("the allow-list has no stale entries", () => {
    const used = new Set(undescribed().map(fieldName));
    expect(Object.keys(NEEDS_NO_DESCRIPTION).filter((n) => !used.has(n))).toEqual([]);
  });

  it("the fields the issue named as misread are described", () => {
    const create = tools.find((t) => t.name === "create_key")?.inputSchema.properties as Record<
      string,
      { description?: string; items?: { properties: Record<string, { description?: string }> } }
    >;
    for (const f of ["meta", "roles", "permissions", "prefix", "byteLength", "expires"]) expect(create[f].description, f).toBeTruthy();
    expect(create.ratelimits.items?.properties.autoApply.description).toMatch(/false/);
    const override = tools.find((t) => t.name === "set_ratelimit_override")?.inputSchema.properties as Record<string, { description?: string }>;
    expect(override.identifier.description).toMatch(/wildcard|\*/);
    for (const name of ["query_key_verifications", "query_ratelimit_analytics"]) {
      expect((tool(name).inputSchema.properties as Record<string, { description?: string }>).query.description, name).toBeTruthy();
    }
  });

  it("the README gives each allow-listed field's reason", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("Fields without a description"));
    for (const name of Object.keys(NEEDS_NO_DESCRIPTION)) expect(section, name).toContain(`\`${name}\``);
  });
});
