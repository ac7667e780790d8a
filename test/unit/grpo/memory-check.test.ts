// The refusal before a GRPO run (train/grpo/memory-check.ts) against the planner: a run over the limit is
// refused naming what to change; when only the loop step's extra copy of params and AdamW moments is over
// it (#20), the first advice is stepRunner: per-step, and that config then passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGrpoConfig, grpoShape } from '../../../main/train/grpo/config.ts';
import { checkMemory } from '../../../main/train/grpo/memory-check.ts';
import { presetConfig } from '../../../main/models/presets.ts';
import { trainingMemoryBytes } from '../../../main/train/shared/memory.ts';

const model = { config: presetConfig('qwen2', 'small', { vocabSize: 32000, bosTokenId: null, eosTokenIds: [2], padTokenId: 0 }) };
const base = { model: 'm', prompts: { path: 'p.jsonl' }, method: { kind: 'full' }, rollout: { promptsPerStep: 2, groupSize: 4, maxNewTokens: 64 } };

test('GRPO memory check: between the per-step and the loop plans, the advice is stepRunner: per-step, which then fits', () => {
  const loop = parseGrpoConfig(base);
  const perStepBytes = trainingMemoryBytes(model.config, { ...grpoShape(loop, 32), runner: 'per-step' });
  const loopBytes = trainingMemoryBytes(model.config, grpoShape(loop, 32));
  assert.ok(loopBytes > perStepBytes, 'the loop plans more (its carried copy)');
  const memoryLimitGiB = (perStepBytes + loopBytes) / 2 / 2 ** 30;
  assert.throws(() => checkMemory({ ...loop, memoryLimitGiB }, model, 32), /more than the .* available; set stepRunner: per-step/);
  const perStep = parseGrpoConfig({ ...base, stepRunner: 'per-step', memoryLimitGiB });
  assert.equal(checkMemory(perStep, model, 32).bytes, perStepBytes);
  // Below both: the per-step advice is not given (it would not fit either).
  assert.throws(() => checkMemory({ ...loop, memoryLimitGiB: perStepBytes / 2 / 2 ** 30 }, model, 32), (e: Error) => /set objective\.miniBatch/.test(e.message) && !/stepRunner/.test(e.message));
});
