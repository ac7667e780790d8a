// JSON array parser, streaming: a file holding one top-level array of objects, `[{...}, {...}]`.
//
//   parseJsonArray(chunks, {maxLineBytes?}): AsyncGenerator<ParseBatch>
//
// A byte-level scanner finds the boundaries of the top-level elements (tracking nesting and strings), so
// only one element at a time is held in memory; each element is then decoded (fatal UTF-8) and parsed
// with JSON.parse. Errors are reported at the line where the element starts. A bad element (invalid
// JSON, not an object, too long, bad UTF-8) is skipped and the scan goes on; a file whose top level is not
// an array fails as a whole with ImportError.
import { ImportError } from './errors.ts';
import {
  DEFAULT_MAX_LINE_BYTES,
  describeJsonValue,
  INVALID_UTF8_REASON,
  isJsonObject,
  type ParseBatch,
  type TextParseOptions,
  tooLongReason,
} from './types.ts';

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

type Phase = 'start' | 'between' | 'element' | 'end';

export async function* parseJsonArray(chunks: AsyncIterable<Buffer>, options: TextParseOptions = {}): AsyncGenerator<ParseBatch> {
  const maxBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let phase: Phase = 'start';
  let line = 1;
  let bomChecked = false;
  // The element being scanned.
  let elementLine = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let pieces: Buffer[] = [];
  let elementBytes = 0;
  let tooLong = false;
  let elementsSeen = 0;

  const finishElement = (batch: ParseBatch) => {
    elementsSeen++;
    if (tooLong) {
      batch.errors.push({ line: elementLine, reason: tooLongReason(elementBytes, maxBytes, 'array element') });
    } else {
      let text: string | null = null;
      try {
        text = decoder.decode(pieces.length === 1 ? pieces[0] : Buffer.concat(pieces)).trim();
      } catch {
        batch.errors.push({ line: elementLine, reason: INVALID_UTF8_REASON });
      }
      if (text !== null) {
        if (text.length === 0) {
          batch.errors.push({ line: elementLine, reason: 'empty array element' });
        } else {
          try {
            const value: unknown = JSON.parse(text);
            if (isJsonObject(value)) {
              batch.rows.push(value);
              batch.json.push(text);
            } else {
              batch.errors.push({ line: elementLine, reason: `expected a JSON object, found ${describeJsonValue(value)}` });
            }
          } catch (error) {
            batch.errors.push({ line: elementLine, reason: `invalid JSON: ${(error as Error).message}` });
          }
        }
      }
    }
    pieces = [];
    elementBytes = 0;
    tooLong = false;
    depth = 0;
    inString = false;
    escaped = false;
  };

  for await (let chunk of chunks) {
    if (!bomChecked && chunk.length > 0) {
      bomChecked = true;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    const batch: ParseBatch = { rows: [], json: [], errors: [] };
    let elementStart = phase === 'element' ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (phase === 'element') {
        if (inString) {
          if (escaped) escaped = false;
          else if (byte === BACKSLASH) escaped = true;
          else if (byte === QUOTE) inString = false;
          else if (byte === NEWLINE) line++;
          continue;
        }
        if (byte === QUOTE) inString = true;
        else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
        else if ((byte === CLOSE_BRACE || byte === CLOSE_BRACKET) && depth > 0) depth--;
        else if (depth === 0 && (byte === COMMA || byte === CLOSE_BRACKET)) {
          const piece = chunk.subarray(elementStart, i);
          elementBytes += piece.length;
          if (elementBytes > maxBytes) tooLong = true;
          if (!tooLong) pieces.push(piece);
          finishElement(batch);
          elementStart = -1;
          phase = byte === COMMA ? 'between' : 'end';
        } else if (byte === NEWLINE) line++;
        continue;
      }
      if (byte === NEWLINE) line++;
      if (isWhitespace(byte)) continue;
      if (phase === 'start') {
        if (byte !== OPEN_BRACKET) {
          const found = byte === OPEN_BRACE ? 'an object' : `"${String.fromCharCode(byte)}"`;
          throw new ImportError(
            'invalid_input',
            `a JSON file must hold one top-level array of objects, but it starts with ${found}; for one object per line use JSONL`,
          );
        }
        phase = 'between';
        continue;
      }
      if (phase === 'between') {
        if (byte === CLOSE_BRACKET) {
          if (elementsSeen > 0) batch.errors.push({ line, reason: 'trailing comma before "]"' });
          phase = 'end';
        } else if (byte === COMMA) {
          batch.errors.push({ line, reason: 'empty array element (two commas in a row)' });
        } else {
          phase = 'element';
          elementLine = line;
          elementStart = i;
          i--; // scan this byte again as the element's first
        }
        continue;
      }
      // phase === 'end': only whitespace may follow the array.
      batch.errors.push({ line, reason: 'unexpected data after the end of the top-level array; the rest of the file was ignored' });
      yield batch;
      return;
    }
    if (phase === 'element' && elementStart >= 0) {
      const piece = chunk.subarray(elementStart);
      elementBytes += piece.length;
      if (elementBytes > maxBytes) {
        tooLong = true;
        pieces = [];
      }
      if (!tooLong && piece.length > 0) pieces.push(Buffer.from(piece));
    }
    yield batch;
  }

  if (phase === 'start') throw new ImportError('invalid_input', 'the file is empty (no JSON array found)');
  if (phase === 'element' || phase === 'between') {
    const where = phase === 'element' ? elementLine : line;
    yield { rows: [], json: [], errors: [{ line: where, reason: 'unexpected end of file: the top-level array is not closed' }] };
  }
}
