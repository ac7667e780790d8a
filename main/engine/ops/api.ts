// The op-building functions: the public way to put primitives in a graph. Each checks its arguments,
// appends one node (shape/dtype inference in ./primitives.ts names the op on error) and returns its
// output(s). A few peepholes keep gradient graphs lean without a separate optimizer pass:
// transpose∘transpose composes, (A·B)ᵀ becomes Bᵀ·Aᵀ (so attention's K gradient needs no transposed
// [B,H,S,S]-sized product), reshapes chain to one, and no-op reshapes/expands/transposes vanish.

import { checkDType, type DType } from '../ir/dtype.ts';
import { formatShape, normalizeDim, type Dim } from '../ir/dim.ts';
import { Tensor, type Graph, type Node, type OpAttrs } from '../ir/graph.ts';
import { PRIMITIVES, type PrimitiveOp } from './primitives.ts';

/** A tensor, or a plain number taken as a scalar constant of the other operand's dtype. */
export type TensorLike = Tensor | number;

export function apply(op: PrimitiveOp, graph: Graph, inputs: readonly Tensor[], attrs: OpAttrs = {}): Node {
  return graph.addNode(op, inputs, attrs, PRIMITIVES[op].infer);
}
function one(op: PrimitiveOp, inputs: readonly Tensor[], attrs: OpAttrs = {}): Tensor {
  return apply(op, inputs[0].graph, inputs, attrs).outputs[0];
}

function pair(op: PrimitiveOp, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (a instanceof Tensor && b instanceof Tensor) return [a, b];
  if (a instanceof Tensor && typeof b === 'number') return [a, a.graph.scalar(b, a.dtype)];
  if (b instanceof Tensor && typeof a === 'number') return [b.graph.scalar(a, b.dtype), b];
  throw new TypeError(`${op}: needs at least one Tensor operand, got ${typeof a} and ${typeof b}`);
}
const binary = (op: PrimitiveOp) => (a: TensorLike, b: TensorLike): Tensor => one(op, pair(op, a, b));
const unary = (op: PrimitiveOp) => (x: Tensor): Tensor => one(op, [x]);

// Elementwise arithmetic.
export const add = binary('Add');
export const sub = binary('Sub');
export const mul = binary('Mul');
export const div = binary('Div');
export const pow = binary('Pow');
export const minimum = binary('Min');
export const maximum = binary('Max');
export const neg = unary('Neg');
export const abs = unary('Abs');
export const sign = unary('Sign');
export const sqrt = unary('Sqrt');
export const reciprocal = unary('Reciprocal');
export const exp = unary('Exp');
export const log = unary('Log');
export const sin = unary('Sin');
export const cos = unary('Cos');
export const sigmoid = unary('Sigmoid');
export const tanh = unary('Tanh');

export function clip(x: Tensor, min?: number, max?: number): Tensor {
  return one('Clip', [x], { min, max });
}

// Comparisons and logic.
export const equal = binary('Equal');
export const less = binary('Less');
export const lessOrEqual = binary('LessOrEqual');
export const greater = binary('Greater');
export const greaterOrEqual = binary('GreaterOrEqual');
export const and = binary('And');
export const or = binary('Or');
export const not = unary('Not');
export function notEqual(a: TensorLike, b: TensorLike): Tensor {
  return not(equal(a, b));
}
export function where(cond: Tensor, x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = pair('Where', x, y);
  return one('Where', [cond, a, b]);
}

// Linear algebra.
export function matmul(a: Tensor, b: Tensor): Tensor {
  return one('MatMul', [a, b]);
}
export function gemm(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  return one('Gemm', [a, b], { transA: !!opts.transA, transB: !!opts.transB });
}

// Normalizers.
export function softmax(x: Tensor, axis = -1): Tensor {
  return one('Softmax', [x], { axis });
}
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return one('LogSoftmax', [x], { axis });
}

// Reductions.
const reduce = (op: PrimitiveOp) => (x: Tensor, axes: number | readonly number[], keepdims = false): Tensor =>
  // Axes are stored non-negative: gradient rules re-insert them into the input's rank.
  one(op, [x], { axes: (typeof axes === 'number' ? [axes] : [...axes]).map((a) => (a < 0 ? a + x.rank : a)), keepdims });
export const reduceSum = reduce('ReduceSum');
export const reduceMean = reduce('ReduceMean');
export const reduceMax = reduce('ReduceMax');
export const reduceSumSquare = reduce('ReduceSumSquare');

// Shapes.
export function reshape(x: Tensor, shape: readonly Dim[]): Tensor {
  const target = shape.map((d) => (d === -1 ? -1 : normalizeDim(d)));
  if (sameShape(target, x.shape)) return x;
  const source = x.producer?.op === 'Reshape' ? x.producer.inputs[0] : x;
  const out = one('Reshape', [source], { shape: target });
  return sameShape(out.shape, source.shape) ? source : out;
}

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.every((p, i) => p === i) && perm.length === x.rank) return x;
  const producer = x.producer;
  if (producer?.op === 'Transpose') {
    const inner = producer.attrs.perm as number[];
    return transpose(producer.inputs[0], perm.map((p) => inner[p]));
  }
  const r = x.rank;
  const swapsLastTwo = r >= 2 && perm.length === r && perm[r - 2] === r - 1 && perm[r - 1] === r - 2 && perm.slice(0, -2).every((p, i) => p === i);
  if (swapsLastTwo && producer?.op === 'MatMul') {
    const [a, b] = producer.inputs;
    const swap = (t: Tensor) => [...Array(t.rank).keys()].map((i) => (i === t.rank - 2 ? t.rank - 1 : i === t.rank - 1 ? t.rank - 2 : i));
    return matmul(transpose(b, swap(b)), transpose(a, swap(a)));
  }
  return one('Transpose', [x], { perm: [...perm] });
}

