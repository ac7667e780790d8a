// Batches for SFT: examples packed several to a row (or one per row), micro-batches, optimizer steps.
//
// Packing puts whole examples side by side in rows of maxSeqLength tokens (first fit, in a seeded
// shuffled order). The row's attention_mask holds each token's segment (1, 2, … per example; 0 for
// padding) and the decoder's packedSegments graph lets a token attend only its own segment, while
// position ids restart at 0 per example: each example sees exactly what it would see alone. Labels
// never cross a boundary (the last token of an example predicts nothing). A micro-batch is padded only
// to its longest row (rounded up, see paddedLength), not to maxSeqLength.
//
// The epoch plan is a pure function of (examples, seed, epoch), so a resumed run rebuilds the batches
// of any step from the step number alone: the data cursor needs no RNG state.
import type { HostTensor } from '../../engine/index.ts';
import { Rng } from '../../engine/rng.ts';
import { LOSS_SCALE_INPUT, type LmBatch } from '../../models/fine-tune.ts';
import type { SftExample } from './data.ts';

/** One row of a micro-batch: one example, or several packed. */
export interface PackedRow {
  ids: number[];
  targets: number[];
  /** Segment id per token (1-based, one per example in the row). */
  segments: number[];
  /** Position id per token (restarts at 0 for each example). */
  positions: number[];
  /** Ids of the examples in the row. */
  examples: string[];
}

/** Places examples into rows of at most `rowLength` tokens, first fit in the given order. */
export function packExamples(examples: readonly SftExample[], rowLength: number): PackedRow[] {
  const rows: PackedRow[] = [];
  let open: PackedRow[] = []; // rows with room left for at least the shortest example
  const shortest = Math.min(...examples.map((e) => e.ids.length));
  for (const e of examples) {
    if (e.ids.length > rowLength) throw new Error(`packing: example ${e.id} has ${e.ids.length} tokens, more than the row length ${rowLength}`);
    let row = open.find((r) => r.ids.length + e.ids.length <= rowLength);
    if (!row) {
      row = { ids: [], targets: [], segments: [], positions: [], examples: [] };
      rows.push(row);
      open.push(row);
    }
    const segment = row.examples.length + 1;
    row.ids.push(...e.ids);
    row.targets.push(...e.targets);
    for (let t = 0; t < e.ids.length; t++) {
      row.segments.push(segment);
      row.positions.push(t);
    }
    row.examples.push(e.id);
    if (rowLength - row.ids.length < shortest) open = open.filter((r) => r !== row);
  }
  return rows;
}

/** One example per row (no packing). */
export function singleRows(examples: readonly SftExample[]): PackedRow[] {
  return examples.map((e) => ({ ids: e.ids, targets: e.targets, segments: e.ids.map(() => 1), positions: e.ids.map((_, t) => t), examples: [e.id] }));
}

/** Tokens that are trained on: positions whose next token, in the same segment, is a target. */
export function targetTokenCount(rows: readonly PackedRow[]): number {
  let n = 0;
  for (const r of rows) for (let t = 0; t + 1 < r.ids.length; t++) if (r.segments[t + 1] === r.segments[t] && r.targets[t + 1]) n++;
  return n;
}

/**
 * The graph feed of a micro-batch, rows padded on the right to `length`: input_ids, attention_mask
 * (segment ids, or 1/0 when `segmentMask` is false and every row is one example), position_ids,
 * labels (shifted; −100 where nothing is predicted) and, when given, loss_scale.
 */
