// LoRA on the engine (main/models/lora.ts + fine-tune.ts): training steps reduce the loss and leave the
// base weights alone; the trained adapter saved as a PEFT folder loads back to the same outputs; and
// the adapter applied at run time equals the adapter merged into the base by peft.ts (an independent
// W + scale·B·A), whose logits are also checked against the float64 reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecoderSession, positionIdsFromMask } from '../../../main/models/decoder-session.ts';
import { FineTuner, lmBatch } from '../../../main/models/fine-tune.ts';
import { loraTargets } from '../../../main/models/lora.ts';
import { loraConfig, mergeLoraAdapter, readLoraAdapter, writeLoraAdapter, type LoraAdapter } from '../../../main/models/peft.ts';
import { referenceLogits } from '../../../main/models/reference.ts';
import { cloneWeights, maxRelativeError, randomWeights, tempDir, tinyConfig } from '../../helpers/model-fixtures.ts';

const config = tinyConfig('qwen3', { tie: false });
const batch = lmBatch([{ ids: [1, 5, 7, 9, 11, 13, 17] }, { ids: [1, 4, 8, 15, 16] }, { ids: [1, 30, 31, 32, 33, 34] }]);
const IDS = [[1, 5, 7, 9, 11], [3, 3, 2, 30, 12]];

async function logits(adapterOrWeights: { adapter?: LoraAdapter; weights: ReturnType<typeof randomWeights> }, dtype: 'float32' | 'float64' = 'float32') {
  const session = await DecoderSession.create(config, adapterOrWeights.weights, { dtype, adapter: adapterOrWeights.adapter });
  const mask = IDS.flat().map(() => 1);
  const out = await session.forward({ inputIds: IDS.flat(), attentionMask: mask, positionIds: positionIdsFromMask(mask, 2), batch: 2, seq: 5 });
  await session.release();
  return out.logits;
}

test('LoRA: steps reduce the loss, base untouched; PEFT save → load → same outputs; runtime adapter = merged', async () => {
  const weights = randomWeights(config, 2);
  const before = cloneWeights(weights);
  const lora = loraConfig({ r: 4, loraAlpha: 16, loraDropout: 0.05, targetModules: ['q_proj', 'v_proj', 'o_proj', 'down_proj', 'lm_head'] });
  const tuner = await FineTuner.create(config, weights, { kind: 'lora', lora, seed: 1 }, { provider: 'cpu' });
  assert.equal(tuner.trainable.length, 2 * (4 * config.numLayers + 1));
  const losses: number[] = [];
  for (let i = 0; i < 12; i++) losses.push((await tuner.step(batch, 5e-3)).loss);
  assert.ok(losses[11] < 0.9 * losses[0], `loss ${losses[0]} → ${losses[11]}`);
  const exported = await tuner.export();
  await tuner.release();
  assert.ok('adapter' in exported);
  const adapter = exported.adapter;
  for (const [name, t] of before) assert.deepEqual(weights.get(name)!.data, t.data, `${name} unchanged`);
  // B moved away from its zero init (the adapter is not a no-op).
  assert.ok([...adapter.lora.values()].some(({ b }) => (b.data as Float32Array).some((v) => v !== 0)));

  const dir = tempDir('lora-');
  writeLoraAdapter(dir, adapter);
  const loaded = readLoraAdapter(dir);
  assert.deepEqual([...loaded.lora.keys()].sort(), [...adapter.lora.keys()].sort());
  const runtime = await logits({ weights, adapter });
  const reloaded = await logits({ weights, adapter: loaded });
  assert.deepEqual(reloaded, runtime, 'same outputs after save → load');

  const merged = mergeLoraAdapter(weights, loaded);
  const mergedLogits = await logits({ weights: merged });
  assert.ok(maxRelativeError(mergedLogits, runtime) < 1e-5, `runtime adapter vs merged: ${maxRelativeError(mergedLogits, runtime)}`);
  const base = await logits({ weights });
  assert.ok(maxRelativeError(base, runtime) > 1e-3, 'the adapter changes the outputs');
  // And the merged model agrees with the float64 reference (so the adapter path is right, not just self-consistent).
  const reference = referenceLogits(config, merged, { inputIds: IDS }).flatMap((row) => row.flatMap((l) => [...l]));
  const f64 = await logits({ weights, adapter: loaded }, 'float64');
  assert.ok(maxRelativeError(f64, reference) < 1e-6, `float64 runtime adapter vs reference on merged weights: ${maxRelativeError(f64, reference)}`);
});

test('LoRA targets: PEFT suffix matching, all-linear, rank/alpha patterns, clear errors', () => {
  const all = loraTargets(config, loraConfig({ r: 2, targetModules: ['all-linear'] }));
  assert.equal(all.size, 7 * config.numLayers, 'every projection, not the head');
  const patterned = loraTargets(config, loraConfig({ r: 2, loraAlpha: 4, targetModules: ['q_proj'], rankPattern: { 'layers.1.self_attn.q_proj': 8 }, alphaPattern: { 'layers.1.self_attn.q_proj': 32 } }));
  assert.deepEqual([...patterned].map(([m, t]) => [m, t.rank, t.scale]), [
    ['model.layers.0.self_attn.q_proj', 2, 2],
    ['model.layers.1.self_attn.q_proj', 8, 4],
  ]);
  assert.throws(() => loraTargets(config, loraConfig({ r: 2, targetModules: ['qkv_proj'] })), /qkv_proj match no module of Qwen3ForCausalLM \(it has: q_proj, k_proj/);
  assert.throws(() => loraTargets(config, loraConfig({ r: 0, targetModules: ['q_proj'] })), /rank must be an integer ≥ 1/);
  assert.throws(() => loraTargets(config, loraConfig({ r: 2, loraDropout: 1, targetModules: ['q_proj'] })), /dropout must be in \[0, 1\)/);
});
