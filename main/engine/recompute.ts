// Activation checkpointing (recomputation) for a static graph: gradients of a loss through a chain of
// segments (decoder layers) whose forward activations are NOT kept for the backward pass.
//
// In a static ONNX graph nothing is "saved" or "freed" explicitly: onnxruntime frees a buffer after its
// last reader. So checkpointing means the backward never reads a segment's forward intermediates:
//   forward:  h₀ → [x₀ = stop(h₀)] → seg₀ → h₁ → [x₁ = stop(h₁)] → seg₁ → … → h_N → [x_N = stop(h_N)] → loss
//   backward: for i = N−1 … 0, rebuild segᵢ from a fresh copy of its input (new nodes) and differentiate
//             the copy, seeded with the gradient that reached x_{i+1}.
// The forward's intermediates inside segᵢ then die as soon as seg_{i} has run; only the boundaries
// x₀ … x_N live through the step (PyTorch's torch.utils.checkpoint does the same per call).
//
// Two things keep onnxruntime from undoing it:
// - the copy's input is x'ᵢ = xᵢ + 0·g (one element of the incoming gradient g, stop-gradient), so
//   common-subexpression elimination cannot merge the rebuilt nodes with the forward ones, and
// - the same term makes the rebuild data-dependent on the backward having reached segᵢ, so no
//   topological order can run all rebuilds early and hold every layer's activations at once.

import type { Tensor } from './ir/graph.ts';
import * as op from './ops/api.ts';
import { gradients } from './autodiff.ts';

export type CheckpointChain = {
  /**
   * x₀ … x_N: StopGradient outputs. x₀ = stop(h₀) is the first segment's input; x_{i+1} = stop(h_{i+1})
   * wraps segment i's output. Everything after the chain (the head, the loss) reads x_N, not h_N.
   */
  boundaries: readonly Tensor[];
  /** rebuild[i](x) builds segment i again on x (standing in for boundaries[i]) and returns its output. */
  rebuild: readonly ((x: Tensor) => Tensor)[];
};

/**
 * d(loss)/d(wrt[i]) like autodiff's `gradients`, with every segment of `chain` recomputed in the
 * backward pass instead of read from the forward. Same values as plain `gradients` on the unbroken
 * graph (the forward is the same computation; only which nodes the backward reads changes).
 */
export function checkpointedGradients(loss: Tensor, wrt: readonly Tensor[], chain: CheckpointChain): (Tensor | null)[] {
  const { boundaries, rebuild } = chain;
  const graph = loss.graph;
  if (boundaries.length !== rebuild.length + 1) throw new TypeError(`checkpointedGradients: ${boundaries.length} boundaries for ${rebuild.length} segments (need one more boundary than segments)`);
  for (const b of boundaries) {
    if (b.producer?.op !== 'StopGradient') throw new TypeError(`checkpointedGradients: boundary ${b} must be a StopGradient output`);
  }
  const total: (Tensor | null)[] = wrt.map(() => null);
  const add = (i: number, g: Tensor | null) => {
    if (!g) return;
    total[i] = total[i] ? graph.scope('grad/accumulate', () => op.add(total[i]!, g)) : g;
  };
  // The loss's own gradients: parameters after the chain, and every boundary the loss reads directly.
  const direct = gradients(loss, [...wrt, ...boundaries], { scope: 'grad' });
  direct.slice(0, wrt.length).forEach((g, i) => add(i, g));
  const boundaryGrad: (Tensor | null)[] = direct.slice(wrt.length);

  for (let i = rebuild.length - 1; i >= 0; i--) {
    const seed = boundaryGrad[i + 1];
    if (!seed) continue; // this segment does not reach the loss
    const { grads, inputGrad } = graph.scope(`grad/recompute_${i}`, () => {
      const x = boundaries[i];
      const first = op.gather(op.reshape(seed, [-1]), graph.scalar(0, 'int64')); // one element of the incoming gradient
      const ordering = op.stopGradient(op.mul(first, 0));
      const fresh = op.add(x, op.cast(ordering, x.dtype));
      const out = rebuild[i](fresh);
      const all = gradients(out, [...wrt, fresh], { seed, scope: 'grad' });
      return { grads: all.slice(0, wrt.length), inputGrad: all[wrt.length] };
    });
    grads.forEach((g, k) => add(k, g));
    const prev = boundaryGrad[i];
    boundaryGrad[i] = prev && inputGrad ? graph.scope('grad/accumulate', () => op.add(prev, inputGrad)) : (prev ?? inputGrad);
  }
  // Below the chain: h₀ (what x₀ wraps) back to the parameters that made it (the embedding).
  const bottomSeed = boundaryGrad[0];
  if (bottomSeed) {
    const h0 = boundaries[0].producer!.inputs[0];
    gradients(h0, wrt, { seed: bottomSeed, scope: 'grad/bottom' }).forEach((g, i) => add(i, g));
  }
  return total;
}
