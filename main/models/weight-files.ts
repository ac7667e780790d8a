// Where a model folder's weights live on disk, without reading them: per tensor the safetensors shard,
// the absolute byte offset of its data, its storage dtype and shape (from the headers only).
//
// Inference sessions hand these locations to onnxruntime as external data, so it maps the checkpoint
// files itself (mmap): no JS copy, no protobuf holding weights, and the pages are the OS's file cache,
// shared between sessions and processes. A 1.5B checkpoint "loads" in the time it takes to read the
// headers; the bytes are faulted in on first use. See DecoderSession.create (`weightFiles`).

import { join, resolve } from 'node:path';
import { locateSafetensors, readSafetensorsHeader, type SafetensorsDtype } from '../engine/safetensors.ts';
import { loadModelConfig, type ModelConfig } from './config.ts';
import { readGenerationConfig, validateWeights } from './weights.ts';

/** One tensor's bytes in a shard: `file` is relative to the folder, `offset` absolute in that file. */
export interface WeightFile {
  file: string;
  offset: number;
  byteLength: number;
  dtype: SafetensorsDtype;
  shape: number[];
}

/** A folder's weights by name (transformers' names), as locations on disk. */
export interface WeightFiles {
  /** Absolute path of the folder (onnxruntime resolves the shard names against it). */
  dir: string;
  tensors: Map<string, WeightFile>;
}

/** Reads the headers of a single-file or sharded folder (the index is checked against each shard). */
export function weightFiles(dir: string, stem = 'model'): WeightFiles {
  const { files, weightMap } = locateSafetensors(dir, stem);
  const tensors = new Map<string, WeightFile>();
  for (const file of files) {
    const { tensors: infos } = readSafetensorsHeader(join(dir, file));
    for (const [name, info] of infos) {
      if (weightMap && weightMap.get(name) !== file) {
        throw new Error(`${join(dir, file)} holds "${name}" but the index ${weightMap.has(name) ? `puts it in ${weightMap.get(name)}` : 'does not list it'}`);
      }
      if (tensors.has(name)) throw new Error(`tensor "${name}" appears in more than one shard of ${dir}`);
      tensors.set(name, { file, offset: info.offset, byteLength: info.byteLength, dtype: info.dtype, shape: info.shape });
    }
  }
  if (weightMap) {
    for (const [name, file] of weightMap) if (!tensors.has(name)) throw new Error(`index of ${dir} puts "${name}" in ${file} but that shard does not contain it`);
  }
  return { dir: resolve(dir), tensors };
}

/** Storage dtypes an inference session can take from a file as is (half types are cast at use). */
const FLOAT_STORAGE = new Set<SafetensorsDtype>(['F32', 'F16', 'BF16', 'F64']);

/**
 * config.json, generation_config.json and the weights' locations of a HF folder, checked against the
 * config like loadModel does (names, shapes, float dtypes), reading no tensor data.
 */
export function openModelFolder(dir: string, options: { strict?: boolean } = {}): { config: ModelConfig; generationConfig: Record<string, unknown> | null; weightFiles: WeightFiles } {
  const config = loadModelConfig(dir);
  const files = weightFiles(dir);
  // validateWeights reads names and shapes only.
  const shapes = new Map([...files.tensors].map(([name, t]) => [name, { dtype: t.dtype, shape: t.shape, data: new Float32Array(0) }]));
  const { ignored } = validateWeights(config, shapes, options);
  for (const name of ignored) files.tensors.delete(name);
  for (const [name, t] of files.tensors) {
    if (!FLOAT_STORAGE.has(t.dtype)) throw new Error(`${dir}: weight ${name} has dtype ${t.dtype}; model weights must be floating point`);
  }
  return { config, generationConfig: readGenerationConfig(dir), weightFiles: files };
}

/** Bytes of the weights as stored (what the session maps). */
export function storedBytes(files: WeightFiles): number {
  let n = 0;
  for (const t of files.tensors.values()) n += t.byteLength;
  return n;
}
