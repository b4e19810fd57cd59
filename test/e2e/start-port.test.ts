/**
 * `npm start` keeps the local API on the same port between runs (8787), and when that port is
 * taken it uses a free one and says so, instead of failing or moving silently.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_LOCAL_API_PORT, parseConfig } from "../../src/config.js";
import { CLI_PATH } from "../helpers/local-api.js";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

function banner(args: string[], cwd: string): Promise<string> {
  const child = spawn(process.execPath, [CLI_PATH, "start", ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in 30 s\n${out}\n${err}`)), 30_000);
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("Press Ctrl-C to stop.")) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`start exited with ${code}\n${out}\n${err}`));
    });
  });
}

/** Holds 127.0.0.1:port for the test, or resolves undefined when someone else already holds it. */
function hold(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(undefined));
    s.listen(port, "127.0.0.1", () => resolve(s));
  });
}

describe("the local API port of start", () => {
  it(`defaults to ${DEFAULT_LOCAL_API_PORT}, the same on every run`, () => {
    expect(DEFAULT_LOCAL_API_PORT).toBe(8787);
    expect((parseConfig("start", [], {}) as { localPort: number }).localPort).toBe(8787);
    expect((parseConfig("start", ["--api-port", "0"], {}) as { localPort: number }).localPort).toBe(0);
  });

  it("uses a free port when the default is taken, and says so in the banner", async () => {
    const held = await hold(DEFAULT_LOCAL_API_PORT);
    const cwd = await mkdtemp(join(tmpdir(), "unkey-start-port-"));
    try {
      const out = await banner(["--memory", "--port", "0"], cwd);
      const url = /Local Unkey API\s+(http:\/\/\S+)/.exec(out)?.[1] ?? "";
      expect(new URL(url).port).not.toBe(String(DEFAULT_LOCAL_API_PORT));
      expect(out).toContain(`(port ${DEFAULT_LOCAL_API_PORT} was taken, so a free port was used)`);
      const res = await fetch(`${url}/v2/liveness`);
      expect(res.status).toBeLessThan(500);
    } finally {
      held?.close();
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
