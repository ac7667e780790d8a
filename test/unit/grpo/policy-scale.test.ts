// GRPO at scale (issue #19): packed batches are padded to a few length buckets (one update / scorer
// session per bucket, not per rollout length) with the same log-probs as unpadded; log-probs for a
// step's batches run one at a time and read the parameters once, never the AdamW moments; the update
// with gradientCheckpointing takes the same step; LoRA dropout is refused, not silently ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initWeights } from '../../../main/models/init.ts';
import { presetConfig } from '../../../main/models/presets.ts';
import { parseGrpoConfig, type GrpoMethod } from '../../../main/train/grpo/config.ts';
import { bucketLength, LENGTH_BUCKETS, packBatch, Policy } from '../../../main/train/grpo/policy.ts';

const config = { ...presetConfig('qwen2', 'tiny', { vocabSize: 24, bosTokenId: null, eosTokenIds: [1, 2, 3], padTokenId: 0 }), hiddenSize: 32, numHeads: 2, numKvHeads: 1, headDim: 16, intermediateSize: 64, numLayers: 2 };
const weights = initWeights(config, { seed: 3, std: 0.3 });
const rows = [
  { prompt: [5, 9, 12, 7], response: [4, 6, 8, 10, 2] },
  { prompt: [13, 11, 4], response: [7, 7, 9] },
  { prompt: [6, 5], response: [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 4, 5, 6, 1] },
];
const options = (extra = {}) => ({ objective: { epsLow: 0.2, epsHigh: 0.28, clipMode: 'standard' as const, aggregation: 'token' as const, beta: 0, maxNewTokens: 16 }, adamw: { weightDecay: 0, beta1: 0.9, beta2: 0.999 }, maxGradNorm: 1, provider: 'cpu' as const, ...extra });

test('length buckets: few sizes, the smallest that holds the row', () => {
  assert.equal(bucketLength(1), 16);
  assert.equal(bucketLength(17), 32);
  assert.equal(bucketLength(513), 768);
  assert.equal(bucketLength(40000), 40960);
  for (let n = 1; n <= 4096; n++) assert.ok(bucketLength(n) >= n && bucketLength(n) <= 1.5 * n + 16, `${n} → ${bucketLength(n)}`);
  const lengths = new Set(Array.from({ length: 4096 }, (_, i) => bucketLength(i + 1)));
  assert.equal(lengths.size, LENGTH_BUCKETS.indexOf(4096) + 1, 'rollout lengths 1..4096 share 16 sessions');
});

test('bucketed batches give the unpadded log-probs; log-probs run one at a time on parameters only; checkpointed update = plain update', async () => {
  const method: GrpoMethod = { kind: 'full' };
  const policy = await Policy.create(config, weights, method, options());
  const exact = packBatch(rows, 0, { exact: true });
  const padded = packBatch(rows, 0);
  assert.equal(exact.seq, 18);
  assert.equal(padded.seq, 32);
  policy.runner.readState = () => Promise.reject(new Error('log-probs must not copy the optimizer state'));
  let reads = 0;
  const readParams = policy.runner.readParams.bind(policy.runner);
  policy.runner.readParams = () => (reads++, readParams());
  const [a, b] = await Promise.all([policy.logProbs(exact), policy.logProbs(padded)]);
  assert.equal(reads, 1, 'one parameter read for the step');
  for (let r = 0; r < rows.length; r++) {
    for (let t = 0; t < exact.seq; t++) {
      if (!exact.lossMask[r * exact.seq + t]) continue;
      assert.ok(Math.abs(a[r * exact.seq + t] - b[r * padded.seq + t]) < 1e-5, `row ${r} position ${t}: ${a[r * exact.seq + t]} vs ${b[r * padded.seq + t]}`);
    }
  }
  for (let i = exact.seq; i < padded.seq; i++) assert.equal(padded.lossMask[i], 0, 'padding is masked');

  const advantages = Float32Array.from([1, -0.5, 0.25]);
  const plainStep = await policy.update(padded, { oldLogProbs: b, advantages }, 1e-3);
  const after = await policy.logProbs(padded);
  assert.equal(reads, 2, 'an update invalidates the parameter copy');
  assert.notDeepEqual(after, b, 'the update changed the policy');
  await policy.release();

  const checkpointed = await Policy.create(config, weights, method, options({ gradientCheckpointing: true }));
  const ckptStep = await checkpointed.update(padded, { oldLogProbs: b, advantages }, 1e-3);
  await checkpointed.release();
  assert.ok(Math.abs(ckptStep.loss - plainStep.loss) < 1e-6, `loss ${ckptStep.loss} vs ${plainStep.loss}`);
  assert.ok(Math.abs(ckptStep.metrics.grad_norm - plainStep.metrics.grad_norm) < 1e-5 * plainStep.metrics.grad_norm, `grad norm ${ckptStep.metrics.grad_norm} vs ${plainStep.metrics.grad_norm}`);
});

test('GRPO config refuses LoRA dropout (it was silently ignored)', () => {
  const base = { model: 'm', prompts: { path: 'p.jsonl' }, method: { kind: 'lora', dropout: 0.05 } };
  assert.throws(() => parseGrpoConfig(base), /method\.dropout.*LoRA dropout is not supported in GRPO/s);
  assert.equal(parseGrpoConfig({ ...base, method: { kind: 'lora', dropout: 0 } }).method.kind, 'lora');
  assert.equal(parseGrpoConfig({ ...base, method: { kind: 'lora' } }).gradientCheckpointing, false);
});

test('fp16 policy update (float32 masters, loss scaling) matches the float32 update within fp16 precision', async () => {
  const padded = packBatch(rows, 0);
  const advantages = Float32Array.from([1, -0.5, 0.25]);
  const fp32 = await Policy.create(config, weights, { kind: 'full' }, options());
  const old = await fp32.logProbs(padded);
  const ref = await fp32.update(padded, { oldLogProbs: old, advantages }, 1e-3);
  await fp32.release();
  const fp16 = await Policy.create(config, weights, { kind: 'full' }, options({ precision: 'fp16' }));
  let r = await fp16.update(padded, { oldLogProbs: old, advantages }, 1e-3);
  for (let i = 0; i < 20 && r.skipped; i++) r = await fp16.update(padded, { oldLogProbs: old, advantages }, 1e-3);
  await fp16.release();
  assert.equal(r.step, 1);
  assert.ok(Math.abs(r.loss - ref.loss) < 1e-2 * Math.max(1e-3, Math.abs(ref.loss)) + 1e-4, `loss ${r.loss} vs ${ref.loss}`);
  assert.ok(Math.abs(r.metrics.grad_norm - ref.metrics.grad_norm) < 3e-2 * ref.metrics.grad_norm, `grad norm ${r.metrics.grad_norm} vs ${ref.metrics.grad_norm}`);
});
