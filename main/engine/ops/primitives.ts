// The closed table of primitive ops. Each entry holds, side by side:
//   infer: output dtypes/shapes from inputs (throws with the offending shapes; the graph adds the op name),
//   lower: the standard ONNX node(s) it becomes,
//   grad:  its reverse-mode rule, (output grads, node) → one gradient (or null) per input, written with the
//          same primitives, so gradient graphs are ordinary IR and lower to standard ONNX ops only.
// Gradients may come back in a broadcast shape: the autodiff walk reduces them to the input's shape once,
// in one place (see ../autodiff.ts), so rules stay one line each.

import { ONNX_DATA_TYPE_CODE } from '../onnx/emit.ts';
import { isFloat, isInt, type DType } from '../ir/dtype.ts';
import {
  broadcastShapes,
  dimsCompatible,
  divDims,
  formatShape,
  isStatic,
  mulDims,
  normalizeAxis,
  numElements,
  type Dim,
} from '../ir/dim.ts';
import { scalarData, type InferFn, type Node, type OpAttrs, type Tensor } from '../ir/graph.ts';
import { attr, type LowerContext } from './lower-context.ts';
import * as op from './api.ts';

type Grads = readonly (Tensor | null)[];
export type GradRule = (grads: Grads, node: Node) => (Tensor | null)[];
export type LowerRule = (node: Node, ctx: LowerContext) => void;
export type OpDef = {
  infer: InferFn;
  lower: LowerRule;
  /** null: the op passes no gradient (integer/bool outputs, stop-gradient, constants). */
  grad: GradRule | null;
};

// ---- inference helpers -------------------------------------------------------------------------

type T = { dtype: DType; shape: Dim[] };

function sameDType(inputs: readonly Tensor[]): DType {
  const d = inputs[0].dtype;
  for (const t of inputs) if (t.dtype !== d) throw new Error(`dtype mismatch: ${inputs.map((x) => x.dtype).join(' vs ')}`);
  return d;
}
function requireFloat(t: Tensor, what = 'input'): void {
  if (!isFloat(t.dtype)) throw new Error(`${what} must be a float tensor, got ${t.dtype}${formatShape(t.shape)}`);
}
function requireInt(t: Tensor, what: string): void {
  if (!isInt(t.dtype)) throw new Error(`${what} must be int64 or int32, got ${t.dtype}${formatShape(t.shape)}`);
}
function broadcast(inputs: readonly Tensor[]): Dim[] {
  let shape: Dim[] = [...inputs[0].shape];
  for (const t of inputs.slice(1)) {
    const r = broadcastShapes(shape, t.shape);
    if (typeof r === 'string') throw new Error(`inputs ${inputs.map((x) => formatShape(x.shape)).join(' and ')} do not broadcast: ${r}`);
    shape = r;
  }
  return shape;
}
function axisOf(axis: number, rank: number, shape: readonly Dim[]): number {
  const a = normalizeAxis(axis, rank);
  if (a === null) throw new Error(`axis ${axis} is out of range for shape ${formatShape(shape)}`);
  return a;
}
function axesOf(axes: readonly number[], rank: number, shape: readonly Dim[]): number[] {
  const out = axes.map((a) => axisOf(a, rank, shape));
  if (new Set(out).size !== out.length) throw new Error(`repeated axes ${JSON.stringify(axes)}`);
  return out.sort((a, b) => a - b);
}

const elementwise = (check: (inputs: readonly Tensor[]) => void = () => {}): InferFn => (inputs) => {
  check(inputs);
  return [{ dtype: sameDType(inputs), shape: broadcast(inputs) }];
};
const floatUnary: InferFn = ([x]) => {
  requireFloat(x);
  return [{ dtype: x.dtype, shape: [...x.shape] }];
};
const numericUnary: InferFn = ([x]) => {
  if (x.dtype === 'bool') throw new Error(`input must be numeric, got bool${formatShape(x.shape)}`);
  return [{ dtype: x.dtype, shape: [...x.shape] }];
};
const comparison: InferFn = (inputs) => [{ dtype: (sameDType(inputs), 'bool'), shape: broadcast(inputs) }];
const logical: InferFn = (inputs) => {
  for (const t of inputs) if (t.dtype !== 'bool') throw new Error(`inputs must be bool, got ${t.dtype}`);
  return [{ dtype: 'bool', shape: broadcast(inputs) }];
};
const sameAsInput: InferFn = ([x]) => [{ dtype: x.dtype, shape: [...x.shape] }];

function reduceInfer(floatOnly: boolean): InferFn {
  return ([x], a) => {
    if (floatOnly) requireFloat(x);
    const axes = axesOf(a.axes as number[], x.rank, x.shape);
    const shape = a.keepdims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    return [{ dtype: x.dtype, shape }];
  };
}

