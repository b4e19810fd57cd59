/** keys.verifyKey: see src/local/verify/verify-key.ts for the pipeline. */
import { registerHandler } from "./registry.js";
import { verifyKey } from "../verify/verify-key.js";

registerHandler("keys.verifyKey", (ctx, body) => {
  return { data: verifyKey(ctx, body, ctx.clientIp) };
});
