// The transformers.js inference folder for a decoder: `onnx/model.onnx` (the KV-cache graph from
// decoder.ts with the weights as initializers; `onnx/model.onnx_data` beside it when over protobuf's
// 2 GB limit), `config.json`, `generation_config.json` and the tokenizer files. The graph has the
// interface transformers.js' decoder models expect:
//   input_ids, attention_mask, position_ids, past_key_values.{i}.key|value → logits, present.{i}.key|value
// with the batch dim named `batch_size` and fixed head counts / head size (it builds the empty first
// cache from config.json's num_key_value_heads and head_dim).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveModel as saveOnnxModel } from '../engine/index.ts';
import type { SafeTensor } from '../engine/safetensors.ts';
import { modelConfigToJson, type ModelConfig } from './config.ts';
import { buildDecoderGraph } from './decoder.ts';
import { decoderOnnxModel } from './decoder-session.ts';
import { copyTokenizerFiles } from './tokenizer.ts';
import { defaultGenerationConfig } from './weights.ts';

export interface ExportOptions {
  /** Folder with tokenizer.json (+ tokenizer_config.json, chat template); usually the model folder. */
  tokenizerDir?: string;
  generationConfig?: Record<string, unknown> | null;
  /** Force the weights into `onnx/model.onnx_data` even when the model would fit (default: only when needed). */
  externalData?: boolean;
}

export const EXPORT_MODEL_PATH = join('onnx', 'model.onnx');

export async function exportTransformersJs(outDir: string, config: ModelConfig, weights: ReadonlyMap<string, SafeTensor>, options: ExportOptions = {}): Promise<string[]> {
  if (config.task !== 'causal-lm') throw new Error(`export: ${config.architecture} is not a causal LM (transformers.js text-generation needs *ForCausalLM)`);
  if (options.tokenizerDir && !existsSync(join(options.tokenizerDir, 'tokenizer.json'))) throw new Error(`export: no tokenizer.json in ${options.tokenizerDir}`);
  const decoder = buildDecoderGraph(config, { dtype: 'float32', kvCache: true });
  const model = decoderOnnxModel(decoder, weights);
  mkdirSync(join(outDir, 'onnx'), { recursive: true });
  const { files: onnxFiles } = await saveOnnxModel(model, join(outDir, EXPORT_MODEL_PATH), options.externalData ? { mode: 'always' } : {});
  const external = onnxFiles.length > 1;
  const json = modelConfigToJson(config, { torchDtype: 'float32' });
  json['transformers.js_config'] = { ...(json['transformers.js_config'] as object | undefined), ...(external ? { use_external_data_format: true } : {}) };
  writeFileSync(join(outDir, 'config.json'), JSON.stringify(json, null, 2) + '\n');
  writeFileSync(join(outDir, 'generation_config.json'), JSON.stringify(options.generationConfig ?? defaultGenerationConfig(config), null, 2) + '\n');
  const tokenizer = options.tokenizerDir ? copyTokenizerFiles(options.tokenizerDir, outDir) : [];
  return ['config.json', 'generation_config.json', ...onnxFiles.map((f) => f.slice(outDir.length + 1)), ...tokenizer];
}
