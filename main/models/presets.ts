// Model sizes we create from scratch for demos, tests and benchmarks. The vocabulary always comes
// from the tokenizer (151,669 ids for the bundled Qwen tokenizer), so embeddings dominate small models:
//   tiny  ≈ 1.2M parameters (hidden 8, 2 layers) — unit tests, seconds to create and run;
//   small ≈ 45M parameters (hidden 256, 8 layers, tied embeddings) — demos and `bench:generate`.

import { architectureName, type ModelConfig, type ModelFamily, type ModelTask } from './config.ts';

export type PresetName = 'tiny' | 'small';
export const PRESET_NAMES: PresetName[] = ['tiny', 'small'];
export const FAMILIES: ModelFamily[] = ['qwen2', 'qwen3', 'llama'];

interface PresetShape {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  /** Qwen3 decouples head_dim from hidden/heads; the tiny preset exercises that. */
  qwen3HeadDim: number;
  intermediateSize: number;
}

const SHAPES: Record<PresetName, PresetShape> = {
  tiny: { hiddenSize: 8, numLayers: 2, numHeads: 2, numKvHeads: 1, qwen3HeadDim: 8, intermediateSize: 24 },
  small: { hiddenSize: 256, numLayers: 8, numHeads: 4, numKvHeads: 2, qwen3HeadDim: 64, intermediateSize: 768 },
};

/** Family defaults as in the released checkpoints (Qwen2.5, Qwen3, Llama 3). */
const FAMILY_DEFAULTS: Record<ModelFamily, { ropeTheta: number; rmsNormEps: number }> = {
  qwen2: { ropeTheta: 1_000_000, rmsNormEps: 1e-6 },
  qwen3: { ropeTheta: 1_000_000, rmsNormEps: 1e-6 },
  llama: { ropeTheta: 500_000, rmsNormEps: 1e-5 },
};

export interface PresetOptions {
  vocabSize: number;
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
  task?: ModelTask;
  /** Sequence classifiers only (default 1: a scalar reward). */
  numLabels?: number;
  maxPositionEmbeddings?: number;
}

/** A ModelConfig for a preset size of a family. */
export function presetConfig(family: ModelFamily, preset: PresetName, options: PresetOptions): ModelConfig {
  const shape = SHAPES[preset];
  if (!shape) throw new Error(`unknown preset "${preset}" (known: ${PRESET_NAMES.join(', ')})`);
  if (!FAMILY_DEFAULTS[family]) throw new Error(`unknown architecture family "${family}" (known: ${FAMILIES.join(', ')})`);
  const task = options.task ?? 'causal-lm';
  const headDim = family === 'qwen3' ? shape.qwen3HeadDim : shape.hiddenSize / shape.numHeads;
  return {
    family,
    task,
    architecture: architectureName(family, task),
    hiddenSize: shape.hiddenSize,
    numLayers: shape.numLayers,
    numHeads: shape.numHeads,
    numKvHeads: shape.numKvHeads,
    headDim,
    intermediateSize: shape.intermediateSize,
    vocabSize: options.vocabSize,
    ropeTheta: FAMILY_DEFAULTS[family].ropeTheta,
    ropeScaling: null,
    rmsNormEps: FAMILY_DEFAULTS[family].rmsNormEps,
    qkvBias: family === 'qwen2',
    oBias: false,
    mlpBias: false,
    qkNorm: family === 'qwen3',
    tieWordEmbeddings: true,
    maxPositionEmbeddings: options.maxPositionEmbeddings ?? 32768,
    slidingWindow: null,
    bosTokenId: options.bosTokenId,
    eosTokenIds: options.eosTokenIds,
    padTokenId: options.padTokenId,
    numLabels: task === 'sequence-classification' ? options.numLabels ?? 1 : 0,
    torchDtype: 'float32',
    raw: { initializer_range: 0.02 },
  };
}
