// The neuron selection file (`saenggak neurons find --out selection.json`):
//   { model, method, target, layers: [{ layer, neurons: [..], scores: [..] }], stats }
// Selective SFT reads it as is in `method.neurons` (or `--neurons selection.json`); `neuronsFromSelection`
// turns it into the { "layer": [neurons] } map the trainer plans with. Also here: picking the top neurons
// from scores, a random selection of the same shape (the control arm of the alignment recipe) and the
// overlap of two selections (the Neurons page).
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { Rng } from '../../engine/rng.ts';

export const SELECTION_FORMAT = 'saenggak.neurons/1';

export const selectionLayerSchema = z.object({
  layer: z.number().int().nonnegative(),
  neurons: z.array(z.number().int().nonnegative()),
  /** Score of each chosen neuron (same order); absent for random selections. */
  scores: z.array(z.number()).optional(),
});

export const neuronSelectionSchema = z
  .object({
    format: z.literal(SELECTION_FORMAT).optional(),
    model: z.string(),
    method: z.enum(['lape', 'contrast', 'random']),
    target: z.string().optional(),
    layers: z.array(selectionLayerSchema),
    stats: z.record(z.string(), z.unknown()).default({}),
  })
  .passthrough();

export type NeuronSelection = z.infer<typeof neuronSelectionSchema>;

/** Per-layer summary kept in `stats` (the Neurons page's "share per layer"). */
export interface LayerShare {
  layer: number;
  selected: number;
  intermediate: number;
  share: number;
}

/** Score heat per layer: max score in each of `buckets` consecutive neuron ranges. */
export interface LayerHeat {
  layer: number;
  bucketSize: number;
  buckets: number[];
}

export interface TopOptions {
  /** Exactly this many neurons over all chosen layers (the highest scores). */
  topK?: number;
  /** This share of all neurons of the chosen layers (default 0.01, as Tang et al. select ~1%). */
  topShare?: number;
}

/** The highest-scoring neurons over all layers (scores ≤ 0 never count: they are not specific to the target). */
export function selectTop(layerScores: readonly { layer: number; scores: ArrayLike<number> }[], options: TopOptions): { layer: number; neurons: number[]; scores: number[] }[] {
  if (options.topK !== undefined && options.topShare !== undefined) throw new Error('neurons: give --top-k or --top-share, not both');
  const total = layerScores.reduce((n, l) => n + l.scores.length, 0);
  let k: number;
  if (options.topK !== undefined) {
    if (!Number.isInteger(options.topK) || options.topK < 1) throw new RangeError(`neurons: --top-k must be a positive integer, got ${options.topK}`);
    k = options.topK;
  } else {
    const share = options.topShare ?? 0.01;
    if (!(share > 0 && share <= 1)) throw new RangeError(`neurons: --top-share must be in (0, 1], got ${share}`);
    k = Math.max(1, Math.round(share * total));
  }
  const all: { layer: number; neuron: number; score: number }[] = [];
  for (const { layer, scores } of layerScores) for (let i = 0; i < scores.length; i++) if (scores[i] > 0) all.push({ layer, neuron: i, score: scores[i] });
  // Highest score first; ties by layer then index so the same scores always give the same file.
  all.sort((a, b) => b.score - a.score || a.layer - b.layer || a.neuron - b.neuron);
  const chosen = all.slice(0, k);
  return layerScores.map(({ layer }) => {
    const mine = chosen.filter((c) => c.layer === layer).sort((a, b) => a.neuron - b.neuron);
    return { layer, neurons: mine.map((c) => c.neuron), scores: mine.map((c) => c.score) };
  });
}

export function layerShares(layers: readonly { layer: number; neurons: readonly number[] }[], intermediate: number): LayerShare[] {
  return layers.map(({ layer, neurons }) => ({ layer, selected: neurons.length, intermediate, share: neurons.length / intermediate }));
}

export function layerHeat(layerScores: readonly { layer: number; scores: ArrayLike<number> }[], buckets = 64): LayerHeat[] {
  return layerScores.map(({ layer, scores }) => {
    const n = Math.min(buckets, scores.length);
    const bucketSize = Math.ceil(scores.length / n);
    const out: number[] = [];
    for (let b = 0; b * bucketSize < scores.length; b++) {
      let max = -Infinity;
      for (let i = b * bucketSize; i < Math.min(scores.length, (b + 1) * bucketSize); i++) max = Math.max(max, scores[i]);
      out.push(Number(max.toPrecision(4)));
    }
    return { layer, bucketSize, buckets: out };
  });
}

