// Reward-model scoring in a GRPO run goes in batches (#20): the reward composition asks for one sample at a
// time with several in flight (rewards/compose.ts, concurrency 8); batchedCalls answers the calls made
// before the event loop turns with runs of up to maxBatch items, in order, and passes a failure to each
// call of its batch only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchedCalls } from '../../../main/train/grpo/batched-calls.ts';
import { computeRewards } from '../../../main/rewards/compose.ts';

test('calls made together go in batches of at most maxBatch, each answered with its own result', async () => {
  const runs: number[][] = [];
  const square = batchedCalls(async (xs: number[]) => {
    runs.push(xs);
    return xs.map((x) => x * x);
  }, 4);
  const out = await Promise.all([1, 2, 3, 4, 5, 6].map(square));
  assert.deepEqual(out, [1, 4, 9, 16, 25, 36]);
  assert.deepEqual(runs, [[1, 2, 3, 4], [5, 6]]);
  assert.equal(await square(7), 49, 'a later call makes a run of its own');
  assert.deepEqual(runs.at(-1), [7]);
});

test('a failing run rejects its own calls only', async () => {
  const f = batchedCalls(async (xs: number[]) => {
    if (xs.includes(3)) throw new Error('bad batch');
    return xs;
  }, 2);
  const results = await Promise.allSettled([1, 2, 3, 4].map(f));
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'rejected']);
});

test("the reward composition's reward-model calls reach the scorer in batches, with the same scores as one at a time", async () => {
  const samples = Array.from({ length: 10 }, (_, i) => ({ prompt: `p${i}`, response: `<think>생각 ${i}</think>답 ${i}` }));
  const config = { rewardModel: { weight: 1 } };
  const scoreOf = (prompt: string, summary: string) => prompt.length + summary.length / 10;
  const batches: number[] = [];
  const batched = batchedCalls(async (items: { prompt: string; summary: string }[]) => {
    batches.push(items.length);
    return items.map((it) => scoreOf(it.prompt, it.summary));
  });
  const together = await computeRewards(samples, config, { scorer: (prompt, summary) => batched({ prompt, summary }) });
  const alone = await computeRewards(samples, config, { scorer: async (prompt, summary) => scoreOf(prompt, summary) });
  assert.deepEqual(together.map((r) => r.total), alone.map((r) => r.total));
  assert.ok(batches.length < samples.length && Math.max(...batches) > 1, `runs of ${batches.join(', ')}`);
});
