// Released shapes (`model init --preset qwen2.5-1.5b` …) and the streaming random-weights writer:
// the writer's files are byte-identical to saving initWeights' tensors the ordinary way, sharded or
// not; the big presets' config values, parameter counts (as published on their model cards) and shard
// plan are checked without writing their weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planSafetensorsFolder, readSafetensorsFolder } from '../../../main/engine/safetensors.ts';
import { loadModelConfig, modelConfigToJson } from '../../../main/models/config.ts';
import { initWeights, writeRandomWeights } from '../../../main/models/init.ts';
import { releaseConfig, RELEASE_PRESET_NAMES, RELEASE_PRESETS } from '../../../main/models/release-presets.ts';
import { expectedWeightShapes, parameterCount, saveModel } from '../../../main/models/weights.ts';
import { tempDir, tinyConfig } from '../../helpers/model-fixtures.ts';

function filesOf(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).filter((f) => f.includes('safetensors')).map((f) => [f, readFileSync(join(dir, f))]));
}

for (const [dtype, maxShardSize] of [['F32', undefined], ['BF16', 3000]] as const) {
  test(`streaming writer (${dtype}${maxShardSize ? ', sharded' : ''}) writes the bytes saveModel writes for initWeights`, () => {
    const config = { ...tinyConfig('qwen2', { vocabSize: 300, tie: false }), padTokenId: 7 };
    const a = tempDir('stream-');
    const b = tempDir('saved-');
    const files = writeRandomWeights(a, config, { seed: 3, dtype, maxShardSize });
    saveModel(b, { config, weights: initWeights(config, { seed: 3 }), generationConfig: null }, { dtype, maxShardSize });
    const streamed = filesOf(a);
    const saved = filesOf(b);
    assert.deepEqual([...streamed.keys()].sort(), [...saved.keys()].sort());
    assert.deepEqual(files.sort(), [...saved.keys()].sort());
    if (maxShardSize) assert.ok(streamed.size > 2, 'several shards and an index');
    for (const [name, bytes] of saved) assert.ok(bytes.equals(streamed.get(name)!), `${name} is byte-identical`);
    // And the values are initWeights' (the pad row of the embedding zeroed, norms one).
    const back = readSafetensorsFolder(a).tensors;
    const embed = back.get('model.embed_tokens.weight')!.data as Float32Array;
    assert.ok(embed.subarray(7 * config.hiddenSize, 8 * config.hiddenSize).every((v) => v === 0));
    assert.ok((back.get('model.norm.weight')!.data as Float32Array).every((v) => v === 1));
  });
}

test('qwen2.5-0.5b and qwen2.5-1.5b: released config values and parameter counts; config.json round-trips', () => {
  const small = releaseConfig('qwen2', 'qwen2.5-0.5b');
  const big = releaseConfig('qwen2', 'qwen2.5-1.5b');
  assert.deepEqual(
    [big.hiddenSize, big.numLayers, big.numHeads, big.numKvHeads, big.headDim, big.intermediateSize, big.vocabSize, big.tieWordEmbeddings, big.ropeTheta, big.rmsNormEps, big.maxPositionEmbeddings],
    [1536, 28, 12, 2, 128, 8960, 151936, true, 1_000_000, 1e-6, 32768],
  );
  assert.deepEqual([small.hiddenSize, small.numLayers, small.numHeads, small.numKvHeads, small.intermediateSize, small.vocabSize], [896, 24, 14, 2, 4864, 151936]);
  // The model cards' counts: 0.49B and 1.54B (tied embeddings counted once).
  assert.equal(parameterCount(new Map([...expectedWeightShapes(small)].map(([n, shape]) => [n, { shape }]))), 494_032_768);
  assert.equal(parameterCount(new Map([...expectedWeightShapes(big)].map(([n, shape]) => [n, { shape }]))), 1_543_714_304);
  for (const name of RELEASE_PRESET_NAMES) {
    const config = releaseConfig(RELEASE_PRESETS[name].family, name);
    const dir = tempDir('release-config-');
    writeFileSync(join(dir, 'config.json'), JSON.stringify(modelConfigToJson(config, { torchDtype: 'bfloat16' })));
    const back = loadModelConfig(dir);
    for (const key of ['family', 'hiddenSize', 'numLayers', 'numHeads', 'numKvHeads', 'headDim', 'intermediateSize', 'vocabSize', 'tieWordEmbeddings', 'ropeTheta', 'rmsNormEps', 'qkvBias', 'qkNorm', 'slidingWindow', 'bosTokenId', 'maxPositionEmbeddings'] as const) {
      assert.deepEqual(back[key], config[key], `${name}: ${key}`);
    }
    assert.equal(back.ropeScaling?.ropeType ?? null, config.ropeScaling?.ropeType ?? null, `${name}: rope scaling`);
  }
  assert.throws(() => releaseConfig('qwen2', 'qwen3-1.7b'), /use --arch qwen3/);
});

test('qwen2.5-1.5b in BF16: two Hub-like shards of at most 2 GB holding 2 bytes per parameter', () => {
  const config = releaseConfig('qwen2', 'qwen2.5-1.5b');
  const entries = [...expectedWeightShapes(config)].map(([name, shape]) => [name, { dtype: 'BF16' as const, shape }] as [string, { dtype: 'BF16'; shape: number[] }]);
  const plan = planSafetensorsFolder(entries, { maxShardSize: '2GB' });
  assert.deepEqual(plan.shards.map((s) => s.file), ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  for (const shard of plan.shards) assert.ok(shard.bytes <= 2e9, `${shard.file}: ${shard.bytes} bytes`);
  assert.equal(plan.totalBytes, 2 * 1_543_714_304);
  assert.equal(plan.shards.flatMap((s) => s.entries).length, entries.length, 'every tensor placed once');
});
