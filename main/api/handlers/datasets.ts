import { rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { fileInTheWay } from '../../store/system-errors.ts';
import type { HandlerGroup } from '../router.ts';
import { ApiFailure } from '../errors.ts';
import { resolveUpload } from '../uploads.ts';
import type { ImportJobInput } from '../../jobs/kinds/import.ts';
import { detectFormat, formatFromExtension } from '../../data/import/index.ts';
import { checkDuplicateImport, describeDuplicate } from '../../data/import/duplicate.ts';
import { exportDataset } from '../../data/export.ts';
import { readBuildStats } from '../../data/build/stored-stats.ts';

async function requireFile(path: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new ApiFailure('not_found', `no file at ${path}`);
  }
  if (!info.isFile()) throw new ApiFailure('invalid_input', `${path} is not a file`);
}

export const datasetsHandlers: HandlerGroup<'datasets'> = {
  'datasets.list': (_input, ctx) => ctx.session.requireWorkspace().workspace.datasets.list(),
  'datasets.get': (input, ctx) => ctx.session.requireWorkspace().workspace.datasets.get(input.name),

  'datasets.import': async (input, ctx) => {
    const { workspace, jobs } = ctx.session.requireWorkspace();
    const { source } = input;
    const path = source.kind === 'path' ? ctx.session.checkPath(source.path, 'import file') : await resolveUpload(ctx.session, source.uploadId);
    const fileName = source.kind === 'path' ? basename(source.path) : source.fileName;
    await requireFile(path);
    // Uploads are stored under a random id: their original name carries the extension.
    const format = input.format ?? formatFromExtension(fileName) ?? (await detectFormat(path));
    const { sha256, duplicate, action } = await checkDuplicateImport(workspace, path, input.onDuplicate);
    if (duplicate && action === 'refuse') {
      throw new ApiFailure('duplicate', describeDuplicate(fileName, duplicate), { dataset: duplicate.dataset, fileName: duplicate.fileName, importedAt: duplicate.importedAt });
    }
    // An upload's life: it stays through the duplicate question (so "import again" names the same upload
    // id) and is removed by the import job once read, or here when the answer is 'skip' (nothing will read it).
    if (duplicate && action === 'skip') {
      if (source.kind === 'upload') await rm(path, { force: true });
      return { jobId: null, dataset: duplicate.dataset };
    }

    const jobInput: ImportJobInput = {
      dataset: input.dataset,
      path,
      fileName,
      format,
      ...(input.encoding ? { encoding: input.encoding } : {}),
      sha256,
      removeSourceWhenDone: source.kind === 'upload',
    };
    const job = await jobs.start('import', jobInput, `Import ${fileName} into ${input.dataset}`, {
      dataset: input.dataset,
      fileName,
    });
    return { jobId: job.id, dataset: input.dataset };
  },

  'datasets.rows': async (input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    const page = await workspace.datasets.rows(input.name, { offset: input.offset, limit: input.limit, search: input.search });
    return { total: page.total, offset: page.offset, rows: page.rows };
  },

  'datasets.delete': async (input, ctx) => {
    const deleted = await ctx.session.requireWorkspace().workspace.datasets.delete(input.name);
    if (deleted) ctx.session.events.emit('datasets.changed', { name: input.name });
    return { deleted };
  },

  'datasets.export': async (input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    const path = ctx.session.checkPath(input.path, 'export target');
    // Said before writing, in words: a file where a folder should be used to surface as a raw EEXIST.
    const blocker = fileInTheWay(dirname(path));
    if (blocker) throw new ApiFailure('invalid_input', `cannot write ${path}: ${blocker} is a file, not a folder`);
    if ((await stat(path).catch(() => null))?.isDirectory()) throw new ApiFailure('invalid_input', `${path} is a folder: give a file name to export to`);
    return exportDataset({ workspace, dataset: input.name, path, format: input.format, chat: input.chat, columns: input.columns });
  },

  'datasets.buildStats': (input, ctx) => readBuildStats(ctx.session.requireWorkspace().workspace, input.name),
};
