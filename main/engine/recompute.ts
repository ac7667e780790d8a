// Recomputation (activation checkpointing) for a static graph: gradients of a loss through segments
// (decoder layers, chunks of the LM head's cross-entropy) whose forward activations are NOT kept for the
// backward pass.
//
// In a static ONNX graph nothing is "saved" or "freed" explicitly: onnxruntime frees a buffer after its
// last reader. So recomputation means the backward never reads a segment's forward intermediates:
//   forward:  … → [x = stop(h)] → segment → y → [yb = stop(y)] → …
//   backward: rebuild the segment from a fresh copy of x (new nodes) and differentiate the copy, seeded
//             with the gradient that reached yb.
// The forward's intermediates inside the segment die as soon as the segment has run; only the
// boundaries live through the step (PyTorch's torch.utils.checkpoint does the same per call).
//
// Two things keep onnxruntime from undoing it:
// - the copy's input is x' = x + 0·g (one element of the incoming gradient, and of the previous
//   segment's input gradient, behind a stop-gradient), so common-subexpression elimination cannot merge
//   the rebuilt nodes with the forward ones, and
// - the same term makes each rebuild data-dependent on the backward having finished the segment
//   processed before it, so no topological order can run the rebuilds early and hold them all at once.

import type { Tensor } from './ir/graph.ts';
import * as op from './ops/api.ts';
import { gradients } from './autodiff.ts';

export type RecomputeSegment = {
  /** A StopGradient output the segment reads (a layer's input boundary). */
  input: Tensor;
  /** A StopGradient output wrapping what the segment produced (what later code reads). */
  output: Tensor;
  /** Builds the segment again on x (standing in for `input`) and returns the value `output` wraps. */
  rebuild: (x: Tensor) => Tensor;
  /**
   * More StopGradient boundaries the segment reads as they are (e.g. one block of a weight split into
   * blocks): their gradients are collected over all segments and taken back through what they wrap in
   * one joint pass at the end, so a split weight gets one concatenated gradient, not one padded to the
   * full shape per block.
   */
  extraInputs?: readonly Tensor[];
};

/** A chain of layers: boundaries x₀ … x_N, segment i maps x_i to the value x_{i+1} wraps. */
export type CheckpointChain = {
  boundaries: readonly Tensor[];
  rebuild: readonly ((x: Tensor) => Tensor)[];
};

/**
 * Segments inside a segment: code building a segment's forward may call `innerSegment` (e.g. attention
 * in head chunks). While checkpointedGradients rebuilds the outer segment in the backward pass, those
 * inner segments are collected and the outer segment's gradient is itself checkpointed over them, so
 * each inner piece is rebuilt again, one at a time, instead of all of them living through the outer
 * segment's backward. Outside a rebuild nothing is collected: `innerSegment` returns false and the
 * caller builds its plain forward (the outer forward's intermediates die anyway).
 */
const collecting: RecomputeSegment[][] = [];

/** Whether a rebuild is collecting inner segments (the caller should then build its chunked form). */
export function collectingInnerSegments(): boolean {
  return collecting.length > 0;
}

/** Registers an inner segment with the rebuild being collected (see collectingInnerSegments). */
export function innerSegment(segment: RecomputeSegment): void {
  const top = collecting.at(-1);
  if (!top) throw new Error('innerSegment: not inside a segment rebuild');
  top.push(segment);
}

function collectInner<T>(build: () => T): { value: T; segments: RecomputeSegment[] } {
  const segments: RecomputeSegment[] = [];
  collecting.push(segments);
  try {
    return { value: build(), segments };
  } finally {
    collecting.pop();
  }
}

/** The chain's segments, in forward order. */
export function chainSegments(chain: CheckpointChain): RecomputeSegment[] {
  if (chain.boundaries.length !== chain.rebuild.length + 1) throw new TypeError(`checkpoint chain: ${chain.boundaries.length} boundaries for ${chain.rebuild.length} segments (need one more boundary than segments)`);
  return chain.rebuild.map((rebuild, i) => ({ input: chain.boundaries[i], output: chain.boundaries[i + 1], rebuild }));
}

/**
 * d(loss)/d(wrt[i]) like autodiff's `gradients`, with every segment recomputed in the backward pass
 * instead of read from the forward. `segments` in forward order (a segment's input may be an earlier
 * segment's output; several segments may share an input). Same values as plain `gradients` on the
 * graph without the stop-gradients (the forward is the same computation; only which nodes the backward
 * reads changes).
 */
