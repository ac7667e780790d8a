// DecodeLoop live weights (#30, what GRPO's one generator session rests on): names listed in `liveWeights`
// are graph inputs fed at every run, so `update` with new values changes what the SAME session generates —
// exactly what a loop built fresh with those values generates — on the loop path (one session made in all)
// and on the per-token path (its session bakes them in, so update drops it and the next call makes one).
// Misuse is refused: update without live weights, a changed baked weight, a changed shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeLoop } from '../../../main/models/decode-loop.ts';
import { generate, type GeneratedSequence } from '../../../main/models/generate.ts';
import { initLoraWeights, loraTensors } from '../../../main/models/lora.ts';
import { loraConfig, type LoraAdapter } from '../../../main/models/peft.ts';
import { openModelFolder } from '../../../main/models/weight-files.ts';
import { saveModel } from '../../../main/models/weights.ts';
import { randomWeights, tempDir, tinyConfig } from '../../helpers/model-fixtures.ts';

const PROMPTS = [[5, 7, 9], [4, 8, 15, 16, 23]];
const OPTIONS = { maxNewTokens: 6, sampling: { temperature: 1.2, seed: 5 }, n: 2 };
const tokens = (s: GeneratedSequence[]) => s.map((x) => x.tokens);

const config = tinyConfig('qwen2', { tie: false, overrides: { eosTokenIds: [] } });
const base = randomWeights(config, 9);
const lora = loraConfig({ r: 2, loraAlpha: 4, targetModules: ['q_proj', 'v_proj', 'down_proj'] });
function adapter(scale: number): LoraAdapter {
  const pairs = initLoraWeights(config, lora, 3);
  for (const { b } of pairs.values()) (b.data as Float32Array).forEach((_, i, arr) => { arr[i] = Math.sin(i + scale) * scale; });
  return { config: lora, lora: pairs, extra: new Map() };
}

for (const path of ['loop', 'per-token'] as const) {
  test(`${path} path: update() refreshes a live LoRA adapter on mapped base weights, as a fresh loop with it generates`, async () => {
    const dir = tempDir('live-weights-');
    saveModel(dir, { config, weights: base, generationConfig: null });
    const { weightFiles } = openModelFolder(dir);
    const first = adapter(0.4);
    const live = [...loraTensors(first.lora).keys()];
    const loop = DecodeLoop.create(config, new Map(), { adapter: first, weightFiles, liveWeights: live, path });
    const fresh = async (a: LoraAdapter) => {
      const l = DecodeLoop.create(config, new Map(), { adapter: a, weightFiles, path });
      try {
        return tokens(await generate(l, PROMPTS, OPTIONS));
      } finally {
        await l.release();
      }
    };
    try {
      const before = tokens(await generate(loop, PROMPTS, OPTIONS));
      assert.deepEqual(before, await fresh(first));
      const second = adapter(1.5);
      await loop.update(new Map(), second);
      const after = tokens(await generate(loop, PROMPTS, OPTIONS));
      assert.deepEqual(after, await fresh(second));
      assert.notDeepEqual(after, before, 'the new adapter changes the samples');
      assert.equal(loop.sessionsMade, path === 'loop' ? 1 : 2);
    } finally {
      await loop.release();
    }
  });
}

test('full weights as live weights (in memory): update() = a fresh loop; misuse is refused', async () => {
  const names = ['model.layers.0.mlp.down_proj.weight', 'model.layers.1.self_attn.q_proj.weight'];
  const loop = DecodeLoop.create(config, base, { liveWeights: names });
  const changed = new Map(base);
  for (const name of names) changed.set(name, { ...base.get(name)!, data: (base.get(name)!.data as Float32Array).map((v) => v * -1.5) });
  try {
    const before = tokens(await generate(loop, PROMPTS, OPTIONS));
    await loop.update(changed);
    const after = tokens(await generate(loop, PROMPTS, OPTIONS));
    const fresh = DecodeLoop.create(config, changed);
    assert.deepEqual(after, tokens(await generate(fresh, PROMPTS, OPTIONS)));
    await fresh.release();
    assert.notDeepEqual(after, before);
    assert.equal(loop.sessionsMade, 1);
    const baked = new Map(changed);
    baked.set('model.norm.weight', { ...base.get('model.norm.weight')!, data: new Float32Array(config.hiddenSize).fill(2) });
    await assert.rejects(loop.update(baked), /model\.norm\.weight changed but is not a live weight/);
    const reshaped = new Map(changed);
    reshaped.set(names[0], { ...base.get(names[0])!, shape: [1, base.get(names[0])!.data.length] });
    await assert.rejects(loop.update(reshaped), /down_proj\.weight is \[1,\d+\], was \[\d+,\d+\]/);
    const plain = DecodeLoop.create(config, base);
    await assert.rejects(plain.update(changed), /update needs liveWeights/);
    assert.throws(() => DecodeLoop.create(config, base, { liveWeights: ['nope'] }), /live weight nope is not among the weights/);
  } finally {
    await loop.release();
  }
});
