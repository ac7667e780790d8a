// JSONL (one JSON object per line) parser, streaming.
//
//   parseJsonl(chunks, {maxLineBytes?}): AsyncGenerator<ParseBatch>
//
// Blank lines are skipped. Each line is checked for valid UTF-8 on its own (buffer.isUtf8, the same strict
// check as a fatal TextDecoder, but faster), so one line of bad bytes is reported (with its number) and the
// rest of the file still imports. A line that is not
// valid JSON, or is valid JSON but not an object (a bare number, an array), is rejected with a reason.
// Accepted rows keep their original line (UTF-8 bytes, trimmed) as their JSON text.
import { isUtf8 } from 'node:buffer';
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

export async function* parseJsonl(chunks: AsyncIterable<Buffer>, options: TextParseOptions = {}): AsyncGenerator<ParseBatch> {
  for await (const lineBatch of splitLines(chunks, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES)) {
    const batch: ParseBatch = { rows: [], json: [], errors: lineBatch.errors };
    const { lines, lineNumbers } = lineBatch;
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i];
      const start = trimStart(raw);
      const end = trimEnd(raw, start);
      if (end === start) continue; // blank line
      const bytes = raw.subarray(start, end);
      // Strict UTF-8 check (what a fatal TextDecoder does), then a fast decode.
      if (!isUtf8(bytes)) {
        batch.errors.push({ line: lineNumbers[i], reason: INVALID_UTF8_REASON });
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(bytes.toString('utf8'));
      } catch (error) {
        batch.errors.push({ line: lineNumbers[i], reason: `invalid JSON: ${(error as Error).message}` });
        continue;
      }
      if (!isJsonObject(value)) {
        batch.errors.push({ line: lineNumbers[i], reason: `expected a JSON object, found ${describeJsonValue(value)}` });
        continue;
      }
      batch.rows.push(value);
      batch.json.push(bytes);
    }
    if (batch.errors.length > 1) batch.errors.sort((a, b) => a.line - b.line);
    yield batch;
  }
}
