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
import type { ToolDefinition } from "./types.js";

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
      `toolsets: ${outOfRange("toolset", badToolsets, wording)}${profileNote(selection.profile)}; ` +
        `expected one of ${validToolsets.join(", ")}`,
    );
  }
  const validNames = inProfile.map((t) => t.name);
  const badNames = names.filter((n) => !validNames.includes(n));
  if (badNames.length > 0) {
    throw new CatalogSelectionError(
      "tools",
      badNames,
      validNames,
      `tools: ${outOfRange("tool", badNames, wording)}${profileNote(selection.profile)}; ` +
        `expected one of ${validNames.join(", ")}`,
    );
  }

  let chosen = inProfile;
  if (toolsets.length > 0 || names.length > 0) {
    chosen = inProfile.filter((t) => toolsets.includes(t.toolset) || names.includes(t.name));
  }
  if (selection.readOnly) {
    const allowed = (t: ToolDefinition): boolean =>
      t.safety === "read" || (t.safety === "consume" && selection.allowConsume === true);
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
export function narrowSelection(
  serverSelection: readonly ToolDefinition[],
  requestSelection: ToolSelection,
): ToolDefinition[] {
  const empty =
    requestSelection.profile === undefined &&
    normalise(requestSelection.toolsets).length === 0 &&
    normalise(requestSelection.tools).length === 0 &&
    !requestSelection.readOnly;
  if (empty) return [...serverSelection];
  // allowConsume cannot widen anything here: consume tools the server dropped are not in its set.
  return select(serverSelection, requestSelection, "not available on this server");
}

function filterProfile(
  all: readonly ToolDefinition[],
  profile: string | undefined,
  wording: Wording,
): readonly ToolDefinition[] {
  if (profile === undefined) return all;
  const name = profile.trim();
  const valid = listProfiles(all);
  if (!valid.includes(name)) {
    throw new CatalogSelectionError(
      "profile",
      [profile],
      valid,
      `profile: ${outOfRange("profile", [profile], wording)}; expected one of ${valid.join(", ")}`,
    );
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
