/**
 * The audit trail: one JSON line per executed write, destructive or consume call and per
 * confirmation outcome, appended and flushed to disk (fsync) before the result is returned.
 *
 * Opened at startup: a file that cannot be opened for appending stops the server there, not
 * later as a silent loss. Lines carry redacted arguments and a root-key fingerprint, never a
 * key or a secret.
 */
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import type { SafetyClass } from "../../schemas/x-mcp.js";
import type { ConfirmOutcome } from "./guard.js";

export interface AuditEntry {
  tool: string;
  safety: SafetyClass;
  /** Redacted arguments (secret fields replaced; `confirm` omitted). */
  args: unknown;
  /** The guard's outcome; `not_required` for writes and consumes that need no confirmation. */
  confirmation: ConfirmOutcome | "not_required";
  /** Whether the changing API call was sent. */
  apiCalled: boolean;
  status?: number;
  requestId?: string;
  /** `rk_` + 16 hex of sha256(root key). */
  rootKey: string;
  /** Why a call was refused or failed, in words. */
  reason?: string;
}

export interface AuditLog {
  readonly path: string;
  append(entry: AuditEntry): void;
  close(): void;
}

export class AuditLogError extends Error {
  override readonly name = "AuditLogError";
}

export function openAuditLog(path: string, now: () => number = Date.now): AuditLog {
  let fd: number;
  try {
    fd = openSync(path, "a", 0o600);
  } catch (err) {
    throw new AuditLogError(`--audit-log ${path}: cannot open for appending (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return {
    path,
    append(entry) {
      const line = `${JSON.stringify({ time: new Date(now()).toISOString(), ...entry })}\n`;
      // Synchronous on purpose: the result must not leave before its line is on disk.
      writeSync(fd, line);
      fsyncSync(fd);
    },
    close() {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    },
  };
}
