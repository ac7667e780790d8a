// A layer-truncated copy of a model folder: the first N decoder layers, the embeddings, the final norm
// and the head, optionally in another storage dtype. Used to check a big checkpoint's new loading path
// against the plain in-memory path on a copy small enough for it (the proof of issue #19) — only the
// kept tensors are read, one at a time, so truncating a 1.5B checkpoint costs a few hundred MB.

import { readSafetensorsFolder } from '../engine/safetensors.ts';
import { loadModelConfig } from './config.ts';
import { copyTokenizerFiles } from './tokenizer.ts';
import { expectedWeightShapes, readGenerationConfig, saveModel, type WeightDtype } from './weights.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function truncateModelFolder(from: string, to: string, options: { layers: number; dtype?: WeightDtype; maxShardSize?: number | string }): string[] {
  const config = loadModelConfig(from);
  if (!Number.isInteger(options.layers) || options.layers < 1 || options.layers > config.numLayers) {
    throw new Error(`truncate: layers must be an integer in [1, ${config.numLayers}], got ${options.layers}`);
  }
  const truncated = { ...config, numLayers: options.layers };
  const wanted = new Set(expectedWeightShapes(truncated).keys());
  // Half-precision tensors are widened to float32 on read (exact), and narrowed again on save if asked.
  const { tensors } = readSafetensorsFolder(from, { names: (name) => wanted.has(name) });
  const files = saveModel(to, { config: truncated, weights: tensors, generationConfig: readGenerationConfig(from) }, { dtype: options.dtype, maxShardSize: options.maxShardSize });
  const tokenizer = existsSync(join(from, 'tokenizer.json')) ? copyTokenizerFiles(from, to) : [];
  return [...files.filter((f) => !tokenizer.includes(f)), ...tokenizer];
}
