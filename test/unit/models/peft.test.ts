import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensorsHeader, type SafeTensor } from '../../../main/engine/safetensors.ts';
import { loraConfig, loraScale, mergeLoraAdapter, readLoraAdapter, writeLoraAdapter, type LoraAdapter } from '../../../main/models/peft.ts';
import { referenceLogits } from '../../../main/models/reference.ts';
import { SeededRandom } from '../../../main/models/init.ts';
import { maxRelativeError, randomWeights, tempDir, tinyConfig } from '../../helpers/model-fixtures.ts';

function randomMatrix(rng: SeededRandom, rows: number, cols: number): SafeTensor {
  return { dtype: 'F32', shape: [rows, cols], data: Float32Array.from({ length: rows * cols }, () => rng.normal() * 0.3) };
}

function makeAdapter(r: number, modules: Record<string, [number, number]>, seed = 1): LoraAdapter {
  const rng = new SeededRandom(seed);
  const lora = new Map(Object.entries(modules).map(([m, [out, inp]]) => [m, { a: randomMatrix(rng, r, inp), b: randomMatrix(rng, out, r) }]));
  return { config: loraConfig({ r, loraAlpha: 2 * r, targetModules: ['q_proj', 'v_proj'], baseModelNameOrPath: 'tiny' }), lora, extra: new Map() };
}

test('PEFT folder round trip with PEFT key names and config fields', () => {
  const adapter = makeAdapter(4, { 'model.layers.0.self_attn.q_proj': [8, 8], 'model.layers.1.self_attn.v_proj': [4, 8] });
  adapter.extra.set('score.weight', { dtype: 'F32', shape: [1, 8], data: new Float32Array(8).fill(0.5) });
  const dir = tempDir();
  assert.deepEqual(writeLoraAdapter(dir, adapter), ['adapter_config.json', 'adapter_model.safetensors']);
  const { tensors } = readSafetensorsHeader(join(dir, 'adapter_model.safetensors'));
  assert.deepEqual([...tensors.keys()].sort(), [
    'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
    'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight',
    'base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight',
    'base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight',
    'base_model.model.score.weight',
  ]);
  assert.deepEqual(tensors.get('base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight')!.shape, [4, 4]);
  const json = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
  assert.equal(json.peft_type, 'LORA');
  assert.equal(json.r, 4);
  assert.equal(json.lora_alpha, 8);
  assert.deepEqual(json.target_modules, ['q_proj', 'v_proj']);
  assert.equal(json.task_type, 'CAUSAL_LM');
  const back = readLoraAdapter(dir);
  assert.equal(back.config.r, 4);
  for (const [m, pair] of adapter.lora) {
    assert.deepEqual(back.lora.get(m)!.a.data, pair.a.data);
    assert.deepEqual(back.lora.get(m)!.b.data, pair.b.data);
  }
  assert.deepEqual(back.extra.get('score.weight')!.data, adapter.extra.get('score.weight')!.data);
});

test('reading rejects what it cannot use, naming the problem', () => {
  const dir = tempDir();
  assert.throws(() => readLoraAdapter(dir), /no adapter_config\.json .*folder has: nothing/);
  writeLoraAdapter(dir, makeAdapter(2, { 'model.layers.0.self_attn.q_proj': [8, 8] }));
  rmSync(join(dir, 'adapter_model.safetensors'));
  writeFileSync(join(dir, 'adapter_model.bin'), '');
  assert.throws(() => readLoraAdapter(dir), /adapter_model\.bin is a pickle/);
  writeLoraAdapter(dir, makeAdapter(2, { 'model.layers.0.self_attn.q_proj': [8, 8] }));
  const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, use_dora: true }));
  assert.throws(() => readLoraAdapter(dir), /DoRA/);
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, peft_type: 'IA3' }));
  assert.throws(() => readLoraAdapter(dir), /peft_type "IA3" is not supported/);
});

test('scale: alpha/r, rsLoRA alpha/√r, alpha_pattern per module', () => {
  const c = loraConfig({ r: 16, loraAlpha: 32, targetModules: ['q_proj'] });
  assert.equal(loraScale(c, 'model.layers.0.self_attn.q_proj', 16), 2);
  assert.equal(loraScale({ ...c, useRslora: true }, 'model.layers.0.self_attn.q_proj', 16), 8);
  const patterned = { ...c, alphaPattern: { 'layers.3.self_attn.q_proj': 64 } };
  assert.equal(loraScale(patterned, 'model.layers.3.self_attn.q_proj', 16), 4);
  assert.equal(loraScale(patterned, 'model.layers.13.self_attn.q_proj', 16), 2, 'layers.3 must not match layers.13');
});

