/**
 * Toolsets, profiles and selection: which tools a server (or one HTTP request) exposes.
 *
 * Rules:
 * - `profile` keeps the tools whose `profiles` list it (the contract puts every tool in `full`;
 *   `ratelimits` is the ratelimit toolset plus the rate-limit analytics tool). Absent = no
 *   profile filter.
 * - `toolsets` and `tools` narrow the profile; given together they add up (toolsets ∪ tools),
 *   so `--toolsets keys --tools get_api` means "the keys tools and get_api".
 * - `readOnly` keeps `read` tools, plus `consume` tools only with `allowConsume`.
 * - Every name is checked: an unknown profile, toolset or tool, a tool outside the profile, or a
 *   tool the read-only mode excludes is a CatalogSelectionError naming the valid choices, and
 *   so is a selection that leaves no tool at all. Nothing is silently ignored.
 */
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { ConfigError } from "../config.js";
import { loadContract, parseOpenApi, type OpenApiDocument } from "../schemas/loader.js";
import { codePath } from "../util/assets.js";
import { generateTools, ToolGenerationError } from "./generate.js";
import { handWrittenTools } from "./hand-written/index.js";
import type { ToolDefinition } from "./types.js";

// ---------------------------------------------------------------------------------------------
// Building the catalog

export interface CatalogOptions {
  /** OpenAPI document (file path or http(s) URL) to generate from instead of the bundled contract. */
  spec?: string;
  /** Fetch timeout for a spec URL (default 15 s). */
  timeoutMs?: number;
  /** Every operation needs a valid x-mcp and every rule must hold (the build and the tests). */
  strict?: boolean;
  /** Use the build's precompiled generated tools when present (default true; startup time). */
  precompiled?: boolean;
  /** The hand-written tools to add (default: src/tools/hand-written). */
  handWritten?: readonly ToolDefinition[];
}

export interface Catalog {
  /** Generated tools in contract order, then hand-written ones. */
  tools: ToolDefinition[];
  /** Operations whose metadata was derived or that were skipped, one sentence each. */
  warnings: string[];
}

/** The generated part of the bundled catalog, written by the build (scripts/postbuild.mjs). */
export const PRECOMPILED_CATALOG = codePath("tools/catalog.json");

/**
 * The one catalog everything lists from (server, build, `tools`, snapshots, token counts): the
 * tools generated from the contract (or --spec, with the contract's x-mcp laid over it) plus the
 * hand-written ones. Throws ToolGenerationError on a name used twice.
 */
export async function buildCatalog(options: CatalogOptions = {}): Promise<Catalog> {
  let generated: Catalog;
  if (options.spec) {
    const doc = await readSpec(options.spec, options.timeoutMs ?? 15_000);
    // Our contract's x-mcp fills in operations the other document leaves unannotated.
    generated = generateTools(doc, { overlay: loadContract(), strict: options.strict });
  } else if (options.precompiled !== false && !options.strict && existsSync(PRECOMPILED_CATALOG)) {
    generated = { tools: JSON.parse(readFileSync(PRECOMPILED_CATALOG, "utf8")) as ToolDefinition[], warnings: [] };
  } else {
    generated = generateTools(loadContract(), { strict: options.strict });
  }
  const extra = options.handWritten ?? handWrittenTools;
  const taken = new Set(generated.tools.map((t) => t.name));
  const clashes = extra.filter((t) => taken.has(t.name)).map((t) => `hand-written tool ${t.name} has the name of a generated tool`);
  if (clashes.length > 0) throw new ToolGenerationError(clashes);
  return { tools: [...generated.tools, ...extra], warnings: generated.warnings };
}

/**
 * Reads an OpenAPI document from a file path or an http(s) URL (the \`--spec\` flag). A URL gets
 * \`timeoutMs\` to answer. Failures are ConfigErrors: the flag's value is what has to change.
 */
