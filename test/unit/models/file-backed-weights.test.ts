// Inference sessions that take their weights straight from the checkpoint files (issue #19 / #30):
// onnxruntime maps the safetensors shards through external-data references, with a Cast in front of
// bf16/f16 weights (folded once at load, or kept half-size with keepStoredDtype). Checked against the
// independent float64 reference and against the in-memory float32 path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bfloat16BitsToFloat32, float32ToBfloat16Bits } from '../../../main/engine/safetensors.ts';
import { DecoderSession } from '../../../main/models/decoder-session.ts';
import { generate } from '../../../main/models/generate.ts';
import { referenceLogits } from '../../../main/models/reference.ts';
import { RewardModel } from '../../../main/models/reward-model.ts';
import { initLoraWeights } from '../../../main/models/lora.ts';
import { loraConfig, type LoraAdapter } from '../../../main/models/peft.ts';
import { openModelFolder } from '../../../main/models/weight-files.ts';
import { loadModel, saveModel } from '../../../main/models/weights.ts';
import { maxRelativeError, randomWeights, tempDir, tinyConfig } from '../../helpers/model-fixtures.ts';

const PROMPTS = [[5, 7, 9], [4, 8, 15, 16, 23, 11, 30], [12]];

function folder(dtype: 'F32' | 'BF16', maxShardSize?: number) {
  const config = tinyConfig('qwen2', { tie: false, overrides: { eosTokenIds: [] } });
  const weights = randomWeights(config, 7);
  const dir = tempDir('file-weights-');
  saveModel(dir, { config, weights, generationConfig: null }, { dtype, maxShardSize });
  return { dir, config, weights };
}

test('float32 shards: the mapped session gives the in-memory session\'s logits and the float64 reference\'s', async () => {
  const { dir, config, weights } = folder('F32', 4000); // several shards + index
  const opened = openModelFolder(dir);
  assert.ok(new Set([...opened.weightFiles.tensors.values()].map((t) => t.file)).size > 2, 'sharded');
  const mapped = await DecoderSession.create(opened.config, new Map(), { weightFiles: opened.weightFiles });
  const inMemory = await DecoderSession.create(config, weights);
  const ids = [3, 9, 27, 1, 33, 12];
  const input = { inputIds: ids, attentionMask: ids.map(() => 1), positionIds: ids.map((_, t) => t), batch: 1, seq: ids.length };
  const a = await mapped.forward(input);
  const b = await inMemory.forward(input);
  assert.deepEqual(a.logits, b.logits, 'same kernels on the same bytes');
  const [reference] = referenceLogits(config, weights, { inputIds: [ids] });
  for (let t = 0; t < ids.length; t++) assert.ok(maxRelativeError(a.logits.subarray(t * config.vocabSize, (t + 1) * config.vocabSize), reference[t]) < 1e-4, `position ${t}`);
  await mapped.release();
  await inMemory.release();
});

test('bf16 checkpoint: cast at load and cast at use both decode the float32 path\'s greedy tokens', async () => {
  const { dir } = folder('BF16');
  // The float32 path: loadModel widens the bf16 bits to float32 in JS (exact), weights in memory.
  const loaded = loadModel(dir);
  for (const t of loaded.weights.values()) {
    const x = (t.data as Float32Array)[0];
    assert.equal(bfloat16BitsToFloat32(float32ToBfloat16Bits(x)), x, 'loaded values are bf16 values');
  }
  const fp32 = await DecoderSession.create(loaded.config, loaded.weights, { kvCache: true, lastPositionLogits: true });
  const expected = await generate(fp32, PROMPTS, { maxNewTokens: 12, returnLogits: true });
  const opened = openModelFolder(dir);
  for (const keepStoredDtype of [false, true]) {
    const session = await DecoderSession.create(opened.config, new Map(), { kvCache: true, lastPositionLogits: true, weightFiles: opened.weightFiles, keepStoredDtype });
    const got = await generate(session, PROMPTS, { maxNewTokens: 12, returnLogits: true });
    assert.deepEqual(got.map((s) => s.tokens), expected.map((s) => s.tokens), `keepStoredDtype ${keepStoredDtype}: same greedy tokens`);
    got.forEach((s, i) => s.logits!.forEach((l, k) => assert.ok(maxRelativeError(l, expected[i].logits![k]) < 1e-5, `keepStoredDtype ${keepStoredDtype}: row ${i} step ${k}`)));
    await session.release();
  }
  await fp32.release();
});