export function checkpointedGradients(loss: Tensor, wrt: readonly Tensor[], segments: readonly RecomputeSegment[] | CheckpointChain, options: { seed?: Tensor } = {}): (Tensor | null)[] {
  const list = 'boundaries' in segments ? chainSegments(segments) : segments;
  const graph = loss.graph;
  const boundaries = [...new Set(list.flatMap((s) => [s.input, s.output, ...(s.extraInputs ?? [])]))];
  const wrtSet = new Set(wrt);
  for (const b of boundaries) {
    if (b.producer?.op !== 'StopGradient') throw new TypeError(`checkpointedGradients: boundary ${b} must be a StopGradient output`);
  }
  const total: (Tensor | null)[] = wrt.map(() => null);
  const sum = (a: Tensor | null, b: Tensor | null) => (a && b ? graph.scope('grad/accumulate', () => op.add(a, b)) : (a ?? b));
  const addAll = (gs: (Tensor | null)[]) => gs.forEach((g, i) => (total[i] = sum(total[i], g)));

  // The loss's own gradients: parameters after the segments, and every boundary the loss reads directly.
  const direct = gradients(loss, [...wrt, ...boundaries], { scope: 'grad', seed: options.seed });
  addAll(direct.slice(0, wrt.length));
  const boundaryGrad = new Map<Tensor, Tensor | null>(boundaries.map((b, i) => [b, direct[wrt.length + i]]));

  let previous: Tensor | null = null;
  for (let i = list.length - 1; i >= 0; i--) {
    const segment = list[i];
    const seed = boundaryGrad.get(segment.output) ?? null;
    if (!seed) continue; // this segment does not reach the loss
    const { grads, inputGrad, marker } = graph.scope(`grad/recompute_${i}`, () => {
      const x = segment.input;
      const first = (t: Tensor) => op.gather(op.reshape(t, [-1]), graph.scalar(0, 'int64'));
      let ordering = op.mul(first(seed), 0);
      if (previous) ordering = op.add(ordering, op.cast(op.mul(first(previous), 0), ordering.dtype));
      const fresh = op.add(x, op.cast(op.stopGradient(ordering), x.dtype));
      const { value: out, segments: inner } = collectInner(() => segment.rebuild(fresh));
      // Extra inputs that no trainable parameter reaches (a frozen head's blocks) need no gradient.
      const extras = (segment.extraInputs ?? []).filter((e) => reaches(e, wrtSet));
      const all = inner.length
        ? checkpointedGradients(out, [...wrt, fresh, ...extras], inner, { seed })
        : gradients(out, [...wrt, fresh, ...extras], { seed, scope: 'grad' });
      extras.forEach((e, k) => boundaryGrad.set(e, sum(boundaryGrad.get(e) ?? null, all[wrt.length + 1 + k])));
      // The next rebuild waits for this segment's input gradient AND its extra inputs' gradients: those are
      // read only at the very end (the bottom pass), so without this onnxruntime may defer them and keep
      // every segment's rebuilt activations (e.g. each head chunk's probabilities) alive until then.
      const extraGrads = all.slice(wrt.length + 1).filter((t): t is Tensor => t !== null);
      const marker = extraGrads.reduce<Tensor | null>((m, t) => {
        const z = op.mul(first(t), 0);
        return m ? op.add(m, op.cast(z, m.dtype)) : z;
      }, all[wrt.length] ? op.mul(first(all[wrt.length]!), 0) : null);
      return { grads: all.slice(0, wrt.length), inputGrad: all[wrt.length], marker };
    });
    addAll(grads);
    boundaryGrad.set(segment.input, sum(boundaryGrad.get(segment.input) ?? null, inputGrad));
    previous = marker ?? previous;
  }
  // Below the segments: every boundary no segment produces, back through what it wraps (the embedding,
  // a split head weight), in ONE pass: the gradient of Σ_b ⟨stop(seed_b), wrapped_b⟩ is Σ_b J_bᵀ·seed_b,
  // and a node shared by several roots (the Split of a weight) gets all its output gradients at once.
  const produced = new Set(list.map((s) => s.output));
  const roots = boundaries.filter((b) => !produced.has(b) && boundaryGrad.get(b));
  if (roots.length === 1) {
    addAll(gradients(roots[0].producer!.inputs[0], wrt, { seed: boundaryGrad.get(roots[0])!, scope: 'grad/bottom' }));
  } else if (roots.length > 1) {
    const surrogate = graph.scope('grad/bottom', () =>
      roots
        .map((b) => {
          const wrapped = b.producer!.inputs[0];
          return op.reduceSum(op.mul(op.stopGradient(op.cast(boundaryGrad.get(b)!, wrapped.dtype)), wrapped), wrapped.shape.map((_, a) => a));
        })
        .map((t, i, all) => (i === 0 ? t : op.cast(t, all[0].dtype)))
        .reduce((a, b) => op.add(a, b)),
    );
    addAll(gradients(surrogate, wrt, { scope: 'grad/bottom' }));
  }
  return total;
}

/** Whether any of `targets` is an ancestor of `t` (through producers). */
function reaches(t: Tensor, targets: ReadonlySet<Tensor>): boolean {
  const seen = new Set<Tensor>();
  const stack = [t];
  while (stack.length) {
    const x = stack.pop()!;
    if (targets.has(x)) return true;
    if (seen.has(x)) continue;
    seen.add(x);
    if (x.producer) stack.push(...x.producer.inputs);
  }
  return false;
}
