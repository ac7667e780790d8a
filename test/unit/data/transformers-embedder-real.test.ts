// TransformersEmbedder with the real transformers.js on a real model folder: a tiny BERT written by
// fixtures/tiny-bert.ts (seeded random weights, ONNX from our engine). Every vector is checked against
// an independent float64 forward pass written plainly below, on ids from a plain WordPiece tokenizer
// also written below (and checked to agree with transformers.js' own tokenizer). Each reference text
// runs alone at its own length, while the embedder batches texts of different lengths: agreement means
// the padding is masked in attention and left out of mean pooling. The network is trapped throughout.
// Every assert.ok carries a message: without one, a failing assert makes Node re-parse this (transpiled)
// file to quote the call, which takes minutes here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { TransformersEmbedder } from '../../../main/data/embed/transformers.ts';
import { createEmbedder } from '../../../main/data/build/index.ts';
import { SPECIAL_TOKENS, writeTinyBert, type TinyBert } from './fixtures/tiny-bert.ts';

let model: TinyBert;
const fetched: string[] = [];
const realFetch = globalThis.fetch;

before(() => {
  model = writeTinyBert(mkdtempSync(join(tmpdir(), 'saenggak-tiny-bert-')));
  // Before transformers.js is first imported, so it cannot have kept a reference to the real fetch.
  globalThis.fetch = (async (input: unknown) => {
    fetched.push(String(input));
    throw new Error('no network in this test');
  }) as typeof fetch;
});

after(() => {
  globalThis.fetch = realFetch;
  rmSync(model.dir, { recursive: true, force: true });
});

// ---- plain reference: BERT basic tokenization + greedy WordPiece ----------------------------------

/** BERT's punctuation: Unicode P* plus the ASCII symbol ranges. */
const PUNCTUATION = /^[\p{P}\u0021-\u002F\u003A-\u0040\u005B-\u0060\u007B-\u007E]$/u;

function referenceTokenIds(text: string, vocab: readonly string[]): number[] {
  const ids = new Map(vocab.map((t, i) => [t, i]));
  const words: string[] = [];
  let word = '';
  for (const ch of text.toLowerCase()) {
    if (/\s/u.test(ch) || PUNCTUATION.test(ch)) {
      if (word) words.push(word);
      word = '';
      if (PUNCTUATION.test(ch)) words.push(ch);
    } else word += ch;
  }
  if (word) words.push(word);
  const out = [ids.get(SPECIAL_TOKENS.cls)!];
  for (const w of words) {
    const chars = [...w];
    const pieces: number[] = [];
    for (let start = 0; start < chars.length; ) {
      let end = chars.length;
      let found: number | undefined;
      for (; end > start; end--) {
        found = ids.get((start > 0 ? '##' : '') + chars.slice(start, end).join(''));
        if (found !== undefined) break;
      }
      if (found === undefined) {
        pieces.length = 0;
        pieces.push(ids.get(SPECIAL_TOKENS.unk)!);
        break;
      }
      pieces.push(found);
      start = end;
    }
    out.push(...pieces);
  }
  out.push(ids.get(SPECIAL_TOKENS.sep)!);
  return out;
}

// ---- plain reference: the BERT forward pass in float64 --------------------------------------------

type Vec = number[];

