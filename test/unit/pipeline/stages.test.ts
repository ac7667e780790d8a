// The pipeline's own data: the synthetic task's splits never share a prompt between training and
// held-out, and the synthetic preference pairs prefer a right answer thought in Korean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyResponse } from '../../../main/rewards/accuracy-reward.ts';
import { parsePipelineRecipe } from '../../../main/pipeline/recipe.ts';
import { arithmeticSplits } from '../../../main/pipeline/stages/data.ts';
import { arithmeticPairs, syntheticPairsSchema } from '../../../main/pipeline/stages/pairs.ts';

test('held-out problems differ from every training and RL prompt; the splits have the asked sizes', () => {
  const recipe = parsePipelineRecipe({ name: 'x', data: { task: 'korean-arithmetic', train: 400, prompts: 200, heldout: 64, steps: 2 } });
  const data = recipe.data!;
  assert.ok('task' in data);
  const splits = arithmeticSplits(data);
  assert.deepEqual([splits.train.length, splits.prompts.length, splits.heldout.length], [400, 200, 64]);
  const seen = new Set([...splits.train, ...splits.prompts].map((p) => p.prompt));
  for (const p of splits.heldout) assert.ok(!seen.has(p.prompt), `held-out prompt also in training: ${p.prompt}`);
  assert.equal(new Set(splits.heldout.map((p) => p.prompt)).size, 64, 'held-out prompts are distinct');
  const english = splits.train.filter((p) => p.thinkingLang === 'en').length / splits.train.length;
  assert.ok(english > 0.4 && english < 0.6, `about half of the teacher's thinking is English: ${english}`);
  // shortcutShare reaches the training split only: held-out and RL prompts are questions, scored on the answer.
  const hasty = arithmeticSplits({ ...data, shortcutShare: 0.6 });
  const hastyShare = hasty.train.filter((p) => p.shortcut).length / hasty.train.length;
  assert.ok(hastyShare > 0.5 && hastyShare < 0.7, `about 60% of the training traces are hasty: ${hastyShare}`);
  assert.equal(splits.train.filter((p) => p.shortcut).length, 0, 'no hasty traces unless asked for');
  // A space too small for a disjoint held-out split is an error, not a silent overlap.
  assert.throws(() => arithmeticSplits({ ...data, steps: 1, train: 2000, prompts: 0, heldout: 64 }), /held-out problems differ/);
});

test('synthetic pairs: the chosen response is right and thinks in Korean; the rejected one is wrong or thinks in English', () => {
  const pairs = arithmeticPairs(syntheticPairsSchema.parse({ task: 'korean-arithmetic', count: 60 }));
  assert.equal(pairs.length, 60);
  const hangul = /[\uac00-\ud7a3]/;
  for (const p of pairs) {
    const answer = /\\boxed\{(\d+)\}/.exec(p.chosen)![1];
    assert.equal(verifyResponse(p.chosen, answer).correct, true);
    const thinking = (s: string) => s.slice(s.indexOf('<think>') + 7, s.indexOf('</think>'));
    assert.match(thinking(p.chosen), hangul);
    if (p.reason === 'english_thinking') {
      assert.equal(verifyResponse(p.rejected, answer).correct, true);
      assert.doesNotMatch(thinking(p.rejected), hangul);
    } else {
      assert.equal(verifyResponse(p.rejected, answer).correct, false);
      assert.match(thinking(p.rejected), hangul);
    }
  }
  const reasons = new Set(pairs.map((p) => p.reason));
  assert.deepEqual([...reasons].sort(), ['english_thinking', 'wrong_answer']);
});

test("synthetic pairs, wrongAnswer 'hasty' (the demo's): a wrong rejected answer is one Korean line without the working", () => {
  const options = syntheticPairsSchema.parse({ task: 'korean-arithmetic', count: 60, steps: 3, wrongAnswer: 'hasty' });
  const pairs = arithmeticPairs(options);
  const working = arithmeticPairs({ ...options, wrongAnswer: 'working' });
  const thinking = (s: string) => s.slice(s.indexOf('<think>') + 7, s.indexOf('</think>')).trim();
  let hasty = 0;
  pairs.forEach((p, i) => {
    // The same problems, chosen responses and English rejections as 'working': only wrong answers differ.
    assert.equal(p.chosen, working[i].chosen);
    assert.equal(p.reason, working[i].reason);
    const answer = /\\boxed\{(\d+)\}/.exec(p.chosen)![1];
    assert.equal(thinking(p.chosen).split('\n').length, 3, 'the chosen response works all three steps');
    if (p.reason === 'english_thinking') return assert.equal(p.rejected, working[i].rejected);
    hasty++;
    assert.equal(verifyResponse(p.rejected, answer).correct, false);
    assert.match(thinking(p.rejected), /^바로 계산하면 \d+입니다\.$/);
  });
  assert.ok(hasty > 15, `${hasty} hasty wrong answers`);
});
