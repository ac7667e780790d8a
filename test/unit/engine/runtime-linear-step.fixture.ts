// A hand-written fused train step for linear regression with a frozen feature scale, used to test
// the runtime independently of the graph compiler:
//   pred = (x * s) @ w + b,  loss = mean((pred - y)^2),  AdamW on w and b, grad_norm as a metric.
// `s` is a frozen initializer. Also a float64 plain-loop reference of exactly this math.

import type { OnnxModel, OnnxNode, OnnxTensor } from '../../../main/engine/onnx/model.ts';
import type { TrainStepSignature, TrainableIO } from '../../../main/engine/optim/train-step.ts';

export const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

export function linearStepModel(features: number, scale: Float32Array, opts: { symbolicFeatures?: boolean } = {}): { model: OnnxModel; signature: TrainStepSignature } {
  const nodes: OnnxNode[] = [];
  const consts: OnnxTensor[] = [];
  const c = (name: string, value: number): string => {
    consts.push({ name, dtype: 'float32', dims: [], data: new Float32Array([value]) });
    return name;
  };
  const op = (opType: string, inputs: string[], output: string, attributes?: OnnxNode['attributes']): string => {
    nodes.push({ opType, inputs, outputs: [output], name: `${output}/${opType}`, attributes });
    return output;
  };
  const fx = opts.symbolicFeatures ? 'features' : features;
  const xs = op('Mul', ['x', 's'], 'xs');
  const pred = op('Add', [op('MatMul', [xs, 'w'], 'xw'), 'b'], 'pred');
  const r = op('Sub', [pred, 'y'], 'residual');
  op('ReduceMean', [op('Mul', [r, r], 'r2')], 'loss', { keepdims: { kind: 'int', value: 0 } });
  // d loss / d pred = 2 r / N
  const n = op('Cast', [op('Gather', [op('Shape', ['x'], 'x_shape'), 'idx0'], 'n_i', { axis: { kind: 'int', value: 0 } })], 'n', { to: { kind: 'int', value: 1 } });
  const dpred = op('Mul', [r, op('Div', [c('two', 2), n], 'two_over_n')], 'dpred');
  const gw = op('MatMul', [op('Transpose', [xs], 'xs_t', { perm: { kind: 'ints', value: [1, 0] } }), dpred], 'grad_w');
  const gb = op('ReduceSum', [dpred, 'axes0'], 'grad_b', { keepdims: { kind: 'int', value: 0 } });
  const sq = (g: string): string => op('ReduceSum', [op('Mul', [g, g], `${g}_sq`)], `${g}_sqsum`, { keepdims: { kind: 'int', value: 0 } });
  op('Sqrt', [op('Add', [sq(gw), sq(gb)], 'grad_sqsum')], 'grad_norm');
  // step is an int64 input, as in the graph compiler's train steps.
  const t = op('Cast', ['step'], 't', { to: { kind: 'int', value: 1 } });
  const bc1 = op('Sub', [c('one', 1), op('Pow', [c('beta1', ADAM.beta1), t], 'beta1_t')], 'bc1');
  const bc2 = op('Sub', ['one', op('Pow', [c('beta2', ADAM.beta2), t], 'beta2_t')], 'bc2');
  c('one_minus_beta1', 1 - ADAM.beta1);
  c('one_minus_beta2', 1 - ADAM.beta2);
  c('eps', ADAM.eps);
  c('weight_decay', ADAM.weightDecay);
  for (const [p, g] of [['w', gw], ['b', gb]]) {
    const m = op('Add', [op('Mul', ['beta1', `m_${p}`], `${p}_m_decay`), op('Mul', ['one_minus_beta1', g], `${p}_m_new`)], `m_${p}.next`);
    const v = op('Add', [op('Mul', ['beta2', `v_${p}`], `${p}_v_decay`), op('Mul', ['one_minus_beta2', op('Mul', [g, g], `${p}_g2`)], `${p}_v_new`)], `v_${p}.next`);
    const mhat = op('Div', [m, bc1], `${p}_mhat`);
    const denom = op('Add', [op('Sqrt', [op('Div', [v, bc2], `${p}_vhat`)], `${p}_sqrt_vhat`), 'eps'], `${p}_denom`);
    const update = op('Add', [op('Div', [mhat, denom], `${p}_adam`), op('Mul', ['weight_decay', p], `${p}_decay`)], `${p}_update`);
    op('Sub', [p, op('Mul', ['lr', update], `${p}_step`)], `${p}.next`);
  }
  const f32 = (name: string, shape: (number | string)[]) => ({ name, dtype: 'float32' as const, shape });
  const model: OnnxModel = {
    graph: {
      name: 'linear_regression_train_step',
      nodes,
      inputs: [
        f32('w', [features, 1]), f32('b', [1]),
        f32('m_w', [features, 1]), f32('v_w', [features, 1]), f32('m_b', [1]), f32('v_b', [1]),
        f32('x', ['batch', fx]), f32('y', ['batch', 1]), f32('lr', []), { name: 'step', dtype: 'int64', shape: [] },
      ],
      outputs: [
        f32('loss', []), f32('grad_norm', []), f32('w.next', [features, 1]), f32('b.next', [1]),
        f32('m_w.next', [features, 1]), f32('v_w.next', [features, 1]), f32('m_b.next', [1]), f32('v_b.next', [1]),
      ],
      initializers: [
        { name: 's', dtype: 'float32', dims: [features], data: scale },
        { name: 'idx0', dtype: 'int64', dims: [], data: new BigInt64Array([0n]) },
        { name: 'axes0', dtype: 'int64', dims: [1], data: new BigInt64Array([0n]) },
        ...consts,
      ],
    },
  };
  const trainable = (name: string, shape: number[]): TrainableIO => ({
    name,
    dtype: 'float32',
    shape,
    decay: true,
    param: { input: name, output: `${name}.next` },
    adamM: { input: `m_${name}`, output: `m_${name}.next` },
    adamV: { input: `v_${name}`, output: `v_${name}.next` },
  });
  const signature: TrainStepSignature = {
    kind: 'fused-step',
    batchInputs: [{ name: 'x', dtype: 'float32', shape: ['batch', fx] }, { name: 'y', dtype: 'float32', shape: ['batch', 1] }],
    learningRate: 'lr',
    step: 'step',
    trainable: [trainable('w', [features, 1]), trainable('b', [1])],
    frozen: [{ name: 's', dtype: 'float32', shape: [features] }],
    loss: 'loss',
    gradNorm: 'grad_norm',
    metrics: {},
  };
  return { model, signature };
}

