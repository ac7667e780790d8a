// Export of a preference set, one row per pair, JSONL or Parquet by the extension, in one of four layouts
// (`--format`):
//
//   trl-conversational (default)  prompt: [{role: user, content}], chosen / rejected: [{role: assistant,
//                                 content}], margin. TRL applies the model's chat template only to
//                                 conversational rows, so this is what RewardTrainer / DPOTrainer should get.
//   trl-plain                     prompt, chosen, rejected as plain text, margin (TRL's "standard" layout:
//                                 no chat template is applied; the model trains on untemplated text).
//   verl                          prompt, chosen, rejected as plain text (verl's RMDataset tokenizes
//                                 prompt + response as given) plus data_source and extra_info
//                                 {index, pair_id, margin}.
//   raw                           every stored field of the pair (scores per scorer, ids, provenance).
//
// RewardTrainer adds `margin` to its loss when present. With metadata, category, lang, the two models and
// pair_id come along (TRL ignores extra columns). With `humanLabels`, pairs the labeler judged the other
// way round are swapped and pairs they called a tie, both bad or skipped are dropped; unlabeled pairs keep
// the scorers' order.
import { extname } from 'node:path';
import type { SchemaElement } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { writeFileAtomic, type Workspace } from '../store/index.ts';
import { currentLabels, preferenceOf } from './labels.ts';
import { labelLog, readPreferenceSet } from './set-store.ts';
import type { PreferencePair } from './types.ts';

export type ExportFormat = 'jsonl' | 'parquet';
export const PAIR_LAYOUTS = ['trl-conversational', 'trl-plain', 'verl', 'raw'] as const;
export type PairLayout = (typeof PAIR_LAYOUTS)[number];

export function parsePairLayout(value: string): PairLayout {
  if (!(PAIR_LAYOUTS as readonly string[]).includes(value)) throw new Error(`--format must be one of ${PAIR_LAYOUTS.join(', ')}, got "${value}"`);
  return value as PairLayout;
}

export type ExportOptions = {
  set: string;
  out: string;
  /** Add category, lang, chosen_model, rejected_model and pair_id (default false). */
  metadata?: boolean;
  /** Apply this labeler's labels (see the header). */
  humanLabels?: string;
  /** Row layout (default trl-conversational; see the header). */
  layout?: PairLayout;
};

export function exportFormatOf(path: string): ExportFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl') return 'jsonl';
  if (ext === '.parquet') return 'parquet';
  throw new Error(`--out ${path}: the extension decides the format; use .jsonl or .parquet`);
}

type ExportRow = { prompt: string; chosen: string; rejected: string; margin: number; category?: string; lang?: string; chosen_model?: string; rejected_model?: string; pair_id?: string };

function exportRow(pair: PreferencePair, swapped: boolean, metadata: boolean): ExportRow {
  const row: ExportRow = {
    prompt: pair.prompt,
    chosen: swapped ? pair.rejected : pair.chosen,
    rejected: swapped ? pair.chosen : pair.rejected,
    // A human swap keeps the margin's size: it still says how far apart the two scored.
    margin: pair.margin,
  };
  if (metadata) {
    row.category = pair.category;
    row.lang = pair.lang;
    row.chosen_model = swapped ? pair.rejected_model : pair.chosen_model;
    row.rejected_model = swapped ? pair.chosen_model : pair.rejected_model;
    row.pair_id = pair.pair_id;
  }
  return row;
}

