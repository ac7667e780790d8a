// CSV parser (RFC 4180), streaming.
//
//   parseCsv(chunks, {maxLineBytes?, delimiter?}): AsyncGenerator<ParseBatch>
//
// The first non-empty record is the header. Fields may be quoted ("a, b"), with "" for a quote and with
// embedded newlines; records end with LF, CRLF or a lone CR (classic Mac, some Excel exports); a UTF-8
// BOM is dropped. Other encodings (CP949, UTF-16) are converted to UTF-8 before this parser (encoding.ts). Record boundaries are found on
// bytes (the syntax characters are ASCII, so this is safe in UTF-8), then each record is decoded with a
// fatal UTF-8 decoder: bad bytes reject that record only. Values stay strings (CSV has no types, and
// guessing turns "007" into 7); empty fields are "". A record with a different field count than the
// header is rejected. Errors carry the line where the record starts.
import { ImportError } from './errors.ts';
import {
  DEFAULT_MAX_LINE_BYTES,
  INVALID_UTF8_REASON,
  type ParseBatch,
  type TextParseOptions,
  tooLongReason,
} from './types.ts';

export type CsvParseOptions = TextParseOptions & {
  /** Field separator, one ASCII character (default ","; "\t" for TSV). */
  delimiter?: string;
  /**
   * The file's encoding when it was converted to UTF-8 first (encoding.ts): undecodable bytes arrive as
   * U+FFFD, and a record holding one is rejected naming that encoding. Omitted or "utf-8": the bytes are
   * the file's own and invalid UTF-8 is rejected with a hint to choose the encoding.
   */
  sourceEncoding?: string;
};

/** Reason for a record of a UTF-8 read that is not UTF-8: most often a Korean Excel (CP949) file. */
const INVALID_UTF8_CSV_REASON = `${INVALID_UTF8_REASON} (a file saved by Korean Excel is CP949: import it with encoding cp949, or utf-16le for "Unicode text")`;

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Splits one decoded record (without its line ending) into fields. A field that starts with a quote is
 * quoted ("" is a quote; delimiters and newlines are literal inside); text after its closing quote is kept
 * literally, and quotes inside an unquoted field are literal (lenient, like most readers).
 */
export function splitCsvRecord(record: string, delimiter: string): { fields: string[]; unterminated: boolean } {
  const fields: string[] = [];
  let unterminated = false;
  let i = 0;
  for (;;) {
    let field = '';
    if (record[i] === '"') {
      i++;
      for (;;) {
        const quote = record.indexOf('"', i);
        if (quote === -1) {
          unterminated = true;
          field += record.slice(i);
          i = record.length;
          break;
        }
        field += record.slice(i, quote);
        if (record[quote + 1] === '"') {
          field += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
    }
    let end = record.indexOf(delimiter, i);
    if (end === -1) end = record.length;
    field += record.slice(i, end);
    fields.push(field);
    if (end >= record.length) break;
    i = end + 1;
  }
  return { fields, unterminated };
}

function uniqueHeader(fields: string[]): string[] {
  const seen = new Map<string, number>();
  return fields.map((raw, index) => {
    const base = raw.trim() === '' ? `column_${index + 1}` : raw;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}_${count}`;
  });
}

export async function* parseCsv(chunks: AsyncIterable<Buffer>, options: CsvParseOptions = {}): AsyncGenerator<ParseBatch> {
  const maxBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r' || delimiter.charCodeAt(0) > 0x7f) {
    throw new ImportError('invalid_input', `invalid CSV delimiter ${JSON.stringify(delimiter)}: use one ASCII character`);
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const converted = options.sourceEncoding !== undefined && options.sourceEncoding !== 'utf-8' ? options.sourceEncoding : null;
  let prevCR = false; // the last byte seen was a CR (a CRLF may straddle two chunks)
  let header: string[] | null = null;
  let line = 1; // line of the next byte
  let recordLine = 1; // line where the current record starts
  let inQuotes = false;
  let pieces: Buffer[] = [];
  let recordBytes = 0;
  let tooLong = false;
  let first = true;

  const finishRecord = (batch: ParseBatch) => {
    const startLine = recordLine;
    const bytes = recordBytes;
    const wasTooLong = tooLong;
    const raw = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
    pieces = [];
    recordBytes = 0;
    tooLong = false;
    recordLine = line;
    if (wasTooLong) {
      batch.errors.push({ line: startLine, reason: tooLongReason(bytes, maxBytes, 'record') });
      return;
    }
    let text: string;
    try {
      text = decoder.decode(raw);
    } catch {
      // Without a header no row can be read: fail the file with the hint instead of "no header row".
      if (!header) throw new ImportError('invalid_input', `the header row (line ${startLine}) is not valid UTF-8; a file saved by Korean Excel is CP949: import it with encoding cp949 (or utf-16le for "Unicode text")`);
      batch.errors.push({ line: startLine, reason: INVALID_UTF8_CSV_REASON });
      return;
    }
    if (converted && text.includes('\uFFFD')) {
      batch.errors.push({ line: startLine, reason: `bytes that are not valid ${converted} text (choose the file's encoding, e.g. utf-8, cp949, utf-16le)` });
      return;
    }
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.length === 0) return; // blank line
    const { fields, unterminated } = splitCsvRecord(text, delimiter);
    if (unterminated) {
      batch.errors.push({ line: startLine, reason: 'unterminated quoted field (a " is never closed)' });
      return;
    }
    if (!header) {
      header = uniqueHeader(fields);
      return;
    }
    if (fields.length !== header.length) {
      batch.errors.push({
        line: startLine,
        reason: `expected ${header.length} fields (as in the header), found ${fields.length}`,
      });
      return;
    }
    const row: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) row[header[i]] = fields[i];
    batch.rows.push(row);
    batch.json.push(undefined);
  };

  for await (let chunk of chunks) {
    if (first && chunk.length > 0) {
      first = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    const batch: ParseBatch = { rows: [], json: [], errors: [] };
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      const afterCR = prevCR;
      prevCR = byte === CR;
      if (byte === QUOTE) {
        inQuotes = !inQuotes; // "" inside a quoted field toggles twice: still inside
      } else if (byte === NEWLINE && afterCR) {
        // The LF of a CRLF: the CR already counted the line and (outside quotes) ended the record.
        if (!inQuotes) start = i + 1;
      } else if (byte === NEWLINE || byte === CR) {
        line++;
        if (inQuotes) continue;
        const piece = chunk.subarray(start, i);
        recordBytes += piece.length;
        if (recordBytes > maxBytes) tooLong = true;
        if (!tooLong) pieces.push(piece);
        else pieces = [];
        finishRecord(batch);
        start = i + 1;
      }
    }
    const rest = chunk.subarray(start);
    recordBytes += rest.length;
    if (recordBytes > maxBytes) {
      tooLong = true;
      pieces = [];
    }
    if (!tooLong && rest.length > 0) pieces.push(Buffer.from(rest));
    yield batch;
  }

  if (recordBytes > 0 || tooLong) {
    const batch: ParseBatch = { rows: [], json: [], errors: [] };
    if (inQuotes && !tooLong) {
      batch.errors.push({ line: recordLine, reason: 'unexpected end of file inside a quoted field (a " is never closed)' });
    } else {
      finishRecord(batch);
    }
    yield batch;
  }
  if (!header) throw new ImportError('invalid_input', 'the CSV file is empty (no header row)');
}
