import { describe, expect, it } from "vitest";
import { evaluatePermissionQuery, parsePermissionQuery, PermissionQuerySyntaxError } from "../../src/local/verify/permission-query.js";

function holds(query: string, ...held: string[]): boolean {
  return evaluatePermissionQuery(parsePermissionQuery(query), new Set(held));
}

function syntaxError(query: string): PermissionQuerySyntaxError {
  try {
    parsePermissionQuery(query);
  } catch (e) {
    if (e instanceof PermissionQuerySyntaxError) return e;
    throw e;
  }
  throw new Error(`expected a syntax error for ${JSON.stringify(query)}`);
}

describe("permission query: parsing", () => {
  it("parses a single permission into a leaf", () => {
    expect(parsePermissionQuery("api.read")).toEqual({ kind: "permission", slug: "api.read" });
  });

  it("lets AND bind tighter than OR", () => {
    expect(parsePermissionQuery("a OR b AND c")).toEqual({
      kind: "or",
      left: { kind: "permission", slug: "a" },
      right: { kind: "and", left: { kind: "permission", slug: "b" }, right: { kind: "permission", slug: "c" } },
    });
  });

  it("lets parentheses override precedence", () => {
    expect(parsePermissionQuery("(a OR b) AND c")).toMatchObject({ kind: "and", right: { slug: "c" } });
  });

  it("recognises operators case-insensitively but only as whole words", () => {
    expect(parsePermissionQuery("a and b")).toMatchObject({ kind: "and" });
    expect(parsePermissionQuery("a Or b")).toMatchObject({ kind: "or" });
    expect(parsePermissionQuery("ANDROID OR ORACLE")).toEqual({
      kind: "or",
      left: { kind: "permission", slug: "ANDROID" },
      right: { kind: "permission", slug: "ORACLE" },
    });
    expect(parsePermissionQuery("and.read")).toEqual({ kind: "permission", slug: "and.read" });
  });

  it("accepts letters, digits and . _ - * : / in slugs, and any whitespace between tokens", () => {
    expect(parsePermissionQuery(" \tsystem:admin/v1_x-y.*\n")).toEqual({ kind: "permission", slug: "system:admin/v1_x-y.*" });
  });
});

describe("permission query: syntax errors", () => {
  it.each([
    ["", "Unexpected end of input"],
    ["   ", "Unexpected end of input"],
    ["a AND", "Unexpected end of query"],
    ["OR a", "Unexpected token 'OR' at position 0"],
    ["a b", "Unexpected token 'b' at position 2. The query appears to have extra content"],
    ["()", "Empty parentheses found at position 1"],
    ["(a OR b", "Missing closing parenthesis ')' at position 7"],
    ["a)", "Unexpected token ')' at position 1"],
    ["a AND $b", "Invalid character '$' found in query at position 6"],
    ["a && b", "Invalid character '&'"],
  ])("rejects %j with a message naming the problem", (query, message) => {
    const err = syntaxError(query);
    expect(err.message).toContain(message);
  });

  it("reports the position of the offending token", () => {
    expect(syntaxError("a AND (b OR c").position).toBe(13);
  });
});

describe("permission query: evaluation", () => {
  it("matches a leaf only on the exact slug", () => {
    expect(holds("api.read", "api.read")).toBe(true);
    expect(holds("api.read", "api.read.all", "API.READ")).toBe(false);
  });

  it("treats * as a literal character, not a wildcard", () => {
    expect(holds("documents.read", "documents.*")).toBe(false);
    expect(holds("documents.*", "documents.*")).toBe(true);
    expect(holds("documents.*", "documents.read")).toBe(false);
  });

  it("evaluates AND, OR and grouping", () => {
    expect(holds("a AND b", "a")).toBe(false);
    expect(holds("a AND b", "a", "b")).toBe(true);
    expect(holds("a OR b", "b")).toBe(true);
    expect(holds("a OR b AND c", "a")).toBe(true);
    expect(holds("(a OR b) AND c", "a")).toBe(false);
    expect(holds("(a OR b) AND c", "b", "c")).toBe(true);
    expect(holds("a OR (b AND (c OR d))", "b", "d")).toBe(true);
  });
});
