/**
 * Stateful (2025-era) MCP sessions: an idle TTL, an owner, and caps that refuse rather than evict.
 *
 * mcp-remote opens a throw-away session on every start and never DELETEs any session, so
 * without a TTL the map only grows. A session holds its transport and server and the hash of
 * the root key that opened it (never the key): a request carrying another key is refused, so a
 * leaked or guessed session id cannot be borrowed, streamed from or closed by anyone else.
 *
 * When the caps are reached, new sessions are refused and live ones are kept: evicting the
 * least recently used one would let a flood of `initialize` requests (with any garbage key)
 * close a legitimate user's idle session.
 */
import { createHash } from "node:crypto";

export interface SessionEntry<T> {
  id: string;
  /** Which endpoint created it; a session id is only valid on that endpoint. */
  endpoint: string;
  /** Hash of the root key that opened the session. */
  owner: string;
  value: T;
  lastSeen: number;
}

export interface SessionStoreOptions<T> {
  ttlMs: number;
  /** Upper bound on open sessions. */
  maxSessions: number;
  /** Upper bound on open sessions of one root key. */
  maxPerOwner: number;
  onEvict: (entry: SessionEntry<T>, why: "expired" | "shutdown") => void;
  onSizeChange?: (endpoint: string, delta: number) => void;
  now?: () => number;
}

/** What a lookup found: the session, none under that id, or one that another key opened. */
export type SessionLookup<T> = { found: true; value: T } | { found: false; reason: "unknown" | "not_owner" };

/** Why a new session cannot be opened now. */
export type CapacityRefusal = "total" | "per_key";

/** The owner tag of a root key: a hash, so a dump of the session map holds no key. */
export function ownerOf(rootKey: string): string {
  return createHash("sha256").update(rootKey).digest("base64url");
}

export class SessionStore<T> {
  // A Map keeps insertion order; touching re-inserts, so the first entry is the least recently used.
  private readonly entries = new Map<string, SessionEntry<T>>();
  /** Open sessions plus reservations (initialize requests in flight), per owner. */
  private readonly perOwner = new Map<string, number>();
  private reserved = 0;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: SessionStoreOptions<T>) {
    this.now = options.now ?? Date.now;
    if (options.ttlMs > 0) {
      const every = Math.max(1_000, Math.min(60_000, Math.floor(options.ttlMs / 2)));
      this.timer = setInterval(() => this.sweep(), every);
      // The sweeper must never keep the process alive on its own.
      this.timer.unref();
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Holds a slot for a session about to be opened by `owner`, or says why there is none. Expired
   * sessions are swept first, so a full store only refuses while its sessions are really live.
   * The caller either `add`s the session (which takes the slot) or `release`s it.
   */
  reserve(owner: string): CapacityRefusal | undefined {
    if (this.entries.size + this.reserved >= this.options.maxSessions) this.sweep();
    if (this.entries.size + this.reserved >= this.options.maxSessions) return "total";
    const mine = this.perOwner.get(owner) ?? 0;
    if (mine >= this.options.maxPerOwner) {
      this.sweep();
      if ((this.perOwner.get(owner) ?? 0) >= this.options.maxPerOwner) return "per_key";
    }
    this.reserved++;
    this.perOwner.set(owner, (this.perOwner.get(owner) ?? 0) + 1);
    return undefined;
  }

  /** Gives back a reservation that did not become a session. */
  release(owner: string): void {
    this.reserved = Math.max(0, this.reserved - 1);
    this.decrementOwner(owner);
  }

  /** Turns a reservation of `owner` into an open session. */
  add(id: string, endpoint: string, owner: string, value: T): void {
    this.reserved = Math.max(0, this.reserved - 1);
    this.entries.set(id, { id, endpoint, owner, value, lastSeen: this.now() });
    this.options.onSizeChange?.(endpoint, 1);
  }

  /**
   * Looks a session up for a request of `owner` on `endpoint` and marks it used. A session of
   * another owner is reported as such (the caller refuses with 403) and is not touched: a
   * stranger's requests must not keep it alive either.
   */
  touch(id: string, endpoint: string, owner: string): SessionLookup<T> {
    const entry = this.entries.get(id);
    if (!entry || entry.endpoint !== endpoint) return { found: false, reason: "unknown" };
    const now = this.now();
    if (this.options.ttlMs > 0 && now - entry.lastSeen > this.options.ttlMs) {
      this.remove(id, "expired");
      return { found: false, reason: "unknown" };
    }
    if (entry.owner !== owner) return { found: false, reason: "not_owner" };
    entry.lastSeen = now;
    this.entries.delete(id);
    this.entries.set(id, entry);
    return { found: true, value: entry.value };
  }

  /** Forgets a session (closed by the client or by its transport) without calling onEvict. */
  forget(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.decrementOwner(entry.owner);
    this.options.onSizeChange?.(entry.endpoint, -1);
  }

  sweep(): number {
    if (this.options.ttlMs <= 0) return 0;
    const cutoff = this.now() - this.options.ttlMs;
    let removed = 0;
    for (const entry of [...this.entries.values()]) {
      if (entry.lastSeen < cutoff) {
        this.remove(entry.id, "expired");
        removed++;
      }
    }
    return removed;
  }

  closeAll(): void {
    if (this.timer) clearInterval(this.timer);
    for (const entry of [...this.entries.values()]) this.remove(entry.id, "shutdown");
  }

  private decrementOwner(owner: string): void {
    const n = (this.perOwner.get(owner) ?? 0) - 1;
    if (n > 0) this.perOwner.set(owner, n);
    else this.perOwner.delete(owner);
  }

  private remove(id: string, why: "expired" | "shutdown"): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.decrementOwner(entry.owner);
    this.options.onSizeChange?.(entry.endpoint, -1);
    this.options.onEvict(entry, why);
  }
}
