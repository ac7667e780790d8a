// `neurons find` on a model folder: loads the weights and the tokenizer and runs the discovery
// (discover.ts) over the given texts, so the command only parses flags and prints.
import { resolve } from 'node:path';
import { loadModel } from '../weights.ts';
import { Tokenizer } from '../tokenizer.ts';
import { discoverNeurons, type DiscoverOptions } from './discover.ts';
import type { NeuronSelection } from './selection-file.ts';

export type FindInFolderOptions = Omit<DiscoverOptions, 'config' | 'weights' | 'tokenizer' | 'model'>;

export async function findNeuronsInFolder(modelDir: string, options: FindInFolderOptions): Promise<{ model: string; selection: NeuronSelection }> {
  const model = resolve(modelDir);
  const { config, weights } = loadModel(model);
  const { selection } = await discoverNeurons({ ...options, config, weights, tokenizer: Tokenizer.load(model), model });
  return { model, selection };
}
