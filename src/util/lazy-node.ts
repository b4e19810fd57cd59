/**
 * Node built-ins that a stdio server needs only for some calls (confirmation tokens, withheld
 * secrets), loaded on first use. An ES module import of node:crypto is compiled at every start
 * (about 4 ms of a stdio cold start on Node 20, node:os about 0.7 ms); a require on first use
 * costs nothing until a destructive call or a withheld key needs it.
 */
import { createRequire } from "node:module";

type Crypto = typeof import("node:crypto");
type Os = typeof import("node:os");

const load = createRequire(import.meta.url);
let crypto: Crypto | undefined;
let os: Os | undefined;

export function nodeCrypto(): Crypto {
  crypto ??= load("node:crypto") as Crypto;
  return crypto;
}

export function nodeOs(): Os {
  os ??= load("node:os") as Os;
  return os;
}