function inferReshape(x: Tensor, target: readonly Dim[]): Dim[] {
  const free = target.filter((d) => d === -1).length;
  if (free > 1) throw new Error(`target shape ${formatShape(target)} has more than one -1`);
  const total = numElements(x.shape);
  if (free === 1) {
    const known = numElements(target.filter((d) => d !== -1));
    const rest = divDims(total, known);
    if (rest === null) throw new Error(`cannot reshape ${formatShape(x.shape)} to ${formatShape(target)}: ${total} elements are not a multiple of ${known}`);
    return target.map((d) => (d === -1 ? rest : d));
  }
  const n = numElements(target);
  if (n !== total && (isStatic(n) && isStatic(total))) {
    throw new Error(`cannot reshape ${formatShape(x.shape)} (${total} elements) to ${formatShape(target)} (${n} elements)`);
  }
  if (n !== total) throw new Error(`cannot prove reshape ${formatShape(x.shape)} → ${formatShape(target)} keeps the element count (${total} vs ${n})`);
  return [...target];
}

/** Static output length of slicing a dim; symbolic dims may only be sliced whole. */
function sliceLength(dim: Dim, start: number, end: number, step: number): { len: Dim; start: number; end: number } {
  if (step !== 1) throw new Error(`only step 1 is supported, got ${step}`);
  if (!isStatic(dim)) {
    if (start === 0 && end >= 2 ** 31 - 1) return { len: dim, start, end };
    throw new Error(`cannot slice symbolic dim '${dim}' at [${start}, ${end}); slice only static dims`);
  }
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
  const s = clamp(start);
  const e = clamp(end);
  return { len: Math.max(0, e - s), start: s, end: Math.max(s, e) };
}

// ---- lowering helpers ----------------------------------------------------------------------------

const simple = (onnxOp: string, attrs?: (a: OpAttrs) => Record<string, ReturnType<typeof attr.int>>): LowerRule => (node, ctx) =>
  ctx.emit(node, onnxOp, node.inputs.map((t) => ctx.valueName(t)), ctx.outputNames(node), attrs?.(node.attrs));

/** ONNX ops whose axes/shape are a second input (opset ≥ 13): pass them as int64 constants. */
const withInt64Input = (onnxOp: string, key: string, attrs?: (a: OpAttrs) => Record<string, ReturnType<typeof attr.int>>): LowerRule => (node, ctx) =>
  ctx.emit(node, onnxOp, [...node.inputs.map((t) => ctx.valueName(t)), ctx.int64s(node.attrs[key] as number[])], ctx.outputNames(node), attrs?.(node.attrs));

const reduceLower = (onnxOp: string): LowerRule => (node, ctx) =>
  ctx.emit(node, onnxOp, [ctx.valueName(node.inputs[0]), ctx.int64s(node.attrs.axes as number[])], ctx.outputNames(node), {
    keepdims: attr.int(node.attrs.keepdims ? 1 : 0),
  });

const castTo = (dtype: DType) => attr.int(ONNX_DATA_TYPE_CODE[dtype]);

// ---- gradient helpers ----------------------------------------------------------------------------

/** The output gradient re-expanded over reduced axes (as keepdims) so it broadcasts against the input. */
function keepReduced(g: Tensor, node: Node): Tensor {
  return node.attrs.keepdims ? g : op.unsqueeze(g, node.attrs.axes as number[]);
}
function reducedCount(node: Node): Dim {
  const x = node.inputs[0];
  return (node.attrs.axes as number[]).reduce<Dim>((acc, a) => mulDims(acc, x.shape[a]), 1);
}
const swapLast = (rank: number) => [...Array(rank).keys()].map((i) => (i === rank - 2 ? rank - 1 : i === rank - 1 ? rank - 2 : i));

// ---- the table -----------------------------------------------------------------------------------

