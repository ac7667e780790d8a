// Splits a byte stream into lines ('\n'-terminated; a trailing '\r' is left to the caller) with a guard
// against huge lines: a line longer than `maxLineBytes` is reported and skipped while streaming, never
// buffered whole, so a 1 GB line costs no more memory than a chunk.
import type { ImportLineError } from './types.ts';
import { tooLongReason } from './types.ts';

export type LineBatch = {
  /** Raw bytes of each complete line, without the '\n'. */
  lines: Buffer[];
  /** 1-based line number of `lines[i]`. */
  lineNumbers: number[];
  /** Lines rejected for length. */
  errors: ImportLineError[];
};

const NEWLINE = 0x0a;

/** Yields one batch per input chunk (plus one for a last line without a newline). */
export async function* splitLines(chunks: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<LineBatch> {
  let lineNumber = 0;
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let skippedBytes = -1; // ≥ 0 while skipping an over-long line

  for await (const chunk of chunks) {
    const batch: LineBatch = { lines: [], lineNumbers: [], errors: [] };
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) {
        const rest = chunk.subarray(start);
        if (skippedBytes >= 0) {
          skippedBytes += rest.length;
        } else if (carryBytes + rest.length > maxLineBytes) {
          skippedBytes = carryBytes + rest.length;
          carry = [];
          carryBytes = 0;
        } else if (rest.length > 0) {
          // Copy: the chunk's memory may be reused by the stream.
          carry.push(Buffer.from(rest));
          carryBytes += rest.length;
        }
        break;
      }
      lineNumber++;
      const piece = chunk.subarray(start, newline);
      start = newline + 1;
      if (skippedBytes >= 0) {
        batch.errors.push({ line: lineNumber, reason: tooLongReason(skippedBytes + piece.length, maxLineBytes) });
        skippedBytes = -1;
        continue;
      }
      const length = carryBytes + piece.length;
      if (length > maxLineBytes) {
        batch.errors.push({ line: lineNumber, reason: tooLongReason(length, maxLineBytes) });
      } else {
        batch.lines.push(carryBytes > 0 ? Buffer.concat([...carry, piece]) : piece);
        batch.lineNumbers.push(lineNumber);
      }
      carry = [];
      carryBytes = 0;
    }
    yield batch;
  }

  // The last line has no newline.
  if (skippedBytes >= 0) {
    yield { lines: [], lineNumbers: [], errors: [{ line: lineNumber + 1, reason: tooLongReason(skippedBytes, maxLineBytes) }] };
  } else if (carryBytes > 0) {
    yield { lines: [Buffer.concat(carry)], lineNumbers: [lineNumber + 1], errors: [] };
  }
}
