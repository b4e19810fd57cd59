/**
 * MCP prompts: reusable workflows, one markdown file each in `prompts/` (shipped with the package).
 *
 * A file is YAML front matter (name, description, arguments[{name, description, required}]) and
 * a body with `{{argument}}` placeholders. The directory is read once at startup.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { codePath, packagePath } from "./util/assets.js";

export interface PromptArgument {
  name: string;
  description?: string;
  required?: boolean;
}

export interface PromptTemplate {
  name: string;
  title?: string;
  description: string;
  arguments: PromptArgument[];
  /** Markdown with `{{argument}}` placeholders. */
  body: string;
  /** The file it came from, for error messages. */
  source: string;
}

/** A required argument is missing or an unknown one was given. */
export class PromptArgumentError extends Error {
  override readonly name = "PromptArgumentError";
}

/** `prompts/` at the package root. */
export function defaultPromptsDir(): string {
  return packagePath("prompts");
}

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** The shipped prompts, parsed by the build (scripts/postbuild.mjs) so startup needs no YAML parser. */
const PRECOMPILED_PROMPTS = codePath("prompts.json");

/** The shipped prompts: precompiled when built, else read from `prompts/`. */
export async function loadShippedPrompts(): Promise<PromptTemplate[]> {
  if (existsSync(PRECOMPILED_PROMPTS)) return JSON.parse(readFileSync(PRECOMPILED_PROMPTS, "utf8")) as PromptTemplate[];
  return loadPrompts();
}

/** Reads every `*.md` in the directory; a malformed file is an error naming the file and field. */
export async function loadPrompts(dir: string = defaultPromptsDir()): Promise<PromptTemplate[]> {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith(".md"))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const out: PromptTemplate[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const path = join(dir, f);
    const p = await parsePromptFile(readFileSync(path, "utf8"), path);
    if (seen.has(p.name)) throw new Error(`${path}: prompt name ${p.name} is used by another file`);
    seen.add(p.name);
    out.push(p);
  }
  return out;
}

export async function parsePromptFile(text: string, source: string): Promise<PromptTemplate> {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!m) throw new Error(`${source}: expected YAML front matter between --- lines at the top`);
  // Only prompt files are YAML on the startup path; keep the parser out of everything else.
  const { parse } = await import("yaml");
  const meta = parse(m[1]) as Record<string, unknown> | null;
  if (!meta || typeof meta !== "object") throw new Error(`${source}: front matter must be a mapping`);
  const name = meta.name;
  if (typeof name !== "string" || !NAME.test(name)) throw new Error(`${source}: name: expected a name matching ${NAME.source}, given ${JSON.stringify(name)}`);
  if (typeof meta.description !== "string" || meta.description.trim() === "") throw new Error(`${source}: description: expected a non-empty string`);
  const rawArgs = meta.arguments ?? [];
  if (!Array.isArray(rawArgs)) throw new Error(`${source}: arguments: expected a list`);
  const args: PromptArgument[] = rawArgs.map((a: unknown, i: number) => {
    const arg = a as Record<string, unknown>;
    if (!arg || typeof arg.name !== "string" || !NAME.test(arg.name)) throw new Error(`${source}: arguments[${i}].name: expected a name`);
    if (arg.required !== undefined && typeof arg.required !== "boolean") throw new Error(`${source}: arguments[${i}].required: expected true or false`);
    return { name: arg.name, ...(typeof arg.description === "string" ? { description: arg.description } : {}), required: arg.required === true };
  });
  const body = m[2].trim();
  const known = new Set(args.map((a) => a.name));
  for (const [, placeholder] of body.matchAll(/\{\{\s*([a-zA-Z0-9_-]+)\s*\}\}/g)) {
    if (!known.has(placeholder)) throw new Error(`${source}: placeholder {{${placeholder}}} is not a declared argument (${[...known].join(", ") || "none"})`);
  }
  return {
    name,
    ...(typeof meta.title === "string" ? { title: meta.title } : {}),
    description: meta.description.trim(),
    arguments: args,
    body,
    source,
  };
}

/** Fills the placeholders; a missing required argument or an unknown one is a PromptArgumentError. */
export function renderPrompt(prompt: PromptTemplate, given: Record<string, string> | undefined): string {
  const values = given ?? {};
  const known = new Set(prompt.arguments.map((a) => a.name));
  const unknown = Object.keys(values).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new PromptArgumentError(`prompt ${prompt.name}: unknown argument ${unknown.join(", ")}; expected ${[...known].join(", ") || "no arguments"}`);
  }
  const missing = prompt.arguments.filter((a) => a.required && (values[a.name] === undefined || values[a.name].trim() === ""));
  if (missing.length > 0) {
    throw new PromptArgumentError(
      `prompt ${prompt.name}: missing required argument ${missing.map((a) => `${a.name}${a.description ? ` (${a.description})` : ""}`).join(", ")}`,
    );
  }
  return prompt.body.replace(/\{\{\s*([a-zA-Z0-9_-]+)\s*\}\}/g, (_m, name: string) => values[name] ?? "");
}