/** True for an object shaped like a selection file (what `method.neurons` may hold instead of a map). */
export function isSelectionFile(value: unknown): value is { layers: { layer: number; neurons: number[] }[] } {
  return !!value && typeof value === 'object' && !Array.isArray(value) && Array.isArray((value as { layers?: unknown }).layers);
}

/**
 * A selection file (its contents, or the path of a .json file) → { "layer": [neurons] } (layers with no
 * neuron left out); anything else unchanged, so a schema can preprocess `method.neurons` with it and still
 * report errors on a malformed map. A path that cannot be read throws with the reason.
 */
export function neuronsFromSelection(value: unknown): unknown {
  if (typeof value === 'string' && value.endsWith('.json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(value, 'utf8'));
    } catch (error) {
      throw new Error(`method.neurons: cannot read the selection file ${value}: ${(error as Error).message}`);
    }
    if (!isSelectionFile(parsed)) throw new Error(`method.neurons: ${value} is not a neuron selection file (no "layers" list)`);
    value = parsed;
  }
  if (!isSelectionFile(value)) return value;
  const parsed = neuronSelectionSchema.safeParse(value);
  if (!parsed.success) return value; // the map schema then reports the mismatch
  const out: Record<string, number[]> = {};
  for (const { layer, neurons } of parsed.data.layers) if (neurons.length) out[String(layer)] = [...(out[String(layer)] ?? []), ...neurons];
  return out;
}

/** Reads and validates a selection file's parsed JSON. */
export function parseSelection(value: unknown, source = 'selection'): NeuronSelection {
  const parsed = neuronSelectionSchema.safeParse(value);
  if (!parsed.success) throw new Error(`${source} is not a neuron selection file: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Reads and validates a selection file (the CLI's arguments, the Neurons page's catalog). */
export function readSelectionFile(path: string): NeuronSelection {
  return parseSelection(JSON.parse(readFileSync(path, 'utf8')), path);
}

/** Writes a selection as the file every reader takes (one-space indented JSON, final newline). */
export function writeSelectionFile(path: string, selection: NeuronSelection): void {
  writeFileSync(path, JSON.stringify(selection, null, 1) + '\n');
}

/** Neurons selected over all layers. */
export function selectedCount(selection: Pick<NeuronSelection, 'layers'>): number {
  return selection.layers.reduce((n, l) => n + l.neurons.length, 0);
}

/** Same count per layer as `like`, neurons drawn uniformly at random (seeded): the control arm. */
export function randomSelectionLike(like: NeuronSelection, intermediate: number, seed: number): NeuronSelection {
  const rng = new Rng(seed);
  const layers = like.layers.map(({ layer, neurons }) => {
    if (neurons.length > intermediate) throw new RangeError(`neurons: layer ${layer} selects ${neurons.length} neurons but the MLP has ${intermediate}`);
    // Partial Fisher–Yates: the first `count` entries of a shuffled 0..I−1.
    const pool = Array.from({ length: intermediate }, (_, i) => i);
    for (let i = 0; i < neurons.length; i++) {
      const j = i + rng.int(intermediate - i);
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return { layer, neurons: pool.slice(0, neurons.length).sort((a, b) => a - b) };
  });
  return { format: SELECTION_FORMAT, model: like.model, method: 'random', target: like.target, layers, stats: { seed, like: like.method, layers: layerShares(layers, intermediate) } };
}

/** Overlap of two selections: shared neurons, and Jaccard index per layer and overall. */
export function selectionOverlap(a: Pick<NeuronSelection, 'layers'>, b: Pick<NeuronSelection, 'layers'>): { layers: { layer: number; shared: number; jaccard: number }[]; shared: number; jaccard: number } {
  const setsOf = (s: Pick<NeuronSelection, 'layers'>) => new Map(s.layers.map((l) => [l.layer, new Set(l.neurons)]));
  const A = setsOf(a);
  const B = setsOf(b);
  const layerIds = [...new Set([...A.keys(), ...B.keys()])].sort((x, y) => x - y);
  let shared = 0;
  let union = 0;
  const layers = layerIds.map((layer) => {
    const x = A.get(layer) ?? new Set<number>();
    const y = B.get(layer) ?? new Set<number>();
    const s = [...x].filter((n) => y.has(n)).length;
    const u = x.size + y.size - s;
    shared += s;
    union += u;
    return { layer, shared: s, jaccard: u === 0 ? 0 : s / u };
  });
  return { layers, shared, jaccard: union === 0 ? 0 : shared / union };
}