/** x[start:end] along one axis (step 1; negative indices count from the end). */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  return sliceAxes(x, [axis], [start], [end]);
}
export function sliceAxes(x: Tensor, axes: readonly number[], starts: readonly number[], ends: readonly number[]): Tensor {
  if (axes.length !== starts.length || axes.length !== ends.length) throw x.graph.error('Slice', 'axes, starts and ends must have the same length');
  return one('Slice', [x], { axes: [...axes], starts: [...starts], ends: [...ends] });
}
export function pad(x: Tensor, pads: readonly number[]): Tensor {
  if (pads.every((p) => p === 0)) return x;
  return one('Pad', [x], { pads: [...pads] });
}
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new TypeError('Concat: needs at least one input');
  if (xs.length === 1) return xs[0];
  return one('Concat', xs, { axis });
}
export function split(x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
  return apply('Split', x.graph, [x], { sizes: [...sizes], axis }).outputs;
}
export function unsqueeze(x: Tensor, axes: number | readonly number[]): Tensor {
  return one('Unsqueeze', [x], { axes: typeof axes === 'number' ? [axes] : [...axes] });
}
export function squeeze(x: Tensor, axes: number | readonly number[]): Tensor {
  return one('Squeeze', [x], { axes: typeof axes === 'number' ? [axes] : [...axes] });
}
export function expand(x: Tensor, shape: readonly Dim[]): Tensor {
  const target = shape.map(normalizeDim);
  if (sameShape(target, x.shape)) return x;
  return one('Expand', [x], { shape: target });
}

// Indexing.
export function gather(data: Tensor, indices: Tensor, axis = 0): Tensor {
  return one('Gather', [data, indices], { axis });
}
export function gatherElements(data: Tensor, indices: Tensor, axis: number): Tensor {
  return one('GatherElements', [data, indices], { axis });
}
export function scatterElements(data: Tensor, indices: Tensor, updates: Tensor, axis: number, reduction: 'none' | 'add' = 'none'): Tensor {
  return one('ScatterElements', [data, indices, updates], { axis, reduction });
}
export function scatterND(data: Tensor, indices: Tensor, updates: Tensor, reduction: 'none' | 'add' = 'none'): Tensor {
  return one('ScatterND', [data, indices, updates], { reduction });
}
export function gatherND(data: Tensor, indices: Tensor): Tensor {
  return one('GatherND', [data, indices]);
}

/** Per id, the index of its value among the distinct ids in order of first appearance (1-D ids). */
export function uniqueInverse(ids: Tensor): Tensor {
  return one('UniqueInverse', [ids]);
}

// Types and gradient plumbing.
export function cast(x: Tensor, to: DType): Tensor {
  checkDType(to, 'Cast');
  return x.dtype === to ? x : one('Cast', [x], { to });
}
export function identity(x: Tensor): Tensor {
  return one('Identity', [x]);
}
/** Passes x forward unchanged and blocks its gradient (like torch's detach()). */
export function stopGradient(x: Tensor): Tensor {
  return one('StopGradient', [x]);
}

// Sources.
export function full(graph: Graph, shape: readonly Dim[], dtype: DType, value: number): Tensor {
  return apply('ConstantOfShape', graph, [], { shape: shape.map(normalizeDim), dtype: checkDType(dtype, 'ConstantOfShape'), value }).outputs[0];
}
export function zeros(graph: Graph, shape: readonly Dim[], dtype: DType): Tensor {
  return full(graph, shape, dtype, 0);
}
export function arange(graph: Graph, length: Dim, dtype: DType = 'int64'): Tensor {
  return apply('Arange', graph, [], { length: normalizeDim(length), dtype: checkDType(dtype, 'Arange') }).outputs[0];
}
export function dimSize(graph: Graph, dim: Dim, dtype: DType): Tensor {
  if (typeof dim === 'number') return graph.scalar(dim, dtype);
  return apply('DimSize', graph, [], { dim: normalizeDim(dim), dtype: checkDType(dtype, 'DimSize') }).outputs[0];
}

/**
 * Mean cross-entropy of `logits` [N, C] against `labels` [N], skipping rows labelled `ignoreIndex`.
 * Also returns the log-probabilities [N, C] (free: ONNX computes them anyway).
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, ignoreIndex = -100): { loss: Tensor; logProb: Tensor } {
  const [loss, logProb] = apply('SoftmaxCrossEntropy', logits.graph, [logits, labels], { ignoreIndex }).outputs;
  return { loss, logProb };
}

function sameShape(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export { formatShape };
