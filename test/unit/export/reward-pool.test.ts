// The reward pool spreads one batch over every worker and returns results in the batch's order, for
// samples and for raw request items (which the workers decode and validate themselves).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyPoolTrace, RewardPool } from '../../../main/reward-server/pool.ts';
import { splitRewardItems } from '../../../main/reward-server/request-split.ts';
import type { EncodedItemOutcome, RewardResult } from '../../../main/reward-server/scoring.ts';

const THREAD_SCORER = new URL('./fixtures/thread-scorer.ts', import.meta.url).href;
const CONFIG = { accuracy: { weight: 1 } };

function encode(items: unknown[]): { body: Buffer; ranges: Int32Array } {
  const body = Buffer.from(JSON.stringify({ items }), 'utf8');
  return { body, ranges: splitRewardItems(body)! };
}

test('one batch is scored by every worker, and the results come back in order', async () => {
  const pool = await RewardPool.start({ config: CONFIG, workers: 2, scorerUrl: THREAD_SCORER });
  try {
    const samples = Array.from({ length: 40 }, (_, i) => ({ prompt: 'p', response: 'r', gold: String(i) }));
    const results = await pool.score(samples);
    assert.deepEqual(results.map((r) => r.score), samples.map((_, i) => i));
    assert.equal(new Set(results.map((r) => r.reasons[0])).size, 2, 'both workers scored part of the batch');

    const items = Array.from({ length: 40 }, (_, i) => ({ prompt: '문제', response: `풀이 "${i}" \\boxed{${i}}`, ground_truth: i }));
    const { body, ranges } = encode(items);
    const outcomes = await pool.scoreEncoded(body, ranges);
    const decoded = outcomes.map((o) => {
      assert.ok('json' in o, JSON.stringify(o));
      return JSON.parse(o.json) as RewardResult;
    });
    assert.deepEqual(decoded.map((r) => r.score), items.map((_, i) => i));
    assert.equal(new Set(decoded.map((r) => r.reasons[0])).size, 2, 'both workers decoded and scored part of the batch');
  } finally {
    await pool.close();
  }
});

test('a raw item that is not valid JSON or not a valid item is reported in its place', async () => {
  const pool = await RewardPool.start({ config: CONFIG, workers: 2, scorerUrl: THREAD_SCORER });
  try {
    const good = JSON.stringify({ prompt: 'p', response: 'r', ground_truth: 1 });
    const badJson = Buffer.from(`{"items": [${good}, {"response": tru}]}`);
    const jsonOutcomes = await pool.scoreEncoded(badJson, splitRewardItems(badJson)!);
    assert.deepEqual(jsonOutcomes[1], { badJson: true });

    const { body, ranges } = encode([{ prompt: 'p', response: 'r' }, { prompt: 'p', solution_str: 'r' }]);
    const outcomes: EncodedItemOutcome[] = await pool.scoreEncoded(body, ranges);
    const bad = outcomes[1];
    assert.ok(bad && 'issues' in bad);
    assert.ok(bad.issues.some((i) => i.path.join('.') === 'response'));
    // The pool is still usable afterwards.
    assert.deepEqual((await pool.score([{ prompt: 'p', response: 'r', gold: '5' }])).map((r) => r.score), [5]);
  } finally {
    await pool.close();
  }
});

test('a stuck item scores 0 as a timeout; the rest of its chunk and the chunk held in reserve are scored elsewhere, in order', async () => {
  const { SPIN_MARKER } = await import('./fixtures/spin-scorer.ts');
  const { computeRewards } = await import('../../../main/rewards/index.ts');
  const pool = await RewardPool.start({ config: CONFIG, workers: 2, itemTimeoutMs: 300, scorerUrl: new URL('./fixtures/spin-scorer.ts', import.meta.url).href });
  try {
    const samples = Array.from({ length: 40 }, (_, i) => ({ prompt: 'p', response: `<think>x</think>\\boxed{${i % 3}}`, gold: '1' }));
    const stuck = 1; // in the first chunk, so its worker also holds a second chunk when it is stopped
    const withSpin = samples.map((s, i) => (i === stuck ? { ...s, response: `<think>${SPIN_MARKER}</think>` } : s));
    const expected = await computeRewards(samples, CONFIG);
    for (const run of [
      async () => pool.score(withSpin),
      async () => {
        const { body, ranges } = encode(withSpin.map((s) => ({ prompt: s.prompt, response: s.response, ground_truth: s.gold })));
        return (await pool.scoreEncoded(body, ranges)).map((o) => ('json' in o ? (JSON.parse(o.json) as RewardResult) : assert.fail(JSON.stringify(o))));
      },
    ]) {
      const results = await run();
      assert.equal(results.length, samples.length);
      assert.equal(results[stuck].error, 'timeout');
      assert.equal(results[stuck].score, 0);
      results.forEach((r, i) => {
        if (i !== stuck) assert.equal(r.score, expected[i].total, `item ${i}`);
      });
    }
    // Per run: one stop in the whole-chunk call, one when the chunk is retried item by item.
    assert.equal(pool.workerRestarts, 4);
  } finally {
    await pool.close();
  }
});

test('an item whose scoring throws fails alone: its chunk is rescored item by item', async () => {
  const { THROW_MARKER } = await import('./fixtures/throw-scorer.ts');
  const { computeRewards } = await import('../../../main/rewards/index.ts');
  const pool = await RewardPool.start({ config: CONFIG, workers: 2, scorerUrl: new URL('./fixtures/throw-scorer.ts', import.meta.url).href });
  try {
    const samples = Array.from({ length: 40 }, (_, i) => ({ prompt: 'p', response: `<think>x</think>\\boxed{${i % 3}}`, gold: '1' }));
    const bad = 5;
    const withBug = samples.map((s, i) => (i === bad ? { ...s, response: `${s.response} ${THROW_MARKER}` } : s));
    const expected = await computeRewards(samples, CONFIG);
    const { body, ranges } = encode(withBug.map((s) => ({ prompt: s.prompt, response: s.response, ground_truth: s.gold })));
    const encoded = (await pool.scoreEncoded(body, ranges)).map((o) => ('json' in o ? (JSON.parse(o.json) as RewardResult) : assert.fail(JSON.stringify(o))));
    for (const results of [await pool.score(withBug), encoded]) {
      assert.equal(results[bad].error, 'failed');
      assert.equal(results[bad].score, 0);
      assert.match(results[bad].reasons[0], /scoring failed: component bug/);
      results.forEach((r, i) => {
        if (i !== bad) assert.equal(r.score, expected[i].total, `item ${i}`);
      });
    }
    assert.equal(pool.workerRestarts, 0, 'a throw is not a crash');
  } finally {
    await pool.close();
  }
});

test('a trace says where the batch went: chunks sent, and the workers’ decode, score and serialise times', async () => {
  const pool = await RewardPool.start({ config: CONFIG, workers: 2 });
  try {
    const items = Array.from({ length: 64 }, (_, i) => ({ prompt: '문제', response: `<think>풀이</think>\\boxed{${i}}`, ground_truth: i }));
    const { body, ranges } = encode(items);
    const trace = emptyPoolTrace();
    await pool.scoreEncoded(body, ranges, trace);
    assert.equal(trace.chunks, 16, '64 items over 2 workers: chunks of 4');
    assert.ok(trace.decodeMs > 0 && trace.scoreMs > 0 && trace.serialiseMs > 0, JSON.stringify(trace));
    assert.ok(trace.busyMs >= trace.decodeMs + trace.scoreMs + trace.serialiseMs - 1e-6, JSON.stringify(trace));
  } finally {
    await pool.close();
  }
});
