// Cold start of several builds side by side (not part of `npm run bench`): spawn → first
// tools/list over stdio with the SDK 1.x client, the same measure as bench/mcp.mjs, rounds
// interleaved so background load hits every build alike. Prints medians of the whole start, its
// split at the initialize handshake, the CPU the server's main thread and all its threads had used
// by then (from /proc/<pid>/task/*/schedstat, in ns: unlike wall time, not stretched by waiting
// for a core on a busy machine), and the peak RSS after the list.
//
//   node bench/cold-focus.mjs name=path/to/cli.js [name=path/to/cli.js ...] [--rounds 11]
//
// A build elsewhere needs its own node_modules beside its dist/ (a git worktree with
// node_modules linked works). Run it under another Node to compare there (Node 22+ uses the
// compile cache the CLI turns on).
import { readFileSync, readdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { spawnAndConnect } from "./lib/mcp-spawn.mjs";
import { median, round } from "./lib/stats.mjs";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: "string", default: "11" } } });
const builds = positionals.map((b) => b.split("="));
if (builds.length === 0 || builds.some((b) => b.length !== 2)) {
  process.stderr.write("usage: node bench/cold-focus.mjs name=path/to/cli.js [...] [--rounds 11]\n");
  process.exit(2);
}
// A key and an API URL the server accepts at start; nothing is called.
const env = { UNKEY_ROOT_KEY: "unkey_coldfocus00000000000000", UNKEY_API_URL: "http://127.0.0.1:9" };
const samples = Object.fromEntries(builds.map(([name]) => [name, { cold: [], init: [], list: [], main: [], all: [], rss: [] }]));

/** CPU time (ms) of a process's main thread and of all its threads, from schedstat (ns on CPU). */
function cpuMs(pid) {
  const read = (tid) => Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]) / 1e6;
  try {
    return { main: read(pid), all: readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => sum + read(tid), 0) };
  } catch {
    return { main: Number.NaN, all: Number.NaN };
  }
}
for (let r = 0; r < Number(values.rounds); r++) {
  for (const [name, cli] of builds) {
    const s = await spawnAndConnect({ args: [cli, "stdio"], env, label: name });
    const m = samples[name];
    m.cold.push(s.coldStartMs);
    m.init.push(s.initializeMs);
    m.list.push(s.coldStartMs - s.initializeMs);
    const cpu = cpuMs(s.pid);
    m.main.push(cpu.main);
    m.all.push(cpu.all);
    m.rss.push((s.peakRssKb() ?? Number.NaN) / 1024);
    await s.close();
  }
}
process.stdout.write(`node ${process.version}, ${values.rounds} rounds, medians\n`);
for (const [name, m] of Object.entries(samples)) {
  const f = (list) => String(round(median(list), 1)).padStart(7);
  process.stdout.write(
    `${name.padEnd(10)} cold start ${f(m.cold)} ms   to initialize ${f(m.init)} ms   tools/list ${f(m.list)} ms   CPU main ${f(m.main)} ms   all threads ${f(m.all)} ms   peak RSS ${f(m.rss)} MB\n`,
  );
}
