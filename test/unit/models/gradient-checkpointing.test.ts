// Activation checkpointing per decoder layer (engine/recompute.ts, DecoderGraphOptions.gradientCheckpointing):
// - the gradients equal those of the plain backward pass to 1e-6 in float64 (tied and untied heads,
//   Qwen3's q/k norms, LoRA), and central finite differences of the loss agree with them;
// - structurally, no backward node reads an activation computed inside a forward layer (the backward
//   rebuilds each layer from its input), which is what lets onnxruntime free them;
// - a FineTuner with gradientCheckpointing takes the same steps as without.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { checkpointedGradients, encodeModel, gradients, lower, type StepResult, type Tensor, type TrainState } from '../../../main/engine/index.ts';
import type { ModelConfig } from '../../../main/models/config.ts';
import { buildDecoderGraph } from '../../../main/models/decoder.ts';
import { FineTuner, lmBatch } from '../../../main/models/fine-tune.ts';
import { loraProjection } from '../../../main/models/lora.ts';
import { initLoraWeights } from '../../../main/models/lora.ts';
import { loraConfig } from '../../../main/models/peft.ts';
import { RewardModelStep, rewardModelFromBase } from '../../../main/train/rm/model.ts';
import { randomWeights, tinyConfig } from '../../helpers/model-fixtures.ts';

const batch = lmBatch([{ ids: [1, 5, 7, 9, 11, 13, 17] }, { ids: [1, 4, 8, 15, 16] }]);

type Built = { model: Uint8Array; params: { name: string; shape: number[] }[]; gradNames: string[] };

function build(config: ModelConfig, checkpointing: boolean, withLora: boolean, lossChunks?: number): Built & { graphNodes: { name: string; inputs: (string | null)[] }[]; headReaders: string[] } {
  const lora = withLora ? loraProjection(config, loraConfig({ r: 2, loraAlpha: 4, targetModules: ['q_proj', 'k_proj', 'down_proj'] }), { dtype: 'float64', dropout: false }) : null;
  const decoder = buildDecoderGraph(config, { dtype: 'float64', labels: true, gradientCheckpointing: checkpointing, projection: lora?.projection, lossChunks });
  const params = decoder.graph.params;
  const grads = decoder.checkpoints ? checkpointedGradients(decoder.loss!, params, decoder.checkpoints!) : gradients(decoder.loss!, params);
  const outputs: Record<string, Tensor> = { loss: decoder.loss! };
  const gradNames: string[] = [];
  grads.forEach((g, i) => {
    if (!g) return;
    outputs[`grad/${params[i].name}`] = g;
    gradNames.push(params[i].name);
  });
  const lowered = lower(decoder.graph, { outputs, name: 'ckpt' });
  const model = encodeModel(lowered);
  const head = config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  const headReaders = lowered.graph.nodes.filter((n) => n.inputs.includes(head)).map((n) => n.opType);
  // Node → producer scope of each input, for the structural check.
  const graphNodes = decoder.graph.nodes.map((n) => ({ name: n.name, inputs: n.inputs.map((t) => t.producer?.name ?? null) }));
  return { model, params: params.map((p) => ({ name: p.name, shape: p.shape as number[] })), gradNames, graphNodes, headReaders };
}

function feeds(config: ModelConfig, built: Built, withLora: boolean, override?: { name: string; index: number; delta: number }): Record<string, ort.Tensor> {
  const weights = randomWeights(config, 4);
  if (withLora) {
    for (const [module, { a, b }] of initLoraWeights(config, loraConfig({ r: 2, loraAlpha: 4, targetModules: ['q_proj', 'k_proj', 'down_proj'] }), 9)) {
      weights.set(`${module}.lora_A.weight`, a);
      // B starts at zero in PEFT; give it values so A's gradient is not zero.
      weights.set(`${module}.lora_B.weight`, { ...b, data: Float32Array.from(b.data as Float32Array, (_, i) => 0.1 * Math.sin(i + 1)) });
    }
  }
  const out: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(batch.feed)) out[k] = new ort.Tensor('int64', v.data as BigInt64Array, v.dims);
  for (const p of built.params) {
    const data = Float64Array.from(weights.get(p.name)!.data as Float32Array);
    if (override?.name === p.name) data[override.index] += override.delta;
    out[p.name] = new ort.Tensor('float64', data, p.shape);
  }
  return out;
}

