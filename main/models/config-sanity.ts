// config.json checked against the weights' headers before any tensor is read or any per-layer table
// is built. A config that claims more layers (or another width or vocabulary) than the checkpoint holds
// is refused in milliseconds with both numbers named, instead of after reading gigabytes of tensors
// and building millions of expected names (#23: num_hidden_layers 1e6 cost 32 s and 2.4 GB).

import { join } from 'node:path';
import { locateSafetensors, readSafetensorsHeader, type TensorInfo } from '../engine/safetensors.ts';
import type { ModelConfig } from './config.ts';

/** Tensor shapes from every safetensors header of a model folder (no tensor data read). */
export function readFolderShapes(dir: string): Map<string, number[]> {
  const { files } = locateSafetensors(dir);
  const shapes = new Map<string, number[]>();
  for (const file of files) {
    const { tensors } = readSafetensorsHeader(join(dir, file));
    for (const [name, info] of tensors as Map<string, TensorInfo>) shapes.set(name, info.shape);
  }
  return shapes;
}

/**
 * Compares the config's layer count, hidden size and vocabulary with the checkpoint's tensor names and
 * shapes; throws naming the config key, its value and what the weights hold. Cheap: one pass over names.
 */
export function checkConfigAgainstWeights(config: ModelConfig, shapes: ReadonlyMap<string, readonly number[]>): void {
  const layerIds = new Set<number>();
  for (const name of shapes.keys()) {
    const m = /^model\.layers\.(\d+)\./.exec(name);
    if (m) layerIds.add(Number(m[1]));
  }
  const problems: string[] = [];
  if (layerIds.size > 0 && layerIds.size !== config.numLayers) {
    problems.push(`"num_hidden_layers" is ${config.numLayers} but the weights hold ${layerIds.size} layer(s) (model.layers.0 … model.layers.${Math.max(...layerIds)})`);
  }
  const embed = shapes.get('model.embed_tokens.weight');
  if (embed && embed.length === 2) {
    if (embed[0] !== config.vocabSize) problems.push(`"vocab_size" is ${config.vocabSize} but model.embed_tokens.weight has ${embed[0]} rows`);
    if (embed[1] !== config.hiddenSize) problems.push(`"hidden_size" is ${config.hiddenSize} but model.embed_tokens.weight is ${embed[1]} wide`);
  }
  if (problems.length) throw new Error(`config.json does not match the weights: ${problems.join('; ')}`);
}
