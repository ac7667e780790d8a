// The `import` job kind: parses a file into a dataset inside the job process, reporting progress in bytes.
// The parent (datasets.import) has already checked the file, its format and the duplicate question.
import { rm } from 'node:fs/promises';
import type { ImportSummary } from '../../data/import/types.ts';
import type { ImportFormat } from '../../store/types.ts';
import type { JobContext } from '../job-kind.ts';
import { openWorkspace } from '../../store/index.ts';
import { importDataset, type CsvEncoding } from '../../data/import/index.ts';

export type ImportJobInput = {
  dataset: string;
  path: string;
  fileName: string;
  format: ImportFormat;
  /** CSV text encoding; auto-detected when omitted. */
  encoding?: CsvEncoding;
  sha256: string;
  /** Uploaded files are temporary: remove them once imported (or failed). */
  removeSourceWhenDone: boolean;
};

export async function run(raw: unknown, ctx: JobContext): Promise<ImportSummary> {
  const input = raw as ImportJobInput;
  ctx.log(`importing ${input.fileName} (${input.format}, sha256 ${input.sha256}) into "${input.dataset}"`);
  const workspace = await openWorkspace(ctx.workspace);
  try {
    const result = await importDataset({
      workspace,
      dataset: input.dataset,
      path: input.path,
      format: input.format,
      encoding: input.encoding,
      fileName: input.fileName,
      signal: ctx.signal,
      onProgress: (p) =>
        ctx.progress({ done: p.bytesDone, total: p.bytesTotal, unit: 'bytes', message: `${p.rowsImported} rows` }),
    });
    const summary: ImportSummary = {
      dataset: result.dataset,
      imported: result.imported,
      rejected: result.rejected,
      errors: result.errors,
    };
    ctx.log(`imported ${summary.imported} rows, rejected ${summary.rejected}`);
    for (const error of summary.errors.slice(0, 20)) ctx.log(`line ${error.line}: ${error.reason}`);
    return summary;
  } finally {
    await workspace.close();
    if (input.removeSourceWhenDone) await rm(input.path, { force: true });
  }
}