export async function exportPreferenceSet(workspace: Workspace, options: ExportOptions): Promise<{ path: string; rows: number; format: ExportFormat; layout: PairLayout; dropped: number; swapped: number }> {
  const format = exportFormatOf(options.out);
  const pairs = await readPreferenceSet(workspace, options.set);
  const labels = options.humanLabels ? (currentLabels(await labelLog(workspace, options.set).records()).get(options.humanLabels) ?? new Map()) : null;
  if (options.humanLabels && labels!.size === 0) throw new Error(`labeler "${options.humanLabels}" has no labels in set "${options.set}"`);
  const rows: ExportRow[] = [];
  const kept: { pair: PreferencePair; swapped: boolean }[] = [];
  let dropped = 0;
  let swapped = 0;
  for (const pair of pairs) {
    const record = labels?.get(pair.pair_id);
    const preference = record ? preferenceOf(record) : 'chosen';
    if (preference !== 'chosen' && preference !== 'rejected') {
      dropped++;
      continue;
    }
    if (preference === 'rejected') swapped++;
    rows.push(exportRow(pair, preference === 'rejected', options.metadata ?? false));
    kept.push({ pair, swapped: preference === 'rejected' });
  }
  const layout = options.layout ?? 'trl-conversational';
  const laid = rows.map((row, i) => layoutRow(layout, row, kept[i], options.set, i));
  const data = format === 'jsonl' ? laid.map((r) => JSON.stringify(r)).join('\n') + (laid.length ? '\n' : '') : parquetBytes(laid);
  await writeFileAtomic(options.out, data);
  return { path: options.out, rows: rows.length, format, layout, dropped, swapped };
}

type Turn = { role: string; content: string };

/** One exported row in the chosen layout (see the header). */
function layoutRow(layout: PairLayout, row: ExportRow, source: { pair: PreferencePair; swapped: boolean }, set: string, index: number): Record<string, unknown> {
  const { prompt, chosen, rejected, margin, ...metadata } = row;
  switch (layout) {
    case 'trl-plain':
      return { ...row };
    case 'trl-conversational': {
      const user: Turn[] = [{ role: 'user', content: prompt }];
      return { prompt: user, chosen: [{ role: 'assistant', content: chosen }], rejected: [{ role: 'assistant', content: rejected }], margin, ...metadata };
    }
    case 'verl':
      return { data_source: `saenggak/${set}`, prompt, chosen, rejected, ...metadata, extra_info: { index, pair_id: source.pair.pair_id, margin } };
    case 'raw': {
      const p = source.pair;
      // Stored fields as they are, with a human swap applied to the chosen/rejected sides.
      const swap = source.swapped;
      return {
        ...p,
        chosen: swap ? p.rejected : p.chosen,
        rejected: swap ? p.chosen : p.rejected,
        chosen_model: swap ? p.rejected_model : p.chosen_model,
        rejected_model: swap ? p.chosen_model : p.rejected_model,
        chosen_id: swap ? p.rejected_id : p.chosen_id,
        rejected_id: swap ? p.chosen_id : p.rejected_id,
        scores: swap ? Object.fromEntries(Object.entries(p.scores).map(([k, [c, r]]) => [k, [r, c]])) : p.scores,
        human_swapped: swap,
      };
    }
  }
}

const utf8 = (name: string): SchemaElement => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });

/** A conversation column: list<struct<role, content>> (the three-level LIST pyarrow writes). */
function turnsSchema(name: string): SchemaElement[] {
  return [
    { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
    utf8('role'),
    utf8('content'),
  ];
}

/**
 * Parquet for any layout: strings as UTF8, numbers as DOUBLE, booleans as BOOLEAN, conversations as
 * list<struct<role, content>>, and any other object (scores, provenance, extra_info) as a JSON column.
 */
function parquetBytes(rows: Record<string, unknown>[]): Uint8Array {
  const names: string[] = [];
  for (const row of rows) for (const k of Object.keys(row)) if (!names.includes(k)) names.push(k);
  const schema: SchemaElement[] = [{ name: 'schema', num_children: names.length }];
  const columnData: { name: string; data: unknown[] }[] = [];
  for (const name of names) {
    const values = rows.map((r) => r[name] ?? null);
    const sample = values.find((v) => v !== null);
    const isTurns = Array.isArray(sample) && sample.every((t) => typeof t === 'object' && t !== null && 'role' in t && 'content' in t);
    if (isTurns) schema.push(...turnsSchema(name));
    else if (typeof sample === 'string') schema.push(utf8(name));
    else if (typeof sample === 'number') schema.push({ name, type: 'DOUBLE', repetition_type: 'OPTIONAL' });
    else if (typeof sample === 'boolean') schema.push({ name, type: 'BOOLEAN', repetition_type: 'OPTIONAL' });
    else schema.push({ name, type: 'BYTE_ARRAY', converted_type: 'JSON', repetition_type: 'OPTIONAL' });
    columnData.push({ name, data: values });
  }
  return new Uint8Array(parquetWriteBuffer({ columnData, schema } as never));
}
