// Full and selective fine-tuning train steps (main/models/fine-tune.ts, selective.ts):
// - full fine-tuning reduces the loss and moves every weight;
// - selective tuning leaves every frozen weight, and the unselected rows/columns of partially trained
//   MLP matrices, bit-identical; the selected entries move exactly as in full fine-tuning's first step
//   (AdamW step 1 moves each entry by −lr·g/(|g|+ε), so equality means the gradients routed to the
//   neuron slices are the full model's gradients at those entries).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SafeTensor, TensorMap } from '../../../main/engine/safetensors.ts';
import { FineTuner, lmBatch, type TuningMethod } from '../../../main/models/fine-tune.ts';
import { planSelection } from '../../../main/models/selective.ts';
import { cloneWeights, randomWeights, tinyConfig } from '../../helpers/model-fixtures.ts';

const config = tinyConfig('llama', { tie: false, overrides: { numLayers: 3 } });
const batch = lmBatch([{ ids: [1, 5, 7, 9, 11, 13, 17] }, { ids: [1, 4, 8, 15, 16], lossMask: [0, 0, 1, 1, 1] }]);
const adamw = { weightDecay: 0.1 };

async function train(method: TuningMethod, steps: number, lr: number, weights: TensorMap, dtype: 'float32' | 'float64' = 'float32') {
  const tuner = await FineTuner.create(config, weights, method, { adamw, maxGradNorm: null, dtype, provider: 'cpu' });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await tuner.step(batch, lr)).loss);
  const out = await tuner.export();
  await tuner.release();
  assert.ok('weights' in out);
  return { losses, weights: out.weights };
}

const same = (a: SafeTensor, b: SafeTensor) => Buffer.from((a.data as Float32Array).buffer, (a.data as Float32Array).byteOffset, (a.data as Float32Array).byteLength).equals(Buffer.from((b.data as Float32Array).buffer, (b.data as Float32Array).byteOffset, (b.data as Float32Array).byteLength));

test('full fine-tuning reduces the loss and updates every weight', async () => {
  const weights = randomWeights(config, 4);
  const { losses, weights: trained } = await train({ kind: 'full' }, 8, 1e-2, weights);
  assert.ok(losses[7] < 0.8 * losses[0], `loss ${losses[0]} → ${losses[7]}`);
  for (const [name, t] of weights) assert.ok(!same(trained.get(name)!, t), `${name} changed`);
});

test('selective tuning: frozen weights bit-identical; selected neurons move as in full fine-tuning', async () => {
  const weights = randomWeights(config, 5);
  const before = cloneWeights(weights);
  const neurons = { 0: [2, 7, 19], 2: [0] };
  const selection = { layers: [1], parameters: ['model.norm.weight', /layers\.2\.self_attn\.q_proj/], neurons };
  const lr = 1e-3;
  const selective = await train({ kind: 'selective', selection }, 3, lr, weights, 'float64');
  assert.ok(selective.losses[2] < selective.losses[0], 'selective training reduces the loss');
  for (const [name, t] of before) assert.ok(same(weights.get(name)!, t), `caller's ${name} untouched`);

  const plan = planSelection(config, selection);
  const H = config.hiddenSize, I = config.intermediateSize;
  let frozenChecked = 0;
  for (const [name, t] of before) {
    const trained = selective.weights.get(name)!;
    const m = /^model\.layers\.(\d+)\.mlp\.(gate_proj|up_proj|down_proj)\.weight$/.exec(name);
    const rows = m ? plan.neurons.get(Number(m[1])) : undefined;
    if (plan.wholeParams.has(name)) {
      assert.ok(!same(trained, t), `${name} trained`);
    } else if (rows) {
      const a = trained.data as Float32Array, b = t.data as Float32Array;
      for (let r = 0; r < I; r++) for (let h = 0; h < H; h++) {
        const i = m![2] === 'down_proj' ? h * I + r : r * H + h;
        if (rows.includes(r)) assert.notEqual(a[i], b[i], `${name} neuron ${r} trained`);
        else assert.equal(Object.is(a[i], b[i]), true, `${name} neuron ${r} frozen`);
      }
    } else {
      assert.ok(same(trained, t), `${name} bit-identical`);
      frozenChecked++;
    }
  }
  assert.equal(frozenChecked, 13, "embeddings, lm_head, 6 weights of layer 0, 5 of layer 2");

  // One step of each from the same start: the selected entries agree with full fine-tuning.
  const one = await train({ kind: 'selective', selection: { neurons } }, 1, lr, weights, 'float64');
  const full = await train({ kind: 'full' }, 1, lr, weights, 'float64');
  for (const [layer, rows] of Object.entries(neurons)) {
    for (const proj of ['gate_proj', 'up_proj', 'down_proj']) {
      const name = `model.layers.${layer}.mlp.${proj}.weight`;
      const a = one.weights.get(name)!.data as Float32Array, b = full.weights.get(name)!.data as Float32Array;
      for (const r of rows) for (let h = 0; h < H; h++) {
        const i = proj === 'down_proj' ? h * I + r : r * H + h;
        assert.ok(Math.abs(a[i] - b[i]) < 1e-6, `${name}[neuron ${r}, ${h}]: selective ${a[i]} vs full ${b[i]}`);
      }
    }
  }
});

test('selection errors name what is wrong', () => {
  assert.throws(() => planSelection(config, { layers: [3] }), /layer 3 does not exist \(the model has 3 layers\)/);
  assert.throws(() => planSelection(config, { parameters: ['model.layers.0.mlp.fc1.weight'] }), /matches no weight of LlamaForCausalLM/);
  assert.throws(() => planSelection(config, { neurons: { 0: [I_OUT] } }), /outside the MLP/);
  assert.throws(() => planSelection(config, {}), /nothing selected/);
  assert.throws(() => planSelection(config, { layers: [0], neurons: { 0: [1] } }), /both whole MLP weights and neurons/);
});
const I_OUT = 10_000;