function referenceHiddenStates(ids: readonly number[], { config, weights }: TinyBert): Vec[] {
  const W = (name: string) => {
    const w = weights.get(name);
    if (!w) throw new Error(`no weight ${name}`);
    return { shape: w.shape, data: Array.from(w.data, Number) };
  };
  const row = (name: string, r: number) => {
    const { shape, data } = W(name);
    return data.slice(r * shape[1], (r + 1) * shape[1]);
  };
  const linear = (x: Vec, prefix: string): Vec => {
    const { shape, data } = W(`${prefix}.weight`);
    const bias = W(`${prefix}.bias`).data;
    const [outF, inF] = shape;
    return Array.from({ length: outF }, (_, o) => {
      let s = bias[o];
      for (let i = 0; i < inF; i++) s += data[o * inF + i] * x[i];
      return s;
    });
  };
  const layerNorm = (x: Vec, prefix: string): Vec => {
    const gain = W(`${prefix}.weight`).data;
    const shift = W(`${prefix}.bias`).data;
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
    return x.map((v, i) => ((v - mean) / Math.sqrt(variance + config.layerNormEps)) * gain[i] + shift[i]);
  };
  const gelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
  const add = (a: Vec, b: Vec) => a.map((v, i) => v + b[i]);

  const L = ids.length;
  const H = config.numHeads;
  const D = config.hiddenSize / H;
  let x = ids.map((id, t) => layerNorm(add(add(row('embeddings.word_embeddings.weight', id), row('embeddings.position_embeddings.weight', t)), row('embeddings.token_type_embeddings.weight', 0)), 'embeddings.LayerNorm'));
  for (let layer = 0; layer < config.numLayers; layer++) {
    const p = `encoder.layer.${layer}`;
    const q = x.map((v) => linear(v, `${p}.attention.self.query`));
    const k = x.map((v) => linear(v, `${p}.attention.self.key`));
    const v = x.map((u) => linear(u, `${p}.attention.self.value`));
    const context: Vec[] = Array.from({ length: L }, () => new Array<number>(config.hiddenSize).fill(0));
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < L; i++) {
        const scores = Array.from({ length: L }, (_, j) => {
          let s = 0;
          for (let d = 0; d < D; d++) s += q[i][h * D + d] * k[j][h * D + d];
          return s / Math.sqrt(D);
        });
        const top = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - top));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j < L; j++) for (let d = 0; d < D; d++) context[i][h * D + d] += (e[j] / z) * v[j][h * D + d];
      }
    }
    x = x.map((xi, i) => {
      const attended = layerNorm(add(xi, linear(context[i], `${p}.attention.output.dense`)), `${p}.attention.output.LayerNorm`);
      const ffn = linear(linear(attended, `${p}.intermediate.dense`).map(gelu), `${p}.output.dense`);
      return layerNorm(add(attended, ffn), `${p}.output.LayerNorm`);
    });
  }
  return x;
}

