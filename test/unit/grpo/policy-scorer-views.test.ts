// GRPO's scorer session takes the frozen weights as views of the loaded weights' own bytes (issue #19:
// copying them into external-data pieces, plus MLAS prepacking, cost ~568 MiB per Qwen2.5-1.5B layer).
// A tiny model's weights are far under the 1 MiB threshold, so the test lowers it to 0 (every frozen
// weight a view) and checks, against an independent float64 forward of the same weights, that the
// log-probs are unchanged — for the current policy and for the LoRA reference (lora_B fed as zeros) —
// and that the views really are the weights' memory (no copy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecoderSession } from '../../../main/models/decoder-session.ts';
import { initWeights } from '../../../main/models/init.ts';
import { presetConfig } from '../../../main/models/presets.ts';
import { packBatch, Policy } from '../../../main/train/grpo/policy.ts';
import type { GrpoMethod } from '../../../main/train/grpo/config.ts';

const config = { ...presetConfig('qwen2', 'tiny', { vocabSize: 24, bosTokenId: null, eosTokenIds: [1], padTokenId: 0 }), hiddenSize: 32, numHeads: 2, numKvHeads: 1, headDim: 16, intermediateSize: 64, numLayers: 2 };
const weights = initWeights(config, { seed: 5, std: 0.3 });
const rows = [
  { prompt: [5, 9, 12, 7], response: [3, 8, 17, 4, 22] },
  { prompt: [13, 11, 4], response: [6, 6, 19] },
];
const method: GrpoMethod = { kind: 'lora', r: 4, alpha: 8, dropout: 0, targetModules: ['all-linear'], useRslora: false };
const temperature = 0.7;

/** Per-token log-softmax(logits / T)[target] from a separate float64 inference session of the same base weights. */
async function expected(): Promise<number[][]> {
  const session = await DecoderSession.create(config, weights, { dtype: 'float64' });
  try {
    const out: number[][] = [];
    for (const r of rows) {
      const ids = [...r.prompt, ...r.response];
      const n = ids.length;
      const { logits } = await session.forward({ inputIds: ids, attentionMask: ids.map(() => 1), positionIds: ids.map((_, t) => t), batch: 1, seq: n });
      const V = config.vocabSize;
      out.push(ids.slice(1).map((target, t) => {
        const row = Array.from(logits.subarray(t * V, (t + 1) * V), (v) => Number(v) / temperature);
        const max = Math.max(...row);
        const z = row.reduce((s, v) => s + Math.exp(v - max), 0);
        return row[target] - max - Math.log(z);
      }));
    }
    return out;
  } finally {
    await session.release();
  }
}

test('GRPO scorer with frozen weights as views of their own bytes: no copy, same log-probs as a float64 forward (current and reference)', async () => {
  const want = await expected();
  const batch = packBatch(rows, 0);
  const create = (scorerOwnBufferBytes?: number) => Policy.create(config, weights, method, {
    objective: { epsLow: 0.2, epsHigh: 0.28, aggregation: 'token', beta: 0.04, maxNewTokens: 8 },
    adamw: { weightDecay: 0, beta1: 0.9, beta2: 0.999 },
    maxGradNorm: null,
    provider: 'cpu',
    temperature,
    scorerOwnBufferBytes,
  });
  const viewed = await create(0);
  const packed = await create(Number.POSITIVE_INFINITY);
  try {
    // Every frozen (base) weight that goes as external data (1 KiB and more; norms and biases stay inline)
    // is a view: the bytes handed over are the base weights' own bytes, all of them.
    const frozenBytes = [...weights.values()].reduce((n, t) => n + ((t.data as Float32Array).byteLength >= 1024 ? (t.data as Float32Array).byteLength : 0), 0);
    assert.ok(frozenBytes > 70_000);
    assert.equal(viewed.scorerViewBytes, frozenBytes, 'every frozen weight reaches the scorer as a view');
    assert.equal(packed.scorerViewBytes, 0, 'with views off, every weight is copied into pieces');
    for (const which of ['current', 'reference'] as const) {
      const a = await viewed.logProbs(batch, which);
      const b = await packed.logProbs(batch, which);
      let maxDiff = 0;
      let count = 0;
      rows.forEach((r, row) => {
        for (let t = r.prompt.length - 1; t < r.prompt.length + r.response.length - 1; t++) {
          const i = row * batch.seq + t;
          assert.equal(batch.lossMask[i], 1);
          maxDiff = Math.max(maxDiff, Math.abs(a[i] - want[row][t]));
          assert.ok(Math.abs(a[i] - b[i]) < 1e-6, `${which}: views vs pieces at row ${row} t ${t}: ${a[i]} vs ${b[i]}`);
          count++;
        }
      });
      assert.equal(count, 8);
      // LoRA's B starts at zero: current and reference are both the base model.
      assert.ok(maxDiff < 1e-4, `${which}: scorer vs float64 forward differ by ${maxDiff}`);
    }
  } finally {
    await viewed.release();
    await packed.release();
  }
});

test('GRPO scorer keeps an exactly-bf16 checkpoint as bf16, cast at use: same log-probs as float32 storage, a weight off bf16 stays float32', async () => {
  // A bf16 checkpoint as loadModel hands it over: float32 arrays whose values are all bf16 (low 16 bits zero).
  const rounded = new Map([...weights].map(([name, t]) => {
    const data = Float32Array.from(t.data as Float32Array);
    const bits = new Uint32Array(data.buffer);
    for (let i = 0; i < bits.length; i++) bits[i] = (bits[i] + 0x8000) & 0xffff0000;
    return [name, { ...t, data }];
  }));
  // One weight nudged off the bf16 grid must stay float32 (storing it as bf16 would change its values).
  const off = 'model.layers.1.mlp.down_proj.weight';
  (rounded.get(off)!.data as Float32Array)[7] += 2 ** -20;
  const batch = packBatch(rows, 0);
  const create = (scorerStoredBf16: boolean) => Policy.create(config, rounded, method, {
    objective: { epsLow: 0.2, epsHigh: 0.28, aggregation: 'token', beta: 0.04, maxNewTokens: 8 },
    adamw: { weightDecay: 0, beta1: 0.9, beta2: 0.999 },
    maxGradNorm: null,
    provider: 'cpu',
    temperature,
    scorerStoredBf16,
  });
  const half = await create(true);
  const full = await create(false);
  try {
    const big = [...rounded].filter(([, t]) => (t.data as Float32Array).byteLength >= 1024).map(([name]) => name);
    assert.equal(big.length, 15);
    for (const name of big) assert.equal(half.scorerStoredBf16.includes(name), name !== off, `${name} stored as bf16: ${name !== off}`);
    assert.deepEqual(full.scorerStoredBf16, []);
    for (const which of ['current', 'reference'] as const) {
      const a = await half.logProbs(batch, which);
      const b = await full.logProbs(batch, which);
      let maxDiff = 0;
      for (let i = 0; i < a.length; i++) if (batch.lossMask[i]) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      assert.ok(maxDiff < 1e-6, `${which}: bf16-stored vs float32-stored scorer differ by ${maxDiff}`);
    }
    // The update's own forward (float32 initializers) agrees: on-policy ratio exactly 1.
    const old = await half.logProbs(batch);
    const result = await half.update(batch, { oldLogProbs: old, refLogProbs: await half.logProbs(batch, 'reference'), advantages: Float32Array.of(1, -1) }, 0.01);
    assert.ok(Math.abs(result.metrics.ratio_mean - 1) < 1e-6, `on-policy ratio ${result.metrics.ratio_mean}`);
  } finally {
    await half.release();
    await full.release();
  }
});