async function run(model: Uint8Array, feed: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'basic', executionProviders: ['cpu'] });
  const out = await session.run(feed);
  await session.release();
  return out;
}

for (const [label, config, withLora, checkpointing, lossChunks] of [
  ['qwen2 tied head', tinyConfig('qwen2', { tie: true }), false, true, undefined],
  ['qwen3 untied head, q/k norms', tinyConfig('qwen3', { tie: false }), false, true, undefined],
  ['qwen2 with LoRA', tinyConfig('qwen2', { tie: false }), true, true, undefined],
  ['qwen2 tied head, chunked cross-entropy (3 uneven vocabulary blocks)', tinyConfig('qwen2', { tie: true }), false, true, 3],
  ['qwen3 untied head, chunked cross-entropy alone (no layer checkpointing)', tinyConfig('qwen3', { tie: false }), false, false, 4],
] as const) {
  test(`recompute (${label}): same loss and gradients as the plain backward in float64, finite differences agree`, async () => {
    const plain = build(config, false, withLora);
    const ckpt = build(config, checkpointing, withLora, lossChunks);
    if (lossChunks) {
      // The head weight is only ever read in blocks (one Split), never multiplied whole.
      assert.ok(ckpt.headReaders.length > 0 && ckpt.headReaders.every((op) => op === 'Split' || op === 'Gather' || op === 'Mul'), `head readers: ${ckpt.headReaders}`);
      assert.ok(plain.headReaders.some((op) => op === 'Gemm' || op === 'MatMul'), 'the check would see a whole-vocabulary product');
    }
    assert.deepEqual(ckpt.gradNames, plain.gradNames, 'the same parameters get gradients');

    // Structure: no backward node reads a value computed inside a forward layer.
    const forwardLayer = /^model\.layers\.\d+\//;
    if (!checkpointing) return void (await compare(plain, ckpt, config, withLora));
    const leaks = ckpt.graphNodes.filter((n) => n.name.startsWith('grad') && n.inputs.some((p) => p !== null && forwardLayer.test(p)));
    assert.deepEqual(leaks.map((n) => n.name).slice(0, 3), [], 'backward nodes reading forward-layer activations');
    const plainLeaks = plain.graphNodes.filter((n) => n.name.startsWith('grad') && n.inputs.some((p) => p !== null && forwardLayer.test(p)));
    assert.ok(plainLeaks.length > 0, 'the check would see the plain backward reading forward activations');

    await compare(plain, ckpt, config, withLora);
  });
}

async function compare(plain: ReturnType<typeof build>, ckpt: ReturnType<typeof build>, config: ModelConfig, withLora: boolean): Promise<void> {
  {
    const feed = feeds(config, plain, withLora);
    const a = await run(plain.model, feed);
    const b = await run(ckpt.model, feed);
    const [la, lb] = [(a.loss.data as Float64Array)[0], (b.loss.data as Float64Array)[0]];
    assert.ok(Math.abs(la - lb) <= 1e-12 * Math.abs(la), `same forward loss: ${la} vs ${lb}`);
    for (const name of plain.gradNames) {
      const ga = a[`grad/${name}`].data as Float64Array;
      const gb = b[`grad/${name}`].data as Float64Array;
      let worst = 0;
      for (let i = 0; i < ga.length; i++) worst = Math.max(worst, Math.abs(ga[i] - gb[i]) / Math.max(1e-3, Math.abs(ga[i])));
      assert.ok(worst < 1e-6, `${name}: relative gradient error ${worst}`);
    }
    // Central differences on a few entries of early-layer parameters (the ones only the recomputed backward reaches).
    const probes = [...ckpt.gradNames.filter((n) => n.includes('layers.0.') || n.includes('embed_tokens')).slice(0, 1), ...ckpt.gradNames.filter((n) => n.includes('lm_head') || n.includes('model.norm')).slice(0, 1)];
    for (const name of probes) {
      const g = b[`grad/${name}`].data as Float64Array;
      const index = g.reduce((best, v, i) => (Math.abs(v) > Math.abs(g[best]) ? i : best), 0);
      const eps = 1e-5;
      const up = await run(ckpt.model, feeds(config, ckpt, withLora, { name, index, delta: eps }));
      const down = await run(ckpt.model, feeds(config, ckpt, withLora, { name, index, delta: -eps }));
      const fd = ((up.loss.data as Float64Array)[0] - (down.loss.data as Float64Array)[0]) / (2 * eps);
      assert.ok(Math.abs(fd - g[index]) <= 1e-6 * Math.max(1, Math.abs(fd)), `${name}[${index}]: finite difference ${fd} vs gradient ${g[index]}`);
    }
  }
}

