// Import format detection: the file extension first, then the content.
//
//   formatFromExtension(path): ImportFormat | null
//   detectFormat(path): Promise<ImportFormat>
//
// Content rules: "PAR1" magic → parquet; first non-blank character "[" → json; "{" → jsonl (also for a
// ".json" file, which then is most likely JSON Lines); anything else → csv.
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import type { ImportFormat } from '../../store/types.ts';

const EXTENSIONS: Record<string, ImportFormat> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'json',
  '.csv': 'csv',
  '.tsv': 'csv',
  '.parquet': 'parquet',
  '.pq': 'parquet',
};

export function formatFromExtension(path: string): ImportFormat | null {
  return EXTENSIONS[extname(path).toLowerCase()] ?? null;
}

/** The first bytes of a file (up to `bytes`). */
async function head(path: string, bytes: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export function formatFromContent(start: Buffer): ImportFormat | null {
  if (start.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet';
  const text = start.toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('[')) return 'json';
  if (text.startsWith('{')) return 'jsonl';
  if (text.length === 0) return null;
  return 'csv';
}

export async function detectFormat(path: string): Promise<ImportFormat> {
  const byExtension = formatFromExtension(path);
  const byContent = formatFromContent(await head(path, 4096));
  if (byExtension === 'json' && byContent === 'jsonl') return 'jsonl';
  return byExtension ?? byContent ?? 'jsonl';
}