export async function readSpec(spec: string, timeoutMs = 15_000): Promise<OpenApiDocument> {
  let text: string;
  if (/^https?:\/\//i.test(spec)) {
    let res: Response;
    try {
      res = await fetch(spec, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "application/yaml, application/json, text/yaml, */*" } });
    } catch (err) {
      throw new ConfigError(`--spec ${spec}: could not fetch the document (${(err as Error).message})`);
    }
    if (!res.ok) throw new ConfigError(`--spec ${spec}: expected HTTP 200, got ${res.status}`);
    text = await res.text();
  } else {
    try {
      text = await readFile(spec, "utf8");
    } catch (err) {
      throw new ConfigError(`--spec ${spec}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  return parseOpenApi(text, `--spec ${spec}`);
}

// ---------------------------------------------------------------------------------------------
// Selecting from it

/** The profile a server uses when none is chosen; every contract tool belongs to it. */
export const DEFAULT_PROFILE = "full";

export interface ToolSelection {
  profile?: string;
  toolsets?: readonly string[];
  tools?: readonly string[];
  readOnly?: boolean;
  /** In read-only mode, keep `consume` tools (verify a key, check a rate limit) too. */
  allowConsume?: boolean;
}

export type SelectionField = "profile" | "toolsets" | "tools" | "readOnly";

/** A selection names something that does not exist or is not allowed; lists what is. */
export class CatalogSelectionError extends Error {
  readonly field: SelectionField;
  readonly given: string[];
  readonly valid: string[];
  constructor(field: SelectionField, given: string[], valid: string[], message: string) {
    super(message);
    this.name = "CatalogSelectionError";
    this.field = field;
    this.given = given;
    this.valid = valid;
  }
}

/** Profile names used by the tools, sorted. */
export function listProfiles(all: readonly ToolDefinition[]): string[] {
  return [...new Set(all.flatMap((t) => t.profiles))].sort();
}

/** Toolset names used by the tools, sorted. */
export function listToolsets(all: readonly ToolDefinition[]): string[] {
  return [...new Set(all.map((t) => t.toolset))].sort();
}

/** Throws CatalogSelectionError if the selection names anything unknown or excluded. */
export function validateSelection(all: readonly ToolDefinition[], selection: ToolSelection): void {
  selectTools(all, selection);
}

/** The tools a selection exposes, in catalog order; throws CatalogSelectionError. */
export function selectTools(all: readonly ToolDefinition[], selection: ToolSelection): ToolDefinition[] {
  return select(all, selection, "unknown");
}

/** How an out-of-range name is described: unknown to the catalog, or outside a server's set. */
type Wording = "unknown" | "not available on this server";

function select(all: readonly ToolDefinition[], selection: ToolSelection, wording: Wording): ToolDefinition[] {
  const inProfile = filterProfile(all, selection.profile, wording);
  const toolsets = normalise(selection.toolsets);
  const names = normalise(selection.tools);

  const validToolsets = listToolsets(inProfile);
  const badToolsets = toolsets.filter((s) => !validToolsets.includes(s));
  if (badToolsets.length > 0) {
    throw new CatalogSelectionError(
      "toolsets",
      badToolsets,
      validToolsets,
      `toolsets: ${outOfRange("toolset", badToolsets, wording)}${profileNote(selection.profile)}; ` + `expected one of ${validToolsets.join(", ")}`,
    );
  }
  const validNames = inProfile.map((t) => t.name);
  const badNames = names.filter((n) => !validNames.includes(n));
  if (badNames.length > 0) {
    throw new CatalogSelectionError(
      "tools",
      badNames,
      validNames,
      `tools: ${outOfRange("tool", badNames, wording)}${profileNote(selection.profile)}; ` + `expected one of ${validNames.join(", ")}`,
    );
  }

  let chosen = inProfile;
  if (toolsets.length > 0 || names.length > 0) {
    chosen = inProfile.filter((t) => toolsets.includes(t.toolset) || names.includes(t.name));
  }
  if (selection.readOnly) {
    const allowed = (t: ToolDefinition): boolean => t.safety === "read" || (t.safety === "consume" && selection.allowConsume === true);
    // Asking for a tool by name that read-only mode removes is a contradiction worth reporting.
    const refused = chosen.filter((t) => names.includes(t.name) && !allowed(t));
    if (refused.length > 0) {
      const validReadOnly = chosen.filter(allowed).map((t) => t.name);
      const classes = refused.map((t) => `${t.name} (${t.safety})`).join(", ");
      throw new CatalogSelectionError(
        "tools",
        refused.map((t) => t.name),
        validReadOnly,
        `tools: read-only mode excludes ${classes}` +
          (refused.some((t) => t.safety === "consume") ? " (consume tools need allowConsume)" : "") +
          `; available read-only: ${validReadOnly.join(", ") || "none"}`,
      );
    }
    chosen = chosen.filter(allowed);
  }
  if (chosen.length === 0) {
    throw new CatalogSelectionError(
      "readOnly",
      [describeSelection(selection)],
      [],
      `the selection ${describeSelection(selection)} leaves no tools; drop read-only or choose other toolsets`,
    );
  }
  return [...chosen];
}

/**
 * Narrows a server's tool set with one request's selection (HTTP headers / query parameters).
 * The server's tools are the upper bound: the request can only remove tools, and naming a
 * tool or toolset outside the server's set is a CatalogSelectionError listing the allowed ones.
 */
export function narrowSelection(serverSelection: readonly ToolDefinition[], requestSelection: ToolSelection): ToolDefinition[] {
  const empty =
    requestSelection.profile === undefined &&
    normalise(requestSelection.toolsets).length === 0 &&
    normalise(requestSelection.tools).length === 0 &&
    !requestSelection.readOnly;
  if (empty) return [...serverSelection];
  // allowConsume cannot widen anything here: consume tools the server dropped are not in its set.
  return select(serverSelection, requestSelection, "not available on this server");
}

function filterProfile(all: readonly ToolDefinition[], profile: string | undefined, wording: Wording): readonly ToolDefinition[] {
  if (profile === undefined) return all;
  const name = profile.trim();
  const valid = listProfiles(all);
  if (!valid.includes(name)) {
    throw new CatalogSelectionError("profile", [profile], valid, `profile: ${outOfRange("profile", [profile], wording)}; expected one of ${valid.join(", ")}`);
  }
  return all.filter((t) => t.profiles.includes(name));
}

function normalise(values: readonly string[] | undefined): string[] {
  return [...new Set((values ?? []).map((v) => v.trim()).filter((v) => v.length > 0))];
}

function profileNote(profile: string | undefined): string {
  return profile === undefined ? "" : ` in profile ${profile}`;
}

function outOfRange(kind: string, names: readonly string[], wording: Wording): string {
  const noun = names.length === 1 ? kind : `${kind}s`;
  if (wording === "unknown") return `unknown ${noun} ${quoteList(names)}`;
  return `${noun} ${quoteList(names)} ${names.length === 1 ? "is" : "are"} ${wording}`;
}

function quoteList(list: readonly string[]): string {
  return list.map((v) => JSON.stringify(v)).join(", ");
}

function describeSelection(s: ToolSelection): string {
  const parts: string[] = [];
  if (s.profile !== undefined) parts.push(`profile=${s.profile}`);
  if (s.toolsets?.length) parts.push(`toolsets=${normalise(s.toolsets).join(",")}`);
  if (s.tools?.length) parts.push(`tools=${normalise(s.tools).join(",")}`);
  if (s.readOnly) parts.push(`read-only${s.allowConsume ? "+consume" : ""}`);
  return parts.length > 0 ? `(${parts.join(" ")})` : "(everything)";
}
