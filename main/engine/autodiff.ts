// Reverse-mode automatic differentiation on the IR.
//
// One backward walk over the nodes in reverse construction order (a topological order): for each node
// that lies on a path from a requested input to the output, its op's gradient rule (../ops/primitives.ts)
// turns output gradients into input gradients. The walk — not the rules — reduces every gradient that
// came back in a broadcast shape to its input's shape (sum over broadcast axes), checks dtypes, and
// accumulates fan-out by addition. Only nodes that depend on a requested input get gradient rules run,
// and lowering drops whatever a rule built that no output needs.

import { formatShape, type Dim } from './ir/dim.ts';
import { GraphBuildError } from './ir/errors.ts';
import type { Node, Tensor } from './ir/graph.ts';
import * as op from './ops/api.ts';
import { PRIMITIVES, type PrimitiveOp } from './ops/primitives.ts';

export type GradientOptions = {
  /** Gradient of the output (default: 1, which requires a single-element output such as a loss). */
  seed?: Tensor;
  /** Naming scope for the backward nodes (default 'grad'). */
  scope?: string;
};

/**
 * d(output)/d(wrt[i]) for each requested tensor, or null when `wrt[i]` does not influence the output
 * (or only through stop-gradients / non-differentiable ops).
 */
export function gradients(output: Tensor, wrt: readonly Tensor[], options: GradientOptions = {}): (Tensor | null)[] {
  const graph = output.graph;
  for (const t of wrt) if (t.graph !== graph) throw new TypeError(`gradients: ${t} belongs to another graph than the output`);

  // Forward sweep: which values depend (differentiably) on a requested input.
  const depends = new Set<Tensor>(wrt);
  for (const node of graph.nodes) {
    if (PRIMITIVES[node.op as PrimitiveOp].grad === null) continue;
    if (node.inputs.some((t) => depends.has(t))) for (const o of node.outputs) depends.add(o);
  }

  const grads = new Map<Tensor, Tensor>();
  return graph.scope(options.scope ?? 'grad', () => {
    grads.set(output, options.seed ?? seedFor(output));
    if (options.seed && !sameShape(options.seed.shape, output.shape)) {
      throw new TypeError(`gradients: seed ${formatShape(options.seed.shape)} must have the output's shape ${formatShape(output.shape)}`);
    }
    for (let k = graph.nodes.length - 1; k >= 0; k--) {
      const node = graph.nodes[k];
      if (node.id > output.id) continue; // built after the output: cannot feed it
      const rule = PRIMITIVES[node.op as PrimitiveOp].grad;
      if (rule === null) continue;
      const outGrads = node.outputs.map((o) => grads.get(o) ?? null);
      if (outGrads.every((g) => g === null)) continue;
      if (!node.inputs.some((t) => depends.has(t))) continue;
      let inGrads: (Tensor | null)[];
      try {
        inGrads = graph.scope(node.name, () => rule(outGrads, node));
      } catch (e) {
        if (e instanceof GraphBuildError) throw e;
        throw new GraphBuildError(node.op, node.name, `gradient: ${(e as Error).message}`);
      }
      node.inputs.forEach((input, i) => {
        const g = inGrads[i];
        if (!g || !depends.has(input)) return;
        const shaped = graph.scope(node.name, () => toInputShape(g, input, node));
        const prev = grads.get(input);
        grads.set(input, prev ? graph.scope(`${node.name}/accumulate`, () => op.add(prev, shaped)) : shaped);
      });
    }
    return wrt.map((t) => grads.get(t) ?? null);
  });
}

function seedFor(output: Tensor): Tensor {
  if (output.shape.some((d) => d !== 1)) {
    throw new TypeError(`gradients: output ${output} has more than one element; pass a seed gradient of its shape`);
  }
  const one = output.graph.scalar(1, output.dtype);
  return output.rank === 0 ? one : op.expand(one, output.shape);
}

/** Sums a gradient over the axes its input was broadcast along (and expands the rare narrower one). */
function toInputShape(g: Tensor, input: Tensor, node: Node): Tensor {
  if (g.dtype !== input.dtype) {
    throw new GraphBuildError(node.op, node.name, `gradient rule produced ${g.dtype} for a ${input.dtype} input`);
  }
  if (sameShape(g.shape, input.shape)) return g;
  const target = input.shape;
  const lead = g.rank - target.length;
  const fail = () =>
    new GraphBuildError(node.op, node.name, `gradient of shape ${formatShape(g.shape)} does not reduce to input shape ${formatShape(target)}`);
  if (lead < 0) return op.expand(g, target);
  const axes: number[] = [];
  let needsExpand = false;
  for (let i = 0; i < g.rank; i++) {
    if (i < lead) {
      axes.push(i);
      continue;
    }
    const want = target[i - lead];
    const have = g.shape[i];
    if (want === have) continue;
    if (want === 1) axes.push(i);
    else if (have === 1) needsExpand = true;
    else if (typeof want !== typeof have) continue; // symbolic vs static: assumed equal (see broadcastShapes)
    else throw fail();
  }
  let r = axes.length ? op.reduceSum(g, axes, true) : g;
  if (lead > 0) r = op.reshape(r, r.shape.slice(lead));
  if (needsExpand) r = op.expand(r, target);
  return r;
}

function sameShape(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
