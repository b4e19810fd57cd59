/**
 * Every acknowledged write survives the process being killed: a burst of createKey against the
 * real CLI on a data dir, SIGKILL in the middle, restart on the same dir, every keyId that got a
 * 200 must still be there. (Needs `npm run build`.)
 */
import { afterEach, expect, test } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnLocalApi, type ApiBody, type SpawnedLocalApi } from "../helpers/local-api.js";
import type { OperationId } from "../../src/local/handlers/types.js";

const dirs: string[] = [];
const procs: SpawnedLocalApi[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) await p.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function call<Op extends OperationId>(url: string, rootKey: string, op: Op, body: unknown): Promise<{ status: number; body: ApiBody<Op> }> {
  const res = await fetch(`${url}/v2/${op}`, {
    method: "POST",
    headers: { authorization: `Bearer ${rootKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as ApiBody<Op> };
}

test("kill -9 during a createKey burst loses no acknowledged key", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "unkey-durability-"));
  dirs.push(dataDir);
  const first = await spawnLocalApi({ dataDir });
  procs.push(first);
  const rootKey = first.rootKey;
  const created = await call(first.url, rootKey, "apis.createApi", { name: "durable" });
  expect(created.status).toBe(200);
  const apiId: string = created.body.data.apiId;

  const acknowledged: string[] = [];
  const names = new Map<string, string>();
  let killed = false;
  const killAfter = 150;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (killed) return;
      try {
        const name = `k${acknowledged.length}`;
        const r = await call(first.url, rootKey, "keys.createKey", { apiId, name });
        if (r.status === 200) {
          acknowledged.push(r.body.data.keyId);
          names.set(r.body.data.keyId, name);
        }
        if (acknowledged.length >= killAfter && !killed) {
          killed = true;
          first.child.kill("SIGKILL");
        }
      } catch {
        return; // the connection died with the process: that request was never acknowledged
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await first.close();
  expect(first.child.signalCode).toBe("SIGKILL");
  expect(acknowledged.length).toBeGreaterThanOrEqual(killAfter);

  const second = await spawnLocalApi({ dataDir, rootKey });
  procs.push(second);
  const missing: string[] = [];
  for (const keyId of acknowledged) {
    const r = await call(second.url, rootKey, "keys.getKey", { keyId });
    if (r.status !== 200 || r.body.data.keyId !== keyId || r.body.data.name !== names.get(keyId)) missing.push(keyId);
  }
  expect(missing).toEqual([]);
  // listKeys, paged to the end, holds every acknowledged id too.
  const listedIds = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await call(second.url, rootKey, "apis.listKeys", { apiId, limit: 100, ...(cursor ? { cursor } : {}) });
    expect(page.status).toBe(200);
    for (const k of page.body.data as { keyId: string }[]) listedIds.add(k.keyId);
    cursor = page.body.pagination?.cursor;
  } while (cursor);
  expect(acknowledged.filter((id) => !listedIds.has(id))).toEqual([]);
});
