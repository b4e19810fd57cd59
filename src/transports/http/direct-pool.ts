/**
 * Connected servers for the direct HTTP paths (modern-direct.ts for 2026-07-28, legacy-direct.ts
 * for 2025 `--stateless`): one request at a time per server, reused across requests.
 *
 * Building and connecting a server per request, then tearing it down, cost about as much CPU as
 * the call itself. A server keeps no per-request state between calls on these paths (auth,
 * envelope and signal travel with each message), and a lane whose call was abandoned (the
 * client went away) is closed, never reused.
 */
import type { AuthInfo, JSONRPCMessage, JSONRPCRequest, MessageExtraInfo, Server as McpServer, Transport } from "@modelcontextprotocol/server";

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Whether a message the server sends is an answer (a result or an error for a request id). What
 * a server sends is the SDK's own making, so its shape is checked, not parsed: the SDK's guards
 * parse with zod, which was a measurable part of each call on these paths.
 */
export function isAnswer(message: JSONRPCMessage): message is JSONRPCMessage & { id: JSONRPCRequest["id"] } {
  return "id" in message && ("result" in message || "error" in message);
}

/** A transport that carries one request at a time in and its answer out. */
export interface LaneTransport extends Transport {
  dispatch(message: JSONRPCRequest, extra: MessageExtraInfo): Promise<JSONRPCMessage | undefined>;
}

/**
 * The in-flight bookkeeping of a lane transport. Each dispatch carries a request id of the lane's
 * own (the pool puts the client's back on the answer), so a request can never meet the leftovers
 * of an earlier one with the same id. Anything but the answer (a notification a handler sends
 * during the call) is dropped, as in the SDK's JSON response mode.
 */
export class LaneChannel {
  private pending: { id: number; resolve: (answer: JSONRPCMessage | undefined) => void } | undefined;
  private seq = 0;
  private ended = false;

  dispatch(message: JSONRPCRequest, deliver: (message: JSONRPCRequest) => void): Promise<JSONRPCMessage | undefined> {
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.pending = { id, resolve };
      deliver({ ...message, id });
    });
  }

  /** Takes the server's answer to the request in flight; anything else is dropped. */
  settle(message: JSONRPCMessage): void {
    const p = this.pending;
    if (!p || !isAnswer(message) || message.id !== p.id) return;
    this.pending = undefined;
    p.resolve(message);
  }

  /** Ends the lane (a call still in flight resolves undefined); true the first time. */
  end(): boolean {
    if (this.ended) return false;
    this.ended = true;
    const p = this.pending;
    this.pending = undefined;
    p?.resolve(undefined);
    return true;
  }
}

/** What a direct path answers: the JSON body the SDK would send with a 200. */
export interface DirectAnswer {
  status: number;
  body: string;
}

interface Lane {
  server: McpServer;
  transport: LaneTransport;
}

/**
 * How many idle servers all pools of an HTTP server may keep between them. Each distinct tool
 * list (a request's narrowing) has its own pool, and a client choosing many narrowings must not
 * be able to make the process hold a server for each: past the budget a finished lane is closed
 * instead of kept, as if it had been built for that one request.
 */
export class LaneBudget {
  private used = 0;

  constructor(readonly max: number) {}

  /** Reserves room for one idle lane; false when the budget is spent. */
  take(): boolean {
    if (this.used >= this.max) return false;
    this.used++;
    return true;
  }

  give(): void {
    this.used = Math.max(0, this.used - 1);
  }
}

export class DirectServerPool<R extends { message: JSONRPCRequest }> {
  private readonly idle: Lane[] = [];
  private closed = false;

  /**
   * `open` builds and connects a lane for a request (the first it serves); `extraOf` is what each
   * request hands the server besides its auth; `budget` bounds the idle lanes of all pools.
   */
  constructor(
    private readonly open: (first: R) => Promise<Lane>,
    private readonly extraOf: (request: R) => Omit<MessageExtraInfo, "authInfo">,
    private readonly budget: LaneBudget,
  ) {}

  /**
   * Serves one request. Resolves undefined when the client went away before the answer
   * (`onAbort`'s stop was called), so nothing is written.
   */
  async serve(request: R, authInfo: AuthInfo, onAbort: (stop: () => void) => void): Promise<DirectAnswer | undefined> {
    const lane = this.takeIdle() ?? (await this.open(request));
    let abandoned = false;
    let done = false;
    onAbort(() => {
      if (done) return; // the lane may already serve someone else
      abandoned = true;
      void lane.transport.close();
    });
    const answer = await lane.transport.dispatch(request.message, { ...this.extraOf(request), authInfo });
    done = true;
    if (abandoned || answer === undefined) {
      await lane.server.close().catch(() => undefined);
      return undefined;
    }
    if (!this.closed && this.budget.take()) this.idle.push(lane);
    else await lane.server.close().catch(() => undefined);
    (answer as { id: JSONRPCRequest["id"] }).id = request.message.id;
    return { status: 200, body: JSON.stringify(answer) };
  }

  /** Closes the idle lanes and keeps no more (the pool's tool list is no longer cached). */
  close(): void {
    this.closed = true;
    for (const lane of this.idle.splice(0)) {
      this.budget.give();
      void lane.server.close().catch(() => undefined);
    }
  }

  private takeIdle(): Lane | undefined {
    const lane = this.idle.pop();
    if (lane) this.budget.give();
    return lane;
  }
}
