/**
 * Confirmation tokens: an HMAC-SHA256 over what the person saw and agreed to.
 *
 * A token binds the tool, a digest of the canonical arguments, the target's fingerprint (a digest
 * of the state the preview was built from), a fingerprint of the root key, an expiry and a
 * nonce. The nonce is what the single-use ledger records. The payload is readable (base64url
 * JSON, no secret in it); only the server secret can make a valid MAC, so instances that share
 * the secret honour each other's tokens.
 */
import { nodeCrypto } from "../../util/lazy-node.js";

export interface TokenClaims {
  /** Tool name. */
  tool: string;
  /** Digest of the canonical arguments (without `confirm`). */
  args: string;
  /** Digest of the resolved target state. */
  target: string;
  /** Fingerprint of the root key the preview was made with. */
  key: string;
  /** Unix ms after which the token is refused. */
  exp: number;
  /** Random id, recorded once when the token is used. */
  nonce: string;
}

const PREFIX = "uc1";

/** JSON with object keys sorted at every depth: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** A short sha256 digest (base64url, 128 bits) of a value's canonical JSON. */
export function digest(value: unknown): string {
  return nodeCrypto().createHash("sha256").update(canonicalJson(value)).digest("base64url").slice(0, 22);
}

/** Names a root key in tokens and the audit log without revealing it. */
export function rootKeyFingerprint(rootKey: string): string {
  return `rk_${nodeCrypto().createHash("sha256").update(rootKey).digest("hex").slice(0, 16)}`;
}

export function signToken(claims: TokenClaims, secret: Buffer): string {
  const body = Buffer.from(JSON.stringify([claims.tool, claims.args, claims.target, claims.key, claims.exp, claims.nonce])).toString("base64url");
  const mac = nodeCrypto().createHmac("sha256", secret).update(`${PREFIX}.${body}`).digest("base64url");
  return `${PREFIX}.${body}.${mac}`;
}

/** The claims of a token whose MAC is valid; undefined for anything forged, cut or malformed. */
export function openToken(token: string, secret: Buffer): TokenClaims | undefined {
  const parts = token.trim().split(".");
  if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
  const expected = nodeCrypto().createHmac("sha256", secret).update(`${PREFIX}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], "base64url");
  if (given.length !== expected.length || !nodeCrypto().timingSafeEqual(given, expected)) return undefined;
  try {
    const raw: unknown = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    if (!Array.isArray(raw) || raw.length !== 6) return undefined;
    const [tool, args, target, key, exp, nonce] = raw as unknown[];
    if (
      typeof tool !== "string" ||
      typeof args !== "string" ||
      typeof target !== "string" ||
      typeof key !== "string" ||
      typeof exp !== "number" ||
      typeof nonce !== "string"
    ) {
      return undefined;
    }
    return { tool, args, target, key, exp, nonce };
  } catch {
    return undefined;
  }
}
