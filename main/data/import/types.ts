// Shared shapes of the import parsers.
//
// Every parser is an async generator of `ParseBatch`es: the rows it accepted (JSON objects, with their
// JSON text when the parser already has it; or, for JSONL, rows in stored form) and the lines it rejected, with
// a 1-based line number and a reason. Parsers never throw for a bad row; they throw `ImportError` only
// when the file as a whole cannot be read (wrong top-level shape, empty, unreadable).
import type { EncodedRow } from '../../store/encoded-row.ts';
import type { Row } from '../../store/types.ts';

/** A rejected line of an imported file: 1-based line number and why. */
export type ImportLineError = { line: number; reason: string };

/** What an import job reports when it finishes (the contract's datasets.import result). */
export type ImportSummary = {
  dataset: string;
  imported: number;
  rejected: number;
  /** Capped list (first 1000) of rejected lines; `rejected` is the full count. */
  errors: ImportLineError[];
};


export type ParseBatch = {
  rows: Row[];
  /**
   * JSON text of `rows[i]` when known, as a string or UTF-8 bytes (saves re-serializing); undefined
   * where unknown. Same length as `rows`.
   */
  json: (string | Uint8Array | undefined)[];
  /**
   * Accepted rows in stored form, validated but never built as JS objects (the JSONL parser's output;
   * it leaves `rows` empty). A parser fills either `rows` or `encoded` in one batch, not both.
   */
  encoded?: EncodedRow[];
  errors: ImportLineError[];
};

export type TextParseOptions = {
  /**
   * The longest line (JSONL), record (CSV) or array element (JSON) accepted, in bytes. Longer ones are
   * rejected with a reason, and skipped without being held in memory. Default 64 MiB.
   */
  maxLineBytes?: number;
};

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

export function emptyBatch(): ParseBatch {
  return { rows: [], json: [], errors: [] };
}

export function isJsonObject(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How a non-object JSON value is described in a rejection reason. */
export function describeJsonValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  return `a ${typeof value}`;
}

export function tooLongReason(bytes: number, maxBytes: number, what = 'line'): string {
  return `${what} is longer than the limit of ${maxBytes} bytes (at least ${bytes} bytes); it was skipped`;
}

export const INVALID_UTF8_REASON = 'invalid UTF-8: the bytes are not valid UTF-8 text';
