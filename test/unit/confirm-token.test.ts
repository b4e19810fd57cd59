/**
 * Confirmation tokens and the in-memory ledger, without any server.
 */
import { describe, expect, it } from "vitest";
import { memoryLedger } from "../../src/tools/confirm/ledger.js";
import { canonicalJson, digest, openToken, rootKeyFingerprint, signToken, type TokenClaims } from "../../src/tools/confirm/token.js";

const SECRET = Buffer.from("unit-test-secret-0123456789abcdef");
const claims: TokenClaims = {
  tool: "delete_key",
  args: digest({ keyId: "key_1" }),
  target: digest({ a: 1 }),
  key: rootKeyFingerprint("root"),
  exp: 1_000,
  nonce: "n1",
};

describe("tokens", () => {
  it("canonical JSON ignores key order at every depth, not array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(digest({ x: 1, y: 2 })).toBe(digest({ y: 2, x: 1 }));
    expect(digest({ x: [1, 2] })).not.toBe(digest({ x: [2, 1] }));
  });

  it("open what they sign, and nothing altered, cut, or signed with another secret", () => {
    const t = signToken(claims, SECRET);
    expect(openToken(t, SECRET)).toEqual(claims);
    expect(openToken(t, Buffer.from("another-secret-0123456789abcdef"))).toBeUndefined();
    const [p, body, mac] = t.split(".");
    const forged = Buffer.from(JSON.stringify(["delete_api", claims.args, claims.target, claims.key, claims.exp, claims.nonce])).toString("base64url");
    expect(openToken(`${p}.${forged}.${mac}`, SECRET)).toBeUndefined();
    expect(openToken(`${p}.${body}`, SECRET)).toBeUndefined();
    expect(openToken("", SECRET)).toBeUndefined();
    expect(openToken("uc1.%%%.%%%", SECRET)).toBeUndefined();
  });

  it("name a root key by a fingerprint that does not contain it", () => {
    const fp = rootKeyFingerprint("unkey_supersecretrootkey");
    expect(fp).toMatch(/^rk_[0-9a-f]{16}$/);
    expect(fp).not.toContain("supersecret");
  });
});

describe("memory ledger", () => {
  it("claims a nonce once", async () => {
    const l = memoryLedger();
    expect(await l.isUsed("a")).toBe(false);
    expect(await l.claim("a", Date.now() + 1000)).toBe(true);
    expect(await l.claim("a", Date.now() + 1000)).toBe(false);
    expect(await l.isUsed("a")).toBe(true);
  });

  it("forgets nonces a minute past their expiry (bounded memory), never sooner", async () => {
    let t = 0;
    const l = memoryLedger(() => t);
    await l.claim("keep", 100_000);
    for (let i = 0; i < 600; i++) await l.claim(`old${i}`, 5);
    // Expired, but a call that checked the token just before may still be claiming it.
    t = 100;
    for (let i = 0; i < 300; i++) await l.claim(`mid${i}`, 100_000);
    expect(await l.isUsed("old0")).toBe(true);
    t = 60_100;
    for (let i = 0; i < 300; i++) await l.claim(`new${i}`, 100_000);
    expect(await l.isUsed("old0")).toBe(false);
    expect(await l.isUsed("keep")).toBe(true);
    expect(await l.claim("keep", 100_000)).toBe(false);
  });
});
