// Every differentiable primitive: engine gradients vs central finite differences (float64, CPU),
// on small random shapes that include broadcasting and size-1 dims.
import { test } from 'node:test';
import * as op from '../../../main/engine/ops/api.ts';
import { checkGradients } from './grad-harness.ts';

const i64 = (...v: number[]) => BigInt64Array.from(v.map(BigInt));

test('Add/Sub/Mul/Div broadcast and reduce gradients over broadcast axes', async () => {
  const inputs = { a: { shape: [2, 1, 3] }, b: { shape: [4, 1], range: [0.5, 1.5] as [number, number] } };
  await checkGradients({ inputs, build: ({ a, b }) => op.add(a, b) });
  await checkGradients({ inputs, build: ({ a, b }) => op.sub(a, b) });
  await checkGradients({ inputs, build: ({ a, b }) => op.mul(a, b) });
  await checkGradients({ inputs, build: ({ a, b }) => op.div(a, b) });
  await checkGradients({ inputs: { a: { shape: [3] }, b: { shape: [] } }, build: ({ a, b }) => op.mul(op.add(a, b), b) });
});

test('fan-out accumulates and scalar-number operands work', async () => {
  await checkGradients({ inputs: { x: { shape: [2, 3] } }, build: ({ x }) => op.mul(op.add(x, 2), op.sub(3, op.mul(x, x))) });
});

test('unary ops: Neg, Abs, Sqrt, Reciprocal, Exp, Log, Sin, Cos, Sigmoid, Tanh', async () => {
  const pos = { x: { shape: [2, 3], range: [0.3, 2] as [number, number] } };
  const any = { x: { shape: [1, 4] } };
  for (const f of [op.neg, op.abs, op.exp, op.sin, op.cos, op.sigmoid, op.tanh]) await checkGradients({ inputs: any, build: ({ x }) => f(x) });
  for (const f of [op.sqrt, op.reciprocal, op.log]) await checkGradients({ inputs: pos, build: ({ x }) => f(x) });
});

test('Pow with tensor base and exponent (broadcast exponent)', async () => {
  await checkGradients({ inputs: { a: { shape: [2, 3], range: [0.5, 2] }, b: { shape: [3], range: [-1.5, 2] } }, build: ({ a, b }) => op.pow(a, b) });
});

test('Min/Max/Clip gradients go to the selected input', async () => {
  const inputs = { a: { shape: [3, 4] }, b: { shape: [1, 4] } };
  await checkGradients({ inputs, build: ({ a, b }) => op.minimum(a, b) });
  await checkGradients({ inputs, build: ({ a, b }) => op.maximum(a, b) });
  await checkGradients({ inputs: { x: { shape: [5, 3] } }, build: ({ x }) => op.clip(x, -0.4, 0.3) });
  await checkGradients({ inputs: { x: { shape: [5, 3] } }, build: ({ x }) => op.clip(x, undefined, 0.1) });
});

test('Where with a broadcast condition', async () => {
  const c = Uint8Array.from([1, 0, 1]);
  await checkGradients({
    inputs: { c: { shape: [3], dtype: 'bool', data: c }, x: { shape: [2, 3] }, y: { shape: [2, 1] } },
    build: ({ c, x, y }) => op.where(c, x, y),
  });
});

test('MatMul: batched, broadcast batch, weight-style right operand, size-1 dims', async () => {
  await checkGradients({ inputs: { a: { shape: [2, 3, 4] }, b: { shape: [2, 4, 5] } }, build: ({ a, b }) => op.matmul(a, b) });
  await checkGradients({ inputs: { a: { shape: [2, 1, 3, 4] }, b: { shape: [3, 4, 1] } }, build: ({ a, b }) => op.matmul(a, b) });
  await checkGradients({ inputs: { a: { shape: [2, 3, 4] }, b: { shape: [4, 5] } }, build: ({ a, b }) => op.matmul(a, b) });
  await checkGradients({ inputs: { a: { shape: [1, 4] }, b: { shape: [4, 1] } }, build: ({ a, b }) => op.matmul(a, b) });
  // (A·Bᵀ) through a transpose: exercises the transpose-of-matmul peephole in the backward pass.
  await checkGradients({ inputs: { q: { shape: [2, 3, 4] }, k: { shape: [2, 5, 4] } }, build: ({ q, k }) => op.matmul(q, op.transpose(k, [0, 2, 1])) });
});

test('Gemm in all four transpose modes', async () => {
  for (const transA of [false, true]) for (const transB of [false, true]) {
    await checkGradients({
      inputs: { a: { shape: transA ? [4, 3] : [3, 4] }, b: { shape: transB ? [5, 4] : [4, 5] } },
      build: ({ a, b }) => op.gemm(a, b, { transA, transB }),
    });
  }
});

test('Softmax and LogSoftmax on the last and a middle axis', async () => {
  await checkGradients({ inputs: { x: { shape: [2, 5] } }, build: ({ x }) => op.softmax(x) });
  await checkGradients({ inputs: { x: { shape: [3, 4, 2] } }, build: ({ x }) => op.softmax(x, 1) });
  await checkGradients({ inputs: { x: { shape: [2, 5] } }, build: ({ x }) => op.logSoftmax(x) });
  await checkGradients({ inputs: { x: { shape: [3, 1, 4] } }, build: ({ x }) => op.logSoftmax(x, 0) });
});