test('an in-memory weight overrides its file; a missing weight is named', async () => {
  const { dir, config, weights } = folder('F32');
  const opened = openModelFolder(dir);
  const edited = new Map([['model.norm.weight', { ...weights.get('model.norm.weight')!, data: (weights.get('model.norm.weight')!.data as Float32Array).map((v) => v * 2) }]]);
  const session = await DecoderSession.create(config, edited, { weightFiles: opened.weightFiles });
  const ids = [3, 9, 27];
  const { logits } = await session.forward({ inputIds: ids, attentionMask: [1, 1, 1], positionIds: [0, 1, 2], batch: 1, seq: 3 });
  const [reference] = referenceLogits(config, new Map([...weights, ...edited]), { inputIds: [ids] });
  assert.ok(maxRelativeError(logits.subarray(2 * config.vocabSize), reference[2]) < 1e-4, 'the edited norm is used');
  await session.release();
  opened.weightFiles.tensors.delete('model.norm.weight');
  await assert.rejects(DecoderSession.create(config, new Map(), { weightFiles: opened.weightFiles }), /model\.norm\.weight is missing/);
});

test('reward model from its folder (mapped, bf16 cast at use) scores like the loaded float32 model', async () => {
  const config = tinyConfig('qwen2', { task: 'sequence-classification', numLabels: 1 });
  const weights = randomWeights(config, 11);
  const dir = tempDir('file-rm-');
  saveModel(dir, { config, weights, generationConfig: null }, { dtype: 'BF16' });
  const loaded = loadModel(dir);
  const sequences = [[3, 4, 5, 6, 7], [8, 9], [10, 11, 12]];
  const viaMemory = await RewardModel.create(loaded.config, loaded.weights);
  const viaFiles = await RewardModel.fromFolder(dir);
  const a = await viaMemory.rewards(sequences);
  const b = await viaFiles.rewards(sequences);
  a.forEach((r, i) => assert.ok(Math.abs(r - b[i]) <= 1e-5 * Math.max(1, Math.abs(r)), `sequence ${i}: ${r} vs ${b[i]}`));
  assert.ok(new Set(b).size === 3, 'scores differ between sequences');
  await viaMemory.release();
  await viaFiles.release();
});

test('a LoRA adapter on mapped base weights (adapter inline, base from the files) = the in-memory session', async () => {
  const { dir, config, weights } = folder('F32');
  const lora = loraConfig({ r: 2, loraAlpha: 4, targetModules: ['q_proj', 'v_proj', 'down_proj'] });
  const pairs = initLoraWeights(config, lora, 3);
  // B starts at zero: give it values so the adapter changes the outputs.
  for (const { b } of pairs.values()) (b.data as Float32Array).forEach((_, i, arr) => { arr[i] = Math.sin(i + 1) * 0.3; });
  const adapter: LoraAdapter = { config: lora, lora: new Map([...pairs].map(([m, p]) => [m, { a: p.a, b: p.b }])), extra: new Map() };
  const opened = openModelFolder(dir);
  const ids = [3, 9, 27, 1];
  const input = { inputIds: ids, attentionMask: ids.map(() => 1), positionIds: ids.map((_, t) => t), batch: 1, seq: ids.length };
  const mapped = await DecoderSession.create(config, new Map(), { adapter, weightFiles: opened.weightFiles });
  const inMemory = await DecoderSession.create(config, weights, { adapter });
  const plain = await DecoderSession.create(config, weights);
  const a = (await mapped.forward(input)).logits;
  assert.deepEqual(a, (await inMemory.forward(input)).logits);
  assert.ok(maxRelativeError(a, (await plain.forward(input)).logits) > 1e-3, 'the adapter matters');
  for (const s of [mapped, inMemory, plain]) await s.release();
});
