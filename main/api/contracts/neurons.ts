// The neurons area's part of the API contract (see ../contract.ts): language-neuron selections of the
// workspace (`saenggak neurons find`, the alignment stage), one selection with its score heat map, and
// the overlap between two.
import { z } from 'zod';
import { method } from '../method.ts';
import type { SelectionItem } from '../../models/neurons/catalog.ts';
import type { NeuronSelection } from '../../models/neurons/selection-file.ts';

export type { SelectionItem as NeuronSelectionItem } from '../../models/neurons/catalog.ts';
export type { NeuronSelection, LayerHeat, LayerShare } from '../../models/neurons/selection-file.ts';

export type NeuronOverlap = { layers: { layer: number; shared: number; jaccard: number }[]; shared: number; jaccard: number };

const path = z.string().min(1).max(4096);

export const neuronsMethods = {
  /** Selection files under <workspace>/neurons/ and the pipelines' alignment folders, newest first. */
  'neurons.list': method<SelectionItem[]>()(z.object({})),
  /** One selection file (inside the workspace). */
  'neurons.get': method<NeuronSelection>()(z.object({ path })),
  /** Neurons two selections share, per layer and overall (Jaccard index). */
  'neurons.overlap': method<NeuronOverlap>()(z.object({ a: path, b: path })),
} as const;
