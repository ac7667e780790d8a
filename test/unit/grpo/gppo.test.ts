// Gradient-preserving clipping (GPPO, Klear-Reasoner) against a float64 reference written from the paper's
// definition: the loss value equals the standard clipped objective; the gradient w.r.t. a token's log-prob is
// −clip(δ)·A/N where the clipped branch is active (the standard objective gives 0 there) and −δ·A/N elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { Graph, encodeModel, gradients, lower } from '../../../main/engine/index.ts';
import { grpoObjective, type ClipMode } from '../../../main/train/grpo/objective.ts';
import { seededRandom } from '../engine/grad-harness.ts';

const B = 4;
const S = 6;
const epsLow = 0.2;
const epsHigh = 0.28;

function fixture(seed: number) {
  const rand = seededRandom(seed);
  const logp = Float64Array.from({ length: B * S }, () => -3 * rand());
  // Old log-probs far enough off that many ratios fall outside [0.8, 1.28], on both sides.
  const old = Float64Array.from(logp, (v) => v + (rand() - 0.5) * 1.6);
  const advantages = Float64Array.from([1.3, -0.7, 0.4, -1.1]);
  const lengths = [6, 4, 2, 5];
  const mask = Float64Array.from({ length: B * S }, (_, i) => (i % S < lengths[Math.floor(i / S)] ? 1 : 0));
  return { logp, old, advantages, mask };
}

/** Loss and d loss / d logp, token aggregation, written directly in float64. */
function reference(f: ReturnType<typeof fixture>, mode: ClipMode) {
  let tokens = 0;
  for (const m of f.mask) tokens += m;
  let loss = 0;
  const grad = new Float64Array(B * S);
  let clippedTokens = 0;
  for (let i = 0; i < B * S; i++) {
    if (!f.mask[i]) continue;
    const A = f.advantages[Math.floor(i / S)];
    const ratio = Math.exp(f.logp[i] - f.old[i]);
    const c = Math.min(Math.max(ratio, 1 - epsLow), 1 + epsHigh);
    const clippedActive = c * A < ratio * A;
    loss += -Math.min(ratio * A, c * A) / tokens;
    if (clippedActive) {
      clippedTokens++;
      grad[i] = mode === 'gppo' ? (-c * A) / tokens : 0;
    } else grad[i] = (-ratio * A) / tokens;
  }
  return { loss, grad, clippedTokens };
}

async function graphLossAndGrad(f: ReturnType<typeof fixture>, mode: ClipMode) {
  const g = new Graph('gppo');
  const logp = g.input('logp', 'float64', [B, S]);
  const old = g.input('old', 'float64', [B, S]);
  const adv = g.input('adv', 'float64', [B]);
  const mask = g.input('mask', 'float64', [B, S]);
  const { loss } = grpoObjective({ logProbs: logp, oldLogProbs: old, advantages: adv, mask }, { epsLow, epsHigh, aggregation: 'token', beta: 0, maxNewTokens: S, clipMode: mode });
  const [dlogp] = gradients(loss, [logp]);
  const session = await ort.InferenceSession.create(encodeModel(lower(g, { outputs: { loss, dlogp: dlogp! } })));
  const r = await session.run({
    logp: new ort.Tensor('float64', f.logp, [B, S]),
    old: new ort.Tensor('float64', f.old, [B, S]),
    adv: new ort.Tensor('float64', f.advantages, [B]),
    mask: new ort.Tensor('float64', f.mask, [B, S]),
  });
  await session.release();
  return { loss: r.loss.data[0] as number, grad: r.dlogp.data as Float64Array };
}

for (const mode of ['standard', 'gppo'] as const) {
  test(`${mode} clipping: loss and log-prob gradient match the float64 reference`, async () => {
    const f = fixture(31);
    const want = reference(f, mode);
    assert.ok(want.clippedTokens >= 3, `the fixture clips several tokens (${want.clippedTokens})`);
    const got = await graphLossAndGrad(f, mode);
    assert.ok(Math.abs(got.loss - want.loss) < 1e-12, `loss ${got.loss} vs ${want.loss}`);
    for (let i = 0; i < B * S; i++) assert.ok(Math.abs(got.grad[i] - want.grad[i]) < 1e-12, `d/dlogp[${i}]: graph ${got.grad[i]} vs reference ${want.grad[i]}`);
  });
}

test('GPPO keeps the loss value and changes only the gradient of clipped tokens, bounded by the clip edge', async () => {
  const f = fixture(31);
  const standard = await graphLossAndGrad(f, 'standard');
  const gppo = await graphLossAndGrad(f, 'gppo');
  assert.equal(gppo.loss, standard.loss);
  let changed = 0;
  let tokens = 0;
  for (const m of f.mask) tokens += m;
  for (let i = 0; i < B * S; i++) {
    if (gppo.grad[i] === standard.grad[i]) continue;
    changed++;
    assert.equal(standard.grad[i], 0, 'only tokens the standard clip silenced change');
    const A = Math.abs(f.advantages[Math.floor(i / S)]);
    assert.ok(Math.abs(gppo.grad[i]) <= ((1 + epsHigh) * A) / tokens + 1e-15, 'bounded by (1 + εhigh)·|A| per token');
  }
  assert.ok(changed >= 3, `GPPO restores gradients on the clipped tokens (${changed})`);
});
