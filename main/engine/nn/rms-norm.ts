// RMSNorm (Llama/Qwen2): x / sqrt(mean(x², last axis) + eps) · weight, built from primitives so its
// gradient comes from the primitives' rules.

import type { Tensor } from '../ir/graph.ts';
import * as op from '../ops/api.ts';

export function rmsNorm(x: Tensor, weight: Tensor, eps = 1e-6): Tensor {
  return x.graph.scope('rms_norm', () => {
    const meanSquare = op.reduceMean(op.mul(x, x), [-1], true);
    const invRms = op.reciprocal(op.sqrt(op.add(meanSquare, eps)));
    return op.mul(op.mul(x, invRms), weight);
  });
}
