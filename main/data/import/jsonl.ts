// JSONL (one JSON object per line) parser, streaming.
//
//   parseJsonl(chunks, {maxLineBytes?}): AsyncGenerator<ParseBatch>   (accepted rows in `encoded`)
//
// Blank lines are skipped. Each line is checked for valid UTF-8 on its own (buffer.isUtf8, the same strict
// check as a fatal TextDecoder, but faster), so one line of bad bytes is reported (with its number) and the
// rest of the file still imports. A line that is not valid JSON, or is valid JSON but not an object (a bare
// number, an array), is rejected with a reason.
//
// Accepted rows are never turned into JS objects: a byte-level validator (json-object-scan.ts) checks the
// line and reads its top-level keys and value kinds, and the row keeps its original line (UTF-8 bytes,
// trimmed) as its JSON text. Only a line the validator does not accept goes through JSON.parse, which
// gives the rejection reason (or, should the two ever disagree, accepts the line after all).
import { isUtf8 } from 'node:buffer';
import { ColumnTracker } from '../../store/columns.ts';
import type { EncodedRow } from '../../store/encoded-row.ts';
import { needsCanonicalEscapes } from '../../store/json-escapes.ts';
import { scanJsonObject } from './json-object-scan.ts';
import { splitLines } from './lines.ts';
import {
  DEFAULT_MAX_LINE_BYTES,
  describeJsonValue,
  INVALID_UTF8_REASON,
  isJsonObject,
  type ParseBatch,
  type TextParseOptions,
} from './types.ts';

/** Index of the first byte after leading ASCII whitespace and a UTF-8 BOM. */
function trimStart(bytes: Buffer): number {
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  while (start < bytes.length && (bytes[start] === 0x20 || bytes[start] === 0x09 || bytes[start] === 0x0d)) start++;
  return start;
}

/** Index after the last byte that is not ASCII whitespace (drops the '\r' of CRLF files). */
function trimEnd(bytes: Buffer, start: number): number {
  let end = bytes.length;
  while (end > start && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09 || bytes[end - 1] === 0x0d)) end--;
  return end;
}

/** The slow path: JSON.parse decides, and names the reason when it rejects. */
function parseLine(bytes: Buffer): EncodedRow | string {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return `invalid JSON: ${(error as Error).message}`;
  }
  if (!isJsonObject(value)) return `expected a JSON object, found ${describeJsonValue(value)}`;
  const keys = Object.keys(value);
  return { json: bytes, keys, kinds: keys.map((key) => ColumnTracker.kindOf(value[key])), escapes: needsCanonicalEscapes(bytes) };
}

export async function* parseJsonl(chunks: AsyncIterable<Buffer>, options: TextParseOptions = {}): AsyncGenerator<ParseBatch> {
  for await (const lineBatch of splitLines(chunks, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES)) {
    const encoded: EncodedRow[] = [];
    const batch: ParseBatch = { rows: [], json: [], encoded, errors: lineBatch.errors };
    const { lines, lineNumbers } = lineBatch;
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i];
      const start = trimStart(raw);
      const end = trimEnd(raw, start);
      if (end === start) continue; // blank line
      const bytes = start === 0 && end === raw.length ? raw : raw.subarray(start, end);
      if (!isUtf8(bytes)) {
        batch.errors.push({ line: lineNumbers[i], reason: INVALID_UTF8_REASON });
        continue;
      }
      const shape = scanJsonObject(bytes);
      const row = shape ? { json: bytes, keys: shape.keys, kinds: shape.kinds, escapes: shape.escapes } : parseLine(bytes);
      if (typeof row === 'string') batch.errors.push({ line: lineNumbers[i], reason: row });
      else encoded.push(row);
    }
    if (batch.errors.length > 1) batch.errors.sort((a, b) => a.line - b.line);
    yield batch;
  }
}
