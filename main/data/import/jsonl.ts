// JSONL (one JSON object per line) parser, streaming.
//
//   parseJsonl(chunks, {maxLineBytes?}): AsyncGenerator<ParseBatch>
//
// Blank lines are skipped. Each line is decoded on its own with a fatal UTF-8 decoder, so one line of
// bad bytes is reported (with its number) and the rest of the file still imports. A line that is not
// valid JSON, or is valid JSON but not an object (a bare number, an array), is rejected with a reason.
// Accepted rows keep their original line as their JSON text.
import { splitLines } from './lines.ts';
import {
  DEFAULT_MAX_LINE_BYTES,
  describeJsonValue,
  INVALID_UTF8_REASON,
  isJsonObject,
  type ParseBatch,
  type TextParseOptions,
} from './types.ts';

export async function* parseJsonl(chunks: AsyncIterable<Buffer>, options: TextParseOptions = {}): AsyncGenerator<ParseBatch> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const lineBatch of splitLines(chunks, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES)) {
    const batch: ParseBatch = { rows: [], json: [], errors: lineBatch.errors };
    const { lines, lineNumbers } = lineBatch;
    for (let i = 0; i < lines.length; i++) {
      let text: string;
      try {
        text = decoder.decode(lines[i]);
      } catch {
        batch.errors.push({ line: lineNumbers[i], reason: INVALID_UTF8_REASON });
        continue;
      }
      text = text.trim(); // also drops the '\r' of CRLF files
      if (text.length === 0) continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        batch.errors.push({ line: lineNumbers[i], reason: `invalid JSON: ${(error as Error).message}` });
        continue;
      }
      if (!isJsonObject(value)) {
        batch.errors.push({ line: lineNumbers[i], reason: `expected a JSON object, found ${describeJsonValue(value)}` });
        continue;
      }
      batch.rows.push(value);
      batch.json.push(text);
    }
    if (batch.errors.length > 1) batch.errors.sort((a, b) => a.line - b.line);
    yield batch;
  }
}
