// Issue #30: a GRPO run holds ONE generator session. The rollouts' DecodeLoop is made once per run (base
// weights mapped from the checkpoint's files, the policy's changing tensors fed at every run) and refreshed
// after each update, instead of a new session per step. Checked on real runs (LoRA and full fine-tuning,
// 3 steps; selective tuning of a few MLP neurons): DecodeLoop.create is called once and makes one onnxruntime session; and at every step the
// reused, refreshed loop generates exactly what a loop built fresh from the policy's current weights (the
// old per-step path) generates, sampled with the rollouts' own setting (so the probe needs no other session).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mock } from 'node:test';
import { DecodeLoop } from '../../../main/models/decode-loop.ts';
import { generate } from '../../../main/models/generate.ts';
import { SELECTION_FORMAT } from '../../../main/models/neurons/selection-file.ts';
import { Tokenizer } from '../../../main/models/tokenizer.ts';
import { loadModel } from '../../../main/models/weights.ts';
import { PolicyGenerator } from '../../../main/train/grpo/generator.ts';
import type { Policy } from '../../../main/train/grpo/policy.ts';
import { runGrpo } from '../../../main/train/grpo/trainer.ts';
import { sftModel, writeTaskData } from './fixtures.ts';

for (const kind of ['lora', 'full', 'selective'] as const) {
  test(`GRPO (${kind}) makes its generator session once over 3 steps, and the refreshed session generates as a fresh one`, { timeout: 600_000 }, async () => {
    const model = await sftModel();
    const config = loadModel(model).config;
    const ws = mkdtempSync(join(tmpdir(), 'grpo-generator-'));
    const data = writeTaskData(ws, { train: 40, heldOut: 2 });
    const selection = join(ws, 'selection.json');
    writeFileSync(selection, JSON.stringify({ format: SELECTION_FORMAT, model, method: 'lape', target: 'ko', layers: [{ layer: 0, neurons: [1, 5, 77], scores: [0.9, 0.8, 0.7] }, { layer: 1, neurons: [3, 64], scores: [0.6, 0.5] }], stats: {} }));
    const method = kind === 'lora' ? { kind, r: 4, alpha: 8 } : kind === 'full' ? { kind } : { kind, neurons: selection };
    const create = mock.method(DecodeLoop, 'create');
    const original = PolicyGenerator.prototype.current;
    // Probes: two of the training prompts, chat-encoded as the rollouts encode them.
    const tokenizer = Tokenizer.load(model);
    const probe = readFileSync(data.train, 'utf8').trim().split('\n').slice(0, 2).map((l) => tokenizer.encodeChat([{ role: 'user', content: (JSON.parse(l) as { prompt: string }).prompt }], { addGenerationPrompt: true }));
    const compared: number[][][] = [];
    const current = mock.method(PolicyGenerator.prototype, 'current', async function (this: PolicyGenerator, policy: Policy) {
      const loop = await original.call(this, policy);
      // The old path: a DecodeLoop built from the policy's weights as they are now.
      const { weights, adapter } = await policy.generatorWeights();
      const fresh = new DecodeLoop(config, weights, { adapter });
      try {
        const tokens = async (l: DecodeLoop) => (await generate(l, probe, { maxNewTokens: 24, stopTokenIds: [], sampling: { temperature: 1, seed: 3 }, n: 4 })).map((s) => s.tokens);
        const reused = await tokens(loop);
        assert.deepEqual(reused, await tokens(fresh), `call ${compared.length + 1}`);
        compared.push(reused);
      } finally {
        await fresh.release();
      }
      return loop;
    });
    try {
      await runGrpo(
        {
          name: 'reuse',
          model,
          method,
          prompts: { path: data.train },
          rollout: { groupSize: 4, promptsPerStep: 2, maxNewTokens: 40, temperature: 1, topP: 1 },
          optimization: { learningRate: kind === 'lora' ? 3e-2 : kind === 'full' ? 3e-3 : 3e-2 },
          steps: 3,
          saveEvery: 100,
          evalEvery: 0,
        },
        { workspace: ws },
      );
      // One generator for the run: one DecodeLoop.create with live weights (the other calls are this test's fresh loops).
      const generators = create.mock.calls.filter((c) => c.arguments[2]?.liveWeights?.length);
      assert.equal(generators.length, 1, 'one generator DecodeLoop per run');
      assert.ok(generators[0].arguments[2]!.weightFiles, 'its base weights are the mapped checkpoint files');
      const loop = generators[0].result as DecodeLoop;
      assert.equal(current.mock.callCount(), 3, 'refreshed before each of the 3 steps');
      assert.equal(loop.sessionsMade, 1, 'one onnxruntime session over the whole run');
      // The policy moved: the probes differ between the first and the last step (else the refresh is untested).
      assert.notDeepEqual(compared[0], compared[2], 'the policy changed the generations');
    } finally {
      create.mock.restore();
      current.mock.restore();
    }
  });
}
