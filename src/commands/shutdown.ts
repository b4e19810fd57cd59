/**
 * Shutdown on SIGINT/SIGTERM for the long-running server commands (`http`, `start`).
 */
import type { Logger } from "../util/log.js";

/** Stops on SIGINT/SIGTERM; resolves once everything is closed. */
export function waitForShutdown(logger: Logger, stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      logger.info("shutting down", { reason: signal });
      void stop()
        .catch((err: unknown) => logger.error("error while shutting down", { error: err instanceof Error ? err.message : String(err) }))
        .finally(resolve);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
