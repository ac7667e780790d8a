// A tiny qwen2 model with a planted set of Korean-specific MLP neurons, and Korean / English texts.
//
// Hidden dim 0 of every token's embedding is +2 for a Hangul syllable and −2 for anything else; dim 1 is
// +2 for every token. Attention and MLP outputs never write dims 0 and 1 (those rows of o_proj and
// down_proj are zero), so every layer's normed input keeps sign(dim 0) = "is Hangul" and dim 1 > 0. A
// planted neuron reads only those dims: gate = 4·y₀, up = 2·y₁, so SiLU(gate)·up is large and positive on
// Hangul tokens and slightly negative (SiLU of a large negative number) on every other token. Every other
// neuron reads random directions of dims 2.. only (random embeddings, std 1), so it fires on some tokens
// of both languages. Planted neurons write nothing (zero down_proj columns), so later layers see no
// language signal the planted ones made.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../../main/engine/rng.ts';
import type { SafeTensor, TensorMap } from '../../../main/engine/safetensors.ts';
import type { ModelConfig } from '../../../main/models/config.ts';
import { initWeights } from '../../../main/models/init.ts';
import { presetConfig } from '../../../main/models/presets.ts';
import { Tokenizer } from '../../../main/models/tokenizer.ts';
import { saveModel } from '../../../main/models/weights.ts';
import { arithmeticAlphabet, arithmeticProblems, writeCompactTokenizer } from '../../../main/train/tasks/index.ts';

export const PLANTED: Record<number, number[]> = { 0: [3, 10, 17, 25, 40, 44], 1: [5, 12, 33, 47] };
export const PLANTED_COUNT = Object.values(PLANTED).reduce((n, l) => n + l.length, 0);

const isHangul = (s: string) => /^[\uac00-\ud7a3]$/.test(s);

export function plantedModel(dir: string): { config: ModelConfig; weights: TensorMap; tokenizer: Tokenizer } {
  const tokDir = join(dir, '.tokenizer');
  mkdirSync(dir, { recursive: true });
  writeCompactTokenizer(tokDir, arithmeticAlphabet());
  const tokenizer = Tokenizer.load(tokDir);
  const base = presetConfig('qwen2', 'tiny', { vocabSize: tokenizer.vocabSize, bosTokenId: null, eosTokenIds: [tokenizer.eosTokenId!], padTokenId: tokenizer.padTokenId, maxPositionEmbeddings: 256 });
  const H = 16;
  const I = 48;
  const config: ModelConfig = { ...base, hiddenSize: H, numLayers: 2, numHeads: 2, numKvHeads: 2, headDim: 8, intermediateSize: I, ropeTheta: 10000 };
  const weights = initWeights(config, { seed: 3 });
  const rng = new Rng(11);
  const data = (name: string) => weights.get(name)!.data as Float32Array;
  const embed = data('model.embed_tokens.weight');
  for (let id = 0; id < config.vocabSize; id++) {
    const token = tokenizer.idToToken(id);
    embed[id * H] = isHangul(token) ? 2 : -2;
    embed[id * H + 1] = 2;
    for (let h = 2; h < H; h++) embed[id * H + h] = rng.normal();
  }
  for (let layer = 0; layer < config.numLayers; layer++) {
    const p = `model.layers.${layer}`;
    const o = data(`${p}.self_attn.o_proj.weight`); // [H, heads·headDim]
    o.fill(0, 0, 2 * o.length / H);
    const gate = data(`${p}.mlp.gate_proj.weight`); // [I, H]
    const up = data(`${p}.mlp.up_proj.weight`);
    const down = data(`${p}.mlp.down_proj.weight`); // [H, I]
    down.fill(0, 0, 2 * I);
    const planted = new Set(PLANTED[layer]);
    for (let i = 0; i < I; i++) {
      for (let h = 0; h < H; h++) {
        if (planted.has(i)) {
          gate[i * H + h] = h === 0 ? 4 : 0;
          up[i * H + h] = h === 1 ? 2 : 0;
        } else {
          gate[i * H + h] = h < 2 ? 0 : rng.normal() * 0.5;
          up[i * H + h] = h < 2 ? 0 : rng.normal() * 0.5;
        }
      }
      if (planted.has(i)) for (let h = 0; h < H; h++) down[h * I + i] = 0;
    }
  }
  saveModel(dir, { config, weights, generationConfig: null }, { tokenizerDir: tokDir });
  return { config, weights, tokenizer };
}

/** Korean and English reasoning lines of the arithmetic task (the same problems, either language). */
export function languageTexts(count: number, seed = 5): { ko: string[]; en: string[] } {
  const ko = arithmeticProblems({ count, seed, steps: 2 }).map((p) => p.thinking.replace(/\n/g, ' '));
  const en = arithmeticProblems({ count, seed, steps: 2, englishThinkingShare: 1 }).map((p) => p.thinking.replace(/\n/g, ' '));
  return { ko, en };
}

export type { SafeTensor };
