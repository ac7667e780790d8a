// Frozen weights reach onnxruntime as in-memory external data in pieces (issue #19: one Uint8Array for
// all frozen weights failed with RangeError past 4 GiB on Node 20). With a forced small piece size the
// LoRA step session is built from many pieces, none over the limit, and trains exactly as with one piece.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeModelWithExternalData } from '../../../main/engine/onnx/emit.ts';
import { FineTuner, lmBatch } from '../../../main/models/fine-tune.ts';
import { loraConfig } from '../../../main/models/peft.ts';
import { randomWeights, tinyConfig } from '../../helpers/model-fixtures.ts';

const config = tinyConfig('qwen2', { tie: false });
const batch = lmBatch([{ ids: [1, 5, 7, 9, 11, 13, 17] }, { ids: [1, 4, 8, 15, 16] }]);

async function losses(pieceBytes: number | undefined) {
  const weights = randomWeights(config, 3);
  const lora = loraConfig({ r: 2, loraAlpha: 4, targetModules: ['q_proj', 'v_proj', 'down_proj'] });
  const tuner = await FineTuner.create(config, weights, { kind: 'lora', lora, seed: 5 }, { provider: 'cpu', externalDataPieceBytes: pieceBytes });
  const out: number[] = [];
  for (let i = 0; i < 3; i++) out.push((await tuner.step(batch, 1e-2)).loss);
  const pieces = tuner.runner.externalDataPieces;
  const state = await tuner.readState();
  await tuner.release();
  return { out, pieces, state };
}

test('LoRA step: frozen weights in forced small external-data pieces give the same steps as one piece', async () => {
  const one = await losses(undefined);
  assert.equal(one.pieces.length, 1, 'a tiny model fits one 1 GiB piece');
  const limit = 16 * 1024;
  const many = await losses(limit);
  const total = one.pieces[0];
  assert.ok(many.pieces.length >= Math.ceil(total / limit), `${many.pieces.length} pieces for ${total} bytes`);
  for (const size of many.pieces) assert.ok(size <= limit, `piece of ${size} bytes over ${limit}`);
  assert.deepEqual(many.out, one.out, 'same losses');
  for (const [name, t] of Object.entries(one.state.params)) assert.deepEqual(many.state.params[name].data, t.data, `${name} trained the same`);
});

test('emitter: maxFileBytes splits side buffers by tensor, offsets restart per piece, an oversized tensor gets its own', () => {
  const tensor = (name: string, n: number) => ({ name, dtype: 'float32' as const, dims: [n], data: new Float32Array(n).fill(n) });
  const model = {
    graph: {
      name: 'pieces',
      nodes: [],
      initializers: [tensor('a', 600), tensor('b', 600), tensor('c', 3000), tensor('d', 100)],
      inputs: [],
      outputs: [],
    },
  };
  const encoded = encodeModelWithExternalData(model, { mode: 'always', location: 'w.bin', minBytes: 0, maxFileBytes: 4096 });
  // a (2400 B) starts w.bin; b would end past 4096 → w.bin.1; c (12000 B) is over the limit → a piece of its own; d cannot join it.
  assert.deepEqual(encoded.externalData.map((f) => f.path), ['w.bin', 'w.bin.1', 'w.bin.2', 'w.bin.3']);
  assert.deepEqual(encoded.externalData.map((f) => f.data.byteLength), [2400, 2400, 12000, 400]);
  const floats = (i: number) => new Float32Array(encoded.externalData[i].data.buffer, 0, 4);
  assert.deepEqual([...floats(0)], [600, 600, 600, 600]);
  assert.deepEqual([...floats(1)], [600, 600, 600, 600]);
  assert.deepEqual([...floats(2)], [3000, 3000, 3000, 3000]);
  assert.deepEqual([...floats(3)], [100, 100, 100, 100]);
});

test('evaluate reads the parameters only (not the AdamW moments) and takes frozen weights in pieces', async () => {
  const weights = randomWeights(config, 3);
  const lora = loraConfig({ r: 2, loraAlpha: 4, targetModules: ['q_proj', 'v_proj'] });
  const tuner = await FineTuner.create(config, weights, { kind: 'lora', lora, seed: 5 }, { provider: 'cpu', externalDataPieceBytes: 16 * 1024 });
  await tuner.step(batch, 1e-2);
  tuner.runner.readState = () => Promise.reject(new Error('evaluate must not copy the optimizer state'));
  const evaluated = await tuner.evaluate(batch);
  // The next step's loss is computed on the same weights (LoRA dropout 0): the two must agree.
  const next = await tuner.step(batch, 1e-2);
  await tuner.release();
  assert.ok(Math.abs(evaluated - next.loss) < 1e-5, `evaluate ${evaluated} vs step loss ${next.loss}`);
});