export const PRIMITIVES = {
  // Elementwise arithmetic (numpy broadcasting; the autodiff walk reduces grads over broadcast axes).
  Add: { infer: elementwise(), lower: simple('Add'), grad: ([g]) => [g, g] },
  Sub: { infer: elementwise(), lower: simple('Sub'), grad: ([g]) => [g, op.neg(g!)] },
  Mul: { infer: elementwise(), lower: simple('Mul'), grad: ([g], n) => [op.mul(g!, n.inputs[1]), op.mul(g!, n.inputs[0])] },
  Div: { infer: elementwise(), lower: simple('Div'), grad: ([g], n) => [op.div(g!, n.inputs[1]), op.neg(op.div(op.mul(g!, n.outputs[0]), n.inputs[1]))] },
  Pow: {
    infer: elementwise(([a]) => requireFloat(a)),
    lower: simple('Pow'),
    grad: ([g], n) => {
      const [a, b] = n.inputs;
      return [op.mul(g!, op.mul(b, op.pow(a, op.sub(b, 1)))), op.mul(g!, op.mul(n.outputs[0], op.log(a)))];
    },
  },
  Min: { infer: elementwise(), lower: simple('Min'), grad: ([g], n) => tieToFirst(op.lessOrEqual(n.inputs[0], n.inputs[1]), g!) },
  Max: { infer: elementwise(), lower: simple('Max'), grad: ([g], n) => tieToFirst(op.greaterOrEqual(n.inputs[0], n.inputs[1]), g!) },
  Neg: { infer: numericUnary, lower: simple('Neg'), grad: ([g]) => [op.neg(g!)] },
  Abs: { infer: numericUnary, lower: simple('Abs'), grad: ([g], n) => [op.mul(g!, op.sign(n.inputs[0]))] },
  Sign: { infer: numericUnary, lower: simple('Sign'), grad: null },
  Sqrt: { infer: floatUnary, lower: simple('Sqrt'), grad: ([g], n) => [op.div(op.mul(g!, 0.5), n.outputs[0])] },
  Reciprocal: { infer: floatUnary, lower: simple('Reciprocal'), grad: ([g], n) => [op.neg(op.mul(g!, op.mul(n.outputs[0], n.outputs[0])))] },
  Exp: { infer: floatUnary, lower: simple('Exp'), grad: ([g], n) => [op.mul(g!, n.outputs[0])] },
  Log: { infer: floatUnary, lower: simple('Log'), grad: ([g], n) => [op.div(g!, n.inputs[0])] },
  Sin: { infer: floatUnary, lower: simple('Sin'), grad: ([g], n) => [op.mul(g!, op.cos(n.inputs[0]))] },
  Cos: { infer: floatUnary, lower: simple('Cos'), grad: ([g], n) => [op.neg(op.mul(g!, op.sin(n.inputs[0])))] },
  Sigmoid: { infer: floatUnary, lower: simple('Sigmoid'), grad: ([g], n) => [op.mul(g!, op.mul(n.outputs[0], op.sub(1, n.outputs[0])))] },
  Tanh: { infer: floatUnary, lower: simple('Tanh'), grad: ([g], n) => [op.mul(g!, op.sub(1, op.mul(n.outputs[0], n.outputs[0])))] },
  Clip: {
    // attrs: min?, max? (numbers). Gradient passes where the input is inside [min, max].
    infer: ([x], a) => {
      if (a.min !== undefined && a.max !== undefined && (a.min as number) > (a.max as number)) throw new Error(`min ${a.min} > max ${a.max}`);
      return numericUnary([x], a);
    },
    lower: (node, ctx) => {
      const x = node.inputs[0];
      const bound = (v: unknown) => (v === undefined ? '' : ctx.scalarConst(v as number, x.dtype));
      ctx.emit(node, 'Clip', [ctx.valueName(x), bound(node.attrs.min), bound(node.attrs.max)], ctx.outputNames(node));
    },
    grad: ([g], n) => {
      const x = n.inputs[0];
      let inside: Tensor | null = null;
      if (n.attrs.min !== undefined) inside = op.greaterOrEqual(x, n.attrs.min as number);
      if (n.attrs.max !== undefined) {
        const below = op.lessOrEqual(x, n.attrs.max as number);
        inside = inside ? op.and(inside, below) : below;
      }
      return [inside ? op.where(inside, g!, 0) : g];
    },
  },

  // Comparisons and logic: bool outputs, no gradient.
  Equal: { infer: comparison, lower: simple('Equal'), grad: null },
  Less: { infer: comparison, lower: simple('Less'), grad: null },
  LessOrEqual: { infer: comparison, lower: simple('LessOrEqual'), grad: null },
  Greater: { infer: comparison, lower: simple('Greater'), grad: null },
  GreaterOrEqual: { infer: comparison, lower: simple('GreaterOrEqual'), grad: null },
  And: { infer: logical, lower: simple('And'), grad: null },
  Or: { infer: logical, lower: simple('Or'), grad: null },
  Not: { infer: logical, lower: simple('Not'), grad: null },
  Where: {
    infer: ([c, x, y]) => {
      if (c.dtype !== 'bool') throw new Error(`condition must be bool, got ${c.dtype}`);
      return [{ dtype: sameDType([x, y]), shape: broadcast([c, x, y]) }];
    },
    lower: simple('Where'),
    grad: ([g], n) => [null, op.where(n.inputs[0], g!, 0), op.where(n.inputs[0], 0, g!)],
  },

  // Linear algebra.
  MatMul: {
    // Batched: [..., M, K] @ [..., K, N] with broadcast batch dims (rank ≥ 2 on both sides).
    infer: ([a, b]) => {
      const dtype = sameDType([a, b]);
      if (a.rank < 2 || b.rank < 2) throw new Error(`inputs must have rank ≥ 2, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
      const k1 = a.shape[a.rank - 1];
      const k2 = b.shape[b.rank - 2];
      if (!dimsCompatible(k1, k2)) throw new Error(`inner dims differ: ${formatShape(a.shape)} @ ${formatShape(b.shape)} (${k1} vs ${k2})`);
      const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
      if (typeof batch === 'string') throw new Error(`batch dims of ${formatShape(a.shape)} @ ${formatShape(b.shape)}: ${batch}`);
      return [{ dtype, shape: [...batch, a.shape[a.rank - 2], b.shape[b.rank - 1]] }];
    },
    lower: simple('MatMul'),
    grad: ([g], n) => {
      const [a, b] = n.inputs;
      const K = a.shape[a.rank - 1];
      // Weight-style right operand [K, N] under a batched left one: one 2-D Gemm (Aᵀ·G over all rows)
      // instead of a batched product reduced over the batch afterwards.
      const gb =
        b.rank === 2 && a.rank > 2 && isStatic(K)
          ? op.gemm(op.reshape(a, [-1, K]), op.reshape(g!, [-1, b.shape[1]]), { transA: true })
          : op.matmul(op.transpose(a, swapLast(a.rank)), g!);
      return [op.matmul(g!, op.transpose(b, swapLast(b.rank))), gb];
    },
  },
  Gemm: {
    // 2-D only, no bias: Y = op(A)·op(B), op = transpose when transA/transB. Lets linear layers keep
    // PyTorch's [out, in] weights without a Transpose node: MLAS reads the transposed operand directly.
    infer: ([a, b], at) => {
      const dtype = sameDType([a, b]);
      if (a.rank !== 2 || b.rank !== 2) throw new Error(`inputs must be 2-D, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
      const [m, k1] = at.transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
      const [k2, nn] = at.transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
      if (!dimsCompatible(k1, k2)) throw new Error(`inner dims differ: ${formatShape(a.shape)}${at.transA ? 'ᵀ' : ''} · ${formatShape(b.shape)}${at.transB ? 'ᵀ' : ''} (${k1} vs ${k2})`);
      return [{ dtype, shape: [m, nn] }];
    },
    lower: simple('Gemm', (a) => ({ transA: attr.int(a.transA ? 1 : 0), transB: attr.int(a.transB ? 1 : 0) })),
    grad: ([g], n) => {
      const [a, b] = n.inputs;
      const { transA, transB } = n.attrs as { transA: boolean; transB: boolean };
      if (!transA && !transB) return [op.gemm(g!, b, { transB: true }), op.gemm(a, g!, { transA: true })];
      if (!transA && transB) return [op.gemm(g!, b), op.gemm(g!, a, { transA: true })];
      if (transA && !transB) return [op.gemm(b, g!, { transB: true }), op.gemm(a, g!)];
      return [op.gemm(b, g!, { transA: true, transB: true }), op.gemm(g!, a, { transA: true, transB: true })];
    },
  },

  // Normalizers along one axis.
  Softmax: {
    infer: ([x], a) => (axisOf(a.axis as number, x.rank, x.shape), floatUnary([x], a)),
    lower: simple('Softmax', (a) => ({ axis: attr.int(a.axis as number) })),
    grad: ([g], n) => {
      const y = n.outputs[0];
      return [op.mul(y, op.sub(g!, op.reduceSum(op.mul(g!, y), [n.attrs.axis as number], true)))];
    },
  },
  LogSoftmax: {
    infer: ([x], a) => (axisOf(a.axis as number, x.rank, x.shape), floatUnary([x], a)),
    lower: simple('LogSoftmax', (a) => ({ axis: attr.int(a.axis as number) })),
    grad: ([g], n) => [op.sub(g!, op.mul(op.exp(n.outputs[0]), op.reduceSum(g!, [n.attrs.axis as number], true)))],
  },

  // Reductions (attrs: axes, keepdims).
  ReduceSum: { infer: reduceInfer(false), lower: reduceLower('ReduceSum'), grad: ([g], n) => [op.expand(keepReduced(g!, n), n.inputs[0].shape)] },
  ReduceMean: {
    infer: reduceInfer(true),
    lower: reduceLower('ReduceMean'),
    grad: ([g], n) => {
      const x = n.inputs[0];
      const count = reducedCount(n);
      const scaled = isStatic(count) ? op.div(g!, count) : op.div(g!, op.dimSize(x.graph, count, x.dtype));
      return [op.expand(keepReduced(scaled, n), x.shape)];
    },
  },
  ReduceMax: {
    infer: reduceInfer(false),
    lower: reduceLower('ReduceMax'),
    grad: ([g], n) => [op.where(op.equal(n.inputs[0], keepReduced(n.outputs[0], n)), keepReduced(g!, n), 0)],
  },
  ReduceSumSquare: {
    infer: reduceInfer(true),
    lower: reduceLower('ReduceSumSquare'),
    grad: ([g], n) => [op.mul(op.mul(n.inputs[0], 2), keepReduced(g!, n))],
  },

  // Shape manipulation.
  Reshape: {
    // attrs.shape: target dims (numbers, symbolic names, one -1); the inferred shape is stored on the output.
    infer: ([x], a) => [{ dtype: x.dtype, shape: inferReshape(x, a.shape as Dim[]) }],
    lower: (node, ctx) => {
      const out = node.outputs[0].shape;
      // One non-static dim can be left to ONNX's -1: no Shape ops needed for the common flatten/unflatten.
      const symbolic = out.filter((d) => !isStatic(d)).length;
      const target = symbolic === 1 ? ctx.int64s(out.map((d) => (isStatic(d) ? d : -1))) : ctx.shapeTensor(out);
      ctx.emit(node, 'Reshape', [ctx.valueName(node.inputs[0]), target], ctx.outputNames(node));
    },
    grad: ([g], n) => [op.reshape(g!, n.inputs[0].shape)],
  },
  Transpose: {
    infer: ([x], a) => {
      const perm = a.perm as number[];
      if (perm.length !== x.rank || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
        throw new Error(`perm ${JSON.stringify(perm)} is not a permutation of the axes of ${formatShape(x.shape)}`);
      }
      return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }];
    },
    lower: simple('Transpose', (a) => ({ perm: attr.ints(a.perm as number[]) })),
    grad: ([g], n) => {
      const perm = n.attrs.perm as number[];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return [op.transpose(g!, inverse)];
    },
  },
  Slice: {
    // attrs: axes, starts, ends (normalized to the static dims at build time), steps (all 1).
    infer: ([x], a) => {
      const shape = [...x.shape];
      const axes = axesOf(a.axes as number[], x.rank, x.shape);
      (a.axes as number[]).forEach((axis, i) => {
        const ax = axisOf(axis, x.rank, x.shape);
        shape[ax] = sliceLength(x.shape[ax], (a.starts as number[])[i], (a.ends as number[])[i], 1).len;
      });
      void axes;
      return [{ dtype: x.dtype, shape }];
    },
    lower: (node, ctx) => {
      const a = node.attrs as { axes: number[]; starts: number[]; ends: number[] };
      ctx.emit(node, 'Slice', [ctx.valueName(node.inputs[0]), ctx.int64s(a.starts), ctx.int64s(a.ends), ctx.int64s(a.axes)], ctx.outputNames(node));
    },
    grad: ([g], n) => {
      const x = n.inputs[0];
      const a = n.attrs as { axes: number[]; starts: number[]; ends: number[] };
      const pads = new Array<number>(2 * x.rank).fill(0);
      a.axes.forEach((axis, i) => {
        const ax = axisOf(axis, x.rank, x.shape);
        const dim = x.shape[ax];
        if (!isStatic(dim)) return; // a whole symbolic dim: nothing to pad
        const { start, end } = sliceLength(dim, a.starts[i], a.ends[i], 1);
        pads[ax] = start;
        pads[ax + x.rank] = dim - end;
      });
      return [op.pad(g!, pads)];
    },
  },
  Pad: {
    // Constant zero padding; attrs.pads in ONNX order [begin_0, …, begin_n, end_0, …, end_n], all ≥ 0.
    infer: ([x], a) => {
      const pads = a.pads as number[];
      if (pads.length !== 2 * x.rank || pads.some((p) => p < 0 || !Number.isInteger(p))) throw new Error(`pads ${JSON.stringify(pads)} do not fit ${formatShape(x.shape)}`);
      const shape = x.shape.map((d, i) => {
        const extra = pads[i] + pads[i + x.rank];
        if (extra === 0) return d;
        if (!isStatic(d)) throw new Error(`cannot pad symbolic dim '${d}'`);
        return d + extra;
      });
      return [{ dtype: x.dtype, shape }];
    },
    lower: withInt64Input('Pad', 'pads'),
    grad: ([g], n) => {
      const x = n.inputs[0];
      const pads = n.attrs.pads as number[];
      const axes: number[] = [];
      const starts: number[] = [];
      const ends: number[] = [];
      x.shape.forEach((d, i) => {
        if (pads[i] === 0 && pads[i + x.rank] === 0) return;
        axes.push(i);
        starts.push(pads[i]);
        ends.push(pads[i] + (d as number));
      });
      return [axes.length ? op.sliceAxes(g!, axes, starts, ends) : g];
    },
  },
  Concat: {
    infer: (inputs, a) => {
      const dtype = sameDType(inputs);
      const first = inputs[0];
      const axis = axisOf(a.axis as number, first.rank, first.shape);
      let size: Dim = 0;
      for (const t of inputs) {
        if (t.rank !== first.rank || t.shape.some((d, i) => i !== axis && !dimsCompatible(d, first.shape[i]))) {
          throw new Error(`inputs ${inputs.map((x) => formatShape(x.shape)).join(', ')} differ off the concat axis ${a.axis}`);
        }
        const d = t.shape[axis];
        if (!isStatic(d)) throw new Error(`cannot concatenate along symbolic dim '${d}'`);
        size = (size as number) + d;
      }
      return [{ dtype, shape: first.shape.map((d, i) => (i === axis ? size : d)) }];
    },
    lower: simple('Concat', (a) => ({ axis: attr.int(a.axis as number) })),
    grad: ([g], n) => op.split(g!, n.inputs.map((t) => t.shape[axisOf(n.attrs.axis as number, t.rank, t.shape)] as number), n.attrs.axis as number),
  },
  Split: {
    infer: ([x], a) => {
      const axis = axisOf(a.axis as number, x.rank, x.shape);
      const sizes = a.sizes as number[];
      const total = sizes.reduce((s, v) => s + v, 0);
      if (x.shape[axis] !== total) throw new Error(`sizes ${JSON.stringify(sizes)} do not add up to dim ${x.shape[axis]} of ${formatShape(x.shape)}`);
      return sizes.map((s) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? s : d)) }));
    },
    lower: withInt64Input('Split', 'sizes', (a) => ({ axis: attr.int(a.axis as number) })),
    grad: (gs, n) => [op.concat(gs.map((g, i) => g ?? op.zeros(n.graph, n.outputs[i].shape, n.outputs[i].dtype)), n.attrs.axis as number)],
  },
  Unsqueeze: {
    infer: ([x], a) => {
      const rank = x.rank + (a.axes as number[]).length;
      const axes = axesOf(a.axes as number[], rank, x.shape);
      const shape: Dim[] = [];
      let k = 0;
      for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : x.shape[k++]);
      return [{ dtype: x.dtype, shape }];
    },
    lower: withInt64Input('Unsqueeze', 'axes'),
    grad: ([g], n) => [op.squeeze(g!, n.attrs.axes as number[])],
  },
  Squeeze: {
    infer: ([x], a) => {
      const axes = axesOf(a.axes as number[], x.rank, x.shape);
      for (const ax of axes) if (x.shape[ax] !== 1) throw new Error(`axis ${ax} of ${formatShape(x.shape)} is not 1`);
      return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !axes.includes(i)) }];
    },
    lower: withInt64Input('Squeeze', 'axes'),
    grad: ([g], n) => [op.unsqueeze(g!, n.attrs.axes as number[])],
  },
  Expand: {
    infer: ([x], a) => {
      const r = broadcastShapes(x.shape, a.shape as Dim[]);
      if (typeof r === 'string') throw new Error(`cannot expand ${formatShape(x.shape)} to ${formatShape(a.shape as Dim[])}: ${r}`);
      return [{ dtype: x.dtype, shape: r }];
    },
    lower: (node, ctx) => ctx.emit(node, 'Expand', [ctx.valueName(node.inputs[0]), ctx.shapeTensor(node.outputs[0].shape)], ctx.outputNames(node)),
    grad: ([g]) => [g], // reduced to the input's shape by the autodiff walk
  },

  // Indexing.
  Gather: {
    infer: ([data, idx], a) => {
      requireInt(idx, 'indices');
      const axis = axisOf(a.axis as number, data.rank, data.shape);
      return [{ dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)] }];
    },
    lower: simple('Gather', (a) => ({ axis: attr.int(a.axis as number) })),
    grad: ([g], n) => {
      const [data, idx] = n.inputs;
      if (axisOf(n.attrs.axis as number, data.rank, data.shape) !== 0) throw new Error('Gather gradient is implemented along axis 0 only (embedding lookups); transpose the data first');
      // Embedding gradient: scatter-add rows of g into a zero table (duplicate ids accumulate).
      return [op.scatterND(op.zeros(n.graph, data.shape, data.dtype), op.unsqueeze(idx, [-1]), g!, 'add'), null];
    },
  },
  GatherElements: {
    infer: ([data, idx], a) => {
      requireInt(idx, 'indices');
      axisOf(a.axis as number, data.rank, data.shape);
      if (idx.rank !== data.rank) throw new Error(`indices ${formatShape(idx.shape)} must have the rank of data ${formatShape(data.shape)}`);
      return [{ dtype: data.dtype, shape: [...idx.shape] }];
    },
    lower: simple('GatherElements', (a) => ({ axis: attr.int(a.axis as number) })),
    grad: ([g], n) => {
      const [data, idx] = n.inputs;
      return [op.scatterElements(op.zeros(n.graph, data.shape, data.dtype), idx, g!, n.attrs.axis as number, 'add'), null];
    },
  },
  ScatterElements: {
    infer: ([data, idx, upd], a) => {
      requireInt(idx, 'indices');
      axisOf(a.axis as number, data.rank, data.shape);
      if (upd.dtype !== data.dtype) throw new Error(`updates dtype ${upd.dtype} differs from data ${data.dtype}`);
      if (idx.rank !== data.rank || upd.rank !== idx.rank || upd.shape.some((d, i) => !dimsCompatible(d, idx.shape[i]))) {
        throw new Error(`indices ${formatShape(idx.shape)} and updates ${formatShape(upd.shape)} must match and have the rank of data ${formatShape(data.shape)}`);
      }
      return [{ dtype: data.dtype, shape: [...data.shape] }];
    },
    lower: simple('ScatterElements', (a) => ({ axis: attr.int(a.axis as number), reduction: attr.string(a.reduction as string) })),
    grad: ([g], n) => {
      const [, idx, upd] = n.inputs;
      const axis = n.attrs.axis as number;
      const gData = n.attrs.reduction === 'add' ? g : op.scatterElements(g!, idx, op.zeros(n.graph, upd.shape, upd.dtype), axis, 'none');
      return [gData, null, op.gatherElements(g!, idx, axis)];
    },
  },
  ScatterND: {
    infer: ([data, idx, upd]) => {
      requireInt(idx, 'indices');
      const k = idx.shape[idx.rank - 1];
      if (!isStatic(k) || k > data.rank) throw new Error(`last dim of indices ${formatShape(idx.shape)} must be a static k ≤ rank of data ${formatShape(data.shape)}`);
      const expect = [...idx.shape.slice(0, -1), ...data.shape.slice(k)];
      if (upd.rank !== expect.length || upd.shape.some((d, i) => !dimsCompatible(d, expect[i]))) {
        throw new Error(`updates ${formatShape(upd.shape)} should be ${formatShape(expect)} for data ${formatShape(data.shape)} and indices ${formatShape(idx.shape)}`);
      }
      return [{ dtype: sameDType([data, upd]), shape: [...data.shape] }];
    },
    lower: simple('ScatterND', (a) => ({ reduction: attr.string(a.reduction as string) })),
    grad: ([g], n) => {
      const [, idx, upd] = n.inputs;
      const gData = n.attrs.reduction === 'add' ? g : op.scatterND(g!, idx, op.zeros(n.graph, upd.shape, upd.dtype), 'none');
      return [gData, null, op.gatherND(g!, idx)];
    },
  },
  GatherND: {
    infer: ([data, idx]) => {
      requireInt(idx, 'indices');
      const k = idx.shape[idx.rank - 1];
      if (!isStatic(k) || k > data.rank) throw new Error(`last dim of indices ${formatShape(idx.shape)} must be a static k ≤ rank of data ${formatShape(data.shape)}`);
      return [{ dtype: data.dtype, shape: [...idx.shape.slice(0, -1), ...data.shape.slice(k)] }];
    },
    lower: simple('GatherND'),
    grad: ([g], n) => [op.scatterND(op.zeros(n.graph, n.inputs[0].shape, n.inputs[0].dtype), n.inputs[1], g!, 'add'), null],
  },

  UniqueInverse: {
    // For 1-D integer ids [N]: for each id, the index of its value among the distinct values in order of
    // first appearance ([N] int64, values in [0, number of distinct ids)). Lets sums over duplicate ids
    // land in a table of N rows instead of one row per possible id (row-sparse embedding gradients).
    infer: ([ids]) => {
      requireInt(ids, 'ids');
      if (ids.rank !== 1) throw new Error(`ids must be 1-D, got ${formatShape(ids.shape)}`);
      return [{ dtype: 'int64', shape: [...ids.shape] }];
    },
    lower: (node, ctx) =>
      // ONNX Unique's outputs: values, first indices, inverse indices, counts; only the inverse is kept.
      ctx.emit(node, 'Unique', [ctx.valueName(node.inputs[0])], [ctx.temp(node, 'values'), '', ...ctx.outputNames(node)], { sorted: attr.int(0) }),
    grad: null,
  },

  // Types and gradient plumbing.
  Cast: {
    infer: ([x], a) => [{ dtype: a.to as DType, shape: [...x.shape] }],
    lower: simple('Cast', (a) => ({ to: castTo(a.to as DType) })),
    grad: ([g], n) => [isFloat(n.inputs[0].dtype) && isFloat(n.outputs[0].dtype) ? op.cast(g!, n.inputs[0].dtype) : null],
  },
  Identity: { infer: sameAsInput, lower: simple('Identity'), grad: ([g]) => [g] },
  StopGradient: { infer: sameAsInput, lower: simple('Identity'), grad: null },

  // Sources (no tensor inputs; attrs describe the value).
  ConstantOfShape: {
    infer: (_, a) => [{ dtype: a.dtype as DType, shape: [...(a.shape as Dim[])] }],
    lower: (node, ctx) => {
      const dtype = node.attrs.dtype as DType;
      const value = { kind: 'tensor' as const, value: constantOfShapeValue(node.attrs.value as number, dtype) };
      ctx.emit(node, 'ConstantOfShape', [ctx.shapeTensor(node.outputs[0].shape)], ctx.outputNames(node), { value });
    },
    grad: null,
  },
  Arange: {
    // 0, 1, …, length−1 (length may be symbolic: masks for any sequence length).
    infer: (_, a) => [{ dtype: a.dtype as DType, shape: [a.length as Dim] }],
    lower: (node, ctx) => {
      const dtype = node.attrs.dtype as DType;
      const out = ctx.outputNames(node);
      const range = dtype === 'int64' ? out[0] : ctx.temp(node, 'range');
      ctx.emit(node, 'Range', [ctx.scalarConst(0, 'int64'), ctx.scalarDim(node.attrs.length as Dim), ctx.scalarConst(1, 'int64')], [range], {}, dtype === 'int64' ? undefined : 'Range');
      if (dtype !== 'int64') ctx.emit(node, 'Cast', [range], out, { to: castTo(dtype) });
    },
    grad: null,
  },
  DimSize: {
    // A (possibly symbolic) dimension as a scalar of `dtype`: divisors of means over symbolic axes.
    infer: (_, a) => [{ dtype: a.dtype as DType, shape: [] }],
    lower: (node, ctx) => ctx.emit(node, 'Cast', [ctx.scalarDim(node.attrs.dim as Dim)], ctx.outputNames(node), { to: castTo(node.attrs.dtype as DType) }),
    grad: null,
  },

  // Fused loss: mean cross-entropy over rows whose label ≠ ignoreIndex (ONNX SoftmaxCrossEntropyLoss).
  // Outputs: loss (scalar), logProb [N, C]. Its gradient is the closed form (softmax − onehot)·g/count,
  // built as Exp·scale then one scatter-add of −scale at the labels: three passes over [N, C].
  SoftmaxCrossEntropy: {
    infer: ([logits, labels]) => {
      requireFloat(logits, 'logits');
      requireInt(labels, 'labels');
      if (logits.rank !== 2 || labels.rank !== 1 || !dimsCompatible(logits.shape[0], labels.shape[0])) {
        throw new Error(`expects logits [N, C] and labels [N], got ${formatShape(logits.shape)} and ${formatShape(labels.shape)}`);
      }
      return [
        { dtype: logits.dtype, shape: [] },
        { dtype: logits.dtype, shape: [...logits.shape] },
      ];
    },
    lower: (node, ctx) =>
      ctx.emit(node, 'SoftmaxCrossEntropyLoss', node.inputs.map((t) => ctx.valueName(t)), ctx.outputNames(node), {
        reduction: attr.string('mean'),
        ignore_index: attr.int(node.attrs.ignoreIndex as number),
      }),
    grad: ([gLoss, gLogProb], n) => {
      const [logits, labels] = n.inputs;
      const logProb = n.outputs[1];
      const softmax = op.exp(logProb);
      let grad: Tensor | null = null;
      if (gLoss) {
        const valid = op.notEqual(labels, n.attrs.ignoreIndex as number);
        const validF = op.cast(valid, logits.dtype);
        const count = op.reduceSum(validF, [0], false);
        const rowScale = op.unsqueeze(op.mul(validF, op.div(gLoss, count)), [1]); // [N, 1]: g/count, 0 on ignored rows
        const safeLabels = op.unsqueeze(op.where(valid, labels, 0), [1]);
        grad = op.scatterElements(op.mul(softmax, rowScale), safeLabels, op.neg(rowScale), 1, 'add');
      }
      if (gLogProb) {
        const viaLogProb = op.sub(gLogProb, op.mul(softmax, op.reduceSum(gLogProb, [1], true)));
        grad = grad ? op.add(grad, viaLogProb) : viaLogProb;
      }
      return [grad, null];
    },
  },
} satisfies Record<string, OpDef>;

export type PrimitiveOp = keyof typeof PRIMITIVES;

function tieToFirst(firstWins: Tensor, g: Tensor): Tensor[] {
  return [op.where(firstWins, g, 0), op.where(firstWins, 0, g)];
}

function constantOfShapeValue(value: number, dtype: DType) {
  return { name: 'value', dtype, dims: [1], data: scalarData(value, dtype) };
}
