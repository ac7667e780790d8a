// AdamW (decoupled weight decay, bias correction) as graph ops, matching torch.optim.AdamW:
//   p ← p·(1 − lr·wd)                       (decayed parameters only)
//   m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²
//   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
// written as p − (lr·√(1 − β2ᵗ)/(1 − β1ᵗ)) · m / (√v + ε·√(1 − β2ᵗ)), which is the same quantity
// with the scalar work hoisted out of the per-element passes. A clipping factor c multiplies g
// (c·(1 − β1) and c²·(1 − β2) are scalars), so clipping costs no extra pass over the gradients.

import type { Tensor } from '../ir/graph.ts';
import * as op from '../ops/api.ts';

export type AdamWConfig = {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
};

export const DEFAULT_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

/** Per-step scalars shared by every parameter's update (computed once per step, not per parameter). */
export type AdamWScalars = {
  stepSize: Tensor;
  epsHat: Tensor;
  /** 1 − lr·wd */
  decayFactor: Tensor;
  /** c·(1 − β1) and c²·(1 − β2), c the clipping factor (1 without clipping). */
  gradScaleM: Tensor;
  gradScaleV: Tensor;
};

/**
 * `lr` is a float scalar input; `step` an int64 scalar input: the 1-based number of the step being
 * taken; `clip` the optional clipping factor (see ./clip.ts).
 */
export function adamwScalars(lr: Tensor, step: Tensor, config: AdamWConfig, clip?: Tensor): AdamWScalars {
  const g = lr.graph;
  return g.scope('adamw', () => {
    const t = op.cast(step, lr.dtype);
    const bc1 = op.sub(1, op.pow(g.scalar(config.beta1, lr.dtype), t));
    const bc2Sqrt = op.sqrt(op.sub(1, op.pow(g.scalar(config.beta2, lr.dtype), t)));
    const c = clip && op.cast(clip, lr.dtype);
    return {
      stepSize: op.div(op.mul(lr, bc2Sqrt), bc1),
      epsHat: op.mul(bc2Sqrt, config.eps),
      decayFactor: op.sub(1, op.mul(lr, config.weightDecay)),
      gradScaleM: c ? op.mul(c, 1 - config.beta1) : g.scalar(1 - config.beta1, lr.dtype),
      gradScaleV: c ? op.mul(op.mul(c, c), 1 - config.beta2) : g.scalar(1 - config.beta2, lr.dtype),
    };
  });
}

export type AdamWState = { param: Tensor; m: Tensor; v: Tensor };

export function adamwUpdate(
  state: AdamWState,
  grad: Tensor,
  scalars: AdamWScalars,
  config: AdamWConfig,
  options: { decay: boolean },
): AdamWState {
  const { param, m, v } = state;
  const g = param.dtype === grad.dtype ? grad : op.cast(grad, param.dtype);
  const m2 = op.add(op.mul(m, config.beta1), op.mul(g, scalars.gradScaleM));
  const v2 = op.add(op.mul(v, config.beta2), op.mul(op.mul(g, g), scalars.gradScaleV));
  const decayed = options.decay && config.weightDecay !== 0 ? op.mul(param, scalars.decayFactor) : param;
  const update = op.div(op.mul(m2, scalars.stepSize), op.add(op.sqrt(v2), scalars.epsHat));
  return { param: op.sub(decayed, update), m: m2, v: v2 };
}

/**
 * AdamW for a parameter whose gradient is row-sparse (./row-sparse.ts): the same update as adamwUpdate
 * with the dense gradient, computed without it. Every row's moments decay (β1·m, β2·v, passes the
 * dense update makes too); the gradient terms are added only at the gradient's ids, and the rows are
 * written back with a ScatterND (an id that repeats writes the same values each time). The parameter
 * update then reads the new moments densely, as in adamwUpdate.
 */
export function adamwRowSparseUpdate(
  state: AdamWState,
  grad: { ids: Tensor; rowsPerId: Tensor },
  scalars: AdamWScalars,
  config: AdamWConfig,
  options: { decay: boolean },
): AdamWState {
  const { param, m, v } = state;
  const g = param.dtype === grad.rowsPerId.dtype ? grad.rowsPerId : op.cast(grad.rowsPerId, param.dtype);
  const at = op.unsqueeze(grad.ids, [-1]);
  // Per element exactly the dense formulas: m·β1 + g·s_m and v·β2 + g²·s_v (a row without gradient adds 0).
  const mRows = op.add(op.mul(op.gather(m, grad.ids), config.beta1), op.mul(g, scalars.gradScaleM));
  const vRows = op.add(op.mul(op.gather(v, grad.ids), config.beta2), op.mul(op.mul(g, g), scalars.gradScaleV));
  const m2 = op.scatterND(op.mul(m, config.beta1), at, mRows, 'none');
  const v2 = op.scatterND(op.mul(v, config.beta2), at, vRows, 'none');
  const decayed = options.decay && config.weightDecay !== 0 ? op.mul(param, scalars.decayFactor) : param;
  const update = op.div(op.mul(m2, scalars.stepSize), op.add(op.sqrt(v2), scalars.epsHat));
  return { param: op.sub(decayed, update), m: m2, v: v2 };
}
