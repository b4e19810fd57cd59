/**
 * The confirmation guard through the executor, against the local API over real HTTP.
 *
 * For every guarded tool: the first call changes nothing (checked through the API) and answers
 * a preview and a token that satisfy the tool's outputSchema; the same call with the token acts.
 * Then every way a token is refused (expired, replayed, other arguments, other tool, other root
 * key, target changed, forged), each changing nothing. The clock is injected: no sleeping.
 */
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { createUnkeyClient, type UnkeyClient } from "../../src/client/unkey-client.js";
import { openAuditLog, type AuditLog } from "../../src/tools/confirm/audit.js";
import { createConfirmGuard, type ConfirmChannel, type ConfirmGuard, type ConfirmMode } from "../../src/tools/confirm/guard.js";
import { memoryLedger } from "../../src/tools/confirm/ledger.js";
import { fileSink } from "../../src/tools/confirm/setup.js";
import { rootKeyFingerprint } from "../../src/tools/confirm/token.js";
import { executeTool, type ExecuteContext } from "../../src/tools/execute.js";
import { isGuarded } from "../../src/tools/guard.js";
import { createLogger } from "../../src/util/log.js";
import { text, tool, tools } from "../helpers/catalog.js";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";

let api: InProcessLocalApi;
let client: UnkeyClient;
let ROOT: string;
const logLines: string[] = [];
const logger = createLogger({ level: "debug", sink: (l) => logLines.push(l) });
const SECRET = Buffer.from("confirm-tests-shared-secret-0123456789");
let clock = Date.now();
const now = (): number => clock;

function guard(mode: ConfirmMode = "auto", ttlMs = 300_000): ConfirmGuard {
  return createConfirmGuard({ mode, secret: SECRET, ttlMs, ledger: memoryLedger(now), now });
}

