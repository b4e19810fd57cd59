/**
 * Ids and key material, as Unkey makes them (behavior doc §4 "IDs and key material").
 */
import { createHash, randomBytes } from "node:crypto";
import bs58 from "bs58";

export type IdPrefix = "key" | "api" | "ks" | "req" | "id" | "rl" | "rlns" | "rlor" | "perm" | "role" | "ws" | "mig";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const TIME_CHARS = 7;
const RANDOM_CHARS = 9;

/**
 * `<prefix>_` + 16 chars of [0-9A-Za-z]: 7 chars of the creation time (ms, base62, fixed width)
 * followed by Unkey's 9 random chars. Unkey's own ids are 9 random chars; the time prefix is our
 * addition so that lists (ordered by id, cursor = id) come back in creation order and ids made in
 * a burst never collide in practice. ASCII order of ALPHABET equals its index order, so string
 * comparison (SQLite's default BINARY collation) sorts by time.
 */
export function newId(prefix: IdPrefix): string {
  let t = Date.now();
  let time = "";
  for (let i = 0; i < TIME_CHARS; i++) {
    time = ALPHABET[t % 62] + time;
    t = Math.floor(t / 62);
  }
  // Rejection sampling keeps the 62 characters uniform (bytes >= 248 are redrawn).
  let rand = "";
  while (rand.length < RANDOM_CHARS) {
    for (const b of randomBytes(RANDOM_CHARS + 4)) {
      if (b < 248 && rand.length < RANDOM_CHARS) rand += ALPHABET[b % 62];
    }
  }
  return `${prefix}_${time}${rand}`;
}

/** `<prefix>_<base58(byteLength random bytes)>`, or the bare base58 string without a prefix. */
export function generateKey(prefix: string | undefined | null, byteLength: number): string {
  const body = bs58.encode(randomBytes(byteLength));
  return prefix ? `${prefix}_${body}` : body;
}

/** Standard base64 (with padding) of sha256(key): 44 characters, Unkey's lookup hash. */
export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("base64");
}

/** `<prefix>_` + the first 4 characters after it, or the first 4 characters without a prefix. */
export function keyStart(key: string, prefix?: string | null): string {
  if (prefix) return `${prefix}_${key.slice(prefix.length + 1, prefix.length + 5)}`;
  return key.slice(0, 4);
}
