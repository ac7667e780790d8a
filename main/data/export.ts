// Dataset export to JSONL: streaming (a batch of rows at a time) and durable (written to a temp file next
// to the target, fsynced, then renamed over it, so a reader never sees half a file).
//
//   exportDataset({workspace, dataset, path, signal?}): Promise<{path, rows}>
//
// Each line is the row's stored JSON text (for a JSONL import, the original line).
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Workspace } from '../store/index.ts';
import { fsyncDirectory, StoreError } from '../store/index.ts';
import { temporarySibling } from '../store/durable.ts';

export type ExportOptions = {
  workspace: Workspace;
  dataset: string;
  path: string;
  signal?: AbortSignal;
};

export async function exportDataset(options: ExportOptions): Promise<{ path: string; rows: number }> {
  const target = resolve(options.path);
  // Fails with 'not_found' before any file is created.
  await options.workspace.datasets.get(options.dataset);
  // The UI's default target (<workspace>/exports/NAME.jsonl) may not exist yet.
  await mkdir(dirname(target), { recursive: true });
  const tmp = temporarySibling(target);
  const handle = await open(tmp, 'w');
  let rows = 0;
  try {
    for await (const batch of options.workspace.datasets.jsonBatches(options.dataset)) {
      if (options.signal?.aborted) throw new StoreError('cancelled', 'export cancelled');
      await handle.write(batch.join('\n') + '\n');
      rows += batch.length;
    }
    await handle.sync();
    await handle.close();
    await rename(tmp, target);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw error;
  }
  await fsyncDirectory(dirname(target));
  return { path: target, rows };
}