test('FineTuner with gradientCheckpointing (and chunked cross-entropy) takes the same float64 steps as without', async () => {
  const config = tinyConfig('qwen3', { tie: true });
  const results = [];
  for (const variant of [{}, { gradientCheckpointing: true }, { gradientCheckpointing: true, lossChunks: 3 }]) {
    const tuner = await FineTuner.create(config, randomWeights(config, 6), { kind: 'full' }, { provider: 'cpu', dtype: 'float64', ...variant });
    const steps = [];
    for (let i = 0; i < 2; i++) steps.push(await tuner.step(batch, 1e-3));
    results.push({ steps, state: await tuner.readState() });
    await tuner.release();
  }
  const [plain, ...others] = results;
  for (const ckpt of others) checkSame(plain, ckpt);
});

function checkSame(plain: { steps: StepResult[]; state: TrainState }, ckpt: typeof plain): void {
  plain.steps.forEach((s, i) => {
    assert.ok(Math.abs(s.loss - ckpt.steps[i].loss) < 1e-12 * Math.abs(s.loss), `step ${i + 1} loss ${s.loss} vs ${ckpt.steps[i].loss}`);
    assert.ok(Math.abs(s.metrics.grad_norm - ckpt.steps[i].metrics.grad_norm) < 1e-9 * s.metrics.grad_norm, `grad_norm ${s.metrics.grad_norm} vs ${ckpt.steps[i].metrics.grad_norm}`);
  });
  for (const [name, t] of Object.entries(plain.state.params)) {
    const a = t.data as Float64Array;
    const b = ckpt.state.params[name].data as Float64Array;
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-12, `${name}[${i}] ${a[i]} vs ${b[i]}`);
  }
}

test('reward-model step with gradientCheckpointing (last-position scores) takes the same float64 steps as without', async () => {
  const lm = tinyConfig('qwen2', { tie: false });
  const { config, weights } = rewardModelFromBase(lm, randomWeights(lm, 8), { padTokenId: 0, seed: 5 });
  const sequences = [[1, 5, 7, 9], [1, 4, 8, 15, 16], [1, 5, 7, 3], [1, 30, 31]];
  const out: Awaited<ReturnType<RewardModelStep['step']>>[][] = [];
  for (const gradientCheckpointing of [false, true]) {
    const step = await RewardModelStep.create(config, weights, { kind: 'full' }, { pairsPerBatch: 2, dtype: 'float64', gradientCheckpointing });
    const r = [await step.step({ sequences, margins: [0, 0] }, 1e-3), await step.step({ sequences, margins: [0, 0] }, 1e-3)];
    out.push(r);
    await step.runner.release();
  }
  out[0].forEach((r, i) => {
    assert.ok(Math.abs(r.loss - out[1][i].loss) < 1e-12, `step ${i + 1}: loss ${r.loss} vs ${out[1][i].loss}`);
    assert.ok(Math.abs(r.gradNorm - out[1][i].gradNorm) < 1e-9 * r.gradNorm, `step ${i + 1}: grad norm ${r.gradNorm} vs ${out[1][i].gradNorm}`);
  });
});

test('reward-model step in fp16 (float32 masters, loss scaling) matches the float32 step within fp16 precision', async () => {
  const lm = tinyConfig('qwen2', { tie: false });
  const { config, weights } = rewardModelFromBase(lm, randomWeights(lm, 8), { padTokenId: 0, seed: 5 });
  const sequences = [[1, 5, 7, 9], [1, 4, 8, 15, 16], [1, 5, 7, 3], [1, 30, 31]];
  const results = [];
  for (const precision of ['fp32', 'fp16'] as const) {
    const step = await RewardModelStep.create(config, weights, { kind: 'full' }, { pairsPerBatch: 2, precision });
    results.push(await step.step({ sequences, margins: [0, 0] }, 1e-3));
    await step.runner.release();
  }
  const [fp32, fp16] = results;
  assert.ok(Math.abs(fp16.loss - fp32.loss) < 1e-2 * fp32.loss, `loss ${fp16.loss} vs ${fp32.loss}`);
  assert.ok(Math.abs(fp16.gradNorm - fp32.gradNorm) < 3e-2 * fp32.gradNorm, `grad norm ${fp16.gradNorm} vs ${fp32.gradNorm}`);
});