/** A direct call to the local API with the admin key (set-up and independent checks). */
async function direct<T = Record<string, unknown>>(op: string, body: unknown, key = ROOT): Promise<{ status: number; data: T }> {
  const res = await fetch(`${api.url}/v2/${op}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, data: ((await res.json()) as { data: T }).data };
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
function expectMatchesOutputSchema(name: string, r: CallToolResult): void {
  const validate = ajv.compile(tool(name).outputSchema as object);
  expect(validate(r.structuredContent), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
}

interface Confirmation {
  token: string;
  expiresAt: string;
  preview: { summary: string; effects: string[]; typeToConfirm?: string };
}
function confirmationOf(r: CallToolResult): Confirmation {
  expect(r.isError, text(r)).toBeUndefined();
  return (r.structuredContent as { confirmation: Confirmation }).confirmation;
}

let seq = 0;
const uniq = (p: string): string => `${p}${Date.now().toString(36)}${++seq}`;

async function newApi(): Promise<string> {
  return (await direct<{ apiId: string }>("apis.createApi", { name: uniq("confirm-api-") })).data.apiId;
}
async function newPermission(): Promise<{ id: string; slug: string }> {
  const slug = uniq("perm.");
  const { data } = await direct<{ permissionId: string }>("permissions.createPermission", { name: slug, slug });
  return { id: data.permissionId, slug };
}
async function newRole(permissions: string[] = []): Promise<{ id: string; name: string }> {
  const name = uniq("role-");
  const { data } = await direct<{ roleId: string }>("permissions.createRole", { name, ...(permissions.length ? { permissions } : {}) });
  return { id: data.roleId, name };
}
async function newKey(extra: Record<string, unknown> = {}): Promise<{ keyId: string; apiId: string; key: string }> {
  const apiId = await newApi();
  const { data } = await direct<{ keyId: string; key: string }>("keys.createKey", { apiId, name: uniq("key-"), ...extra });
  return { ...data, apiId };
}
async function newIdentity(): Promise<string> {
  const externalId = uniq("ext-");
  await direct("identities.createIdentity", {
    externalId,
    meta: { plan: "pro" },
    ratelimits: [{ name: "requests", limit: 10, duration: 60_000, autoApply: true }],
  });
  return externalId;
}
async function newOverride(): Promise<{ namespace: string; identifier: string }> {
  const namespace = uniq("ns-");
  await direct("ratelimit.limit", { namespace, identifier: "warmup", limit: 10, duration: 60_000 });
  await direct("ratelimit.setOverride", { namespace, identifier: "user_1", limit: 5, duration: 60_000 });
  return { namespace, identifier: "user_1" };
}

/** A guarded tool, arguments that make it destructive, and a read of what it would change. */
interface Case {
  name: string;
  setup(): Promise<{ args: Record<string, unknown>; observe: () => Promise<unknown> }>;
  /** Words the preview must contain. */
  preview: RegExp;
}

const keyState = (keyId: string) => async (): Promise<unknown> => {
  const r = await direct<Record<string, unknown>>("keys.getKey", { keyId });
  if (r.status !== 200) return r.status;
  const { lastUsedAt: _l, updatedAt: _u, ...rest } = r.data;
  return rest;
};

const CASES: Case[] = [
  {
    name: "delete_api",
    preview: /Deletes API confirm-api-.* 2 keys of this API stop verifying/s,
    async setup() {
      const apiId = await newApi();
      for (let i = 0; i < 2; i++) await direct("keys.createKey", { apiId });
      return { args: { apiId }, observe: async () => (await direct("apis.getApi", { apiId })).status };
    },
  },
  {
    name: "delete_key",
    preview: /Deletes key key_\w+ "key-.*" \(start .*stops verifying/s,
    async setup() {
      const { keyId } = await newKey();
      return { args: { keyId }, observe: keyState(keyId) };
    },
  },
  {
    name: "reroll_key",
    preview: /new key with the settings of key .*old key stops verifying at once/s,
    async setup() {
      const { keyId, apiId } = await newKey();
      return { args: { keyId, expiration: 0 }, observe: async () => ((await direct<unknown[]>("apis.listKeys", { apiId })).data ?? []).length };
    },
  },
  {
    name: "remove_key_permissions",
    preview: /It loses: perm\./,
    async setup() {
      const p = await newPermission();
      const { keyId } = await newKey({ permissions: [p.slug] });
      return { args: { keyId, permissions: [p.slug] }, observe: keyState(keyId) };
    },
  },
  {
    name: "set_key_permissions",
    preview: /Replaces the direct permissions .* It loses: perm\./s,
    async setup() {
      const p = await newPermission();
      const { keyId } = await newKey({ permissions: [p.slug] });
      return { args: { keyId, permissions: [] }, observe: keyState(keyId) };
    },
  },
  {
    name: "remove_key_roles",
    preview: /It loses roles: role-/,
    async setup() {
      const r = await newRole();
      const { keyId } = await newKey({ roles: [r.name] });
      return { args: { keyId, roles: [r.name] }, observe: keyState(keyId) };
    },
  },
  {
    name: "set_key_roles",
    preview: /Replaces the roles .* It loses roles: role-/s,
    async setup() {
      const r = await newRole();
      const { keyId } = await newKey({ roles: [r.name] });
      return { args: { keyId, roles: [] }, observe: keyState(keyId) };
    },
  },
  {
    name: "update_key",
    preview: /disabled: verifications fail with DISABLED/,
    async setup() {
      const { keyId } = await newKey();
      return { args: { keyId, enabled: false }, observe: keyState(keyId) };
    },
  },
  {
    name: "update_key_credits",
    preview: /Sets the credits of key .* to 5.*Remaining credits now: 100/s,
    async setup() {
      const { keyId } = await newKey({ credits: { remaining: 100 } });
      return { args: { keyId, operation: "set", value: 5 }, observe: keyState(keyId) };
    },
  },
  {
    name: "update_identity",
    preview: /Updates identity ext-.*metadata is replaced \(current keys: plan\)/s,
    async setup() {
      const identity = await newIdentity();
      return { args: { identity, meta: { plan: "free" } }, observe: async () => (await direct("identities.getIdentity", { identity })).data };
    },
  },
  {
    name: "delete_identity",
    preview: /Deletes identity ext-.*1 shared rate limit/s,
    async setup() {
      const identity = await newIdentity();
      return { args: { identity }, observe: async () => (await direct("identities.getIdentity", { identity })).status };
    },
  },
  {
    name: "delete_permission",
    preview: /Deletes permission perm\..*Every key and role holding/s,
    async setup() {
      const p = await newPermission();
      return { args: { permission: p.slug }, observe: async () => (await direct("permissions.getPermission", { permission: p.slug })).status };
    },
  },
  {
    name: "delete_role",
    preview: /Deletes role role-.*the permissions it grants: perm\./s,
    async setup() {
      const p = await newPermission();
      const r = await newRole([p.slug]);
      return { args: { role: r.name }, observe: async () => (await direct("permissions.getRole", { role: r.name })).status };
    },
  },
  {
    name: "set_role_permissions",
    preview: /Keys with role role-.* lose: perm\./s,
    async setup() {
      const p = await newPermission();
      const r = await newRole([p.slug]);
      return { args: { roleId: r.id, permissions: [] }, observe: async () => (await direct("permissions.getRole", { role: r.id })).data };
    },
  },
  {
    name: "delete_ratelimit_override",
    preview: /Deletes the override for identifier user_1 .*\(5 per 60000 ms\)/s,
    async setup() {
      const o = await newOverride();
      return { args: o, observe: async () => (await direct("ratelimit.getOverride", o)).status };
    },
  },
  {
    name: "set_ratelimit_override",
    preview: /to limit 0.*refused \(currently 5 per 60000 ms\)/s,
    async setup() {
      const o = await newOverride();
      return { args: { ...o, limit: 0, duration: 60_000 }, observe: async () => (await direct("ratelimit.getOverride", o)).data };
    },
  },
];

function ctx(extra: Partial<ExecuteContext> = {}): ExecuteContext {
  return { rootKey: ROOT, client, logger, confirm: guard(), ...extra };
}

beforeAll(async () => {
  api = await startLocalApi();
  ROOT = api.rootKey;
  client = createUnkeyClient({ baseUrl: api.url, backoffMs: 1 });
});
afterAll(async () => {
  await client?.close();
  await api?.close();
});

describe("which calls are guarded", () => {
  it("every destructive tool and every write with destructiveWhen rules, and no other", () => {
    const guarded = tools
      .filter(isGuarded)
      .map((t) => t.name)
      .sort();
    expect(guarded).toEqual([...new Set(CASES.map((c) => c.name))].sort());
    for (const t of tools) {
      const props = Object.keys(t.inputSchema.properties as object);
      expect(props.includes("confirm"), t.name).toBe(isGuarded(t));
      if (isGuarded(t)) expect(t.description, t.name).toMatch(/Previews first; repeat with confirm\.$/);
    }
  });

  it("a write whose arguments are harmless acts at once (renaming a key)", async () => {
    const { keyId } = await newKey();
    const r = await executeTool(tool("update_key"), { keyId, name: "renamed" }, ctx());
    expect(r.isError, text(r)).toBeUndefined();
    expect((r.structuredContent as Record<string, unknown>).confirmation).toBeUndefined();
    expect((await direct<{ name: string }>("keys.getKey", { keyId })).data.name).toBe("renamed");
  });
});

describe.each(CASES.map((c) => [c.name, c] as const))("%s", (name, c) => {
  it("the first call changes nothing and answers a preview and a token; the token call acts", async () => {
    const { args, observe } = await c.setup();
    const g = guard();
    const before = await observe();

    const first = await executeTool(tool(name), args, ctx({ confirm: g }));
    const conf = confirmationOf(first);
    expect(await observe(), "the first call changed something").toEqual(before);
    expectMatchesOutputSchema(name, first);
    expect(conf.token).toMatch(/^uc1\./);
    expect(Date.parse(conf.expiresAt)).toBe(clock + 300_000);
    expect(`${conf.preview.summary} ${conf.preview.effects.join(" ")}`).toMatch(c.preview);
    // Clients that read only the text get the same token and the way to use it.
    expect(text(first)).toContain(`call ${name} again with the same arguments plus confirm: "${conf.token}"`);

    const second = await executeTool(tool(name), { ...args, confirm: conf.token }, ctx({ confirm: g }));
    expect(second.isError, text(second)).toBeUndefined();
    expectMatchesOutputSchema(name, second);
    expect(await observe(), "the confirmed call changed nothing").not.toEqual(before);
    // The result says what changed, from the preview.
    expect((second.structuredContent as { changed: string[] }).changed[0]).toBe(conf.preview.summary);
    expect(text(second)).toContain(`Changed: ${conf.preview.summary}`);
  });
});

describe("refused tokens change nothing and say why", () => {
  async function preparedDelete(): Promise<{ keyId: string; token: string; observe: () => Promise<unknown>; g: ConfirmGuard }> {
    const { keyId } = await newKey();
    const g = guard();
    const token = confirmationOf(await executeTool(tool("delete_key"), { keyId }, ctx({ confirm: g }))).token;
    return { keyId, token, observe: keyState(keyId), g };
  }

  async function expectRefused(r: CallToolResult, why: RegExp, observe: () => Promise<unknown>, before: unknown): Promise<void> {
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(why);
    expect(text(r)).toContain("Nothing was changed.");
    expect(await observe()).toEqual(before);
  }

  it("expired", async () => {
    const { keyId, token, observe, g } = await preparedDelete();
    const before = await observe();
    clock += 300_001;
    try {
      await expectRefused(await executeTool(tool("delete_key"), { keyId, confirm: token }, ctx({ confirm: g })), /the token expired at /, observe, before);
    } finally {
      clock -= 300_001;
    }
  });

  it("replayed: a token confirms one call", async () => {
    const { keyId } = await newKey({ credits: { remaining: 100 } });
    const g = guard();
    // A call whose target is unchanged by acting (decrementing by 0), so only the ledger can refuse.
    const token = confirmationOf(await executeTool(tool("update_key_credits"), { keyId, operation: "decrement", value: 0 }, ctx({ confirm: g }))).token;
    const ok = await executeTool(tool("update_key_credits"), { keyId, operation: "decrement", value: 0, confirm: token }, ctx({ confirm: g }));
    expect(ok.isError, text(ok)).toBeUndefined();
    const observe = keyState(keyId);
    const before = await observe();
    await expectRefused(
      await executeTool(tool("update_key_credits"), { keyId, operation: "decrement", value: 0, confirm: token }, ctx({ confirm: g })),
      /already used/,
      observe,
      before,
    );
  });

  it("other arguments", async () => {
    const { keyId, token, observe, g } = await preparedDelete();
    const before = await observe();
    await expectRefused(
      await executeTool(tool("delete_key"), { keyId, permanent: true, confirm: token }, ctx({ confirm: g })),
      /issued for other arguments/,
      observe,
      before,
    );
  });

  it("other tool", async () => {
    const { keyId, token, observe, g } = await preparedDelete();
    const before = await observe();
    await expectRefused(
      await executeTool(tool("update_key"), { keyId, enabled: false, confirm: token }, ctx({ confirm: g })),
      /the token confirms delete_key, not update_key/,
      observe,
      before,
    );
  });

  it("other root key", async () => {
    const { keyId, token, observe, g } = await preparedDelete();
    const before = await observe();
    const other = api.createRootKey(["api.*.read_key", "api.*.delete_key"]);
    await expectRefused(
      await executeTool(tool("delete_key"), { keyId, confirm: token }, ctx({ confirm: g, rootKey: other })),
      /issued to another root key/,
      observe,
      before,
    );
  });

  it("target changed since the preview", async () => {
    const { keyId, token, observe, g } = await preparedDelete();
    await direct("keys.updateKey", { keyId, name: "changed-meanwhile" });
    const before = await observe();
    await expectRefused(
      await executeTool(tool("delete_key"), { keyId, confirm: token }, ctx({ confirm: g })),
      /the target changed since the preview/,
      observe,
      before,
    );
  });

  it("forged or signed with another secret", async () => {
    const { keyId, token, observe } = await preparedDelete();
    const before = await observe();
    const otherSecret = createConfirmGuard({
      mode: "auto",
      secret: Buffer.from("another-secret-entirely-0000000"),
      ttlMs: 300_000,
      ledger: memoryLedger(),
      now,
    });
    await expectRefused(
      await executeTool(tool("delete_key"), { keyId, confirm: token }, ctx({ confirm: otherSecret })),
      /not one this server issued/,
      observe,
      before,
    );
    const tampered = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    await expectRefused(await executeTool(tool("delete_key"), { keyId, confirm: tampered }, ctx()), /not one this server issued/, observe, before);
  });

  it("a confirm that is not a string is an invalid argument; nothing is sent", async () => {
    const { keyId } = await newKey();
    const r = await executeTool(tool("delete_key"), { keyId, confirm: 42 }, ctx());
    expect(r.isError).toBe(true);
    expect(text(r)).toContain("confirm: is not a string");
    expect((await direct("keys.getKey", { keyId })).status).toBe(200);
  });

  it("a target that does not exist answers the API's not-found error at once, without a token", async () => {
    const r = await executeTool(tool("delete_key"), { keyId: "key_doesnotexist123" }, ctx());
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/404/);
    // An error envelope, not a preview: no token was issued.
    expect(r.structuredContent).toMatchObject({ error: { status: 404 } });
    expect(r.structuredContent).not.toHaveProperty("confirmation");
  });
});

describe("a token kept from an earlier question", () => {
  const answering = (answer: { action: "accept" | "decline" | "cancel"; confirmed?: boolean }): ConfirmChannel => ({
    ask: async () => ({ kind: "answer", answer }),
  });

  it("cannot act after the person declined the same call; a new question after that can", async () => {
    const { keyId } = await newKey();
    const g = guard();
    // The person dismisses the first question: the model gets the token result.
    const kept = confirmationOf(await executeTool(tool("delete_key"), { keyId }, ctx({ confirm: g, confirmChannel: answering({ action: "cancel" }) }))).token;
    // Asked again, the person says no.
    const no = await executeTool(tool("delete_key"), { keyId }, ctx({ confirm: g, confirmChannel: answering({ action: "decline" }) }));
    expect(text(no)).toContain("the person declined");
    // The kept token is refused, and the key is still there.
    const replay = await executeTool(tool("delete_key"), { keyId, confirm: kept }, ctx({ confirm: g }));
    expect(replay.isError).toBe(true);
    expect(text(replay)).toContain("the person declined this call after this token was issued");
    expect((await direct("keys.getKey", { keyId })).status).toBe(200);
    // The person changes their mind: a new question is answered and acts.
    clock += 1;
    const yes = await executeTool(tool("delete_key"), { keyId }, ctx({ confirm: g, confirmChannel: answering({ action: "accept", confirmed: true }) }));
    expect(yes.isError, text(yes)).toBeFalsy();
    expect((await direct("keys.getKey", { keyId })).status).toBe(404);
  });
});

describe("the target read again after the person answered", () => {
  it("a network error there is a tool result, not a thrown error", async () => {
    // Its own local API, stopped while the person is answering.
    const own = await startLocalApi();
    const ownClient = createUnkeyClient({ baseUrl: own.url, backoffMs: 1 });
    try {
      const post = async <T>(op: string, body: unknown): Promise<T> => {
        const res = await fetch(`${own.url}/v2/${op}`, {
          method: "POST",
          headers: { authorization: `Bearer ${own.rootKey}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        return ((await res.json()) as { data: T }).data;
      };
      const { apiId } = await post<{ apiId: string }>("apis.createApi", { name: "answered" });
      const { keyId } = await post<{ keyId: string }>("keys.createKey", { apiId });
      const stopping: ConfirmChannel = {
        ask: async () => {
          await own.close();
          return { kind: "answer", answer: { action: "accept", confirmed: true } };
        },
      };
      const r = await executeTool(tool("delete_key"), { keyId }, ctx({ rootKey: own.rootKey, client: ownClient, confirmChannel: stopping }));
      expect(r.isError).toBe(true);
      expect(text(r)).toMatch(/could not connect|request to .* failed/);
    } finally {
      await ownClient.close();
      await own.close().catch(() => undefined);
    }
  });
});

