// The optimised-graph cache (main/models/optimized-cache.ts): a bf16 checkpoint's session is saved with
// its folded float32 weights on the first start and loaded from the cache on the next, with the same
// outputs; a changed model, shape bucket or engine version misses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DecoderSession } from '../../../main/models/decoder-session.ts';
import { defaultOptimizedCacheDir, engineVersion, evictOptimized, optimizedCacheKey, readEntry } from '../../../main/models/optimized-cache.ts';
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

test('default cache folder and least-recently-used eviction', () => {
  assert.equal(defaultOptimizedCacheDir({ SAENGGAK_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' }), join('/c', 'optimized-models'));
  assert.equal(defaultOptimizedCacheDir({ XDG_CACHE_HOME: '/x' }), join('/x', 'saenggak-lab', 'optimized-models'));
  assert.match(defaultOptimizedCacheDir({}), /\.cache[/\\]saenggak-lab[/\\]optimized-models$/);
  const dir = tempDir('optcache-evict-');
  const names = Array.from({ length: 6 }, (_, i) => String(i).repeat(32));
  names.forEach((name, i) => {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'entry.json'), '{}');
    const t = new Date(Date.now() - (10 - i) * 60_000); // later names used more recently
    utimesSync(join(dir, name, 'entry.json'), t, t);
  });
  mkdirSync(join(dir, 'not-an-entry'));
  assert.deepEqual(evictOptimized(dir, 4).sort(), [names[0], names[1]]);
  assert.deepEqual(readdirSync(dir).sort(), [...names.slice(2), 'not-an-entry'].sort());
});

test('saenggak generate caches bf16 checkpoints by default (same tokens, hit on the second start); not F32 ones, nor with --no-optimized-cache', async () => {
  const run = promisify(execFile);
  const cacheHome = tempDir('optcache-cli-');
  const env = { ...process.env, SAENGGAK_CACHE_DIR: cacheHome };
  const generate = async (dir: string, ...extra: string[]) => JSON.parse((await run(process.execPath, ['bin/saenggak.js', 'generate', '--model', dir, '--input-ids', '5,9,1999', '--max-new-tokens', '4', '--json', ...extra], { env, cwd: join(import.meta.dirname, '..', '..', '..') })).stdout);
  const bf16 = bf16Folder();
  const first = await generate(bf16);
  const second = await generate(bf16);
  assert.equal(first.optimizedCache.hit, false);
  assert.equal(second.optimizedCache.hit, true);
  assert.ok(first.optimizedCache.dir.startsWith(join(cacheHome, 'optimized-models')));
  assert.deepEqual(second.sequences[0].tokens, first.sequences[0].tokens);
  const off = await generate(bf16, '--no-optimized-cache');
  assert.equal(off.optimizedCache, undefined);
  assert.deepEqual(off.sequences[0].tokens, first.sequences[0].tokens);
  const config = tinyConfig('qwen2', { tie: false, vocabSize: 2000 });
  const f32 = tempDir('optcache-f32-');
  saveModel(f32, { config, weights: randomWeights(config, 4), generationConfig: null });
  assert.equal((await generate(f32)).optimizedCache, undefined, 'float32 checkpoints are mapped as they are: nothing to cache');
  assert.ok(existsSync(join(cacheHome, 'optimized-models')));
});
