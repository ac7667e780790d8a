// The JS sampler (sampling/*.ts) as ONNX nodes, so a decode loop picks tokens on the device.
//
// Same arithmetic, same order: logits widened to float64, temperature division, top-k (ties: lower id,
// which is ONNX TopK's tie rule too), top-p on the softmax sorted by probability (ties: lower id) keeping
// tokens while the mass before them is under p, min-p against the top probability, then the inverse-CDF
// draw: weights exp(l − max), target = u · Σ, the first token whose running sum passes the target (the
// last non-zero one if rounding leaves none). Running sums use CumSum, which adds in index order as the
// JS loops do, so sums and thresholds are the same numbers; only Exp may differ from V8's Math.exp in the
// last bit, which moves a token only when a draw lands on a boundary to within 1e-16.
// Greedy is ArgMax of the raw logits (first index on ties), as the JS argmax.
import type { SamplingOptions } from '../sampling/sampler.ts';
import { int, type NodeBuilder } from './onnx-nodes.ts';

/** Sampling knobs a graph bakes in (the seed stays outside: the caller passes the uniforms). */
export type GraphSampling = Omit<SamplingOptions, 'seed'>;

export function isGreedy(sampling: GraphSampling | undefined): boolean {
  return !sampling || sampling.temperature === 0;
}

/**
 * Next tokens int64 [B] from logits [B, V] (float32 or float64); `uniform` is float64 [B] (ignored when greedy).
 */
export function sampleTokens(b: NodeBuilder, logits: string, sampling: GraphSampling | undefined, uniform: string): string {
  if (isGreedy(sampling)) return b.op('ArgMax', [logits], { axis: int(1), keepdims: int(0) });
  const s = sampling!;
  const NEG_INF = (): string => b.f64(-Infinity, 'neg_inf'); // made where used: unused initializers draw warnings
  let x = b.cast(logits, 'float64');
  if (s.temperature !== undefined && s.temperature !== 1) x = b.op('Div', [x, b.f64(s.temperature, 'temperature')]);
  const vocab = b.dim(x, 1); // int64 [1]
  if (s.topK !== undefined) x = topK(b, x, s.topK, NEG_INF);
  if (s.topP !== undefined && s.topP !== 1) x = topP(b, x, s.topP, vocab, NEG_INF);
  if (s.minP !== undefined && s.minP !== 0) x = minP(b, x, s.minP, NEG_INF);
  return draw(b, x, uniform);
}

/** Running sums along the vocabulary (index order, like the JS loops) and their last column [B, 1]. */
function runningSum(b: NodeBuilder, w: string): { cum: string; total: string } {
  const cum = b.op('CumSum', [w, b.i64(1, 'axis')]);
  const total = b.op('Slice', [cum, b.i64([-1]), b.i64([2 ** 62]), b.i64([1])]);
  return { cum, total };
}

/** processor.ts softmax: exp(l − max), Σ in order, times 1/Σ. */
function softmax(b: NodeBuilder, x: string): string {
  const max = b.op('ReduceMax', [x, b.i64([1])], { keepdims: int(1) });
  const e = b.op('Exp', [b.op('Sub', [x, max])]);
  const { total } = runningSum(b, e);
  return b.op('Mul', [e, b.op('Div', [b.f64(1, 'one'), total])]);
}

function topK(b: NodeBuilder, x: string, k: number, negInf: () => string): string {
  // k ≥ V keeps everything (as TopKFilter); Min(k, V) keeps TopK valid for any vocabulary.
  const kk = b.op('Min', [b.i64([k]), b.dim(x, 1)]);
  const [values, indices] = b.multi('TopK', [x, kk], 2, { axis: int(1), largest: int(1), sorted: int(1) });
  const filled = b.op('Expand', [negInf(), b.op('Shape', [x])]);
  return b.op('ScatterElements', [filled, indices, values], { axis: int(1) });
}

function topP(b: NodeBuilder, x: string, p: number, vocab: string, negInf: () => string): string {
  const probs = softmax(b, x);
  const [sorted, order] = b.multi('TopK', [probs, vocab], 2, { axis: int(1), largest: int(1), sorted: int(1) });
  const before = b.op('CumSum', [sorted, b.i64(1, 'axis')], { exclusive: int(1) });
  // Keep while the mass before is under p, a token with probability > 0; the top token always.
  const underP = b.op('Less', [before, b.f64(p, 'top_p')]);
  const positive = b.op('Greater', [sorted, b.f64(0, 'zero')]);
  const first = b.op('Equal', [b.op('Range', [b.i64(0), b.squeeze(vocab, [0]), b.i64(1)]), b.i64(0)]); // [V]
  const keepSorted = b.op('Or', [b.op('And', [underP, positive]), b.unsqueeze(first, [0])]);
  const keep = b.op('ScatterElements', [b.op('Expand', [b.bool(false), b.op('Shape', [x])]), order, keepSorted], { axis: int(1) });
  return b.op('Where', [keep, x, negInf()]);
}

function minP(b: NodeBuilder, x: string, m: number, negInf: () => string): string {
  const probs = softmax(b, x);
  const top = b.op('ReduceMax', [probs, b.i64([1])], { keepdims: int(1) });
  const below = b.op('Less', [probs, b.op('Mul', [b.f64(m, 'min_p'), top])]);
  return b.op('Where', [below, negInf(), x]);
}

/** SamplingChooser.next's inverse-CDF draw. */
function draw(b: NodeBuilder, x: string, uniform: string): string {
  const max = b.op('ReduceMax', [x, b.i64([1])], { keepdims: int(1) });
  const w = b.op('Exp', [b.op('Sub', [x, max])]);
  const { cum, total } = runningSum(b, w);
  const target = b.op('Mul', [b.unsqueeze(uniform, [1]), total]); // [B, 1]
  const passed = b.cast(b.op('Less', [target, cum]), 'float64');
  const first = b.op('ArgMax', [passed], { axis: int(1), keepdims: int(0) });
  const any = b.op('Greater', [b.op('ReduceMax', [passed, b.i64([1])], { keepdims: int(0) }), b.f64(0, 'zero')]);
  const lastNonZero = b.op('ArgMax', [b.cast(b.op('Greater', [w, b.f64(0, 'zero')]), 'float64')], { axis: int(1), keepdims: int(0), select_last_index: int(1) });
  return b.op('Where', [any, first, lastNonZero]);
}