/** float64 reference: the same step written as plain loops. */
export class LinearAdamWReference {
  w: number[];
  b: number;
  mw: number[];
  vw: number[];
  mb = 0;
  vb = 0;
  t = 0;
  constructor(w: ArrayLike<number>, b: number, readonly scale: ArrayLike<number>) {
    this.w = Array.from(w);
    this.b = b;
    this.mw = this.w.map(() => 0);
    this.vw = this.w.map(() => 0);
  }
  step(x: ArrayLike<number>, y: ArrayLike<number>, lr: number): { loss: number; gradNorm: number } {
    const d = this.w.length;
    const n = y.length;
    const gw = this.w.map(() => 0);
    let gb = 0;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let pred = this.b;
      for (let j = 0; j < d; j++) pred += x[i * d + j] * this.scale[j] * this.w[j];
      const r = pred - y[i];
      loss += (r * r) / n;
      for (let j = 0; j < d; j++) gw[j] += ((2 * r) / n) * x[i * d + j] * this.scale[j];
      gb += (2 * r) / n;
    }
    const gradNorm = Math.sqrt(gw.reduce((a, g) => a + g * g, 0) + gb * gb);
    this.t++;
    const { beta1, beta2, eps, weightDecay } = ADAM;
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = 1 - beta2 ** this.t;
    const adam = (p: number, g: number, m: number, v: number): [number, number, number] => {
      const m2 = beta1 * m + (1 - beta1) * g;
      const v2 = beta2 * v + (1 - beta2) * g * g;
      const update = m2 / bc1 / (Math.sqrt(v2 / bc2) + eps) + weightDecay * p;
      return [p - lr * update, m2, v2];
    };
    for (let j = 0; j < d; j++) [this.w[j], this.mw[j], this.vw[j]] = adam(this.w[j], gw[j], this.mw[j], this.vw[j]);
    [this.b, this.mb, this.vb] = adam(this.b, gb, this.mb, this.vb);
    return { loss, gradNorm };
  }
}
