/** Unkey's cursor pagination for the list operations. */
import type { Pagination } from "./types.js";

/** Unkey's list default (and maximum) page size. */
export const DEFAULT_PAGE_LIMIT = 100;

/** Rows fetched with `limit + 1` → the page and Unkey's pagination (cursor = id of the next row). */
export function toPage<T extends { id: string }>(rows: T[], limit: number): { items: T[]; pagination: Pagination } {
  if (rows.length > limit) {
    return { items: rows.slice(0, limit), pagination: { cursor: rows[limit].id, hasMore: true } };
  }
  return { items: rows, pagination: { hasMore: false } };
}
