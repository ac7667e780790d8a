// The policy's log-probs must be the sampler's: the importance ratio, the advantage-weighted gradient and
// the KL all assume that old log-probs describe the distribution the rollouts were drawn from. Checked on
// real rollouts of a random tiny model (peaked logits, so a temperature mismatch shows), against the
// generator's raw logits warped in a plain float64 loop: the same tokens at the same positions, the stop
// token included, the prompt masked, the rollout temperature applied; and after an update, the generator
// built from the policy samples from the updated weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecoderSession } from '../../../main/models/decoder-session.ts';
import { generate, type GeneratedSequence } from '../../../main/models/generate.ts';
import { initWeights } from '../../../main/models/init.ts';
import { presetConfig } from '../../../main/models/presets.ts';
import { packBatch, Policy, type PolicyBatch } from '../../../main/train/grpo/policy.ts';
import type { GrpoMethod } from '../../../main/train/grpo/config.ts';

const config = { ...presetConfig('qwen2', 'tiny', { vocabSize: 24, bosTokenId: null, eosTokenIds: [1, 2, 3], padTokenId: 0 }), hiddenSize: 32, numHeads: 2, numKvHeads: 1, headDim: 16, intermediateSize: 64, numLayers: 2 };
// std 0.3: logits spread over several nats, so log-softmax(l / T) and log-softmax(l) differ clearly.
const weights = initWeights(config, { seed: 3, std: 0.3 });
// Three stop ids of 24: most rollouts stop on one within 12 tokens, some run to the length limit.
const prompts = [
  [5, 9, 12, 7],
  [13, 11, 4],
];

/** log-softmax(logits / T)[token] in float64. */
function warpedLogProb(logits: Float32Array, token: number, temperature: number): number {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v / temperature);
  let z = 0;
  for (const v of logits) z += Math.exp(v / temperature - max);
  return logits[token] / temperature - max - Math.log(z);
}

async function rollouts(policy: Policy, temperature: number, seed: number): Promise<GeneratedSequence[]> {
  const { weights: w, adapter } = await policy.generatorWeights();
  const session = await DecoderSession.create(config, w, { kvCache: true, lastPositionLogits: true, adapter });
  try {
    return await generate(session, prompts, { maxNewTokens: 12, n: 3, sampling: { temperature, seed }, returnLogits: true });
  } finally {
    await session.release();
  }
}

/** Largest |sampler − policy| log-prob over every response token, checking the mask on the way. */
async function compare(policy: Policy, outs: GeneratedSequence[], temperature: number): Promise<{ maxDiff: number; batch: PolicyBatch; logProbs: Float32Array }> {
  const batch = packBatch(
    outs.map((o) => ({ prompt: prompts[o.prompt], response: o.tokens })),
    0,
  );
  const logProbs = await policy.logProbs(batch);
  let maxDiff = 0;
  outs.forEach((o, row) => {
    const first = prompts[o.prompt].length - 1; // position whose target is the first response token
    for (let t = 0; t < batch.seq; t++) {
      const j = t - first;
      const inResponse = j >= 0 && j < o.tokens.length;
      assert.equal(batch.lossMask[row * batch.seq + t], inResponse ? 1 : 0, `loss mask of row ${row} at ${t}`);
      if (inResponse) maxDiff = Math.max(maxDiff, Math.abs(logProbs[row * batch.seq + t] - warpedLogProb(o.logits![j], o.tokens[j], temperature)));
    }
  });
  return { maxDiff, batch, logProbs };
}

const methods: GrpoMethod[] = [{ kind: 'full' }, { kind: 'lora', r: 4, alpha: 8, dropout: 0, targetModules: ['all-linear'], useRslora: false }];

for (const method of methods) {
  for (const temperature of [1, 0.7, 1.3]) {
    test(`policy log-probs equal the sampler's at temperature ${temperature} (${method.kind}), before and after an update`, async () => {
      const policy = await Policy.create(config, weights, method, {
        objective: { epsLow: 0.2, epsHigh: 0.28, aggregation: 'token', beta: 0, maxNewTokens: 12 },
        adamw: { weightDecay: 0, beta1: 0.9, beta2: 0.999 },
        maxGradNorm: null,
        provider: 'cpu',
        temperature,
      });
      try {
        const outs = await rollouts(policy, temperature, 11);
        assert.ok(outs.some((o) => o.finishReason === 'stop_token'), 'some rollout ends on the stop token (and it is scored)');
        const before = await compare(policy, outs, temperature);
        assert.ok(before.maxDiff < 1e-4, `sampler vs policy log-probs differ by ${before.maxDiff}`);

        // One update: the ratio is exactly 1 on-policy, and the next generator samples from the new weights.
        const advantages = Float32Array.from(outs, (_, i) => (i % 2 ? 1 : -1));
        const result = await policy.update(before.batch, { oldLogProbs: before.logProbs, advantages }, 0.05);
        assert.ok(Math.abs(result.metrics.ratio_mean - 1) < 1e-6, `first-epoch ratio ${result.metrics.ratio_mean}`);
        const after = await compare(policy, await rollouts(policy, temperature, 12), temperature);
        assert.ok(after.maxDiff < 1e-4, `after the update, sampler vs policy log-probs differ by ${after.maxDiff}`);
        const moved = await policy.logProbs(before.batch);
        let change = 0;
        for (let i = 0; i < moved.length; i++) if (before.batch.lossMask[i]) change = Math.max(change, Math.abs(moved[i] - before.logProbs[i]));
        assert.ok(change > 1e-2, `the update changed the policy (max log-prob change ${change})`);
      } finally {
        await policy.release();
      }
    });
  }
}
