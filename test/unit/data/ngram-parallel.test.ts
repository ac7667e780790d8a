import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NgramHashEmbedder } from '../../../main/data/embed/index.ts';
import { embedNgramParallel } from '../../../main/data/embed/ngram-hash-parallel.ts';

function texts(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 97 === 0) out.push(''); // zero rows must stay zero across share boundaries
    else if (i % 2) out.push(`철수는 사과를 ${i}개 가지고 있었고, 영희에게 ${i % 13}개를 주었습니다. 남은 사과는 몇 개입니까? 변형 ${i % 7}`);
    else out.push(`A train travels ${i * 3} km in ${1 + (i % 5)} hours. What is its average speed, problem ${i}?`);
  }
  return out;
}

test('n-gram embedding split over worker threads gives exactly the single-thread vectors', async () => {
  const embedder = new NgramHashEmbedder({ textDimension: 128, numberDimension: 32, numberShare: 0.4 });
  const input = texts(5000);
  const expected = embedder.embedSync(input);
  for (const threads of [1, 2, 3]) {
    const got = await embedNgramParallel(input, embedder.config, threads);
    assert.equal(got.length, expected.length);
    assert.deepEqual(got, expected, `${threads} threads`);
  }
  // Rows are unit vectors (checked in float64), except the empty texts' zero rows.
  const d = embedder.dimension;
  const parallel = await embedNgramParallel(input, embedder.config, 3);
  for (const i of [0, 1, 2, 97, 2500, 4999]) {
    let norm = 0;
    for (let j = 0; j < d; j++) norm += parallel[i * d + j] ** 2;
    if (input[i] === '') assert.equal(norm, 0);
    else assert.ok(Math.abs(Math.sqrt(norm) - 1) < 1e-5, `row ${i}: norm ${Math.sqrt(norm)}`);
  }
});

test('embed() of a large input (the parallel path) equals embedSync', async () => {
  const embedder = new NgramHashEmbedder();
  const input = texts(9000);
  assert.deepEqual(await embedder.embed(input), embedder.embedSync(input));
});
