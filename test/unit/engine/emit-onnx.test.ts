// The emitter is checked by the only judge that matters: onnxruntime loads what it writes and computes
// what a plain JS loop computes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { encodeModel, encodeModelWithExternalData, saveModel, OnnxEmitError } from '../../../main/engine/onnx/emit.ts';
import type { OnnxModel, OnnxTensor } from '../../../main/engine/onnx/model.ts';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}
function randomF32(n: number, rand: () => number): Float32Array {
  return Float32Array.from({ length: n }, rand);
}
function plainMatMul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
    out[i * n + j] = s;
  }
  return out;
}
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])), `element ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

test('Add and MatMul with symbolic batch dims run and match plain loops', async () => {
  const rand = seeded(1);
  const w = randomF32(4 * 5, rand);
  const bias = randomF32(5, rand);
  const model: OnnxModel = {
    graph: {
      name: 'affine',
      nodes: [
        { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['xw'], name: 'proj/MatMul' },
        { opType: 'Add', inputs: ['xw', 'bias'], outputs: ['y'], name: 'proj/Add' },
      ],
      inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 4] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 5] }],
      initializers: [
        { name: 'w', dtype: 'float32', dims: [4, 5], data: w },
        { name: 'bias', dtype: 'float32', dims: [5], data: bias },
      ],
    },
  };
  const session = await ort.InferenceSession.create(encodeModel(model));
  assert.deepEqual(session.inputNames, ['x']);
  for (const batch of [1, 3]) {
    const x = randomF32(batch * 4, rand);
    const { y } = await session.run({ x: new ort.Tensor('float32', x, [batch, 4]) });
    const expected = plainMatMul(x, w, batch, 4, 5).map((v, i) => v + bias[i % 5]);
    assert.deepEqual(y.dims, [batch, 5]);
    assertClose(y.data as Float32Array, expected, 1e-5);
  }
  await session.release();
});

test('Gemm attributes (transB, alpha, beta) are encoded', async () => {
  const rand = seeded(2);
  const a = randomF32(3 * 4, rand);
  const b = randomF32(2 * 4, rand); // [N, K], used transposed
  const c = randomF32(2, rand);
  const model: OnnxModel = {
    graph: {
      name: 'gemm',
      nodes: [{
        opType: 'Gemm', inputs: ['a', 'b', 'c'], outputs: ['y'],
        attributes: { transB: { kind: 'int', value: 1 }, alpha: { kind: 'float', value: 0.5 }, beta: { kind: 'float', value: -2 } },
      }],
      inputs: [{ name: 'a', dtype: 'float32', shape: [3, 4] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [3, 2] }],
      initializers: [
        { name: 'b', dtype: 'float32', dims: [2, 4], data: b },
        { name: 'c', dtype: 'float32', dims: [2], data: c },
      ],
    },
  };
  const session = await ort.InferenceSession.create(encodeModel(model));
  const { y } = await session.run({ a: new ort.Tensor('float32', a, [3, 4]) });
  const expected = new Float64Array(6);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) {
    let s = 0;
    for (let k = 0; k < 4; k++) s += a[i * 4 + k] * b[j * 4 + k];
    expected[i * 2 + j] = 0.5 * s - 2 * c[j];
  }
  assertClose(y.data as Float32Array, expected, 1e-5);
  await session.release();
});

test('int64 initializers, ints attributes, float64 and negative int attributes', async () => {
  // Gather rows by an int64 index initializer, then Reshape by an int64 shape, ReduceSum over axes
  // given as an int64 initializer with keepdims=0, Transpose with a perm attribute, Cast to float64,
  // and Concat with a negative axis attribute.
  const table = Float32Array.from({ length: 5 * 3 }, (_, i) => i * 0.25 - 1);
  const indices = new BigInt64Array([4n, 0n, 4n, 2n]);
  const model: OnnxModel = {
    graph: {
      name: 'ints',
      nodes: [
        { opType: 'Gather', inputs: ['table', 'indices'], outputs: ['rows'], attributes: { axis: { kind: 'int', value: 0 } } },
        { opType: 'Reshape', inputs: ['rows', 'shape'], outputs: ['r'] }, // [2, 2, 3]
        { opType: 'Transpose', inputs: ['r'], outputs: ['t'], attributes: { perm: { kind: 'ints', value: [2, 0, 1] } } }, // [3,2,2]
        { opType: 'ReduceSum', inputs: ['t', 'axes'], outputs: ['s'], attributes: { keepdims: { kind: 'int', value: 0 } } }, // [3]
        { opType: 'Cast', inputs: ['s'], outputs: ['s64'], attributes: { to: { kind: 'int', value: 11 } } },
        { opType: 'Concat', inputs: ['s64', 'x'], outputs: ['y'], attributes: { axis: { kind: 'int', value: -1 } } },
      ],
      inputs: [{ name: 'x', dtype: 'float64', shape: ['n'] }],
      outputs: [{ name: 'y', dtype: 'float64', shape: [-1] }],
      initializers: [
        { name: 'table', dtype: 'float32', dims: [5, 3], data: table },
        { name: 'indices', dtype: 'int64', dims: [4], data: indices },
        { name: 'shape', dtype: 'int64', dims: [3], data: new BigInt64Array([2n, 2n, 3n]) },
        { name: 'axes', dtype: 'int64', dims: [2], data: new BigInt64Array([1n, -1n]) },
      ],
    },
  };
  const session = await ort.InferenceSession.create(encodeModel(model));
  const { y } = await session.run({ x: new ort.Tensor('float64', new Float64Array([7.5, -1]), [2]) });
  // Plain loop: the sum over the 4 gathered rows of column j.
  const expected: number[] = [];
  for (let j = 0; j < 3; j++) {
    let s = 0;
    for (const idx of indices) s += table[Number(idx) * 3 + j];
    expected.push(s);
  }
  expected.push(7.5, -1);
  assert.ok(y.data instanceof Float64Array);
  assertClose(y.data as Float64Array, expected, 1e-6);
  await session.release();
});

test('Constant node with a tensor attribute, strings and metadata round-trip through onnxruntime', async () => {
  const model: OnnxModel = {
    graph: {
      name: 'const',
      nodes: [
        { opType: 'Constant', inputs: [], outputs: ['k'], attributes: { value: { kind: 'tensor', value: { name: 'k', dtype: 'float32', dims: [2], data: new Float32Array([3, -4]) } } } },
        { opType: 'Mul', inputs: ['x', 'k'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', dtype: 'float32', shape: [2] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [2] }],
      initializers: [],
    },
    metadata: { purpose: '테스트' },
  };
  const session = await ort.InferenceSession.create(encodeModel(model));
  const { y } = await session.run({ x: new ort.Tensor('float32', new Float32Array([2, 0.5]), [2]) });
  assert.deepEqual(Array.from(y.data as Float32Array), [6, -2]);
  await session.release();
});

function bigAffineModel(): { model: OnnxModel; w: Float32Array } {
  const rand = seeded(3);
  const w = randomF32(64 * 32, rand); // 8 KiB: goes external
  const model: OnnxModel = {
    graph: {
      name: 'external',
      nodes: [
        { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['xw'] },
        { opType: 'Add', inputs: ['xw', 'tiny'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 64] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 32] }],
      initializers: [
        { name: 'w', dtype: 'float32', dims: [64, 32], data: w },
        { name: 'tiny', dtype: 'float32', dims: [1], data: new Float32Array([0.25]) }, // under minBytes: inline
      ],
    },
  };
  return { model, w };
}

test('external data in memory via the externalData session option', async () => {
  const { model, w } = bigAffineModel();
  const inline = encodeModelWithExternalData(model); // auto: small model stays inline
  assert.equal(inline.externalData.length, 0);
  const encoded = encodeModelWithExternalData(model, { mode: 'always', location: 'weights.bin' });
  assert.equal(encoded.externalData.length, 1);
  assert.equal(encoded.externalData[0].path, 'weights.bin');
  assert.ok(encoded.model.length < 1024, `model proto should not hold the weights (${encoded.model.length} bytes)`);
  // Without the side buffer the model must not load: proves the weights really are external.
  await assert.rejects(ort.InferenceSession.create(encoded.model));
  const session = await ort.InferenceSession.create(encoded.model, { externalData: encoded.externalData });
  const x = randomF32(2 * 64, seeded(4));
  const { y } = await session.run({ x: new ort.Tensor('float32', x, [2, 64]) });
  assertClose(y.data as Float32Array, plainMatMul(x, w, 2, 64, 32).map((v) => v + 0.25), 1e-5);
  await session.release();
});

test("'auto' keeps a model inline under the limit and moves big initializers out above it", async () => {
  const { model, w } = bigAffineModel(); // ~8.3 KB inline
  assert.equal(encodeModelWithExternalData(model, { inlineLimitBytes: 1 << 20 }).externalData.length, 0);
  const split = encodeModelWithExternalData(model, { inlineLimitBytes: 4096 });
  assert.equal(split.externalData.length, 1);
  assert.equal(split.externalData[0].path, 'model.onnx_data');
  assert.equal(split.externalData[0].data.length, w.byteLength); // only 'w': 'tiny' is under minBytes
  const session = await ort.InferenceSession.create(split.model, { externalData: split.externalData });
  const x = randomF32(64, seeded(6));
  const { y } = await session.run({ x: new ort.Tensor('float32', x, [1, 64]) });
  assertClose(y.data as Float32Array, plainMatMul(x, w, 1, 64, 32).map((v) => v + 0.25), 1e-5);
  await session.release();
});

test('external data as a file beside the model (saveModel)', async () => {
  const { model, w } = bigAffineModel();
  const dir = mkdtempSync(join(tmpdir(), 'emit-'));
  try {
    const { files } = await saveModel(model, join(dir, 'model.onnx'), { mode: 'always' });
    assert.deepEqual(files, [join(dir, 'model.onnx'), join(dir, 'model.onnx_data')]);
    assert.ok(readFileSync(join(dir, 'model.onnx_data')).length >= w.byteLength);
    const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
    const x = randomF32(64, seeded(5));
    const { y } = await session.run({ x: new ort.Tensor('float32', x, [1, 64]) });
    assertClose(y.data as Float32Array, plainMatMul(x, w, 1, 64, 32).map((v) => v + 0.25), 1e-5);
    await session.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad tensors and dtypes fail at emit time with the tensor named', () => {
  const withTensor = (t: OnnxTensor): OnnxModel => ({
    graph: { name: 'bad', nodes: [], inputs: [], outputs: [], initializers: [t] },
  });
  assert.throws(
    () => encodeModel(withTensor({ name: 'w', dtype: 'float32', dims: [2, 3], data: new Float32Array(5) })),
    (e: unknown) => e instanceof OnnxEmitError && /tensor 'w'.*6 elements.*5/.test(e.message),
  );
  assert.throws(
    () => encodeModel(withTensor({ name: 'ids', dtype: 'int64', dims: [2], data: new Int32Array(2) })),
    /tensor 'ids': dtype int64 needs its data in a BigInt64Array, got Int32Array/,
  );
  assert.throws(
    () => encodeModel(withTensor({ name: 'q', dtype: 'float8' as never, dims: [1], data: new Uint8Array(1) })),
    /tensor 'q': unknown dtype 'float8'/,
  );
});
