// Dataset export: JSONL (rows as stored, or chat format) and Parquet (chat format). Streaming (a batch of
// rows at a time) and durable (written to a temp file next to the target, fsynced, then renamed over it,
// so a reader never sees half a file).
//
//   exportDataset({workspace, dataset, path, format?, chat?, columns?, signal?}): Promise<{path, rows, format}>
//
// JSONL without `chat`: each line is the row's stored JSON text (for a JSONL import, the original line).
// Chat format: one {"messages": [{role, content}, …], …every other column} per row (see chat-format.ts
// for where the turns come from); Parquet is always chat format, `messages` as list<struct<role, content>>
// followed by the other columns, typed (parquet.ts). Every column is kept (answer, gold, category: what a
// trainer's reward or a filter needs) unless `keepColumns` narrows them; `messages` is always written in
// chat format.
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import type { Workspace } from '../store/index.ts';
import { fsyncDirectory, StoreError } from '../store/index.ts';
import { temporarySibling } from '../store/durable.ts';
import { chatMessages, type ChatColumns } from './chat-format.ts';
import { ChatParquetWriter } from './parquet.ts';

export type ExportFormat = 'jsonl' | 'parquet';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['jsonl', 'parquet'];

export type ExportOptions = {
  workspace: Workspace;
  dataset: string;
  path: string;
  /** Default: from the extension of `path` (.parquet → parquet), else jsonl. */
  format?: ExportFormat;
  /** JSONL only: write chat format instead of the stored rows (Parquet always is). */
  chat?: boolean;
  /** Where the turns come from for rows without a `messages` list. */
  columns?: ChatColumns;
  /** Only these columns besides `messages` (default: all of them). Unknown names are an error. */
  keepColumns?: readonly string[];
  signal?: AbortSignal;
};

export type ExportResult = { path: string; rows: number; format: ExportFormat; chat: boolean };

export function formatFromPath(path: string): ExportFormat {
  return extname(path).toLowerCase() === '.parquet' ? 'parquet' : 'jsonl';
}

export async function exportDataset(options: ExportOptions): Promise<ExportResult> {
  const target = resolve(options.path);
  const format = options.format ?? formatFromPath(target);
  if (!EXPORT_FORMATS.includes(format)) throw new StoreError('invalid_input', `export format must be jsonl or parquet, got "${format}"`);
  const chat = format === 'parquet' || (options.chat ?? false);
  // Fails with 'not_found' before any file is created.
  const info = await options.workspace.datasets.get(options.dataset);
  const known = new Set(info.columns.map((c) => c.name));
  const unknown = (options.keepColumns ?? []).filter((c) => !known.has(c));
  if (unknown.length) throw new StoreError('invalid_input', `dataset "${options.dataset}" has no column ${unknown.map((c) => `"${c}"`).join(', ')} (it has ${[...known].join(', ')})`);
  const keep = options.keepColumns ? new Set(options.keepColumns) : null;
  // Columns written beside `messages` in chat format, in the dataset's order.
  const extraColumns = info.columns.filter((c) => c.name !== 'messages' && (!keep || keep.has(c.name)));
  const pick = (row: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const c of extraColumns) if (c.name in row) out[c.name] = row[c.name];
    return out;
  };
  // The UI's default target (<workspace>/exports/NAME.jsonl) may not exist yet.
  await mkdir(dirname(target), { recursive: true });
  const tmp = temporarySibling(target);
  let rows = 0;
  const checkCancelled = () => {
    if (options.signal?.aborted) throw new StoreError('cancelled', 'export cancelled');
  };
  const conversations = (parsed: Record<string, unknown>[]) =>
    parsed.map((row, i) => {
      try {
        return chatMessages(row, options.columns, rows + i + 1);
      } catch (error) {
        throw new StoreError('invalid_input', `cannot export "${options.dataset}" in chat format: ${(error as Error).message}`);
      }
    });
  const pickPlain = (row: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const c of info.columns) if (keep!.has(c.name) && c.name in row) out[c.name] = row[c.name];
    return out;
  };
  const parse = (batch: string[]) => batch.map((json) => JSON.parse(json) as Record<string, unknown>);
  try {
    if (format === 'parquet') {
      const writer = new ChatParquetWriter(tmp, extraColumns);
      for await (const batch of options.workspace.datasets.jsonBatches(options.dataset)) {
        checkCancelled();
        const parsed = parse(batch);
        writer.append(conversations(parsed), parsed);
        rows += batch.length;
      }
      writer.finish();
      const handle = await open(tmp, 'r+');
      await handle.sync();
      await handle.close();
    } else {
      const handle = await open(tmp, 'w');
      try {
        for await (const batch of options.workspace.datasets.jsonBatches(options.dataset)) {
          checkCancelled();
          let lines: string[];
          if (chat) {
            const parsed = parse(batch);
            lines = conversations(parsed).map((messages, i) => JSON.stringify({ messages, ...pick(parsed[i]) }));
          } else lines = keep ? parse(batch).map((row) => JSON.stringify(pickPlain(row))) : batch; // stored text as is unless narrowed
          await handle.write(lines.join('\n') + '\n');
          rows += batch.length;
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    await rename(tmp, target);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await fsyncDirectory(dirname(target));
  return { path: target, rows, format, chat };
}
