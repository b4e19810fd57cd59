/** keys.verifyKey: see src/local/verify/verify-key.ts for the pipeline. */
import { verifyKey } from "../verify/verify-key.js";
import type { HandlerGroup } from "./types.js";

export const verifyKeyHandlers = {
  "keys.verifyKey": (ctx, body) => ({ data: verifyKey(ctx, body, ctx.clientIp) }),
} satisfies HandlerGroup;
