// Global-norm gradient clipping (torch.nn.utils.clip_grad_norm_ semantics): the norm over all
// gradients together, and the factor min(1, maxNorm / (norm + 1e-6)). The factor is returned rather
// than applied, so AdamW can fold it into its moment updates instead of spending a pass per gradient.

import type { Tensor } from '../ir/graph.ts';
import * as op from '../ops/api.ts';

export function globalGradNorm(grads: readonly Tensor[]): Tensor {
  if (grads.length === 0) throw new TypeError('globalGradNorm: no gradients');
  const g = grads[0].graph;
  return g.scope('clip', () => {
    const squares = grads.map((t) => op.reduceSumSquare(op.cast(t, grads[0].dtype), t.shape.map((_, i) => i), false));
    // Pairwise sum keeps the graph shallow for models with hundreds of parameters.
    let level = squares;
    while (level.length > 1) {
      const next: Tensor[] = [];
      for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? op.add(level[i], level[i + 1]) : level[i]);
      level = next;
    }
    return op.sqrt(level[0]);
  });
}

/** min(1, maxNorm / (norm + 1e-6)), a scalar of the norm's dtype. */
export function clipCoefficient(norm: Tensor, maxNorm: number): Tensor {
  return norm.graph.scope('clip', () => op.minimum(op.div(maxNorm, op.add(norm, 1e-6)), 1));
}
