// A transformers.js inference folder from a model folder (`saenggak model export --format onnx`): the
// weights, with a PEFT LoRA adapter merged in first when one is given, and the folder's tokenizer copied
// when it has one (transformers.js cannot load the folder without it; the caller says so).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../models/weights.ts';
import { exportTransformersJs } from '../models/export-onnx.ts';

export type OnnxFolderExport = { architecture: string; files: string[]; tokenizer: boolean };

export async function exportOnnxFolder(modelDir: string, outDir: string, options: { adapter?: string; externalData?: boolean } = {}): Promise<OnnxFolderExport> {
  const { config, weights, generationConfig } = loadModel(modelDir);
  let merged = weights;
  if (options.adapter) {
    const { readLoraAdapter, mergeLoraAdapter } = await import('../models/peft.ts');
    merged = mergeLoraAdapter(weights, readLoraAdapter(options.adapter));
  }
  const tokenizerDir = existsSync(join(modelDir, 'tokenizer.json')) ? modelDir : undefined;
  const files = await exportTransformersJs(outDir, config, merged, { tokenizerDir, generationConfig, externalData: options.externalData });
  return { architecture: config.architecture, files, tokenizer: tokenizerDir !== undefined };
}
