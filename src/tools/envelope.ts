/**
 * The shape of `structuredContent`, for every tool result (success and error alike), and the
 * outputSchema that declares it. results.ts fills it; the generator and defineTool declare it.
 *
 * Clients disagree about which half of a result the model reads (some show only
 * structuredContent, others only the text), so everything a model needs to act is a field here:
 * the data, a one-line summary, the exact next call for more, notices (shown once, withheld,
 * cut to fit) and, on failure, the error with its hint. The text half states the same facts.
 */
import type { JsonSchema } from "../schemas/loader.js";

export interface ResultError {
  /** What went wrong, one sentence. */
  message: string;
  /** HTTP status of an Unkey error. */
  status?: number;
  /** Unkey's error type URL. */
  type?: string;
  /** One line per invalid field. */
  fields?: string[];
  /** What to do next: a tool to call, a setting to change. */
  hint?: string;
  requestId?: string;
}

export interface ResultEnvelope {
  /** One line: what this result is. */
  summary: string;
  data?: unknown;
  pagination?: unknown;
  /** The exact call that returns more (the next page, or what was cut to fit the budget). */
  next?: string;
  /** Facts the model must not miss: a secret shown once, a secret withheld, items cut. */
  notices?: string[];
  error?: ResultError;
  /** Unkey's request id, for support. */
  requestId?: string;
  /** A guarded call that ran: what it changed, from its preview. */
  changed?: string[];
}

/**
 * `error` is declared as a bare object: its fields are documented in ResultError, and every
 * property declared here is compiled by every client that validates results (the SDK client
 * compiles all outputSchemas at tools/list, which is part of a stdio server's cold start).
 */
const ERROR_SCHEMA: JsonSchema = { type: "object" };

/**
 * The outputSchema of a tool whose `data` has `dataSchema` (and `pagination` when the API pages).
 * `data` is not required: an error result carries `error` instead, and clients validate error
 * results against the same schema.
 */
export function envelopeSchema(dataSchema: JsonSchema | undefined, paginationSchema?: JsonSchema): JsonSchema {
  return {
    type: "object",
    properties: {
      summary: { type: "string" },
      data: dataSchema ?? {},
      ...(paginationSchema ? { pagination: paginationSchema } : {}),
      next: { type: "string" },
      notices: { type: "array", items: { type: "string" } },
      error: ERROR_SCHEMA,
      requestId: { type: "string" },
    },
    required: ["summary"],
  };
}