describe("answers carried by a later request (the 2026-07-28 retry shape)", () => {
  const pending: ConfirmChannel = { ask: async () => ({ kind: "pending" }) };

  it("the question goes out with the token as its state; accept on the retry acts, a second retry is refused", async () => {
    const { keyId } = await newKey();
    const g = guard();
    const first = await executeTool(tool("delete_key"), { keyId }, ctx({ confirm: g, confirmChannel: pending }));
    const token = confirmationOf(first).token;
    expect(g.verifyState(token)).toBe(true);
    expect(g.verifyState(`${token}x`)).toBe(false);
    expect((await direct("keys.getKey", { keyId })).status).toBe(200);
    const retry = await executeTool(
      tool("delete_key"),
      { keyId },
      ctx({ confirm: g, confirmAnswer: { token, answer: { action: "accept", confirmed: true } } }),
    );
    expect(retry.isError, text(retry)).toBeUndefined();
    expect((await direct("keys.getKey", { keyId })).status).toBe(404);
    const again = await executeTool(
      tool("delete_key"),
      { keyId },
      ctx({ confirm: g, confirmAnswer: { token, answer: { action: "accept", confirmed: true } } }),
    );
    expect(again.isError).toBe(true);
  });

  it("decline and a wrong typed name change nothing; cancel answers the token result", async () => {
    const { keyId } = await newKey();
    const g = guard();
    const ask = async (args: Record<string, unknown>): Promise<string> =>
      confirmationOf(await executeTool(tool("delete_key"), args, ctx({ confirm: g, confirmChannel: pending }))).token;
    const t1 = await ask({ keyId });
    const declined = await executeTool(tool("delete_key"), { keyId }, ctx({ confirm: g, confirmAnswer: { token: t1, answer: { action: "decline" } } }));
    expect(text(declined)).toContain("the person declined");
    const t2 = await ask({ keyId, permanent: true });
    const typo = await executeTool(
      tool("delete_key"),
      { keyId, permanent: true },
      ctx({ confirm: g, confirmAnswer: { token: t2, answer: { action: "accept", typedName: "nope" } } }),
    );
    expect(text(typo)).toContain("the typed name did not match");
    const t3 = await ask({ keyId });
    const cancelled = await executeTool(tool("delete_key"), { keyId }, ctx({ confirm: g, confirmAnswer: { token: t3, answer: { action: "cancel" } } }));
    expect(confirmationOf(cancelled).token).toBe(t3);
    expect((await direct("keys.getKey", { keyId })).status).toBe(200);
  });
});

