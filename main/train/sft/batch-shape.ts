// The micro-batch shape of an SFT run as rows per micro-batch × gradient accumulation, and the one change
// of it a run may make on its own (#21): after an out-of-memory, half the rows per micro-batch and twice
// the accumulation. The epoch plan cuts one row list into micro-batches of `rows` and steps of
// `accumulation` micro-batches, so step N always covers rows [(N−1)·r·k, N·r·k) of its epoch: the same
// examples per optimizer step, the same per-token loss normalisation, so the same loss curve.
//
// Only shapes counted in rows qualify: batchUnit 'sequences', or 'tokens' with packing (rows of
// maxSeqLength tokens, batchSize / maxSeqLength of them). Unpacked token budgets fill micro-batches
// greedily by padded length, so halving the budget would regroup the examples.
import type { BatchShape } from '../../devices/oom.ts';
import type { SftConfig } from './config.ts';

type ShapeFields = Pick<SftConfig, 'batchSize' | 'batchUnit' | 'packing' | 'maxSeqLength' | 'gradAccumulation'>;

/** Rows per micro-batch and accumulation, or null when the micro-batch is an unpacked token budget. */
export function sftBatchShape(config: ShapeFields): BatchShape | null {
  if (config.batchUnit === 'sequences') return { microBatch: config.batchSize, accumulation: config.gradAccumulation };
  if (config.packing) return { microBatch: Math.max(1, Math.floor(config.batchSize / config.maxSeqLength)), accumulation: config.gradAccumulation };
  return null;
}

/** The config with another shape (batchSize in the config's own unit). */
export function withBatchShape<C extends ShapeFields>(config: C, shape: BatchShape): C {
  const batchSize = config.batchUnit === 'sequences' ? shape.microBatch : shape.microBatch * config.maxSeqLength;
  return { ...config, batchSize, gradAccumulation: shape.accumulation };
}

/**
 * True when two trajectory configs (checkpoint vs. the one given to resume) differ at most in a batch
 * shape that keeps the rows per optimizer step: the run was retried after an out-of-memory and continues
 * with the shape that fit.
 */
export function sameStepsOtherShape(saved: Record<string, unknown>, current: Record<string, unknown>): boolean {
  const a = sftBatchShape(saved as unknown as ShapeFields);
  const b = sftBatchShape(current as unknown as ShapeFields);
  if (!a || !b || a.microBatch * a.accumulation !== b.microBatch * b.accumulation) return false;
  const strip = ({ batchSize: _b, gradAccumulation: _g, ...rest }: Record<string, unknown>) => JSON.stringify(sortKeys(rest));
  return strip(saved) === strip(current);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
}
