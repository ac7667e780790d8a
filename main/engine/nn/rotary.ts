// Rotary position embeddings (RoPE), in the Hugging Face "rotate half" layout used by Llama and Qwen2:
//   x·cos + rotate_half(x)·sin, rotate_half([x1, x2]) = [−x2, x1], frequencies repeated over both halves.
// The cos/sin tables are computed in the graph from position ids, so any positions (left padding,
// packed sequences, KV-cache offsets) work for any sequence length.

import type { DType } from '../ir/dtype.ts';
import type { Graph, Tensor } from '../ir/graph.ts';
import * as op from '../ops/api.ts';

export type RotaryTables = { cos: Tensor; sin: Tensor };

/**
 * cos/sin tables for `positions` ([B, S] or [S], integer): shapes [B, 1, S, headDim] (or [1, 1, S, headDim]),
 * ready to broadcast over heads.
 */
export function rotaryTables(positions: Tensor, headDim: number, theta: number, dtype: DType): RotaryTables {
  const g: Graph = positions.graph;
  if (headDim % 2 !== 0) throw g.error('Rotary', `head dim must be even, got ${headDim}`);
  return g.scope('rotary', () => {
    const half = headDim / 2;
    const invFreq = new Float64Array(half).map((_, i) => 1 / theta ** ((2 * i) / headDim));
    const invFreqT = g.constant(dtype === 'float64' ? invFreq : Float32Array.from(invFreq), dtype === 'float64' ? 'float64' : 'float32', [half], 'rotary/inv_freq');
    const pos = positions.rank === 1 ? op.unsqueeze(positions, [0]) : positions;
    const freqs = op.mul(op.unsqueeze(op.cast(pos, invFreqT.dtype), [-1]), invFreqT); // [B, S, half]
    const angles = op.unsqueeze(op.concat([freqs, freqs], -1), [1]); // [B, 1, S, headDim]
    return { cos: op.cast(op.cos(angles), dtype), sin: op.cast(op.sin(angles), dtype) };
  });
}

/**
 * [x1, x2] → [−x2, x1] along the last axis. With a static head dim this is one MatMul by a constant
 * signed permutation (a head dim of 64 costs 64 MACs per element): one pass forward and one backward,
 * instead of Slice/Neg/Concat forward and Slice/Pad/Neg/Add chains backward.
 */
export function rotateHalf(x: Tensor): Tensor {
  const d = x.shape[x.rank - 1];
  if (typeof d !== 'number') throw x.graph.error('Rotary', `head dim must be static, got '${d}'`);
  const half = d / 2;
  const r = new Float64Array(d * d); // y[j] = Σ_i x[i]·R[i, j]
  for (let j = 0; j < half; j++) r[(j + half) * d + j] = -1;
  for (let j = half; j < d; j++) r[(j - half) * d + j] = 1;
  const data = x.dtype === 'float64' ? r : x.dtype === 'float32' ? Float32Array.from(r) : null;
  if (!data) return op.concat([op.neg(op.slice(x, -1, half, d)), op.slice(x, -1, 0, half)], -1);
  const cache = rotationMatrices.get(x.graph) ?? new Map<string, Tensor>();
  rotationMatrices.set(x.graph, cache);
  const key = `${x.dtype}/${d}`;
  if (!cache.has(key)) cache.set(key, x.graph.constant(data, x.dtype, [d, d], `rotary/rotate_half_${x.dtype}_${d}`));
  return op.matmul(x, cache.get(key)!);
}

/** One rotation constant per graph, dtype and head dim, shared by every layer. */
const rotationMatrices = new WeakMap<Graph, Map<string, Tensor>>();

/** Applies RoPE to x [B, H, S, headDim]. */
export function applyRotary(x: Tensor, { cos, sin }: RotaryTables): Tensor {
  return op.add(op.mul(x, cos), op.mul(rotateHalf(x), sin));
}
