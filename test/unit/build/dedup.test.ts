import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '@lancedb/lancedb';
import { DecontaminateFilter, ExactDedupFilter, NearDedupFilter } from '../../../main/data/build/filters/index.ts';
import { findNearDuplicates } from '../../../main/data/build/near-duplicates.ts';
import { joinResponse, type BuildSample, type FilterContext } from '../../../main/data/build/sample.ts';
import { NgramHashEmbedder } from '../../../main/data/embed/index.ts';

function sample(promptId: string, prompt: string, answer = 'ok', sampleIdx = 0): BuildSample {
  return { key: `${promptId}/t/${sampleIdx}`, promptId, prompt, gold: null, category: null, teacher: 't', sampleIdx, thinking: '생각', answer, response: joinResponse('생각', answer), finishReason: 'stop' };
}

const connection = await connect(mkdtempSync(join(tmpdir(), 'saenggak-dedup-')));
const ctx: FilterContext = { log: () => undefined, connection: async () => connection, scratchPrefix: 'test' };

test('n-gram embeddings are unit vectors, empty texts give zero rows', () => {
  const e = new NgramHashEmbedder();
  const v = e.embedSync(['철수는 사과를 12개 가지고 있다.', '', 'John has 12 apples.']);
  const row = (i: number) => Array.from(v.subarray(i * e.dimension, (i + 1) * e.dimension));
  const norm = (a: number[]) => Math.sqrt(a.reduce((s, x) => s + x * x, 0));
  assert.ok(Math.abs(norm(row(0)) - 1) < 1e-5);
  assert.equal(norm(row(1)), 0);
  assert.ok(Math.abs(norm(row(2)) - 1) < 1e-5);
});

// Planted paraphrases (word order, endings and synonyms changed, numbers kept) next to problems that share
// a template but differ in their numbers or objects.
const problems: [string, string][] = [
  ['a1', '철수는 사과를 12개 가지고 있었고, 영희에게 5개를 주었습니다. 철수에게 남은 사과는 몇 개입니까?'],
  ['a2', '철수는 사과를 30개 가지고 있었고, 영희에게 8개를 주었습니다. 철수에게 남은 사과는 몇 개입니까?'],
  ['b1', '다음 방정식을 풀어라: 3x + 5 = 20'],
  ['b2', '다음 방정식을 풀어라: 7x - 2 = 12'],
  ['b3', '다음 방정식을 풀어라: 4x + 9 = 41'],
  ['c1', '한 변의 길이가 7cm인 정사각형의 넓이를 구하시오.'],
  ['c2', '한 변의 길이가 9cm인 정사각형의 넓이를 구하시오.'],
  ['d1', '어떤 수에 3을 곱한 뒤 4를 더했더니 25가 되었다. 어떤 수를 구하여라.'],
  ['e1', 'A train travels 120 km in 2 hours. What is its average speed in km per hour?'],
  ['e2', 'A train travels 300 km in 4 hours. What is its average speed in km per hour?'],
  // planted near-duplicates
  ['a1-para', '철수가 사과 12개를 가지고 있었는데 영희에게 5개를 줬다. 철수에게 남은 사과는 몇 개인가?'],
  ['b1-para', '아래 방정식의 해를 구하시오: 3x + 5 = 20'],
  ['c1-para', '한 변이 7cm인 정사각형이 있다. 이 정사각형의 넓이는 얼마인가?'],
  ['d1-para', '어떤 수에 3을 곱하고 4를 더하면 25가 된다. 그 수는 무엇인가?'],
  ['e1-para', 'A train covers 120 km in 2 hours. What is the average speed of the train in km per hour?'],
];

test('near-dup dedup in LanceDB drops planted Korean paraphrases and keeps distinct problems that share a template', async () => {
  const samples = problems.flatMap(([id, text]) => [sample(id, text, 'x', 0), sample(id, text, 'y', 1)]);
  const filter = new NearDedupFilter();
  const decisions = await filter.decide(samples, ctx);
  const dropped = new Set(samples.filter((_, i) => !decisions[i].keep).map((s) => s.promptId));
  assert.deepEqual([...dropped].sort(), ['a1-para', 'b1-para', 'c1-para', 'd1-para', 'e1-para']);
  const para = decisions[samples.findIndex((s) => s.promptId === 'b1-para')];
  assert.match(para.reason!, /near-duplicate of prompt b1/);
  assert.deepEqual(await connection.tableNames(), []);
});

