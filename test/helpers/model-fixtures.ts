// Small models for tests: configs with a tiny vocabulary (fast float64 reference passes) and random
// weights in which every parameter matters — norms and biases are perturbed away from their 1/0
// initial values so a forward pass that ignores one of them is caught.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SafeTensor, TensorMap } from '../../main/engine/safetensors.ts';
import type { ModelConfig, ModelFamily, ModelTask } from '../../main/models/config.ts';
import { SeededRandom, initWeights } from '../../main/models/init.ts';
import { presetConfig } from '../../main/models/presets.ts';

export interface TinyConfigOptions {
  vocabSize?: number;
  task?: ModelTask;
  numLabels?: number;
  tie?: boolean;
  overrides?: Partial<ModelConfig>;
}

/** A tiny config (vocab 40 by default) of a family; Qwen3 keeps its decoupled head_dim. */
export function tinyConfig(family: ModelFamily, options: TinyConfigOptions = {}): ModelConfig {
  const config = presetConfig(family, 'tiny', {
    vocabSize: options.vocabSize ?? 40,
    bosTokenId: 1,
    eosTokenIds: [2],
    padTokenId: 0,
    task: options.task,
    numLabels: options.numLabels,
  });
  // Smaller rope theta so rotations are visible over a few positions.
  return { ...config, ropeTheta: 100, tieWordEmbeddings: options.tie ?? config.tieWordEmbeddings, ...options.overrides };
}

/** Random weights with std 0.5 (large enough that every layer changes the logits), perturbed norms and biases. */
export function randomWeights(config: ModelConfig, seed = 1): TensorMap {
  const weights = initWeights(config, { seed, std: 0.5 });
  const rng = new SeededRandom(seed + 1000);
  for (const [name, t] of weights) {
    const data = t.data as Float32Array;
    if (name.endsWith('norm.weight')) for (let i = 0; i < data.length; i++) data[i] = 1 + 0.3 * rng.normal();
    else if (name.endsWith('.bias')) for (let i = 0; i < data.length; i++) data[i] = 0.3 * rng.normal();
  }
  // initWeights zeroes the pad row like transformers; give it values too so padding tests are meaningful.
  const embed = weights.get('model.embed_tokens.weight')!;
  const e = embed.data as Float32Array;
  if (config.padTokenId !== null) for (let i = 0; i < config.hiddenSize; i++) e[config.padTokenId * config.hiddenSize + i] = 0.5 * rng.normal();
  return weights;
}

export function cloneWeights(weights: ReadonlyMap<string, SafeTensor>): TensorMap {
  const out: TensorMap = new Map();
  for (const [k, t] of weights) out.set(k, { dtype: t.dtype, shape: [...t.shape], data: (t.data as Float32Array).slice() });
  return out;
}

export function tempDir(prefix = 'models-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** max |a−b| / max(1, |b|) over two arrays. */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

/**
 * Only the config.json of a small Qwen2 (hidden 64, 2 layers, 4 heads / 2 KV heads of 16, MLP 128, vocab 100,
 * tied), for what reads the shape and never the weights (memory estimates, device checks).
 */
export function writeQwen2Config(dir: string, overrides: Record<string, unknown> = {}): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      model_type: 'qwen2',
      architectures: ['Qwen2ForCausalLM'],
      hidden_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      intermediate_size: 128,
      vocab_size: 100,
      max_position_embeddings: 512,
      tie_word_embeddings: true,
      ...overrides,
    }),
  );
}
