/**
 * Defaults of `unkey-mcp local` the README promises: `--memory` writes nothing to disk, the API
 * binds loopback unless told otherwise, and listKeys pages by 100 at most. (Needs `npm run build`.)
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { CLI_PATH, randomRootKey, spawnLocalApi, startLocalApi, type SpawnedLocalApi } from "../helpers/local-api.js";
import { listeningAddress } from "../helpers/net.js";

const dirs: string[] = [];
const procs: SpawnedLocalApi[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) await p.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "unkey-defaults-"));
  dirs.push(d);
  return d;
}

async function post(url: string, key: string, op: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/v2/${op}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

test("`local --memory` writes nothing to disk: not in the working directory, HOME or TMPDIR", async () => {
  const cwd = tempDir();
  const home = tempDir();
  const tmp = tempDir();
  const rootKey = randomRootKey();
  const child = spawn(process.execPath, [CLI_PATH, "local", "--memory", "--port", "0", "--root-key", rootKey], {
    cwd,
    env: { ...process.env, HOME: home, TMPDIR: tmp },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once("exit", () => reject(new Error(`exited early: ${out}`)));
  });
  try {
    const api = await post(url, rootKey, "apis.createApi", { name: "memory-only" });
    expect(api.status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const key = await post(url, rootKey, "keys.createKey", { apiId: api.body.data.apiId, name: `k${i}` });
      expect(key.status).toBe(200);
    }
    // The writes are really held somewhere (in memory): the keys list back.
    const listed = await post(url, rootKey, "apis.listKeys", { apiId: api.body.data.apiId });
    expect(listed.body.data).toHaveLength(3);
  } finally {
    child.kill("SIGTERM");
  }
  expect(await exited).toBe(0);
  expect(readdirSync(cwd)).toEqual([]);
  expect(readdirSync(home)).toEqual([]);
  expect(readdirSync(tmp)).toEqual([]);
});

describe("the local API binds loopback by default", () => {
  test("without --host it listens on 127.0.0.1 only (checked in the kernel's socket table)", async () => {
    const api = await spawnLocalApi();
    procs.push(api);
    expect(new URL(api.url).hostname).toBe("127.0.0.1");
    expect(listeningAddress(Number(new URL(api.url).port))).toBe("127.0.0.1");
    // Control: the same check sees a server told to bind every interface, so the answer above is
    // the default bind at work and not a check that always says loopback.
    const open = await spawnLocalApi({ extraArgs: ["--host", "0.0.0.0"] });
    procs.push(open);
    expect(listeningAddress(Number(new URL(open.url).port))).toBe("0.0.0.0");
  });
});

describe("listKeys pagination", () => {
  test("pages 100 keys by default, 100 at most; limit 101 is 400 invalid_input naming limit", async () => {
    const api = await startLocalApi();
    try {
      const created = await post(api.url, api.rootKey, "apis.createApi", { name: "paging" });
      const apiId: string = created.body.data.apiId;
      for (let i = 0; i < 101; i++) {
        expect((await post(api.url, api.rootKey, "keys.createKey", { apiId })).status).toBe(200);
      }
      const first = await post(api.url, api.rootKey, "apis.listKeys", { apiId });
      expect(first.status).toBe(200);
      expect(first.body.data).toHaveLength(100);
      expect(first.body.pagination.hasMore).toBe(true);
      expect(typeof first.body.pagination.cursor).toBe("string");
      const rest = await post(api.url, api.rootKey, "apis.listKeys", { apiId, cursor: first.body.pagination.cursor });
      expect(rest.body.data).toHaveLength(1);
      expect(rest.body.pagination.hasMore).toBe(false);

      const atMax = await post(api.url, api.rootKey, "apis.listKeys", { apiId, limit: 100 });
      expect(atMax.status).toBe(200);
      const tooMany = await post(api.url, api.rootKey, "apis.listKeys", { apiId, limit: 101 });
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.error.type).toBe("https://unkey.com/docs/errors/unkey/application/invalid_input");
      const locations = tooMany.body.error.errors.map((e: { location: string }) => e.location);
      expect(locations).toContain("body.limit");
      expect(tooMany.body.error.detail).toMatch(/101/);
    } finally {
      await api.close();
    }
  });
});
