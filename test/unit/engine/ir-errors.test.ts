// Shape/dtype inference at graph-build time, and errors that name the op, the node and the shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../../../main/engine/ir/graph.ts';
import { GraphBuildError } from '../../../main/engine/ir/errors.ts';
import * as op from '../../../main/engine/ops/api.ts';
import { gradients } from '../../../main/engine/autodiff.ts';
import { lower, LoweringError } from '../../../main/engine/lower.ts';
import { linear } from '../../../main/engine/nn/index.ts';
import { buildTrainStep } from '../../../main/engine/optim/train-step.ts';

test('inference: broadcasting, symbolic dims, flatten/unflatten, MatMul batch broadcast', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 'seq', 64]);
  assert.deepEqual(op.add(x, g.input('b', 'float32', [1, 64])).shape, ['batch', 'seq', 64]);
  const flat = op.reshape(x, [-1, 64]);
  assert.deepEqual(flat.shape, ['batch*seq', 64]);
  assert.deepEqual(op.reshape(flat, ['seq', 'batch', 64]).shape, ['seq', 'batch', 64]);
  assert.deepEqual(op.matmul(g.input('a', 'float32', [2, 1, 3, 4]), g.input('w', 'float32', [5, 4, 6])).shape, [2, 5, 3, 6]);
  assert.deepEqual(op.reduceSum(x, [-1], true).shape, ['batch', 'seq', 1]);
  assert.equal(op.greater(x, 0).dtype, 'bool');
  assert.deepEqual(op.split(x, [10, 54], -1).map((t) => t.shape), [['batch', 'seq', 10], ['batch', 'seq', 54]]);
});

test('mismatched shapes fail at build time, naming the op, the scoped node and the shapes', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [2, 3]);
  const w = g.input('w', 'float32', [4, 5]);
  assert.throws(() => g.scope('layer.0', () => op.matmul(x, w)), (e: unknown) => {
    assert.ok(e instanceof GraphBuildError);
    assert.equal(e.op, 'MatMul');
    assert.match(e.message, /^MatMul \(layer\.0\/MatMul\): inner dims differ: \[2, 3\] @ \[4, 5\] \(3 vs 4\)/);
    return true;
  });
  assert.throws(() => op.add(x, g.input('y', 'float32', [3, 2])), /GraphBuildError: Add \(Add\): inputs \[2, 3\] and \[3, 2\] do not broadcast/);
  assert.throws(() => op.add(x, g.input('z', 'float64', [2, 3])), /Add \(Add(_\d+)?\): dtype mismatch: float32 vs float64/);
  assert.throws(() => op.reshape(x, [4, -1]), /Reshape \(Reshape\): cannot reshape \[2, 3\] to \[4, -1\]/);
  assert.throws(() => op.transpose(x, [0, 0]), /Transpose \(Transpose\): perm \[0,0\] is not a permutation/);
  assert.throws(() => op.squeeze(x, [1]), /Squeeze \(Squeeze\): axis 1 of \[2, 3\] is not 1/);
  assert.throws(() => op.gather(x, x), /Gather \(Gather\): indices must be int64 or int32, got float32\[2, 3\]/);
  assert.throws(() => op.softmax(x, 2), /Softmax \(Softmax\): axis 2 is out of range for shape \[2, 3\]/);
  assert.throws(() => g.scope('attn', () => linear(x, w)), /Gemm \(attn\/Gemm\): inner dims differ: \[2, 3\] · \[4, 5\]ᵀ/);
  const a = g.input('a', 'float32', ['batch', 3]);
  assert.throws(() => op.add(a, g.input('c', 'float32', ['tokens', 3])), /Add \(Add_\d+\): inputs \[batch, 3\] and \[tokens, 3\] do not broadcast/);
});

test('unknown dtypes and non-tensor inputs are rejected with the offending value', () => {
  const g = new Graph();
  assert.throws(() => g.input('x', 'float8' as never, [2]), /input 'x': unknown dtype "float8"; expected one of float32, float64/);
  const x = g.input('x', 'float32', [2]);
  assert.throws(() => op.cast(x, 'complex64' as never), /Cast: unknown dtype "complex64"/);
  assert.throws(() => op.add(x, 'three' as never), /Add: needs at least one Tensor operand/);
  assert.throws(() => op.matmul(x, {} as never), /MatMul \(MatMul\): input 1 is not a Tensor \(got Object\)/);
  assert.throws(() => g.input('x', 'float32', [3]), /a graph value named 'x' already exists/);
  const other = new Graph().input('y', 'float32', [2]);
  assert.throws(() => op.add(x, other), /Add \(Add\): input 1 .* belongs to another graph/);
});

test('gradient and train-step misuse explain themselves', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [2, 3]);
  const w = g.param('w', 'float32', [3, 3]);
  const unused = g.param('unused', 'float32', [3]);
  const y = op.matmul(x, w);
  assert.throws(() => gradients(y, [w]), /output MatMul output float32\[2, 3\] has more than one element; pass a seed/);
  const loss = op.reduceSum(y, [0, 1]);
  assert.deepEqual(gradients(loss, [w, unused]).map((t) => t === null), [false, true]);
  assert.throws(() => buildTrainStep({ loss, trainable: [w, unused] }), /trainable param 'unused' does not affect the loss \(freeze it instead\)/);
  assert.throws(() => buildTrainStep({ loss, trainable: [x] }), /trainable input 'x' float32\[2, 3\] is not a param/);
  // Gather's gradient exists along axis 0 only: asking for another axis names the op.
  const table = g.param('table', 'float32', [4, 5]);
  const picked = op.gather(table, g.input('ids', 'int64', [2]), 1);
  assert.throws(() => gradients(op.reduceSum(picked, [0, 1]), [table]), /GraphBuildError: Gather \(Gather\): gradient: Gather gradient is implemented along axis 0 only/);
});

test('lowering: dead gradients are dropped, symbols resolve from inputs, unknown symbols are reported', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 4]);
  const w = g.param('w', 'float32', [4, 4]);
  const loss = op.reduceSum(op.matmul(x, w), [0, 1]);
  const [gw, gx] = gradients(loss, [w, x]);
  assert.ok(gx);
  const forwardOnly = lower(g, { outputs: { loss } });
  assert.ok(forwardOnly.graph.nodes.every((n) => !n.name!.startsWith('grad/')), 'no backward node without a gradient output');
  const model = lower(g, { outputs: { loss, gw: gw! } });
  // d/dw needs xᵀ·1 only; the unrequested d/dx (1·wᵀ) must not be emitted.
  assert.equal(model.graph.nodes.filter((n) => n.name!.startsWith('grad/') && ['MatMul', 'Gemm'].includes(n.opType)).length, 1);
  assert.deepEqual(model.graph.inputs.map((i) => [i.name, i.shape]), [['x', ['batch', 4]], ['w', [4, 4]]]);
  const y = op.expand(g.scalar(1, 'float32'), ['tokens', 4]);
  assert.throws(() => lower(g, { outputs: { y } }), (e: unknown) => e instanceof LoweringError && /symbolic dim 'tokens' is needed at run time but no graph input has it/.test(e.message));
});
