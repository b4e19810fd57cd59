/**
 * The confirmation guard: decides, for one destructive call, whether it acts now, must be
 * confirmed first, or is refused. Its decision is a neutral value; the executor turns it into a
 * result (src/tools/results.ts) and a protocol layer may turn `ask` into an elicitation instead.
 *
 *   first call            → preview (read calls) → `ask` with a signed, single-use token
 *   call with `confirm`   → token checks → target re-read and compared → ledger claim → `proceed`
 *   --confirm off         → `proceed` at once (the preview still says what changed)
 *
 * Every refusal changes nothing and says why. Anything the guard cannot prove (a forged token, a
 * ledger it cannot reach) refuses: destructive calls fail closed.
 */
import type { UnkeyClient, UnkeyResponse } from "../../client/unkey-client.js";
import type { ToolDefinition } from "../types.js";
import { nodeCrypto } from "../../util/lazy-node.js";
import type { UsedTokenLedger } from "./ledger.js";
import { buildPreview, type Preview } from "./preview.js";
import { digest, openToken, rootKeyFingerprint, signToken, type TokenClaims } from "./token.js";

export type ConfirmMode = "auto" | "token" | "off";
export const CONFIRM_MODES: readonly ConfirmMode[] = ["auto", "token", "off"];

/** What the audit log and the result say about a guarded call. */
export type ConfirmOutcome = "confirmed" | "declined" | "not_asked" | "expired" | "replayed" | "mismatched" | "off" | "unavailable";

export type ConfirmDecision =
  /** Act now. `preview` (when it could be built) says what changes. */
  | { kind: "proceed"; outcome: "confirmed" | "off"; preview?: Preview }
  /** Nothing happens yet: ask the person; the token confirms exactly this call. */
  | { kind: "ask"; preview: Preview; token: string; expiresAt: number }
  | { kind: "refuse"; outcome: ConfirmOutcome; reason: string }
  /** The target could not be read (not found, no permission to read it): answer with that error. */
  | { kind: "unresolved"; response: UnkeyResponse };

export interface GuardedCall {
  tool: ToolDefinition;
  /** Validated arguments, without `confirm`. */
  args: Record<string, unknown>;
  rootKey: string;
  /** The `confirm` argument, when given. */
  token?: string;
  client: UnkeyClient;
  signal?: AbortSignal;
}

export interface ConfirmGuardOptions {
  mode: ConfirmMode;
  /** HMAC key; instances that share it honour each other's tokens. Absent: a random one, made on first use. */
  secret?: Buffer;
  ttlMs: number;
  ledger: UsedTokenLedger;
  /** Injected in unit tests. */
  now?: () => number;
}

/** What the person answered through a channel (elicitation form, `input_required`). */
export interface ConfirmAnswer {
  action: "accept" | "decline" | "cancel";
  /** For previews with `typeToConfirm`: what the person typed. */
  typedName?: string;
  /** Accepted but with the box unticked: counts as declined. */
  confirmed?: boolean;
}

/**
 * How a protocol layer asks the person. The guard's `ask` decision goes to `ask`; a channel
 * that cannot ask (no capability, no back-channel, no answer in time, cancelled) answers
 * `not_asked` and the caller falls back to the token result.
 */
export interface ConfirmChannel {
  ask(request: { tool: string; preview: Preview; token: string; expiresAt: number }): Promise<ChannelReply>;
}

/**
 * `answer`: the person answered within this call (2025 `elicitation/create`). `pending`: the
 * question goes out with this call's result and the answer comes with a retry (2026-07-28
 * `input_required`; the protocol layer turns the token result into it). `not_asked`: fall back
 * to the token result.
 */
export type ChannelReply = { kind: "answer"; answer: ConfirmAnswer } | { kind: "pending" } | { kind: "not_asked"; why: string };

export interface ConfirmGuard {
  readonly mode: ConfirmMode;
  readonly ttlMs: number;
  decide(call: GuardedCall): Promise<ConfirmDecision>;
  /**
   * The person's answer to a question asked with `token` (as requestState or through an
   * elicitation): accept → the token's checks, then `proceed`; decline or a wrong typed name →
   * refused and the token burnt; cancel → `ask` again with the same token (not asked).
   */
  answered(call: GuardedCall & { token: string; answer: ConfirmAnswer; preview?: Preview }): Promise<ConfirmDecision>;
  /** True when `state` is a token this guard signed (the `requestState` integrity check). */
  verifyState(state: string): boolean;
  close(): Promise<void>;
}