function unit(v: Vec): Vec {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/**
 * Token ids cut to `maxLength` the way transformers.js 4.x truncates: the first `maxLength` ids of the
 * finished sequence, so a truncated text loses its final [SEP] (Python's tokenizers keep it). The model
 * still sees [CLS] and never a position past max_position_embeddings.
 */
function truncated(ids: readonly number[], maxLength: number): number[] {
  return ids.slice(0, maxLength);
}

function referenceEmbedding(text: string, pooling: 'mean' | 'cls'): Vec {
  const hidden = referenceHiddenStates(truncated(referenceTokenIds(text, model.vocab), model.config.maxPositions), model);
  if (pooling === 'cls') return unit(hidden[0]);
  return unit(hidden[0].map((_, d) => hidden.reduce((s, h) => s + h[d], 0) / hidden.length));
}

/** Asserts |actual − expected| ≤ tolerance componentwise; returns the largest difference. */
function assertClose(actual: ArrayLike<number>, expected: Vec, what: string, tolerance = 1e-4): number {
  assert.equal(actual.length, expected.length, `${what}: dimension`);
  let worst = 0;
  for (let d = 0; d < expected.length; d++) {
    const diff = Math.abs(actual[d] - expected[d]);
    assert.ok(diff <= tolerance, `${what}, dim ${d}: got ${actual[d]}, reference ${expected[d]}`);
    worst = Math.max(worst, diff);
  }
  return worst;
}

// Korean and English, lengths from 3 to ~45 tokens, an out-of-vocabulary syllable (뷁 → [UNK]), punctuation.
const TEXTS = [
  '사과 두 개를 샀다.',
  'apple',
  '오늘 날씨가 정말 좋네요! 산책하기 좋은 날입니다.',
  'The quick brown fox jumps over the lazy dog.',
  '',
  '사과는 apple, 배는 pear?',
  '뷁 이라는 글자는 사전에 없다',
];

// ---- tests ------------------------------------------------------------------------------------------

test('the plain WordPiece reference and transformers.js tokenize the fixture texts to the same ids', async () => {
  const { AutoTokenizer } = await import('@huggingface/transformers');
  const tokenizer = await AutoTokenizer.from_pretrained(model.dir, { local_files_only: true });
  for (const text of [...TEXTS.filter(Boolean), 'query: 사과']) {
    const ids = (tokenizer(text).input_ids.tolist() as bigint[][])[0].map(Number);
    assert.deepEqual(ids, referenceTokenIds(text, model.vocab), text);
  }
  // The texts exercise what they are meant to: whole words, "##" continuations, [UNK], and lengths that need padding.
  const unk = model.vocab.indexOf(SPECIAL_TOKENS.unk);
  assert.ok(referenceTokenIds(TEXTS[6], model.vocab).includes(unk), 'an out-of-vocabulary syllable gives [UNK]');
  assert.ok(referenceTokenIds(TEXTS[0], model.vocab).some((id) => model.vocab[id].startsWith('##')), 'a Korean word splits into "##" pieces');
  const lengths = TEXTS.filter(Boolean).map((t) => referenceTokenIds(t, model.vocab).length);
  assert.ok(Math.max(...lengths) - Math.min(...lengths) >= 10, `token counts ${lengths}`);
});

test('mean pooling: batched vectors from the real model match the float64 reference of each text alone', async (t) => {
  const embedder = await TransformersEmbedder.load({ model: model.dir, batchSize: 3 });
  assert.equal(embedder.dimension, model.config.hiddenSize);
  const vectors = await embedder.embed(TEXTS);
  const dim = embedder.dimension;
  let worst = 0;
  TEXTS.forEach((text, i) => {
    const row = vectors.subarray(i * dim, (i + 1) * dim);
    if (!text) return assert.deepEqual(Array.from(row), new Array(dim).fill(0));
    worst = Math.max(worst, assertClose(row, referenceEmbedding(text, 'mean'), `text ${i} "${text}"`));
  });
  t.diagnostic(`largest difference from the float64 reference: ${worst.toExponential(2)}`);
  // Different texts get clearly different unit vectors (the comparison above is not trivially satisfied).
  const cosine = (a: number, b: number) => vectors.subarray(a * dim, (a + 1) * dim).reduce((s, v, d) => s + v * vectors[b * dim + d], 0);
  assert.ok(cosine(0, 3) < 0.9, `cosine(0, 3) = ${cosine(0, 3)}`);
  // A text embedded alone (no padding) gives the same vector as in a padded batch.
  assertClose(await embedder.embed([TEXTS[1]]), Array.from(vectors.subarray(1 * dim, 2 * dim)), 'alone vs batched', 1e-5);
});

test("'cls' pooling takes token 0 ([CLS]), after the prefix is prepended", async () => {
  const embedder = await TransformersEmbedder.load({ model: model.dir, pooling: 'cls', prefix: 'query: ' });
  const texts = ['사과 두 개를 샀다.', 'The quick brown fox jumps over the lazy dog.'];
  const vectors = await embedder.embed(texts);
  texts.forEach((text, i) => {
    const row = vectors.subarray(i * embedder.dimension, (i + 1) * embedder.dimension);
    const expected = referenceEmbedding('query: ' + text, 'cls');
    assertClose(row, expected, `cls ${i}`);
    // ...and not the mean, nor the text without its prefix.
    const mean = referenceEmbedding('query: ' + text, 'mean');
    const unprefixed = referenceEmbedding(text, 'cls');
    assert.ok(mean.some((v, d) => Math.abs(v - row[d]) > 1e-2), `cls ${i} equals the mean`);
    assert.ok(unprefixed.some((v, d) => Math.abs(v - row[d]) > 1e-2), `cls ${i} ignores the prefix`);
  });
});

test('a text longer than the model takes is cut to its first model_max_length ids (transformers.js drops the final [SEP]), not run past the position table', async () => {
  const long = '오늘 날씨가 정말 좋네요. '.repeat(20);
  const tokens = referenceTokenIds(long, model.vocab).length;
  assert.ok(tokens > 2 * model.config.maxPositions, `${tokens} tokens`);
  const embedder = await TransformersEmbedder.load({ model: model.dir });
  const vectors = await embedder.embed([long, 'apple']);
  assertClose(vectors.subarray(0, embedder.dimension), referenceEmbedding(long, 'mean'), 'long text');
  assertClose(vectors.subarray(embedder.dimension), referenceEmbedding('apple', 'mean'), 'short text beside it');
});

test('a recipe embedder spec (model folder relative to the recipe) loads the same model', async () => {
  const embedder = await createEmbedder({ kind: 'transformers', model: basename(model.dir), pooling: 'mean', prefix: 'passage: ', batch_size: 2, dtype: 'fp32' }, dirname(model.dir));
  assert.ok(embedder instanceof TransformersEmbedder, `got ${embedder.id}`);
  const texts = ['사과 두 개를 샀다.', 'apple', '오늘 날씨'];
  const vectors = await embedder.embed(texts);
  texts.forEach((text, i) => assertClose(vectors.subarray(i * embedder.dimension, (i + 1) * embedder.dimension), referenceEmbedding('passage: ' + text, 'mean'), `recipe ${i}`));
});

test('loading and embedding never touched the network (and the trap does see transformers.js requests)', async () => {
  assert.equal(fetched.length, 0, `fetched: ${fetched.join(', ')}`);
  // Without this, an empty list could also mean transformers.js fetches some other way than globalThis.fetch.
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = true;
  try {
    await assert.rejects(AutoTokenizer.from_pretrained('saenggak-test/no-such-model'));
  } finally {
    env.allowRemoteModels = false;
  }
  assert.ok(fetched.some((url) => url.includes('saenggak-test/no-such-model')), `trapped: ${fetched.join(', ')}`);
});