describe("policy", () => {
  it("--confirm off acts on the first call and still says what changed", async () => {
    const { keyId } = await newKey();
    const r = await executeTool(tool("delete_key"), { keyId }, ctx({ confirm: guard("off") }));
    expect(r.isError, text(r)).toBeUndefined();
    expect(text(r)).toMatch(/Changed: Deletes key /);
    expect((await direct("keys.getKey", { keyId })).status).toBe(404);
  });

  it("a permanent delete_key and delete_api ask for the name to be typed", async () => {
    const { keyId } = await newKey();
    const name = (await direct<{ name: string }>("keys.getKey", { keyId })).data.name;
    const c = confirmationOf(await executeTool(tool("delete_key"), { keyId, permanent: true }, ctx()));
    expect(c.preview.typeToConfirm).toBe(name);
    const plain = confirmationOf(await executeTool(tool("delete_key"), { keyId }, ctx()));
    expect(plain.preview.typeToConfirm).toBeUndefined();
  });
});

describe("audit log", () => {
  it("holds exactly one line per outcome, with redacted arguments, status, request id and a root-key fingerprint, and no secret", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "unkey-mcp-audit-")), "audit.jsonl");
    const audit: AuditLog = openAuditLog(file, now);
    const g = guard();
    const c = { ...ctx({ confirm: g, audit }) };
    const { keyId } = await newKey();
    const created = await executeTool(tool("create_key"), { apiId: await newApi(), name: "audited" }, c); // write
    const plaintext = (created.structuredContent as { data: { key: string } }).data.key;
    await executeTool(tool("get_key"), { keyId }, c); // read: no line
    const token = confirmationOf(await executeTool(tool("delete_key"), { keyId }, c)).token; // not_asked
    await executeTool(tool("delete_key"), { keyId, confirm: "uc1.bogus.bogus" }, c); // mismatched
    await executeTool(tool("delete_key"), { keyId, confirm: token }, c); // confirmed
    await executeTool(tool("delete_key"), { keyId, confirm: token }, c); // replayed
    await executeTool(tool("verify_key"), { key: plaintext }, c); // consume
    audit.close();

    const raw = readFileSync(file, "utf8");
    const lines = raw
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.tool, l.confirmation, l.apiCalled])).toEqual([
      ["create_key", "not_required", true],
      ["delete_key", "not_asked", false],
      ["delete_key", "mismatched", false],
      ["delete_key", "confirmed", true],
      ["delete_key", "replayed", false],
      ["verify_key", "not_required", true],
    ]);
    const confirmed = lines[3];
    expect(confirmed).toMatchObject({ safety: "destructive", args: { keyId }, status: 200, requestId: expect.any(String), rootKey: rootKeyFingerprint(ROOT) });
    expect(confirmed.time).toBe(new Date(clock).toISOString());
    expect(lines[4].reason).toMatch(/already used/);
    // verify_key's `key` argument is secret: redacted, like the root key, which never appears.
    expect(raw).not.toContain(plaintext);
    expect(raw).not.toContain(ROOT);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("records answers given through a channel: declined, and a wrong typed name as mismatched", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "unkey-mcp-audit-")), "audit.jsonl");
    const audit = openAuditLog(file, now);
    const { keyId } = await newKey();
    const declining: ConfirmChannel = { ask: async () => ({ kind: "answer", answer: { action: "decline" } }) };
    const typo: ConfirmChannel = { ask: async () => ({ kind: "answer", answer: { action: "accept", typedName: "not-the-name" } }) };
    const r1 = await executeTool(tool("delete_key"), { keyId }, ctx({ audit, confirmChannel: declining }));
    const r2 = await executeTool(tool("delete_key"), { keyId, permanent: true }, ctx({ audit, confirmChannel: typo }));
    audit.close();
    expect(text(r1)).toContain("the person declined");
    expect(text(r2)).toContain("the typed name did not match");
    expect((await direct("keys.getKey", { keyId })).status).toBe(200);
    const lines = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.confirmation, l.apiCalled])).toEqual([
      ["declined", false],
      ["mismatched", false],
    ]);
  });

  it("an audit file that cannot be opened is an error, not a silent loss", () => {
    expect(() => openAuditLog("/proc/nonexistent-dir/audit.jsonl")).toThrow(/cannot open for appending/);
  });
});

