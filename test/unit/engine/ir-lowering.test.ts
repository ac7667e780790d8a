// Lowered graphs run in onnxruntime: symbolic dims resolved from inputs at run time, float16 values,
// readable node names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { Graph, op, lower, encodeModel } from '../../../main/engine/index.ts';

test('symbolic reshape/expand/zeros resolve at run time for different batch sizes', async () => {
  const g = new Graph('sym');
  const x = g.input('x', 'float32', ['batch', 'seq', 6]);
  const heads = op.reshape(x, ['batch', 'seq', 2, 3]); // two symbolic dims: needs Shape ops
  const summed = op.reduceSum(op.transpose(heads, [0, 2, 1, 3]), [2], false); // [batch, 2, 3]
  const y = op.add(op.expand(op.unsqueeze(summed, [1]), ['batch', 'seq', 2, 3]), op.zeros(g, ['batch', 'seq', 2, 3], 'float32'));
  const out = op.reshape(y, [-1, 6]);
  assert.deepEqual(out.shape, ['batch*seq', 6]);
  const model = lower(g, { outputs: { out } });
  assert.deepEqual(model.graph.outputs[0].shape, ['batch*seq', 6]);
  assert.ok(model.graph.nodes.some((n) => n.name === 'dim/batch' && n.opType === 'Shape'));
  const s = await ort.InferenceSession.create(encodeModel(model));
  for (const [B, S] of [[1, 3], [2, 2]]) {
    const data = Float32Array.from({ length: B * S * 6 }, (_, i) => i);
    const got = (await s.run({ x: new ort.Tensor('float32', data, [B, S, 6]) })).out;
    assert.deepEqual(got.dims, [B * S, 6]);
    for (let b = 0; b < B; b++) for (let t = 0; t < S; t++) for (let k = 0; k < 6; k++) {
      let want = 0;
      for (let u = 0; u < S; u++) want += data[(b * S + u) * 6 + k];
      assert.equal((got.data as Float32Array)[(b * S + t) * 6 + k], want);
    }
  }
});

test('float16 values: casts, scalar constants and zeros lower and run', async () => {
  const g = new Graph();
  const x = g.input('x', 'float32', ['n', 4]);
  const half = op.add(op.mul(op.cast(x, 'float16'), 0.5), op.zeros(g, ['n', 4], 'float16'));
  assert.equal(half.dtype, 'float16');
  const y = op.cast(half, 'float32');
  const s = await ort.InferenceSession.create(encodeModel(lower(g, { outputs: { y } })));
  const got = (await s.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [2, 4]) })).y.data;
  assert.deepEqual(Array.from(got as Float32Array), [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4]);
});

test('node names follow scopes and stay unique', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [2]);
  const y = g.scope('model.layers.0', () => g.scope('mlp', () => op.mul(op.mul(x, 2), 3)));
  const model = lower(g, { outputs: { y } });
  assert.deepEqual(model.graph.nodes.map((n) => n.name), ['model.layers.0/mlp/Mul', 'model.layers.0/mlp/Mul_1']);
  assert.equal(model.graph.nodes[1].outputs[0], 'y');
});