export function createConfirmGuard(opts: ConfirmGuardOptions): ConfirmGuard {
  const now = opts.now ?? Date.now;
  let key = opts.secret;
  const secret = (): Buffer => {
    key ??= nodeCrypto().randomBytes(32);
    return key;
  };

  // When a person declined a call (or typed the wrong name), by call: tool, arguments and root
  // key. A token for that call issued before then is refused, so a token the model kept from an
  // earlier question (cancelled, unanswered) cannot act after the person said no. In this process
  // only; entries go once every token issued before them has expired.
  const declinedAt = new Map<string, number>();
  const callOf = (c: { tool: string; args: string; key: string }): string => `${c.tool}\u0000${c.args}\u0000${c.key}`;
  const noteDeclined = (claims: TokenClaims): void => {
    const t = now();
    for (const [call, at] of declinedAt) if (at + opts.ttlMs < t) declinedAt.delete(call);
    declinedAt.set(callOf(claims), t);
  };

  const decide = async (call: GuardedCall): Promise<ConfirmDecision> => {
    const { tool, args, rootKey } = call;
    if (opts.mode === "off") {
      // Trusted automation: act at once; a preview only feeds "what changed" and may fail.
      const p = await buildPreview(tool, args, call).catch(() => undefined);
      return { kind: "proceed", outcome: "off", ...(p?.ok ? { preview: p.preview } : {}) };
    }
    if (call.token === undefined) {
      const p = await buildPreview(tool, args, call);
      if (!p.ok) return { kind: "unresolved", response: p.response };
      const expiresAt = now() + opts.ttlMs;
      const token = signToken(
        {
          tool: tool.name,
          args: digest(args),
          target: digest(p.state),
          key: rootKeyFingerprint(rootKey),
          exp: expiresAt,
          nonce: nodeCrypto().randomBytes(12).toString("base64url"),
        },
        secret(),
      );
      return { kind: "ask", preview: p.preview, token, expiresAt };
    }

    const claims = openToken(call.token, secret());
    if (!claims) return refuse("mismatched", "the confirm token is not one this server issued (altered, cut short, or signed with another secret)");
    if (claims.tool !== tool.name) return refuse("mismatched", `the token confirms ${claims.tool}, not ${tool.name}`);
    if (claims.args !== digest(args)) return refuse("mismatched", "the token was issued for other arguments; a token confirms exactly the previewed call");
    if (claims.key !== rootKeyFingerprint(rootKey)) return refuse("mismatched", "the token was issued to another root key");
    if (claims.exp <= now()) return refuse("expired", `the token expired at ${new Date(claims.exp).toISOString()}`);
    const declined = declinedAt.get(callOf(claims));
    if (declined !== undefined && claims.exp - opts.ttlMs <= declined) {
      return refuse("declined", "the person declined this call after this token was issued; call again without confirm for a new preview");
    }
    try {
      if (await opts.ledger.isUsed(claims.nonce)) return refuse("replayed", "the token was already used; each token confirms one call");
    } catch (err) {
      return unavailable(err);
    }
    const p = await buildPreview(tool, args, call);
    if (!p.ok) return refuse("mismatched", `the target changed since the preview: reading it now answers ${p.response.status}`);
    if (digest(p.state) !== claims.target) return refuse("mismatched", "the target changed since the preview (another change happened in between)");
    // Checked again after the read: the ledger may forget a nonce once its token has expired.
    if (claims.exp <= now()) return refuse("expired", `the token expired at ${new Date(claims.exp).toISOString()}`);
    try {
      if (!(await opts.ledger.claim(claims.nonce, claims.exp))) return refuse("replayed", "the token was already used; each token confirms one call");
    } catch (err) {
      return unavailable(err);
    }
    return { kind: "proceed", outcome: "confirmed", preview: p.preview };
  };

  const answered: ConfirmGuard["answered"] = async (call) => {
    const { answer } = call;
    const claims = openToken(call.token, secret());
    // The question may come back in another request (2026-07-28 retry): rebuild what it showed.
    let preview = call.preview;
    if (preview === undefined) {
      const p = await buildPreview(call.tool, call.args, call);
      if (!p.ok) return { kind: "unresolved", response: p.response };
      preview = p.preview;
    }
    // Cancelled, or accepted without what the form asked for (no `confirm: true` ticked, no
    // name typed): not asked. The token stays valid for the text channel. A 2025 client's answer
    // is checked against the form by the SDK, but an accept may come without content, and a
    // 2026-07-28 input response is not checked at all: nothing but an explicit answer confirms.
    const unanswered = answer.action === "accept" && (preview.typeToConfirm === undefined ? answer.confirmed === undefined : answer.typedName === undefined);
    if (answer.action === "cancel" || unanswered) {
      if (!claims) return refuse("mismatched", "the confirm token is not one this server issued (altered, cut short, or signed with another secret)");
      return { kind: "ask", preview, token: call.token, expiresAt: claims.exp };
    }
    const burn = async (outcome: ConfirmOutcome, reason: string): Promise<ConfirmDecision> => {
      // A refused answer uses the question up (the same state cannot be answered again), and any
      // earlier token for the same call with it.
      if (claims) {
        noteDeclined(claims);
        await opts.ledger.claim(claims.nonce, claims.exp).catch(() => undefined);
      }
      return refuse(outcome, reason);
    };
    if (answer.action === "decline" || answer.confirmed === false) return burn("declined", "the person declined");
    if (preview.typeToConfirm !== undefined && answer.typedName?.trim() !== preview.typeToConfirm) {
      return burn("mismatched", `the typed name did not match ${JSON.stringify(preview.typeToConfirm)}`);
    }
    return decide({ ...call, token: call.token });
  };

  const verifyState = (state: string): boolean => openToken(state, secret()) !== undefined;

  return { mode: opts.mode, ttlMs: opts.ttlMs, decide, answered, verifyState, close: () => opts.ledger.close() };
}

function refuse(outcome: ConfirmOutcome, reason: string): ConfirmDecision {
  return { kind: "refuse", outcome, reason };
}

function unavailable(err: unknown): ConfirmDecision {
  const why = err instanceof Error ? err.message : String(err);
  return refuse("unavailable", `the server cannot check that the token is unused (ledger: ${why}); try again shortly`);
}