describe("--secrets mask", () => {
  it("stdio: the plaintext goes to a 0600 file whose path the result names; no result or log line holds it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "unkey-mcp-sink-test-"));
    const r = await executeTool(tool("create_key"), { apiId: await newApi() }, ctx({ hideSecrets: true, secretSink: fileSink(dir) }));
    expect(r.isError, text(r)).toBeUndefined();
    const data = (r.structuredContent as { data: { keyId: string; key: string } }).data;
    const file = /saved to (\S+)\]/.exec(data.key)?.[1] ?? "";
    expect(file.startsWith(dir)).toBe(true);
    const plaintext = readFileSync(file, "utf8").trim();
    expect(plaintext.length).toBeGreaterThan(10);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(r)).not.toContain(plaintext);
    expect(logLines.join("\n")).not.toContain(plaintext);
    // The key works: the file holds the real secret.
    expect((await direct<{ valid: boolean }>("keys.verifyKey", { key: plaintext })).data.valid).toBe(true);
    expectMatchesOutputSchema("create_key", r);
  });

  it("rerolled keys too, after confirmation", async () => {
    const { keyId } = await newKey();
    const g = guard();
    const c = ctx({ confirm: g, hideSecrets: true });
    const token = confirmationOf(await executeTool(tool("reroll_key"), { keyId, expiration: 0 }, c)).token;
    const r = await executeTool(tool("reroll_key"), { keyId, expiration: 0, confirm: token }, c);
    expect(r.isError, text(r)).toBeUndefined();
    expect((r.structuredContent as { data: { key: string } }).data.key).toMatch(/withheld/);
    expect(text(r)).toContain("Secret withheld");
  });
});
