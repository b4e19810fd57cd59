/**
 * The used-token ledger: a token's nonce is claimed once, atomically, before the call acts.
 *
 * In memory by default (one process). With a Redis URL the ledger is shared, so instances that
 * share the confirmation secret honour a token exactly once between them: `SET key 1 NX PXAT exp`
 * succeeds for exactly one caller. The Redis client is loaded on first use, so servers without
 * Redis never import it.
 */

export interface UsedTokenLedger {
  /** True when the nonce was already claimed (a cheap pre-check for a clear "replayed"). */
  isUsed(nonce: string): Promise<boolean>;
  /** Claims the nonce until `expiresAt` (unix ms); false when someone claimed it first. */
  claim(nonce: string, expiresAt: number): Promise<boolean>;
  close(): Promise<void>;
  /** For logs: "memory" or the Redis URL without credentials. */
  readonly where: string;
}

export function memoryLedger(now: () => number = Date.now): UsedTokenLedger {
  const used = new Map<string, number>();
  let claims = 0;
  const prune = (): void => {
    const t = now();
    // A minute past expiry, as in Redis: a call that checked the token just before it expired may
    // still be claiming it.
    for (const [n, exp] of used) if (exp + 60_000 < t) used.delete(n);
  };
  return {
    where: "memory",
    isUsed: async (nonce) => used.has(nonce),
    claim: async (nonce, expiresAt) => {
      // Entries of long-expired tokens can go: an expired token is refused before the ledger is
      // asked, and again just before it is claimed.
      if (++claims % 256 === 0) prune();
      if (used.has(nonce)) return false;
      used.set(nonce, expiresAt);
      return true;
    },
    close: async () => undefined,
  };
}

const KEY_PREFIX = "unkey-mcp:confirm:used:";

interface MinimalRedis {
  connect(): Promise<unknown>;
  exists(key: string): Promise<number>;
  set(key: string, value: string, options: { condition: "NX"; expiration: { type: "PXAT"; value: number } }): Promise<string | null>;
  close(): Promise<unknown>;
  on(event: "error", listener: (err: Error) => void): unknown;
}

/**
 * A ledger in Redis. Connection problems surface as thrown errors: the guard then refuses the
 * call (it cannot prove single use), it never acts without the check.
 */
export async function redisLedger(url: string, onError: (err: Error) => void): Promise<UsedTokenLedger> {
  // A CommonJS package: Node's ESM loader may expose its exports only under `default`.
  const mod = (await import("@redis/client")) as typeof import("@redis/client") & { default?: typeof import("@redis/client") };
  const createClient = mod.createClient ?? mod.default?.createClient;
  // No offline queue: while Redis is unreachable a check fails at once (and the call is
  // refused) instead of waiting for a reconnect.
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 5000, reconnectStrategy: (retries: number) => Math.min(retries * 200, 2000) },
  }) as unknown as MinimalRedis;
  client.on("error", onError);
  await client.connect();
  return {
    where: redactUrl(url),
    isUsed: async (nonce) => (await client.exists(KEY_PREFIX + nonce)) > 0,
    claim: async (nonce, expiresAt) => {
      // PXAT in the past would be rejected; keep the record a little past the token's expiry.
      const until = Math.max(expiresAt, Date.now()) + 60_000;
      const r = await client.set(KEY_PREFIX + nonce, "1", { condition: "NX", expiration: { type: "PXAT", value: until } });
      return r === "OK";
    },
    close: async () => {
      await client.close().catch(() => undefined);
    },
  };
}

/** A Redis URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "redis";
  }
}
