// A model's view of one token sequence, as `saenggak model logits` prints it: the last position's logits
// (with the top k) and the mean next-token cross-entropy for a causal LM, the scores for a sequence
// classifier. The engine's compiled decoder graph computes it, or the plain float64 loops (`reference`)
// that the graph is checked against.
import { loadModel } from './weights.ts';

export type LogitsEngine = 'onnx' | 'reference';

export type LogitsReport =
  | { kind: 'scores'; architecture: string; inputIds: number[]; scores: number[]; engine: string }
  | {
      kind: 'logits';
      architecture: string;
      inputIds: number[];
      engine: string;
      meanCrossEntropy: number | null;
      predictedTokens: number;
      top: { id: number; logit: number }[];
      lastLogits: number[];
    };

/** Token ids of TEXT with the folder's tokenizer. */
export async function tokenizeWithModel(modelDir: string, text: string): Promise<number[]> {
  const { Tokenizer } = await import('./tokenizer.ts');
  return Tokenizer.load(modelDir).encode(text);
}

export async function sequenceLogitsReport(modelDir: string, ids: number[], options: { engine: LogitsEngine; dtype: 'float32' | 'float64'; top: number }): Promise<LogitsReport> {
  const { config, weights } = loadModel(modelDir);
  const engine = options.engine === 'reference' ? 'reference-f64' : `onnx-${options.dtype === 'float64' ? 'f64' : 'f32'}`;
  for (const id of ids) if (id >= config.vocabSize) throw new Error(`token id ${id} is outside the vocabulary (size ${config.vocabSize})`);
  let result: { scores?: number[]; lastLogits?: ArrayLike<number>; meanLoss?: number | null; tokens?: number };
  if (options.engine === 'reference') {
    const { referenceSequenceLoss, referenceScores } = await import('./reference.ts');
    result = config.task === 'sequence-classification' ? { scores: Array.from(referenceScores(config, weights, { inputIds: [ids] })[0]) } : referenceSequenceLoss(config, weights, ids);
  } else {
    const { sequenceLogits } = await import('./sequence-logits.ts');
    result = await sequenceLogits(config, weights, ids, options.dtype);
  }
  if (result.scores) return { kind: 'scores', architecture: config.architecture, inputIds: ids, scores: result.scores, engine };
  const lastLogits = result.lastLogits!;
  const top = Array.from({ length: lastLogits.length }, (_, i) => i)
    .sort((a, b) => lastLogits[b] - lastLogits[a])
    .slice(0, options.top);
  return {
    kind: 'logits',
    architecture: config.architecture,
    inputIds: ids,
    engine,
    meanCrossEntropy: result.meanLoss ?? null,
    predictedTokens: result.tokens ?? 0,
    top: top.map((id) => ({ id, logit: lastLogits[id] })),
    lastLogits: Array.from(lastLogits),
  };
}
