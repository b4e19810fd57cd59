// Child process for the benchmarks: the built local API (dist/local/server.js), in memory, on a free
// loopback port. Prints one JSON line {"url": …} on stdout and runs until stdin closes or SIGTERM.
// A separate process so the API's CPU time and memory are not mixed into the bench client's, as
// they would be with an in-process server on a 2-core machine.
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { closeOnParentExit } from "./local-api.mjs";

const [serverModule, rootKey] = process.argv.slice(2);
if (!serverModule || !rootKey) {
  process.stderr.write("usage: local-api-child.mjs <path to dist/local/server.js> <root key>\n");
  process.exit(2);
}
const { createLocalApi } = await import(pathToFileURL(resolve(serverModule)).href);
const api = await createLocalApi({ memory: true, rootKey, port: 0, host: "127.0.0.1" });
process.stdout.write(`${JSON.stringify({ url: api.url })}\n`);

closeOnParentExit(api);
