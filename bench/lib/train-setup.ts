// What both sides of `npm run bench:train` share: the model/optimizer configuration, initial weights
// (Hugging Face names, [out, in] layout) drawn from a seeded RNG, and the token batches. Written to a
// work folder as config.json + init.safetensors + data.safetensors, which bench/torch_train.py reads.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../main/engine/rng.ts';
import { writeSafetensors, type SafeTensor } from '../../main/engine/safetensors.ts';

export type BenchTrainConfig = {
  layers: number;
  hidden: number;
  heads: number;
  kv_heads: number;
  intermediate: number;
  vocab: number;
  seq: number;
  batch: number;
  rms_eps: number;
  rope_theta: number;
  tie_embeddings: boolean;
  ignore_index: number;
  steps: number;
  /** Learning rate of each step (warm-up then constant). */
  lr_schedule: number[];
  optimizer: { lr: number; beta1: number; beta2: number; eps: number; weight_decay: number; clip_norm: number; no_decay_suffixes: string[] };
  seed: number;
};

export function defaultBenchConfig(overrides: Partial<BenchTrainConfig> = {}): BenchTrainConfig {
  const steps = overrides.steps ?? 20;
  const lr = 1e-3;
  return {
    layers: 4, hidden: 256, heads: 4, kv_heads: 4, intermediate: 1024, vocab: 4096, seq: 256, batch: 8,
    rms_eps: 1e-6, rope_theta: 10000, tie_embeddings: false, ignore_index: -100,
    steps,
    lr_schedule: Array.from({ length: steps }, (_, i) => (lr * Math.min(1, (i + 1) / 5))),
    optimizer: { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01, clip_norm: 1.0, no_decay_suffixes: ['norm.weight'] },
    seed: 1234,
    ...overrides,
  };
}

/** Parameter names and shapes of the Qwen2-style decoder in Hugging Face naming. */
export function parameterShapes(cfg: BenchTrainConfig): Record<string, number[]> {
  const hd = cfg.hidden / cfg.heads;
  const shapes: Record<string, number[]> = { 'model.embed_tokens.weight': [cfg.vocab, cfg.hidden] };
  for (let i = 0; i < cfg.layers; i++) {
    const p = `model.layers.${i}.`;
    shapes[`${p}input_layernorm.weight`] = [cfg.hidden];
    shapes[`${p}self_attn.q_proj.weight`] = [cfg.heads * hd, cfg.hidden];
    shapes[`${p}self_attn.k_proj.weight`] = [cfg.kv_heads * hd, cfg.hidden];
    shapes[`${p}self_attn.v_proj.weight`] = [cfg.kv_heads * hd, cfg.hidden];
    shapes[`${p}self_attn.o_proj.weight`] = [cfg.hidden, cfg.heads * hd];
    shapes[`${p}post_attention_layernorm.weight`] = [cfg.hidden];
    shapes[`${p}mlp.gate_proj.weight`] = [cfg.intermediate, cfg.hidden];
    shapes[`${p}mlp.up_proj.weight`] = [cfg.intermediate, cfg.hidden];
    shapes[`${p}mlp.down_proj.weight`] = [cfg.hidden, cfg.intermediate];
  }
  shapes['model.norm.weight'] = [cfg.hidden];
  if (!cfg.tie_embeddings) shapes['lm_head.weight'] = [cfg.vocab, cfg.hidden];
  return shapes;
}

/** Norm weights start at 1, every matrix at N(0, 0.02²). */
export function initialWeights(cfg: BenchTrainConfig, shapes = parameterShapes(cfg)): Record<string, SafeTensor> {
  const rng = new Rng(cfg.seed);
  const out: Record<string, SafeTensor> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = name.endsWith('norm.weight') ? new Float32Array(n).fill(1) : rng.fillNormal(new Float32Array(n), 0, 0.02);
    out[name] = { dtype: 'F32', shape, data };
  }
  return out;
}

/**
 * Token batches a model can learn: each row repeats a random pattern of 3 to 16 tokens, so
 * next-token loss falls quickly once attention learns to copy. labels[t] = input_ids[t + 1]; the
 * last position of each row is ignore_index.
 */
export function trainingData(cfg: BenchTrainConfig): { inputIds: BigInt64Array; labels: BigInt64Array } {
  const rng = new Rng(cfg.seed + 1);
  const rows = cfg.steps * cfg.batch;
  const inputIds = new BigInt64Array(rows * cfg.seq);
  const labels = new BigInt64Array(rows * cfg.seq);
  for (let r = 0; r < rows; r++) {
    const period = 3 + rng.int(14);
    const pattern = Array.from({ length: period }, () => BigInt(rng.int(cfg.vocab)));
    for (let t = 0; t < cfg.seq; t++) inputIds[r * cfg.seq + t] = pattern[t % period];
    for (let t = 0; t < cfg.seq; t++) labels[r * cfg.seq + t] = t + 1 < cfg.seq ? pattern[(t + 1) % period] : BigInt(cfg.ignore_index);
  }
  return { inputIds, labels };
}

/** Writes config.json, init.safetensors and data.safetensors into `dir`. */
export function writeBenchInputs(dir: string, cfg: BenchTrainConfig, weights: Record<string, SafeTensor>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg, null, 2));
  writeSafetensors(join(dir, 'init.safetensors'), weights);
  const { inputIds, labels } = trainingData(cfg);
  const shape = [cfg.steps, cfg.batch, cfg.seq];
  writeSafetensors(join(dir, 'data.safetensors'), { input_ids: { dtype: 'I64', shape, data: inputIds }, labels: { dtype: 'I64', shape, data: labels } });
}
