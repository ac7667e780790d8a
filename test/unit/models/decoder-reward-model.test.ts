// Reward-model inference (main/models/reward-model.ts): batched scores at the last real token equal the
// float64 reference's sequence-classifier scores, for sequences of different lengths and chunk sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RewardModel } from '../../../main/models/reward-model.ts';
import { referenceScores } from '../../../main/models/reference.ts';
import { maxRelativeError, randomWeights, tinyConfig } from '../../helpers/model-fixtures.ts';

test('reward model scores = reference at the last token, batched with padding', async () => {
  const config = tinyConfig('qwen2', { task: 'sequence-classification', numLabels: 1 });
  const weights = randomWeights(config, 8);
  const seqs = [[1, 5, 7, 9, 11], [4, 8], [3, 30, 31, 32, 33, 34, 35], [12]];
  const rm = await RewardModel.create(config, weights);
  const rewards = await rm.rewards(seqs, 3);
  const reference = seqs.map((s) => referenceScores(config, weights, { inputIds: [s] })[0][0]);
  assert.ok(maxRelativeError(rewards, reference) < 1e-5, `${rewards} vs ${reference}`);
  await assert.rejects(rm.rewards([[1, 400]]), /outside the vocabulary/);
  await rm.release();
  await assert.rejects(RewardModel.create(tinyConfig('qwen2'), randomWeights(tinyConfig('qwen2'))), /not a sequence classifier/);
});
