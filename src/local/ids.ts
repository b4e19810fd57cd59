/**
 * Ids and key material, as Unkey makes them (behavior doc §4 "IDs and key material").
 */
import { createHash, randomBytes, randomFillSync } from "node:crypto";
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
    const b = nextRandomByte();
    if (b < 248) rand += ALPHABET[b % 62];
  }
  return `${prefix}_${time}${rand}`;
}

/**
 * Random bytes for ids, drawn from the CSPRNG a page at a time (as Node does for randomUUID):
 * every request gets an id, and one randomBytes call per id was a visible share of a verifyKey.
 * Key material (generateKey) does not come from here.
 */
const idEntropy = Buffer.alloc(4096);
let idEntropyPos = idEntropy.length;

function nextRandomByte(): number {
  if (idEntropyPos === idEntropy.length) {
    randomFillSync(idEntropy);
    idEntropyPos = 0;
  }
  return idEntropy[idEntropyPos++] as number;
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
