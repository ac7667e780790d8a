// The text a row is searched by: its string, number and boolean values (nested ones included), joined by
// newlines and lowercased. Keys are left out on purpose, so a search for "prompt" finds rows that mention
// prompts rather than every row that has a "prompt" column.
import type { Row } from '../api/contract.ts';

function collect(value: unknown, out: string[]): void {
  if (value === null || value === undefined) return;
  if (typeof value === 'string') {
    out.push(value);
  } else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    out.push(String(value));
  } else if (Array.isArray(value)) {
    for (const item of value) collect(item, out);
  } else if (typeof value === 'object') {
    for (const key of Object.keys(value)) collect((value as Record<string, unknown>)[key], out);
  }
}

export function searchTextOf(row: Row): string {
  const parts: string[] = [];
  collect(row, parts);
  return parts.join('\n').toLowerCase();
}

/** Normalizes a user's search query the same way (case-insensitive substring match). */
export function normalizeSearch(query: string): string {
  return query.toLowerCase();
}

/** A LanceDB (DataFusion SQL) filter matching rows whose search text contains `needle`. */
export function searchFilter(needle: string): string {
  return `strpos(_text, '${needle.replaceAll("'", "''")}') > 0`;
}