export function rowsBatch(rows: readonly PackedRow[], options: { length: number; padId: number; segmentMask: boolean; lossScale?: number; dtype?: 'float32' | 'float64'; fillRows?: number }): LmBatch {
  const B = Math.max(rows.length, options.fillRows ?? 0);
  const S = options.length;
  const ids = new BigInt64Array(B * S).fill(BigInt(options.padId));
  const mask = new BigInt64Array(B * S);
  const pos = new BigInt64Array(B * S);
  const labels = new BigInt64Array(B * S).fill(-100n);
  rows.forEach((r, b) => {
    if (r.ids.length > S) throw new Error(`batch: a row of ${r.ids.length} tokens does not fit length ${S}`);
    if (!options.segmentMask && r.examples.length > 1) throw new Error('batch: packed rows need the segment mask');
    for (let t = 0; t < r.ids.length; t++) {
      const i = b * S + t;
      ids[i] = BigInt(r.ids[t]);
      mask[i] = BigInt(options.segmentMask ? r.segments[t] : 1);
      pos[i] = BigInt(r.positions[t]);
      if (t + 1 < r.ids.length && r.segments[t + 1] === r.segments[t] && r.targets[t + 1]) labels[i] = BigInt(r.ids[t + 1]);
    }
  });
  const t = (data: BigInt64Array): HostTensor => ({ dtype: 'int64', dims: [B, S], data });
  const feed: LmBatch['feed'] = { input_ids: t(ids), attention_mask: t(mask), position_ids: t(pos), labels: t(labels) };
  if (options.lossScale !== undefined) {
    const dtype = options.dtype ?? 'float32';
    feed[LOSS_SCALE_INPUT] = { dtype, dims: [], data: dtype === 'float64' ? Float64Array.of(options.lossScale) : Float32Array.of(options.lossScale) };
  }
  return { feed, batch: B, seq: S };
}

export interface BatchPlanOptions {
  packing: boolean;
  /** Row length when packing; the cap on every micro-batch's padded length. */
  maxSeqLength: number;
  batchSize: number;
  batchUnit: 'sequences' | 'tokens';
  seed: number;
}

/**
 * Micro-batch lengths are rounded up to a multiple of this. Each distinct length is an onnxruntime
 * session (a fixed-shape memory plan, seconds to create, and creating many grows process memory), so
 * lengths snap to a coarse grid; padding to the next multiple of 32 costs < 32 tokens per row.
 */
export const LENGTH_MULTIPLE = 32;

/**
 * Padded length of a micro-batch: its longest row rounded up to a multiple of LENGTH_MULTIPLE, capped
 * at maxSeqLength. Packed rows are trimmed the same way as single ones rather than padded to the full
 * row length: whole examples rarely fill a row exactly (seven 134-token examples leave 86 of 1024 slots
 * empty, and an eighth never fits), and the graph takes any sequence length, so the empty tail of the
 * longest row is the only padding left.
 */
export function paddedLength(rows: readonly PackedRow[], options: BatchPlanOptions): number {
  if (rows.length === 0) throw new Error('batch: a micro-batch needs at least one row');
  const longest = Math.max(...rows.map((r) => r.ids.length));
  return Math.min(options.maxSeqLength, Math.ceil(longest / LENGTH_MULTIPLE) * LENGTH_MULTIPLE);
}

/** The micro-batches of one epoch: a seeded shuffle, packing (or not), then grouping into micro-batches. */
export function planEpoch(examples: readonly SftExample[], epoch: number, options: BatchPlanOptions): PackedRow[][] {
  if (examples.length === 0) throw new Error('SFT: no training examples');
  const order = new Rng((options.seed * 1000003 + epoch * 7919 + 17) >>> 0).shuffle([...examples]);
  const rows = options.packing ? packExamples(order, options.maxSeqLength) : singleRows(order);
  const batches: PackedRow[][] = [];
  if (options.batchUnit === 'sequences' || options.packing) {
    const perBatch = options.batchUnit === 'sequences' ? options.batchSize : Math.max(1, Math.floor(options.batchSize / options.maxSeqLength));
    for (let i = 0; i < rows.length; i += perBatch) batches.push(rows.slice(i, i + perBatch));
    return batches;
  }
  // Unpacked, by tokens: add rows while the padded batch stays within the budget.
  let current: PackedRow[] = [];
  for (const row of rows) {
    const next = [...current, row];
    if (current.length && next.length * paddedLength(next, options) > options.batchSize) {
      batches.push(current);
      current = [row];
    } else current = next;
  }
  if (current.length) batches.push(current);
  return batches;
}

/** Non-padding share of the slots a list of micro-batches occupies once padded. */
export function packingEfficiency(batches: readonly PackedRow[][], options: BatchPlanOptions, fillRows = 0): number {
  let real = 0;
  let slots = 0;
  for (const rows of batches) {
    for (const r of rows) real += r.ids.length;
    slots += Math.max(rows.length, fillRows) * paddedLength(rows, options);
  }
  return slots === 0 ? 0 : real / slots;
}
