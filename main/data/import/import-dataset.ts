// The import operation: parse a file and make its rows the new version of a dataset, atomically.
//
//   importDataset({workspace, dataset, path, format?, fileName?, onProgress?, signal?, maxLineBytes?,
//                  batchRows?}): Promise<ImportResult>
//
// ImportResult is the contract's ImportSummary {dataset, imported, rejected, errors (first 1000)} plus
// {sha256, format, fileName, bytes, info: DatasetInfo}. Progress is reported in bytes of the file
// (for a rate and an ETA), at most every `progressIntervalMs`, and once at the end.
//
// Failure modes (thrown as ImportError, the dataset keeps its previous version in every case):
//   'invalid_input'  the file is missing, empty, has the wrong top-level shape, or no row is valid
//                    (details: the ImportSummary with the per-line errors);
//   'cancelled'      the signal fired.
// A crash (process killed) also leaves the previous version: rows go into a fresh table that becomes
// the dataset's version only in the final registry switch (see main/store/datasets.ts).
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { DatasetInfo, ImportFormat } from '../../store/types.ts';
import type { ImportLineError, ImportSummary } from './types.ts';
import { encodeRow, type EncodedRow } from '../../store/encoded-row.ts';
import type { Workspace } from '../../store/index.ts';
import { parseCsv } from './csv.ts';
import { toUtf8, type CsvEncoding, type ResolvedEncoding } from './encoding.ts';
import { detectFormat } from './detect.ts';
import { ImportError } from './errors.ts';
import { hashFileOffThread } from './hash.ts';
import { parseJsonArray } from './json-array.ts';
import { parseJsonl } from './jsonl.ts';
import { parseParquet } from './parquet.ts';
import { readFileChunks } from './read-chunks.ts';
import type { ParseBatch } from './types.ts';

export const MAX_REPORTED_ERRORS = 1000;

export type ImportProgress = {
  bytesDone: number;
  bytesTotal: number;
  rowsImported: number;
  rowsRejected: number;
};

export type ImportOptions = {
  workspace: Workspace;
  dataset: string;
  path: string;
  /** Detected from the extension and content when omitted. */
  format?: ImportFormat;
  /** The name recorded as the source (default: the file's base name; uploads pass the original name). */
  fileName?: string;
  onProgress?: (progress: ImportProgress) => void;
  signal?: AbortSignal;
  /** Longest accepted line / record / element in bytes (default 64 MiB). */
  maxLineBytes?: number;
  /** CSV text encoding: auto (BOM, UTF-8 validity, then CP949), utf-8, cp949, utf-16le, utf-16be. */
  encoding?: CsvEncoding;
  /** Rows per LanceDB write (default 8192). */
  batchRows?: number;
  progressIntervalMs?: number;
};

export type ImportResult = ImportSummary & {
  sha256: string;
  format: ImportFormat;
  /** CSV only: the encoding the file was read as (detected or as asked). */
  encoding?: ResolvedEncoding;
  fileName: string;
  bytes: number;
  info: DatasetInfo;
};

function cancelled(): ImportError {
  return new ImportError('cancelled', 'import cancelled; the dataset keeps its previous version');
}

export async function importDataset(options: ImportOptions): Promise<ImportResult> {
  const { workspace, dataset, path, signal } = options;
  const fileName = options.fileName ?? basename(path);
  let bytesTotal: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ImportError('invalid_input', `${path} is not a file`);
    bytesTotal = info.size;
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError('invalid_input', `cannot read ${path}: ${(error as Error).message}`);
  }
  if (bytesTotal === 0) throw new ImportError('invalid_input', `${fileName} is empty (0 bytes): nothing to import`);
  const format = options.format ?? (await detectFormat(path));
  if (signal?.aborted) throw cancelled();

  // The content hash is computed on a worker thread beside the parse; progress follows the bytes read.
  const hashing = hashFileOffThread(path, signal);
  hashing.catch(() => undefined); // observed below; don't report a cancel as unhandled meanwhile
  let bytesDone = 0;
  let imported = 0;
  let rejected = 0;
  const errors: ImportLineError[] = [];
  const interval = options.progressIntervalMs ?? 100;
  let lastProgress = 0;
  const report = (force = false) => {
    if (!options.onProgress) return;
    const now = performance.now();
    if (!force && now - lastProgress < interval) return;
    lastProgress = now;
    options.onProgress({ bytesDone, bytesTotal, rowsImported: imported, rowsRejected: rejected });
  };

  let batches: AsyncGenerator<ParseBatch>;
  let encoding: ResolvedEncoding | undefined;
  const maxLineBytes = options.maxLineBytes;
  if (format === 'parquet') {
    batches = parseParquet(path, { signal, onBytes: (done) => (bytesDone = done) });
  } else {
    const chunks = readFileChunks(path, {
      signal,
      onChunk: (chunk) => {
        bytesDone += chunk.length;
      },
    });
    if (format === 'jsonl') batches = parseJsonl(chunks, { maxLineBytes });
    else if (format === 'json') batches = parseJsonArray(chunks, { maxLineBytes });
    else {
      const text = await toUtf8(chunks, options.encoding ?? 'auto');
      encoding = text.encoding;
      batches = parseCsv(text.chunks, { maxLineBytes, delimiter: extname(path).toLowerCase() === '.tsv' ? '\t' : ',', sourceEncoding: encoding });
    }
  }

  const writer = await workspace.datasets.beginWrite(dataset);
  try {
    const batchRows = options.batchRows ?? 8192;
    let rows: EncodedRow[] = [];
    let previousWrite: Promise<void> = Promise.resolve();
    const flush = async () => {
      // One write in flight while the next batch is parsed; wait for the previous one first.
      await previousWrite;
      previousWrite = writer.appendEncoded(rows, signal);
      // Keep the promise observed so a failure is not reported as unhandled before it is awaited.
      previousWrite.catch(() => undefined);
      rows = [];
    };
    for await (const batch of batches) {
      if (signal?.aborted) throw cancelled();
      if (batch.encoded) for (const row of batch.encoded) rows.push(row);
      for (let i = 0; i < batch.rows.length; i++) rows.push(encodeRow(batch.rows[i], batch.json[i]));
      imported += batch.rows.length + (batch.encoded?.length ?? 0);
      rejected += batch.errors.length;
      for (const error of batch.errors) if (errors.length < MAX_REPORTED_ERRORS) errors.push(error);
      if (rows.length >= batchRows) await flush();
      report();
    }
    if (rows.length > 0) await flush();
    await previousWrite;
    if (signal?.aborted) throw cancelled();
    const summary: ImportSummary = { dataset, imported, rejected, errors };
    if (imported === 0) {
      throw new ImportError(
        'invalid_input',
        rejected > 0
          ? `no valid rows in ${fileName}: all ${rejected} were rejected (first: line ${errors[0].line}: ${errors[0].reason})`
          : `${fileName} holds no rows`,
        summary,
      );
    }
    const sha256 = await hashing;
    const info = await writer.commit({ fileName, sha256, format, rejected });
    report(true);
    return { ...summary, sha256, format, ...(encoding ? { encoding } : {}), fileName, bytes: bytesTotal, info };
  } catch (error) {
    await writer.abort();
    if ((error as { code?: unknown }).code === 'cancelled' || (signal?.aborted && !(error instanceof ImportError))) throw cancelled();
    throw error;
  }
}
