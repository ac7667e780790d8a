// The transformers.js embedder's own logic (batching, prefix, empty texts, normalization, errors) with an
// injected feature extractor, and its loading path with the real library on a folder that is not a model
// (no network). Real embeddings from transformers.js on a real (tiny, generated) model folder are checked
// against a float64 reference in transformers-embedder-real.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransformersEmbedder, type FeatureExtractor } from '../../../main/data/embed/transformers.ts';
import { createEmbedder, parseRecipe } from '../../../main/data/build/index.ts';
import { NgramHashEmbedder } from '../../../main/data/embed/index.ts';

const DIM = 3;
/** A fake model: a deterministic, deliberately unnormalized vector per text. */
function rawVector(text: string): number[] {
  return [text.length, text.codePointAt(0) ?? 0, 1];
}

test('embeds in batches with the prefix, keeps empty texts as zero rows, and returns unit vectors', async () => {
  const calls: string[][] = [];
  const extractor: FeatureExtractor = async (texts, options) => {
    calls.push(texts);
    assert.deepEqual(options, { pooling: 'cls', normalize: true });
    return { dims: [texts.length, DIM], data: Float32Array.from(texts.flatMap(rawVector)) };
  };
  const dir = mkdtempSync(join(tmpdir(), 'saenggak-embed-'));
  const embedder = await TransformersEmbedder.load({ model: dir, pooling: 'cls', prefix: 'query: ', batchSize: 2 }, async () => extractor);
  assert.equal(embedder.dimension, DIM);
  assert.match(embedder.id, /^transformers:.*:cls:fp32:"query: "$/);
  const texts = ['사과', '', '배 두 개', '   ', 'apple'];
  const vectors = await embedder.embed(texts);
  assert.deepEqual(calls.slice(1), [['query: 사과'], ['query: 배 두 개'], ['query: apple']]);
  for (const [i, text] of texts.entries()) {
    const row = Array.from(vectors.subarray(i * DIM, (i + 1) * DIM));
    if (!text.trim()) {
      assert.deepEqual(row, [0, 0, 0]);
      continue;
    }
    const raw = rawVector('query: ' + text);
    const norm = Math.hypot(...raw);
    raw.forEach((v, d) => assert.ok(Math.abs(row[d] - v / norm) < 1e-6, `text ${i} dim ${d}`));
  }
});

test('a wrong-shaped model output and a missing folder give clear errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'saenggak-embed-'));
  await assert.rejects(
    TransformersEmbedder.load({ model: dir }, async () => async (texts) => ({ dims: [texts.length, 4, 3], data: new Float32Array(texts.length * 12) })),
    /returned a \[1, 4, 3\] tensor; a feature-extraction model gives \[texts, dimension\]/,
  );
  await assert.rejects(TransformersEmbedder.load({ model: join(dir, 'absent') }), /is not a folder; point it at a local transformers\.js model folder/);
});

test('with the real transformers.js, a folder that is not a model fails without touching the network', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'saenggak-embed-'));
  writeFileSync(join(dir, 'config.json'), '{"model_type": "bert"}');
  const realFetch = globalThis.fetch;
  const fetched: string[] = [];
  globalThis.fetch = (async (input: unknown) => {
    fetched.push(String(input));
    throw new Error('no network in this test');
  }) as typeof fetch;
  try {
    await assert.rejects(TransformersEmbedder.load({ model: dir }), /cannot load the embedder model in .* with transformers\.js/);
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.deepEqual(fetched, []);
});

test('recipe: near_dedup takes the n-gram embedder by default, or a transformers model folder relative to the recipe', async () => {
  const teachers = [{ name: 't', base_url: 'http://h', model: 'm' }];
  const plain = parseRecipe({ output: 'x', prompts: { dataset: 'p' }, teachers, filters: [{ type: 'near_dedup' }] });
  assert.deepEqual((plain.filters[0] as { embedder: unknown }).embedder, { kind: 'ngram' });
  assert.ok((await createEmbedder({ kind: 'ngram' }, '/')) instanceof NgramHashEmbedder);
  const withModel = parseRecipe({ output: 'x', prompts: { dataset: 'p' }, teachers, filters: [{ type: 'near_dedup', embedder: { kind: 'transformers', model: 'models/e5', prefix: 'query: ' } }] });
  assert.deepEqual((withModel.filters[0] as { embedder: unknown }).embedder, { kind: 'transformers', model: 'models/e5', pooling: 'mean', prefix: 'query: ', batch_size: 32, dtype: 'fp32' });
  await assert.rejects(createEmbedder({ kind: 'transformers', model: 'models/e5', pooling: 'mean', prefix: '', batch_size: 32, dtype: 'fp32' }, '/nonexistent-base'), /"\/nonexistent-base\/models\/e5" is not a folder/);
  assert.throws(() => parseRecipe({ output: 'x', prompts: { dataset: 'p' }, teachers, filters: [{ type: 'near_dedup', embedder: { kind: 'e5' } }] }), /embedder/);
});
