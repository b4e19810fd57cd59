// The added cost of a guarded call: a destructive tool over stdio with confirmation (preview +
// token round trip: two MCP calls, the target read twice) versus `--confirm off` (one call, one
// preview read for "what changed"). p50 over the same local API, keys made fresh per call.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT, startLocalApiProcess } from "./lib/local-api.mjs";
import { spawnAndConnect, stopServer } from "./lib/mcp-spawn.mjs";
import { percentile, round } from "./lib/stats.mjs";
import { section } from "./lib/table.mjs";

const CALLS = 60;
const WARMUP = 5;
const CLI = join(REPO_ROOT, "dist", "cli.js");
const log = (m) => process.stderr.write(`[bench confirm] ${m}\n`);

async function post(api, op, body) {
  const res = await fetch(`${api.url}/v2/${op}`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.rootKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await res.json()).data;
}

function ms(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Times `fn(keyId)` on fresh keys; returns the samples after warm-up. */
async function series(api, apiId, fn) {
  const samples = [];
  for (let i = 0; i < WARMUP + CALLS; i++) {
    const { keyId } = await post(api, "keys.createKey", { apiId, name: `bench-${i}` });
    const start = process.hrtime.bigint();
    await fn(keyId);
    if (i >= WARMUP) samples.push(ms(start));
  }
  return samples;
}

function check(r, what) {
  if (r.isError) throw new Error(`${what} failed: ${JSON.stringify(r.content).slice(0, 300)}`);
  return r;
}

export async function runConfirmBench({ print = true } = {}) {
  const api = await startLocalApiProcess();
  const env = { UNKEY_ROOT_KEY: api.rootKey, UNKEY_API_URL: api.url };
  const guarded = await spawnAndConnect({ args: [CLI, "stdio"], env, label: "confirm auto" });
  const off = await spawnAndConnect({ args: [CLI, "stdio", "--confirm", "off"], env, label: "confirm off" });
  try {
    const apiId = (await post(api, "apis.createApi", { name: "bench-confirm" })).apiId;
    log(`delete_key with --confirm off (${CALLS} calls)`);
    const offSamples = await series(api, apiId, async (keyId) =>
      check(await off.client.callTool({ name: "delete_key", arguments: { keyId } }), "delete_key (off)"),
    );
    log(`delete_key previewed and confirmed (${CALLS} calls)`);
    const previewSamples = [];
    const confirmSamples = await series(api, apiId, async (keyId) => {
      const t = process.hrtime.bigint();
      const first = check(await guarded.client.callTool({ name: "delete_key", arguments: { keyId } }), "delete_key preview");
      previewSamples.push(ms(t));
      const token = first.structuredContent.confirmation.token;
      check(await guarded.client.callTool({ name: "delete_key", arguments: { keyId, confirm: token } }), "delete_key confirmed");
    });
    const p50 = (v) => round(percentile(v, 50), 2);
    const result = {
      name: "confirm",
      calls: CALLS,
      p50Ms: { off: p50(offSamples), preview: p50(previewSamples.slice(WARMUP)), previewAndConfirm: p50(confirmSamples) },
      addedP50Ms: round(percentile(confirmSamples, 50) - percentile(offSamples, 50), 2),
    };
    if (print) {
      process.stdout.write(
        section(
          "Confirmation cost over stdio (delete_key, p50)",
          ["series", "p50 ms"],
          [
            ["--confirm off (acts at once)", String(result.p50Ms.off)],
            ["first call (preview + token)", String(result.p50Ms.preview)],
            ["preview + confirmed call", String(result.p50Ms.previewAndConfirm)],
            ["added by confirmation", String(result.addedP50Ms)],
          ],
        ),
      );
    }
    return result;
  } finally {
    await stopServer(guarded.client, guarded.transport);
    await stopServer(off.client, off.transport);
    await api.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runConfirmBench();
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}
