// Emitter: initializers that refer to bytes already in a file (fileTensor), read by onnxruntime from a
// folder given as a session option (how inference sessions map safetensors shards), and in-memory
// pieces that are views of the tensors' own bytes (ownBufferBytes) instead of a concatenated copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { encodeModel, encodeModelWithExternalData, fileTensor, OnnxEmitError } from '../../../main/engine/onnx/emit.ts';
import type { OnnxModel } from '../../../main/engine/onnx/model.ts';

const N = 3;
const K = 5;

function gemmModel(weight: OnnxModel['graph']['initializers'][number]): OnnxModel {
  return {
    graph: {
      name: 'file_weights',
      nodes: [{ opType: 'Gemm', inputs: ['x', weight.name], outputs: ['y'], attributes: { transB: { kind: 'int', value: 1 } } }],
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, K] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1, N] }],
      initializers: [weight],
    },
  };
}

test('fileTensor: onnxruntime reads the weight at an unaligned offset of a file in the given folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emit-file-'));
  const w = Float32Array.from({ length: N * K }, (_, i) => Math.sin(i + 1));
  const header = Buffer.from('not a tensor: 13 bytes'.slice(0, 13));
  writeFileSync(join(dir, 'weights.safetensors'), Buffer.concat([header, Buffer.from(w.buffer)]));
  const bytes = encodeModel(gemmModel(fileTensor('W', 'float32', [N, K], { location: 'weights.safetensors', offset: 13 })));
  assert.ok(bytes.length < 400, `the proto carries no weight bytes (${bytes.length} B)`);
  const session = await ort.InferenceSession.create(bytes, { extra: { session: { model_external_initializers_file_folder_path: dir } } });
  const x = Float32Array.from({ length: K }, (_, k) => k - 2);
  const { y } = await session.run({ x: new ort.Tensor('float32', x, [1, K]) });
  for (let n = 0; n < N; n++) {
    let expected = 0;
    for (let k = 0; k < K; k++) expected += x[k] * w[n * K + k];
    assert.ok(Math.abs((y.data as Float32Array)[n] - expected) < 1e-5, `row ${n}`);
  }
  await session.release();
});

test('fileTensor: wrong lengths and escaping locations are refused', () => {
  assert.throws(() => encodeModel(gemmModel(fileTensor('W', 'float32', [N, K], { location: 'w.bin', offset: 0, length: 7 }))), /needs 60/);
  for (const location of ['../w.bin', '/abs/w.bin', 'a/../../w.bin']) {
    assert.throws(() => encodeModel(gemmModel(fileTensor('W', 'float32', [N, K], { location, offset: 0 }))), OnnxEmitError, location);
  }
});

test('ownBufferBytes: big tensors travel as views of their own bytes, small ones share a piece', () => {
  const big = new Float32Array(1000).fill(1);
  const small = [new Float32Array(300).fill(2), new Float32Array(300).fill(3)];
  const model: OnnxModel = {
    graph: {
      name: 'views',
      nodes: [],
      inputs: [],
      outputs: [],
      initializers: [
        { name: 's0', dtype: 'float32', dims: [300], data: small[0] },
        { name: 'big', dtype: 'float32', dims: [1000], data: big },
        { name: 's1', dtype: 'float32', dims: [300], data: small[1] },
      ],
    },
  };
  const encoded = encodeModelWithExternalData(model, { mode: 'always', location: 'w.bin', ownBufferBytes: 4000 });
  assert.deepEqual(encoded.externalData.map((f) => f.path), ['w.bin', 'w.bin.1', 'w.bin.2']);
  assert.equal(encoded.externalData[1].data.buffer, big.buffer, 'the big tensor is handed over without a copy');
  assert.deepEqual(encoded.externalData.map((f) => f.data.byteLength), [1200, 4000, 1200]);
});
