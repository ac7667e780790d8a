// Linear layer with PyTorch's weight layout [out, in] (so Hugging Face checkpoints load as is).
// Rows are flattened to 2-D and multiplied with Gemm(transB=1): MLAS reads the weight transposed in
// place, and the backward pass is two more Gemms — no Transpose node in either direction.

import type { Tensor } from '../ir/graph.ts';
import * as op from '../ops/api.ts';

export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  if (weight.rank !== 2) throw x.graph.error('Linear', `weight must be [out, in], got rank ${weight.rank}`);
  const [outFeatures, inFeatures] = weight.shape;
  const lead = x.shape.slice(0, -1);
  const rows = x.rank === 2 ? x : op.reshape(x, [-1, inFeatures]);
  let y = op.gemm(rows, weight, { transB: true });
  if (bias) y = op.add(y, bias);
  return x.rank === 2 ? y : op.reshape(y, [...lead, outFeatures]);
}