test('merge equals W + (alpha/r)·B·A, checked entry by entry and by hand', () => {
  // By hand: W = 0, A = [[1, 2]], B = [[3], [4]], alpha 2, r 1 → scale 2 → 2·[[3, 6], [4, 8]].
  const tiny: LoraAdapter = {
    config: loraConfig({ r: 1, loraAlpha: 2, targetModules: ['p'] }),
    lora: new Map([['p', { a: { dtype: 'F32', shape: [1, 2], data: Float32Array.from([1, 2]) }, b: { dtype: 'F32', shape: [2, 1], data: Float32Array.from([3, 4]) } }]]),
    extra: new Map(),
  };
  const mergedTiny = mergeLoraAdapter(new Map([['p.weight', { dtype: 'F32', shape: [2, 2], data: new Float32Array(4) }]]), tiny);
  assert.deepEqual(Array.from(mergedTiny.get('p.weight')!.data as Float32Array), [6, 12, 8, 16]);

  const config = tinyConfig('qwen2');
  const base = randomWeights(config, 2);
  const adapter = makeAdapter(3, { 'model.layers.0.self_attn.q_proj': [8, 8], 'model.layers.1.mlp.down_proj': [8, 24] });
  const merged = mergeLoraAdapter(base, adapter);
  const scale = 6 / 3;
  for (const [module, { a, b }] of adapter.lora) {
    const w = base.get(`${module}.weight`)!;
    const [out, inp] = w.shape;
    const got = merged.get(`${module}.weight`)!.data as Float32Array;
    for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) {
      let ba = 0;
      for (let k = 0; k < 3; k++) ba += (b.data as Float32Array)[o * 3 + k] * (a.data as Float32Array)[k * inp + i];
      const want = (w.data as Float32Array)[o * inp + i] + scale * ba;
      assert.ok(Math.abs(got[o * inp + i] - want) < 1e-6, `${module}[${o},${i}]`);
    }
  }
  // Untouched weights are shared, and the base map is not modified.
  assert.equal(merged.get('model.norm.weight'), base.get('model.norm.weight'));
  assert.notEqual(merged.get('model.layers.0.self_attn.q_proj.weight')!.data, base.get('model.layers.0.self_attn.q_proj.weight')!.data);
  assert.throws(() => mergeLoraAdapter(base, makeAdapter(2, { 'model.layers.0.self_attn.q_proj': [4, 8] })), /is \[8,8\] but the adapter's B·A is \[4, 8\]/);
  assert.throws(() => mergeLoraAdapter(base, makeAdapter(2, { 'model.layers.9.self_attn.q_proj': [8, 8] })), /has no model\.layers\.9/);
});

test('merged weights act like the adapter at run time: merged·x = Wx + s·B(Ax), and through the network', () => {
  const config = tinyConfig('llama');
  const base = randomWeights(config, 6);
  const adapter = makeAdapter(2, { 'model.layers.0.self_attn.v_proj': [4, 8], 'model.layers.1.self_attn.v_proj': [4, 8] }, 3);
  const merged = mergeLoraAdapter(base, adapter);
  const scale = 4 / 2;
  const rng = new SeededRandom(77);
  const x = Float64Array.from({ length: 8 }, () => rng.normal());
  for (const [module, { a, b }] of adapter.lora) {
    const W = base.get(`${module}.weight`)!.data as Float32Array;
    const M = merged.get(`${module}.weight`)!.data as Float32Array;
    const A = a.data as Float32Array;
    const B = b.data as Float32Array;
    const ax = [0, 1].map((k) => x.reduce((s, xi, i) => s + A[k * 8 + i] * xi, 0));
    for (let o = 0; o < 4; o++) {
      const runtime = x.reduce((s, xi, i) => s + W[o * 8 + i] * xi, 0) + scale * (B[o * 2] * ax[0] + B[o * 2 + 1] * ax[1]);
      const folded = x.reduce((s, xi, i) => s + M[o * 8 + i] * xi, 0);
      assert.ok(Math.abs(runtime - folded) < 1e-5, `${module} row ${o}`);
    }
  }
  // Through the whole network the adapter matters (the merge is not a no-op).
  const ids = { inputIds: [[3, 14, 15, 9, 2]] };
  const withAdapter = referenceLogits(config, merged, ids)[0];
  const plain = referenceLogits(config, base, ids)[0];
  assert.ok(maxRelativeError(withAdapter[4], plain[4]) > 1e-4);
});
