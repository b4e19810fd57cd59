/** SQL helpers shared by the store modules. */

/** Escapes LIKE wildcards so a `search` is a plain substring match (used with `ESCAPE '\'`). */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** One page request: rows with id >= cursor, in id order, at most `limit` of them. */
export interface PageQuery {
  cursor: string;
  limit: number;
  /** A substring to match; empty or absent means no filter. */
  search?: string;
}
