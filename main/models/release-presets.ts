// The shapes of released checkpoints, so anyone can rehearse the real sizes offline with random weights
// (`saenggak model init --arch qwen2 --preset qwen2.5-1.5b --dtype BF16`). Values are those of the
// Hub's config.json files named below (instruct variants where the recipe uses them); the Qwen
// presets keep the padded embedding of 151,936 rows (the tokenizer uses 151,669 of them).

import { architectureName, type ModelConfig, type ModelFamily } from './config.ts';

export type ReleasePresetName = 'qwen2.5-0.5b' | 'qwen2.5-1.5b' | 'qwen3-1.7b' | 'llama3.2-1b';

interface ReleasePreset {
  /** The Hub repository the values come from. */
  source: string;
  family: ModelFamily;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  tieWordEmbeddings: boolean;
  ropeTheta: number;
  ropeScaling: ModelConfig['ropeScaling'];
  rmsNormEps: number;
  maxPositionEmbeddings: number;
  bosTokenId: number;
  eosTokenIds: number[];
  /** config.json keys kept as released that the decoder does not read. */
  raw: Record<string, unknown>;
  /** Whether the bundled Qwen tokenizer matches the vocabulary (Llama 3 has its own). */
  qwenTokenizer: boolean;
}

const QWEN_RAW = { initializer_range: 0.02, attention_dropout: 0.0, use_sliding_window: false, sliding_window: 32768 };

export const RELEASE_PRESETS: Record<ReleasePresetName, ReleasePreset> = {
  'qwen2.5-0.5b': {
    source: 'Qwen/Qwen2.5-0.5B-Instruct',
    family: 'qwen2', hiddenSize: 896, numLayers: 24, numHeads: 14, numKvHeads: 2, headDim: 64, intermediateSize: 4864,
    vocabSize: 151936, tieWordEmbeddings: true, ropeTheta: 1_000_000, ropeScaling: null, rmsNormEps: 1e-6,
    maxPositionEmbeddings: 32768, bosTokenId: 151643, eosTokenIds: [151645],
    raw: { ...QWEN_RAW, max_window_layers: 21 }, qwenTokenizer: true,
  },
  'qwen2.5-1.5b': {
    source: 'Qwen/Qwen2.5-1.5B-Instruct',
    family: 'qwen2', hiddenSize: 1536, numLayers: 28, numHeads: 12, numKvHeads: 2, headDim: 128, intermediateSize: 8960,
    vocabSize: 151936, tieWordEmbeddings: true, ropeTheta: 1_000_000, ropeScaling: null, rmsNormEps: 1e-6,
    maxPositionEmbeddings: 32768, bosTokenId: 151643, eosTokenIds: [151645],
    raw: { ...QWEN_RAW, max_window_layers: 21 }, qwenTokenizer: true,
  },
  'qwen3-1.7b': {
    source: 'Qwen/Qwen3-1.7B',
    family: 'qwen3', hiddenSize: 2048, numLayers: 28, numHeads: 16, numKvHeads: 8, headDim: 128, intermediateSize: 6144,
    vocabSize: 151936, tieWordEmbeddings: true, ropeTheta: 1_000_000, ropeScaling: null, rmsNormEps: 1e-6,
    maxPositionEmbeddings: 40960, bosTokenId: 151643, eosTokenIds: [151645],
    raw: { initializer_range: 0.02, attention_dropout: 0.0, use_sliding_window: false, sliding_window: null, max_window_layers: 28 }, qwenTokenizer: true,
  },
  'llama3.2-1b': {
    source: 'meta-llama/Llama-3.2-1B',
    family: 'llama', hiddenSize: 2048, numLayers: 16, numHeads: 32, numKvHeads: 8, headDim: 64, intermediateSize: 8192,
    vocabSize: 128256, tieWordEmbeddings: true, ropeTheta: 500_000,
    ropeScaling: { ropeType: 'llama3', factor: 32, raw: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' } },
    rmsNormEps: 1e-5, maxPositionEmbeddings: 131072, bosTokenId: 128000, eosTokenIds: [128001],
    raw: { initializer_range: 0.02, attention_dropout: 0.0, pretraining_tp: 1 }, qwenTokenizer: false,
  },
};

export const RELEASE_PRESET_NAMES = Object.keys(RELEASE_PRESETS) as ReleasePresetName[];

export function isReleasePreset(name: string): name is ReleasePresetName {
  return Object.hasOwn(RELEASE_PRESETS, name);
}

/** The released config of a preset; `family` must be the preset's (e.g. --arch qwen2 for qwen2.5-1.5b). */
export function releaseConfig(family: ModelFamily, name: ReleasePresetName): ModelConfig {
  const p = RELEASE_PRESETS[name];
  if (!p) throw new Error(`unknown release preset "${name}" (known: ${RELEASE_PRESET_NAMES.join(', ')})`);
  if (p.family !== family) throw new Error(`preset ${name} is a ${p.family} model (${p.source}): use --arch ${p.family}, not ${family}`);
  return {
    family,
    task: 'causal-lm',
    architecture: architectureName(family, 'causal-lm'),
    hiddenSize: p.hiddenSize,
    numLayers: p.numLayers,
    numHeads: p.numHeads,
    numKvHeads: p.numKvHeads,
    headDim: p.headDim,
    intermediateSize: p.intermediateSize,
    vocabSize: p.vocabSize,
    ropeTheta: p.ropeTheta,
    ropeScaling: p.ropeScaling,
    rmsNormEps: p.rmsNormEps,
    qkvBias: family === 'qwen2',
    oBias: false,
    mlpBias: false,
    qkNorm: family === 'qwen3',
    tieWordEmbeddings: p.tieWordEmbeddings,
    maxPositionEmbeddings: p.maxPositionEmbeddings,
    slidingWindow: null,
    bosTokenId: p.bosTokenId,
    eosTokenIds: [...p.eosTokenIds],
    padTokenId: null,
    numLabels: 0,
    torchDtype: 'bfloat16',
    raw: { ...p.raw },
  };
}

/** Whether the bundled Qwen tokenizer fits the preset's vocabulary. */
export function presetUsesQwenTokenizer(name: ReleasePresetName): boolean {
  return RELEASE_PRESETS[name].qwenTokenizer;
}
