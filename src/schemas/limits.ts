/**
 * Limits on free-form JSON objects (`meta`), shared by the local API's request validation and the
 * MCP side. maxBytes is Unkey's documented 1 MB cap on identity meta (applied to every free-form
 * object); maxDepth keeps any JSON.stringify of a stored record far from the stack limit.
 */
export const FREE_FORM_LIMITS = { maxDepth: 16, maxBytes: 1_048_576 } as const;
