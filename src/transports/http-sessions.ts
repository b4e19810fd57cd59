/**
 * Stateful MCP sessions with an idle TTL.
 *
 * mcp-remote opens a throw-away session on every start and never DELETEs any session, so
 * without a TTL the map only grows. A session holds its transport and server, never a root
 * key: keys are read from each request.
 */

export interface SessionEntry<T> {
  id: string;
  /** Which endpoint created it; a session id is only valid on that endpoint. */
  endpoint: string;
  value: T;
  lastSeen: number;
}

export interface SessionStoreOptions<T> {
  ttlMs: number;
  /** Upper bound on open sessions; the least recently used one is closed to make room. */
  maxSessions: number;
  onEvict: (entry: SessionEntry<T>, why: "expired" | "capacity" | "shutdown") => void;
  onSizeChange?: (endpoint: string, delta: number) => void;
  now?: () => number;
}

export class SessionStore<T> {
  // A Map keeps insertion order; touching re-inserts, so the first entry is the least recently used.
  private readonly entries = new Map<string, SessionEntry<T>>();
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

  add(id: string, endpoint: string, value: T): void {
    while (this.entries.size >= this.options.maxSessions) {
      const oldest = this.entries.values().next().value;
      if (!oldest) break;
      this.remove(oldest.id, "capacity");
    }
    this.entries.set(id, { id, endpoint, value, lastSeen: this.now() });
    this.options.onSizeChange?.(endpoint, 1);
  }

  /** Looks a session up for a request on `endpoint` and marks it used; expired ones are gone. */
  touch(id: string, endpoint: string): T | undefined {
    const entry = this.entries.get(id);
    if (!entry || entry.endpoint !== endpoint) return undefined;
    const now = this.now();
    if (this.options.ttlMs > 0 && now - entry.lastSeen > this.options.ttlMs) {
      this.remove(id, "expired");
      return undefined;
    }
    entry.lastSeen = now;
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.value;
  }

  /** Forgets a session (closed by the client or by its transport) without calling onEvict. */
  forget(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
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

  private remove(id: string, why: "expired" | "capacity" | "shutdown"): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.options.onSizeChange?.(entry.endpoint, -1);
    this.options.onEvict(entry, why);
  }
}
