// Mixed precision (issue #19): float32 master weights and AdamW moments, float16 compute with dynamic loss
// scaling (PyTorch GradScaler semantics), bf16 refused on the CPU provider.
// - fp16 steps match the float64 path within fp16's precision (loss, gradient norm, updated weights);
// - loss scaling by powers of two leaves float32 steps bit-identical (x·2^k is exact), an overflowing
//   scale skips the step without touching the state or AdamW's step count, backs off and grows again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FineTuner, lmBatch } from '../../../main/models/fine-tune.ts';
import { loraConfig } from '../../../main/models/peft.ts';
import { randomWeights, tinyConfig } from '../../helpers/model-fixtures.ts';

const config = tinyConfig('qwen2', { tie: false });
const batch = lmBatch([{ ids: [1, 5, 7, 9, 11, 13, 17] }, { ids: [1, 4, 8, 15, 16] }]);

async function run(options: Parameters<typeof FineTuner.create>[3], steps = 2, method: Parameters<typeof FineTuner.create>[2] = { kind: 'full' }) {
  const tuner = await FineTuner.create(config, randomWeights(config, 2), method, { provider: 'cpu', maxGradNorm: null, ...options });
  const results = [];
  for (let i = 0; i < steps; i++) results.push(await tuner.step(batch, 1e-3));
  const state = await tuner.readState();
  const scale = tuner.runner.lossScale;
  await tuner.release();
  return { results, state, scale };
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-2, Math.abs(b[i])));
  return worst;
}

/** The steps that were applied (GradScaler skips the first ones while its scale is too large, as in PyTorch). */
const applied = (r: Awaited<ReturnType<typeof run>>) => r.results.filter((s) => !s.skipped);

test('fp16 compute with float32 masters: loss, gradient norm and updates agree with float64 within fp16 precision', async () => {
  const f64 = await run({ dtype: 'float64' });
  const f16 = await run({ precision: 'fp16', lossScaling: { initScale: 256 } });
  assert.equal(applied(f16).length, 2, 'no overflow at scale 256');
  for (const [i, r] of f16.results.entries()) {
    const ref = f64.results[i];
    assert.equal(r.lossScale, 256);
    assert.ok(Math.abs(r.loss - ref.loss) < 5e-3 * ref.loss, `step ${i + 1} loss ${r.loss} vs float64 ${ref.loss}`);
    assert.ok(Math.abs(r.metrics.grad_norm - ref.metrics.grad_norm) < 2e-2 * ref.metrics.grad_norm, `grad norm ${r.metrics.grad_norm} vs float64 ${ref.metrics.grad_norm}`);
  }
  // Master weights are float32 and move like the float64 ones (AdamW's sign-like first steps: compare the update).
  const initial = randomWeights(config, 2);
  for (const [name, t] of Object.entries(f64.state.params)) {
    const p16 = f16.state.params[name];
    assert.equal(p16.dtype, 'float32', `${name} master weights stay float32`);
    const base = initial.get(name)!.data as Float32Array;
    const d64 = Array.from(t.data as Float64Array, (v, i) => v - base[i]);
    const d16 = Array.from(p16.data as Float32Array, (v, i) => v - base[i]);
    let agree = 0;
    for (let i = 0; i < d64.length; i++) if (Math.abs(d64[i] - d16[i]) <= 0.2 * Math.abs(d64[i]) + 1e-6) agree++;
    assert.ok(agree >= 0.9 * d64.length, `${name}: ${agree}/${d64.length} updates within 20% of float64's`);
  }
  for (const [name, m] of Object.entries(f16.state.optimizerState)) assert.equal(m.dtype, 'float32', `${name} moments stay float32`);
});

test('fp16 with LoRA runs and matches float64 LoRA within fp16 precision', async () => {
  const method = { kind: 'lora' as const, lora: loraConfig({ r: 2, loraAlpha: 4, targetModules: ['q_proj', 'v_proj', 'down_proj'] }), seed: 3 };
  const f64 = await run({ dtype: 'float64' }, 1, method);
  // The default initial scale (65536) overflows fp16 gradients here: the first steps are skipped until it backs off.
  const f16 = await run({ precision: 'fp16' }, 12, method);
  const first = applied(f16)[0];
  assert.ok(first, 'a step is applied once the scale has backed off');
  assert.ok(f16.results[0].skipped && f16.results[0].lossScale === 65536, 'the default scale overflowed first');
  assert.equal(first.step, 1);
  assert.ok(Math.abs(first.loss - f64.results[0].loss) < 5e-3 * f64.results[0].loss, `loss ${first.loss} vs ${f64.results[0].loss}`);
  assert.ok(maxRel([first.metrics.grad_norm], [f64.results[0].metrics.grad_norm]) < 2e-2, `grad norm ${first.metrics.grad_norm} vs ${f64.results[0].metrics.grad_norm}`);
});

test('dynamic loss scaling: overflow skips the step without touching state or the step count, backs off by halves, grows after good steps (GradScaler semantics)', async () => {
  const plain = await run({ dtype: 'float64' }, 1);
  const grows = await run({ precision: 'fp16', lossScaling: { initScale: 64, growthInterval: 2 } }, 3);
  assert.deepEqual(grows.results.map((r) => r.lossScale), [64, 64, 128], 'grows ×2 after 2 good steps');
  assert.deepEqual(grows.results.map((r) => r.step), [1, 2, 3]);

  // 2^24 overflows the fp16 backward (gradients of the scaled loss pass 65504).
  const over = await run({ precision: 'fp16', lossScaling: { initScale: 2 ** 24, growthInterval: 1000 } }, 24);
  const [first] = over.results;
  assert.equal(first.skipped, true, 'the overflowing step is skipped');
  assert.equal(first.step, 0, 'AdamW step count not advanced');
  assert.ok(Number.isNaN(first.loss));
  const done = applied(over);
  assert.ok(done.length >= 1, 'training resumes after backing off');
  const skips = over.results.indexOf(done[0]);
  assert.equal(done[0].lossScale, 2 ** (24 - skips), 'halved once per skipped step');
  assert.equal(done[0].step, 1, 'the first applied step is step 1');
  assert.ok(Math.abs(done[0].loss - plain.results[0].loss) < 5e-3 * plain.results[0].loss, `the applied step starts from the untouched weights: loss ${done[0].loss} vs ${plain.results[0].loss}`);
  assert.equal(over.scale, done.at(-1)!.lossScale, 'no growth within the interval');
});

test('precision: bf16 is refused on the CPU provider, fp16 needs float32 masters, unknown values are named', async () => {
  await assert.rejects(() => FineTuner.create(config, randomWeights(config, 2), { kind: 'full' }, { provider: 'cpu', precision: 'bf16' }), /bf16 needs a GPU provider/);
  await assert.rejects(() => FineTuner.create(config, randomWeights(config, 2), { kind: 'full' }, { provider: 'cpu', precision: 'fp16', dtype: 'float64' }), /needs float32 master weights/);
  await assert.rejects(() => FineTuner.create(config, randomWeights(config, 2), { kind: 'full' }, { provider: 'cpu', precision: 'fp8' as never }), /precision must be fp32, bf16 or fp16/);
});
