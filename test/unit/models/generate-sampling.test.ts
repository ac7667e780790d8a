// The sampling knobs (main/models/sampling/), each against a hand-worked example, and the seeded
// sampler's draw frequencies against the softmax of the processed logits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TemperatureWarper } from '../../../main/models/sampling/temperature.ts';
import { TopKFilter } from '../../../main/models/sampling/top-k.ts';
import { TopPFilter } from '../../../main/models/sampling/top-p.ts';
import { MinPFilter } from '../../../main/models/sampling/min-p.ts';
import { SamplingChooser, samplingProcessors, tokenChooser, GreedyChooser } from '../../../main/models/sampling/sampler.ts';

const logitsOfProbs = (p: number[]) => Float64Array.from(p, Math.log);
const kept = (l: Float64Array) => [...l.keys()].filter((i) => l[i] !== -Infinity);

test('temperature divides logits; bad values are refused', () => {
  const l = Float64Array.of(1, -2, 4);
  new TemperatureWarper(0.5).apply([], l);
  assert.deepEqual([...l], [2, -4, 8]);
  for (const bad of [0, -1, NaN, Infinity]) assert.throws(() => new TemperatureWarper(bad), /temperature must be/);
});

test('top-k keeps the k largest (ties: lower id first)', () => {
  const l = Float64Array.of(0.1, 3, 2, 3, -1);
  new TopKFilter(2).apply([], l);
  assert.deepEqual(kept(l), [1, 3]);
  const all = Float64Array.of(1, 2);
  new TopKFilter(5).apply([], all);
  assert.deepEqual(kept(all), [0, 1]);
  assert.throws(() => new TopKFilter(0), /top-k must be an integer ≥ 1/);
  assert.throws(() => new TopKFilter(1.5), /top-k/);
});

test('top-p keeps the smallest nucleus reaching p, always the top token', () => {
  // probs 0.5, 0.3, 0.15, 0.05: p = 0.8 → {0, 1}; p = 0.81 → {0, 1, 2}; p = 0.1 → {0}.
  const probs = [0.3, 0.05, 0.5, 0.15];
  const run = (p: number) => { const l = logitsOfProbs(probs); new TopPFilter(p).apply([], l); return kept(l).sort(); };
  assert.deepEqual(run(0.79), [0, 2]);
  assert.deepEqual(run(0.81), [0, 2, 3]);
  assert.deepEqual(run(0.1), [2]);
  assert.deepEqual(run(1), [0, 1, 2, 3]);
  assert.throws(() => new TopPFilter(0), /top-p must be in \(0, 1\]/);
  assert.throws(() => new TopPFilter(1.2), /top-p/);
});

test('min-p drops tokens below min_p × top probability', () => {
  const l = logitsOfProbs([0.5, 0.3, 0.15, 0.05]);
  new MinPFilter(0.2).apply([], l); // threshold 0.1
  assert.deepEqual(kept(l), [0, 1, 2]);
  assert.throws(() => new MinPFilter(-0.1), /min-p must be in \[0, 1\]/);
});

test('processors run in order temperature → top-k → top-p → min-p', () => {
  assert.deepEqual(samplingProcessors({ minP: 0.1, topP: 0.9, topK: 3, temperature: 0.7 }).map((p) => p.name), ['temperature', 'top-k', 'top-p', 'min-p']);
  assert.ok(tokenChooser(undefined, 0) instanceof GreedyChooser);
  assert.ok(tokenChooser({ temperature: 0, topK: 3 }, 0) instanceof GreedyChooser);
});

test('seeded sampler draws with the processed softmax probabilities', () => {
  const probs = [0.5, 0.3, 0.15, 0.05];
  const chooser = new SamplingChooser([new TopKFilter(3)], 123); // renormalized: 0.5/0.95, 0.3/0.95, 0.15/0.95, 0
  const counts = [0, 0, 0, 0];
  const N = 20000;
  for (let i = 0; i < N; i++) counts[chooser.next([], logitsOfProbs(probs))]++;
  assert.equal(counts[3], 0, 'filtered token never drawn');
  [0.5, 0.3, 0.15].forEach((p, i) => {
    const expected = p / 0.95;
    const sd = Math.sqrt((expected * (1 - expected)) / N);
    assert.ok(Math.abs(counts[i] / N - expected) < 5 * sd, `token ${i}: ${counts[i] / N} vs ${expected}`);
  });
  // Same seed, same draws.
  const a = new SamplingChooser([], 9), b = new SamplingChooser([], 9);
  const draws = (c: SamplingChooser) => Array.from({ length: 50 }, () => c.next([], logitsOfProbs(probs)));
  assert.deepEqual(draws(a), draws(b));
});

test('top-k and top-p agree with a plain sort-everything implementation on random logits with ties', () => {
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const naiveTopK = (l: Float64Array, k: number) => {
    const order = [...l.keys()].sort((a, b) => l[b] - l[a] || a - b);
    return new Set(order.slice(0, k));
  };
  const naiveTopP = (l: Float64Array, p: number) => {
    const max = Math.max(...l);
    const e = [...l].map((v) => Math.exp(v - max));
    const z = e.reduce((a, b) => a + b, 0);
    const order = [...l.keys()].sort((a, b) => l[b] - l[a] || a - b);
    const kept = new Set<number>();
    let mass = 0;
    for (const i of order) {
      if (kept.size > 0 && mass >= p) break;
      kept.add(i);
      mass += e[i] / z;
    }
    return kept;
  };
  for (let trial = 0; trial < 200; trial++) {
    const V = 1 + Math.floor(rand() * 300);
    const logits = Float64Array.from({ length: V }, () => Math.round(rand() * 40) / 4 - 5); // many ties
    const k = 1 + Math.floor(rand() * V);
    const p = 0.05 + rand() * 0.95;
    const a = Float64Array.from(logits);
    new TopKFilter(k).apply([], a);
    assert.deepEqual(new Set(kept(a)), naiveTopK(logits, k), `top-k trial ${trial}`);
    const b = Float64Array.from(logits);
    new TopPFilter(p).apply([], b);
    assert.deepEqual(new Set(kept(b)), naiveTopP(logits, p), `top-p trial ${trial}`);
  }
});

test('top-p on a large, nearly flat vocabulary (the bucketed path) keeps the same nucleus as a full sort', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const [V, spread, p] of [[151_669, 0.5, 0.9], [50_000, 4, 0.95], [20_000, 0.01, 0.5], [30_000, 8, 0.3]] as const) {
    // Quarter-step rounding on half the tokens makes ties at the cut likely.
    const logits = Float64Array.from({ length: V }, (_, i) => (i % 2 ? Math.round(rand() * spread * 4) / 4 : rand() * spread));
    const max = logits.reduce((a, b) => Math.max(a, b), -Infinity);
    const e = Array.from(logits, (v) => Math.exp(v - max));
    const z = e.reduce((a, b) => a + b, 0);
    const order = [...logits.keys()].sort((a, b) => logits[b]! - logits[a]! || a - b);
    const expected: number[] = [];
    let mass = 0;
    for (const i of order) {
      if (expected.length > 0 && mass >= p) break;
      expected.push(i);
      mass += e[i]! / z;
    }
    const got = Float64Array.from(logits);
    new TopPFilter(p).apply([], got);
    const keptIds = kept(got);
    const candidates = e.filter((w) => w / z >= (1 - p) / V).length;
    assert.ok(candidates > 2048, `V=${V}: enough candidates to take the bucketed path (${candidates})`);
    assert.deepEqual(keptIds.sort((a, b) => a - b), expected.sort((a, b) => a - b), `V=${V} p=${p}`);
  }
});
