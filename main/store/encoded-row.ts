// A row on its way into a dataset table, already in the form it is stored in: its JSON text as UTF-8
// bytes plus its top-level shape (keys and the kind of each value, for the dataset's column list). The
// JSONL import produces these straight from the file's bytes without building JS objects; rows that are
// JS objects (CSV, Parquet, JSON arrays, API callers) are turned into them with `encodeRow`.
import type { Row } from './types.ts';
import { ColumnTracker } from './columns.ts';
import { needsCanonicalEscapes } from './json-escapes.ts';

export type EncodedRow = {
  /** The row's JSON text (one JSON object), UTF-8. */
  json: Uint8Array;
  /** Top-level keys, each once, in first-seen order. */
  keys: readonly string[];
  /** Kind bits (columns.ts) of each key's value. */
  kinds: readonly number[];
  /**
   * Whether `json` may hold `\u` or `\/` string escapes, which the writer makes canonical before
   * storing (json-escapes.ts). false promises that it holds none.
   */
  escapes: boolean;
};

/** `row` as an EncodedRow; `jsonText`, when given, must be the JSON text of `row` (saves re-serializing). */
export function encodeRow(row: Row, jsonText?: string | Uint8Array): EncodedRow {
  const keys = Object.keys(row);
  const kinds = keys.map((key) => ColumnTracker.kindOf(row[key]));
  if (jsonText === undefined) {
    // JSON.stringify writes canonical escapes already.
    return { json: Buffer.from(JSON.stringify(row), 'utf8'), keys, kinds, escapes: false };
  }
  const json = typeof jsonText === 'string' ? Buffer.from(jsonText, 'utf8') : jsonText;
  return { json, keys, kinds, escapes: needsCanonicalEscapes(json) };
}
