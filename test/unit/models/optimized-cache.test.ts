// The optimised-graph cache (main/models/optimized-cache.ts): a bf16 checkpoint's session is saved with
// its folded float32 weights on the first start and loaded from the cache on the next, with the same
// outputs; a changed model, shape bucket or engine version misses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { DecoderSession } from '../../../main/models/decoder-session.ts';
import { engineVersion, optimizedCacheKey, readEntry } from '../../../main/models/optimized-cache.ts';
import { openModelFolder } from '../../../main/models/weight-files.ts';
import { saveModel } from '../../../main/models/weights.ts';
import { randomWeights, tempDir, tinyConfig } from '../../helpers/model-fixtures.ts';

const ids = [3, 9, 1999, 1, 33];
const input = { inputIds: ids, attentionMask: ids.map(() => 1), positionIds: ids.map((_, t) => t), batch: 1, seq: ids.length };

function bf16Folder() {
  const config = tinyConfig('qwen2', { tie: false, vocabSize: 2000 });
  const dir = tempDir('optcache-model-');
  saveModel(dir, { config, weights: randomWeights(config, 4), generationConfig: null }, { dtype: 'BF16' });
  return dir;
}

test('first start saves the optimised graph with float32 weights; the next loads it and computes the same logits', async () => {
  const dir = bf16Folder();
  const cacheDir = tempDir('optcache-');
  const { config, weightFiles } = openModelFolder(dir);
  const plain = await DecoderSession.create(config, new Map(), { weightFiles });
  const expected = (await plain.forward(input)).logits;
  await plain.release();
  const first = await DecoderSession.create(config, new Map(), { weightFiles, optimizedCacheDir: cacheDir });
  assert.equal(first.optimizedCache?.hit, false);
  assert.deepEqual((await first.forward(input)).logits, expected);
  await first.release();
  assert.match(readEntry(first.optimizedCache!.dir).engine, /onnxruntime-node \d/);
  // The folded weights are float32: twice the bf16 bytes of the tensors big enough to go to weights.bin.
  let big = 0;
  let stored = 0;
  for (const t of weightFiles.tensors.values()) {
    stored += t.byteLength;
    if (2 * t.byteLength >= 1024) big += t.byteLength;
  }
  const cached = statSync(join(first.optimizedCache!.dir, 'weights.bin')).size;
  assert.ok(cached >= 2 * big && cached < 2.3 * stored, `cached ${cached} B for ${big} of ${stored} B of bf16`);
  const second = await DecoderSession.create(config, new Map(), { weightFiles, optimizedCacheDir: cacheDir });
  assert.equal(second.optimizedCache?.hit, true);
  assert.equal(second.optimizedCache?.dir, first.optimizedCache?.dir);
  assert.deepEqual((await second.forward(input)).logits, expected);
  await second.release();
});

test('a changed model, shape bucket or engine version gets another key', async () => {
  const dir = bf16Folder();
  const cacheDir = tempDir('optcache-');
  const { config, weightFiles } = openModelFolder(dir);
  const a = await DecoderSession.create(config, new Map(), { weightFiles, optimizedCacheDir: cacheDir });
  await a.release();
  // Shape bucket: a session specialised to batch 2 is another graph.
  const bucket = await DecoderSession.create(config, new Map(), { weightFiles, optimizedCacheDir: cacheDir, sessionOptions: { freeDimensionOverrides: { batch_size: 2 } } });
  assert.equal(bucket.optimizedCache?.hit, false);
  assert.notEqual(bucket.optimizedCache?.dir, a.optimizedCache?.dir);
  await bucket.release();
  // Model: the checkpoint rewritten (same names and shapes, new mtime) misses.
  const shard = join(dir, [...weightFiles.tensors.values()][0].file);
  const later = new Date(Date.now() + 5000);
  utimesSync(shard, later, later);
  const rewritten = await DecoderSession.create(config, new Map(), { weightFiles, optimizedCacheDir: cacheDir });
  assert.equal(rewritten.optimizedCache?.hit, false);
  assert.notEqual(rewritten.optimizedCache?.dir, a.optimizedCache?.dir);
  await rewritten.release();
  // Engine version and graph: the key covers both.
  const model = new Uint8Array([1, 2, 3]);
  const settings = { graphOptimizationLevel: 'all' };
  const base = optimizedCacheKey({ model, settings });
  assert.equal(optimizedCacheKey({ model, settings, engine: engineVersion() }), base);
  assert.notEqual(optimizedCacheKey({ model, settings, engine: 'onnxruntime-node 1.31.0; cache format 1' }), base);
  assert.notEqual(optimizedCacheKey({ model: new Uint8Array([1, 2, 4]), settings }), base);
  assert.notEqual(optimizedCacheKey({ model, settings: { graphOptimizationLevel: 'basic' } }), base);
});
