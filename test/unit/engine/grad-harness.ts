// Gradient checking against central finite differences, in float64 on the CPU provider.
//
// The function under test maps inputs to a tensor of any shape; it is reduced to a scalar with fixed
// random weights (so every output element matters with a different weight), differentiated by the
// engine, and compared element by element with (f(x+h) − f(x−h)) / 2h computed by re-running the
// forward graph in onnxruntime. The two computations share only the forward kernels.

import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { encodeModel } from '../../../main/engine/onnx/emit.ts';
import { Graph, type Tensor } from '../../../main/engine/ir/graph.ts';
import type { DType } from '../../../main/engine/ir/dtype.ts';
import * as op from '../../../main/engine/ops/api.ts';
import { gradients } from '../../../main/engine/autodiff.ts';
import { lower } from '../../../main/engine/lower.ts';

export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

export type InputSpec = {
  shape: number[];
  dtype?: DType;
  /** Explicit values (required for integer/bool inputs). */
  data?: Float64Array | BigInt64Array | Uint8Array | Float32Array;
  /** Range of random float values (default [-1, 1]). */
  range?: [number, number];
  /** Whether to check this input's gradient (default: true for float inputs). */
  grad?: boolean;
};

export type GradCheck = {
  inputs: Record<string, InputSpec>;
  build: (x: Record<string, Tensor>, g: Graph) => Tensor;
  seed?: number;
  eps?: number;
  tol?: number;
  /** Check at most this many elements per input (sampled evenly); default all. */
  maxElements?: number;
};

export async function checkGradients(check: GradCheck): Promise<void> {
  const rand = seededRandom(check.seed ?? 7);
  const g = new Graph('gradcheck');
  const x: Record<string, Tensor> = {};
  const values: Record<string, Float64Array | BigInt64Array | Uint8Array | Float32Array> = {};
  for (const [name, spec] of Object.entries(check.inputs)) {
    const dtype = spec.dtype ?? 'float64';
    x[name] = g.input(name, dtype, spec.shape);
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.data) values[name] = spec.data;
    else {
      assert.equal(dtype, 'float64', `input ${name}: give data for non-float64 inputs`);
      const [lo, hi] = spec.range ?? [-1, 1];
      values[name] = Float64Array.from({ length: n }, () => lo + (hi - lo) * rand());
    }
  }
  const out = check.build(x, g);
  assert.equal(out.dtype, 'float64');
  const outShape = out.shape as number[];
  const outSize = outShape.reduce((a, b) => a * b, 1);
  const weights = g.constant(Float64Array.from({ length: outSize }, () => rand() * 2 - 1), 'float64', outShape);
  const prod = op.mul(out, weights);
  const loss = outShape.length ? op.reduceSum(prod, outShape.map((_, i) => i), false) : prod;

  const checked = Object.entries(check.inputs).filter(([, s]) => s.grad ?? (s.dtype ?? 'float64') === 'float64').map(([n]) => n);
  const grads = gradients(loss, checked.map((n) => x[n]));
  const outputs: Record<string, Tensor> = { loss };
  checked.forEach((n, i) => {
    if (grads[i]) outputs[`grad_${n}`] = grads[i]!;
  });
  const session = await ort.InferenceSession.create(encodeModel(lower(g, { outputs })));
  const feeds = (override?: { name: string; data: Float64Array }) => {
    const f: Record<string, ort.Tensor> = {};
    for (const [name, spec] of Object.entries(check.inputs)) {
      const data = override?.name === name ? override.data : values[name];
      f[name] = new ort.Tensor((spec.dtype ?? 'float64') as 'float64', data as Float64Array, spec.shape);
    }
    return f;
  };
  const result = await session.run(feeds());
  const eps = check.eps ?? 1e-6;
  const tol = check.tol ?? 1e-6;
  for (const name of checked) {
    const base = values[name] as Float64Array;
    const analytic = result[`grad_${name}`]?.data as Float64Array | undefined;
    if (analytic) assert.equal(analytic.length, base.length, `grad_${name} has ${analytic.length} elements for ${base.length}`);
    const stride = check.maxElements ? Math.max(1, Math.floor(base.length / check.maxElements)) : 1;
    for (let i = 0; i < base.length; i += stride) {
      const plus = Float64Array.from(base);
      plus[i] += eps;
      const minus = Float64Array.from(base);
      minus[i] -= eps;
      const fp = (await session.run(feeds({ name, data: plus }))).loss.data[0] as number;
      const fm = (await session.run(feeds({ name, data: minus }))).loss.data[0] as number;
      const numeric = (fp - fm) / (2 * eps);
      const a = analytic ? analytic[i] : 0;
      assert.ok(
        Math.abs(a - numeric) <= tol * Math.max(1, Math.abs(numeric)),
        `d loss / d ${name}[${i}]: autodiff ${a} vs finite difference ${numeric}`,
      );
    }
  }
}
