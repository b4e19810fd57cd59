/**
 * The events the local API records: one row per key verification (`key_verifications`) and one
 * per rate-limit check (`ratelimits`). These two functions are the only writers, so anything that
 * consumes events (analytics) hooks in here. Both run inside the caller's transaction.
 */
import type { Store } from "./store.js";

export interface KeyVerificationEvent {
  requestId: string;
  /** Unix ms (the request's clock). */
  time: number;
  workspaceId: string;
  keySpaceId: string;
  keyId: string;
  /** "" when the key has no live identity. */
  identityId: string;
  externalId: string;
  /** The verification code: VALID, NOT_FOUND, RATE_LIMITED, … */
  outcome: string;
  region: string;
  tags: readonly string[];
  spentCredits: number;
  /** Milliseconds spent verifying. */
  latency: number;
}

export function recordKeyVerification(db: Store, e: KeyVerificationEvent): void {
  db.run(
    `INSERT INTO key_verifications
       (request_id, time, workspace_id, key_space_id, key_id, identity_id, external_id, outcome, region, tags, spent_credits, latency)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    e.requestId,
    e.time,
    e.workspaceId,
    e.keySpaceId,
    e.keyId,
    e.identityId,
    e.externalId,
    e.outcome,
    e.region,
    JSON.stringify(e.tags),
    e.spentCredits,
    e.latency,
  );
}

export interface RatelimitEvent {
  requestId: string;
  /** Unix ms (the request's clock). */
  time: number;
  workspaceId: string;
  namespaceId: string;
  identifier: string;
  passed: boolean;
  latency: number;
  /** "" when no override applied. */
  overrideId: string;
  limit: number;
  remaining: number;
  resetAt: number;
  /** The cost of the check. */
  tokens: number;
}

export function recordRatelimitCheck(db: Store, e: RatelimitEvent): void {
  db.run(
    `INSERT INTO ratelimits
       (request_id, time, workspace_id, namespace_id, identifier, passed, latency, override_id, "limit", remaining, reset_at, tokens)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    e.requestId,
    e.time,
    e.workspaceId,
    e.namespaceId,
    e.identifier,
    e.passed ? 1 : 0,
    e.latency,
    e.overrideId,
    e.limit,
    e.remaining,
    e.resetAt,
    e.tokens,
  );
}
