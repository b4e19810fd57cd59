/**
 * What the confirmation, secrets and audit policies need at run time, built once per process
 * from the parsed config: the guard (secret + used-token ledger), the audit log and, on stdio
 * with `--secrets mask`, the file sink for plaintext keys.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, type CommonConfig } from "../../config.js";
import { nodeCrypto, nodeOs } from "../../util/lazy-node.js";
import type { Logger } from "../../util/log.js";
import { openAuditLog, type AuditLog } from "./audit.js";
import { createConfirmGuard, type ConfirmGuard } from "./guard.js";
import { memoryLedger, redisLedger, type UsedTokenLedger } from "./ledger.js";

export interface SafetyParts {
  confirm: ConfirmGuard;
  /** How long a confirmation form waits for the person (then: the token result). */
  askTimeoutMs: number;
  audit?: AuditLog;
  secretSink?: (label: string, value: string) => string;
  close(): Promise<void>;
}

export async function createSafetyParts(config: CommonConfig, logger: Logger, transport: "stdio" | "http"): Promise<SafetyParts> {
  const audit = config.auditLog ? openAudit(config.auditLog) : undefined;
  let ledger: UsedTokenLedger;
  if (config.confirm.redisUrl) {
    try {
      ledger = await redisLedger(config.confirm.redisUrl, (err) => logger.warn("redis ledger", { error: err.message }));
    } catch (err) {
      audit?.close();
      throw new ConfigError(`--redis-url: cannot connect to Redis (${(err as Error).message})`);
    }
  } else {
    ledger = memoryLedger();
  }
  if (config.confirm.redisUrl && !config.confirm.secret) {
    logger.warn("--redis-url without --confirm-secret: tokens are signed with a random per-process secret, so other instances cannot honour them");
  }
  const confirm = createConfirmGuard({
    mode: config.confirm.mode,
    ...(config.confirm.secret ? { secret: Buffer.from(config.confirm.secret, "utf8") } : {}),
    ttlMs: config.confirm.ttlSeconds * 1000,
    ledger,
  });
  if (config.confirm.mode === "off") {
    logger.warn(
      "CONFIRMATION IS OFF (--confirm off): destructive calls (delete, remove, replace, reroll) act on the first call, without a preview or a person's confirmation. Use only for trusted automation.",
    );
  } else {
    // debug: a startup that fails on a later flag must print exactly its one error line.
    logger.debug("destructive calls need confirmation", {
      confirm: config.confirm.mode,
      ttlSeconds: config.confirm.ttlSeconds,
      ledger: ledger.where,
      auditLog: config.auditLog ?? null,
    });
  }
  return {
    confirm,
    askTimeoutMs: config.confirm.waitSeconds * 1000,
    audit,
    ...(transport === "stdio" && config.hideSecrets ? { secretSink: fileSink() } : {}),
    async close() {
      await confirm.close();
      audit?.close();
    },
  };
}

function openAudit(path: string): AuditLog {
  try {
    return openAuditLog(path);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/**
 * Writes each withheld plaintext to its own file, readable only by this user, in a private
 * directory made on first use. The model gets the path, the person opens the file.
 */
export function fileSink(base?: string): (label: string, value: string) => string {
  let dir: string | undefined;
  return (label, value) => {
    dir ??= mkdtempSync(join(base ?? nodeOs().tmpdir(), "unkey-mcp-secrets-"));
    const file = join(dir, `${label.replace(/[^A-Za-z0-9_-]/g, "_")}-${nodeCrypto().randomBytes(4).toString("hex")}.txt`);
    writeFileSync(file, `${value}\n`, { mode: 0o600, flag: "wx" });
    return file;
  };
}
