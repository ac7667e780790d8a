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

/** Per-step scalars shared by every parameter's update. */
export type AdamWScalars = { lr: Tensor; stepSize: Tensor; epsHat: Tensor };

/** `lr` is a float scalar input; `step` an int64 scalar input: the 1-based number of the step being taken. */
export function adamwScalars(lr: Tensor, step: Tensor, config: AdamWConfig): AdamWScalars {
  return lr.graph.scope('adamw', () => {
    const t = op.cast(step, lr.dtype);
    const bc1 = op.sub(1, op.pow(lr.graph.scalar(config.beta1, lr.dtype), t));
    const bc2Sqrt = op.sqrt(op.sub(1, op.pow(lr.graph.scalar(config.beta2, lr.dtype), t)));
    return { lr, stepSize: op.div(op.mul(lr, bc2Sqrt), bc1), epsHat: op.mul(bc2Sqrt, config.eps) };
  });
}

export type AdamWState = { param: Tensor; m: Tensor; v: Tensor };

export function adamwUpdate(
  state: AdamWState,
  grad: Tensor,
  scalars: AdamWScalars,
  config: AdamWConfig,
  options: { decay: boolean; clip?: Tensor },
): AdamWState {
  const { param, m, v } = state;
  const g = param.dtype === grad.dtype ? grad : op.cast(grad, param.dtype);
  const c = options.clip;
  const gScaleM = c ? op.mul(c, 1 - config.beta1) : param.graph.scalar(1 - config.beta1, param.dtype);
  const gScaleV = c ? op.mul(op.mul(c, c), 1 - config.beta2) : param.graph.scalar(1 - config.beta2, param.dtype);
  const m2 = op.add(op.mul(m, config.beta1), op.mul(g, gScaleM));
  const v2 = op.add(op.mul(v, config.beta2), op.mul(op.mul(g, g), gScaleV));
  const decayed = options.decay && config.weightDecay !== 0 ? op.mul(param, op.sub(1, op.mul(scalars.lr, config.weightDecay))) : param;
  const update = op.div(op.mul(m2, scalars.stepSize), op.add(op.sqrt(v2), scalars.epsHat));
  return { param: op.sub(decayed, update), m: m2, v: v2 };
}