test('ReduceSum/Mean/Max/SumSquare with and without keepdims', async () => {
  const inputs = { x: { shape: [2, 3, 4] } };
  for (const keep of [false, true]) {
    await checkGradients({ inputs, build: ({ x }) => op.reduceSum(x, [0, 2], keep) });
    await checkGradients({ inputs, build: ({ x }) => op.reduceMean(x, [-1], keep) });
    await checkGradients({ inputs, build: ({ x }) => op.reduceMax(x, [1], keep) });
    await checkGradients({ inputs, build: ({ x }) => op.reduceSumSquare(x, [1, 2], keep) });
  }
});

test('Reshape, Transpose, Unsqueeze, Squeeze, Expand', async () => {
  const inputs = { x: { shape: [2, 1, 6] } };
  await checkGradients({ inputs, build: ({ x }) => op.mul(op.reshape(x, [3, -1]), op.reshape(x, [3, 4])) });
  await checkGradients({ inputs, build: ({ x }) => op.transpose(x, [2, 0, 1]) });
  await checkGradients({ inputs, build: ({ x }) => op.unsqueeze(x, [0, 3]) });
  await checkGradients({ inputs, build: ({ x }) => op.squeeze(x, [1]) });
  await checkGradients({ inputs, build: ({ x }) => op.expand(x, [3, 2, 4, 6]) });
});

test('Slice, Pad, Concat, Split', async () => {
  const inputs = { x: { shape: [3, 5] } };
  await checkGradients({ inputs, build: ({ x }) => op.slice(x, 1, 1, -1) });
  await checkGradients({ inputs, build: ({ x }) => op.sliceAxes(x, [0, 1], [-2, 0], [100, 2]) });
  await checkGradients({ inputs, build: ({ x }) => op.pad(x, [1, 0, 0, 2]) });
  await checkGradients({ inputs: { a: { shape: [2, 3] }, b: { shape: [2, 1] } }, build: ({ a, b }) => op.concat([a, b, a], 1) });
  // Only one Split output used: the unused part gets a zero gradient.
  await checkGradients({ inputs, build: ({ x }) => op.split(x, [2, 3], 1)[1] });
  await checkGradients({ inputs, build: ({ x }) => { const [p, q] = op.split(x, [1, 2], 0); return op.add(p, q); } });
});

test('Gather (embedding, repeated ids accumulate), GatherElements, GatherND', async () => {
  await checkGradients({
    inputs: { table: { shape: [5, 3] }, ids: { shape: [2, 3], dtype: 'int64', data: i64(1, 4, 1, 0, 1, 4) } },
    build: ({ table, ids }) => op.gather(table, ids),
  });
  await checkGradients({
    inputs: { x: { shape: [3, 4] }, idx: { shape: [3, 2], dtype: 'int64', data: i64(0, 3, 2, 2, 1, 0) } },
    build: ({ x, idx }) => op.gatherElements(x, idx, 1),
  });
  await checkGradients({
    inputs: { x: { shape: [3, 4] }, idx: { shape: [2, 1], dtype: 'int64', data: i64(2, 2) } },
    build: ({ x, idx }) => op.gatherND(x, idx),
  });
});

test('ScatterElements and ScatterND (overwrite and add) pass gradients to data and updates', async () => {
  const idx = { shape: [2, 1], dtype: 'int64' as const, data: i64(3, 0) };
  for (const reduction of ['none', 'add'] as const) {
    await checkGradients({
      inputs: { x: { shape: [2, 4] }, idx, u: { shape: [2, 1] } },
      build: ({ x, idx, u }) => op.scatterElements(x, idx, u, 1, reduction),
    });
    await checkGradients({
      inputs: { x: { shape: [4, 2] }, idx: { shape: [2, 1], dtype: 'int64', data: i64(3, 1) }, u: { shape: [2, 2] } },
      build: ({ x, idx, u }) => op.scatterND(x, idx, u, reduction),
    });
  }
});

test('Cast round trip, Identity, and StopGradient blocks its branch', async () => {
  await checkGradients({ inputs: { x: { shape: [3] } }, build: ({ x }) => op.cast(op.mul(op.cast(x, 'float32'), 2), 'float64'), tol: 1e-3, eps: 1e-3 });
  await checkGradients({ inputs: { x: { shape: [3] } }, build: ({ x }) => op.identity(op.mul(x, x)) });
  // d/dx [x · stop(x)] = stop(x): the finite difference sees 2x, so compare against a graph where the
  // stopped branch is an independent input instead.
  await checkGradients({
    inputs: { x: { shape: [3] }, y: { shape: [3], grad: false } },
    build: ({ x, y }) => op.mul(x, op.stopGradient(y)),
  });
});

test('SoftmaxCrossEntropy: closed-form gradient with ignored rows, and through its log-probs', async () => {
  const labels = { shape: [4], dtype: 'int64' as const, data: i64(2, -100, 0, 2) };
  await checkGradients({ inputs: { z: { shape: [4, 3] }, labels }, build: ({ z, labels }) => op.softmaxCrossEntropy(z, labels).loss });
  await checkGradients({
    inputs: { z: { shape: [4, 3] }, labels },
    build: ({ z, labels }) => {
      const { loss, logProb } = op.softmaxCrossEntropy(z, labels);
      return op.add(loss, op.reduceSum(op.mul(logProb, logProb), [0, 1]));
    },
  });
});