test('near-duplicate search with an IVF index agrees with brute-force float64 cosine', async () => {
  const embedder = new NgramHashEmbedder();
  const texts: string[] = [];
  for (let i = 0; i < 300; i++) texts.push(`문제 ${i}: 상자에 공이 ${i * 7 + 3}개 있고 ${i % 13}개를 더 넣었다. 모두 몇 개인가? 변형 ${i % 5}`);
  for (let i = 0; i < 30; i++) texts.push(texts[i * 5].replace('상자에', '상자 안에').replace('모두 몇 개인가?', '전부 몇 개일까?'));
  const vectors = embedder.embedSync(texts);
  const d = embedder.dimension;
  const result = await findNearDuplicates({ connection, tableName: 'ivf', vectors, dimension: d, threshold: 0.7, indexFrom: 100, nprobes: 64 });
  assert.equal(result.indexed, true);
  // Reference: the same greedy rule over exact float64 cosines.
  const expected = new Int32Array(texts.length).fill(-1);
  for (let i = 0; i < texts.length; i++) {
    let best = -1;
    let bestSim = -Infinity;
    for (let j = 0; j < texts.length; j++) {
      if (j === i || expected[j] !== -1 || (j > i)) continue;
      let dot = 0;
      for (let x = 0; x < d; x++) dot += vectors[i * d + x] * vectors[j * d + x];
      if (dot >= 0.7 && dot > bestSim) [best, bestSim] = [j, dot];
    }
    expected[i] = best;
  }
  let agree = 0;
  for (let i = 0; i < texts.length; i++) if ((result.duplicateOf[i] === -1) === (expected[i] === -1)) agree++;
  assert.ok(agree >= texts.length - 2, `${agree} of ${texts.length} agree`);
  let planted = 0;
  for (let i = 300; i < 330; i++) {
    assert.equal(result.duplicateOf[i], expected[i]);
    if (result.duplicateOf[i] === (i - 300) * 5) planted++;
  }
  // Short templated texts: the paraphrase edits weigh a lot, so not all 30 clear the threshold; what
  // matters here is that the indexed search finds the same ones the exact reference does.
  assert.ok(planted >= 15, `${planted} of 30 planted paraphrases found`);
});

test('exact dedup ignores case, spacing and sentence punctuation but not math symbols', async () => {
  const samples = [sample('p1', 'q', '답은 3x+5 입니다.'), sample('p2', 'q', '답은  3X+5 입니다'), sample('p3', 'q', '답은 3x-5 입니다.')];
  const decisions = await new ExactDedupFilter().decide(samples);
  assert.deepEqual(decisions.map((d) => d.keep), [true, false, true]);
});

test('decontamination catches a planted benchmark problem inside a prompt and in a response', async () => {
  const aime = 'Find the number of ordered pairs of positive integers (m, n) such that m^2 n = 20^20.';
  const koAmc = '한 변의 길이가 2인 정육각형 안에 그릴 수 있는 가장 큰 원의 넓이를 구하시오.';
  const filter = new DecontaminateFilter({ evalSets: [{ name: 'aime24', texts: [aime] }, { name: 'ko-amc23', texts: [koAmc] }] });
  const samples = [
    sample('clean', 'Find the number of positive divisors of 360.'),
    sample('planted', `Solve this carefully. ${aime.replace('20^20', '20^{20}')}`),
    sample('planted-ko', `다음 문제를 풀어라. ${koAmc}`),
    sample('recited', 'Tell me a hard problem.', `Here is one: ${aime}`),
    sample('shares-words', 'Find the number of ordered pairs of integers (a, b) with a + b = 10.'),
  ];
  const decisions = await filter.decide(samples);
  assert.deepEqual(decisions.map((d) => d.keep), [true, false, false, false, true]);
  assert.equal(decisions[1].label, 'aime24');
  assert.equal(decisions[2].label, 'ko-amc23');
});
