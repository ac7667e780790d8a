// Gated activations used by Llama-family MLPs.

import type { Tensor } from '../ir/graph.ts';
import * as op from '../ops/api.ts';

/** SiLU (swish): x · sigmoid(x). */
export function silu(x: Tensor): Tensor {
  return op.mul(x, op.sigmoid(x));
}

/** SwiGLU gate: silu(gate) · up. */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  return op.mul(silu(gate), up);
}
