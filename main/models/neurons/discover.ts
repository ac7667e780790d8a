// Neuron discovery: texts per language → activation statistics on the engine → language-specificity
// scores → the selection file. `saenggak neurons find` and the Neurons page's API call this.
import type { ProviderRequest } from '../../engine/index.ts';
import type { SafeTensor } from '../../engine/safetensors.ts';
import type { ModelConfig } from '../config.ts';
import type { DecoderDType } from '../decoder.ts';
import type { Tokenizer } from '../tokenizer.ts';
import { ActivationRecorder, recordActivations } from './activation-stats.ts';
import { languageStats, neuronScores, type DiscoveryMethod, type LanguageStats } from './scoring.ts';
import { SELECTION_FORMAT, layerHeat, layerShares, selectTop, type NeuronSelection } from './selection-file.ts';

export interface LanguageTexts {
  lang: string;
  texts: string[];
}

export interface DiscoverOptions {
  config: ModelConfig;
  weights: ReadonlyMap<string, SafeTensor>;
  tokenizer: Pick<Tokenizer, 'encode'>;
  /** Recorded in the file (the model folder). */
  model: string;
  languages: LanguageTexts[];
  /** The language whose neurons are wanted (default: ko when given, else the first language). */
  target?: string;
  /** Layers to search (default: all). The seed paper tunes early layers: e.g. 0–7 of 28. */
  layers?: number[];
  method?: DiscoveryMethod;
  topK?: number;
  topShare?: number;
  /** Tokens kept per text (default 256): statistics need many texts more than long ones. */
  maxTokens?: number;
  batchSize?: number;
  dtype?: DecoderDType;
  provider?: ProviderRequest;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface DiscoveryResult {
  selection: NeuronSelection;
  /** Per-language statistics (probability, mean, variance per neuron). */
  languages: LanguageStats[];
  /** Every neuron's score, per layer. */
  scores: { layer: number; scores: Float64Array }[];
}

export async function discoverNeurons(options: DiscoverOptions): Promise<DiscoveryResult> {
  const { config, languages } = options;
  const method = options.method ?? 'lape';
  if (method !== 'lape' && method !== 'contrast') throw new Error(`neurons: --method must be lape or contrast, got ${String(method)}`);
  const names = languages.map((l) => l.lang);
  if (new Set(names).size !== names.length) throw new Error(`neurons: language given twice (${names.join(', ')}); give each --lang once`);
  if (languages.length < 2) throw new Error('neurons: give at least two languages (e.g. --lang ko=ko.txt --lang en=en.txt)');
  const target = options.target ?? (names.includes('ko') ? 'ko' : names[0]);
  if (!names.includes(target)) throw new Error(`neurons: target language ${target} is not among the --lang languages (${names.join(', ')})`);
  const layers = options.layers ?? Array.from({ length: config.numLayers }, (_, i) => i);
  const maxTokens = options.maxTokens ?? 256;
  const log = options.log ?? (() => {});

  const recorder = await ActivationRecorder.create(config, options.weights, layers, { dtype: options.dtype, provider: options.provider });
  const stats: LanguageStats[] = [];
  try {
    for (const { lang, texts } of languages) {
      const sequences = texts.map((t) => options.tokenizer.encode(t).slice(0, maxTokens));
      const sums = await recordActivations(recorder, sequences, { batchSize: options.batchSize, signal: options.signal });
      stats.push(languageStats(lang, sums));
      log(`neurons: ${lang}: ${texts.length} texts, ${sums.tokens} tokens`);
    }
  } finally {
    await recorder.release();
  }
  const scores = neuronScores(method, target, stats);
  const chosen = selectTop(scores, { topK: options.topK, topShare: options.topK === undefined ? (options.topShare ?? 0.01) : undefined });
  const round = (x: number) => Number(x.toPrecision(6));
  const selected = chosen.reduce((n, l) => n + l.neurons.length, 0);
  const selection: NeuronSelection = {
    format: SELECTION_FORMAT,
    model: options.model,
    method,
    target,
    layers: chosen.map((l) => ({ layer: l.layer, neurons: l.neurons, scores: l.scores.map(round) })),
    stats: {
      languages: Object.fromEntries(stats.map((s, i) => [s.lang, { texts: languages[i].texts.length, tokens: s.tokens }])),
      selected,
      searched: layers.length * config.intermediateSize,
      intermediateSize: config.intermediateSize,
      ...(options.topK !== undefined ? { topK: options.topK } : { topShare: options.topShare ?? 0.01 }),
      layers: layerShares(chosen, config.intermediateSize),
      heat: layerHeat(scores),
    },
  };
  log(`neurons: ${method} selected ${selected} of ${layers.length * config.intermediateSize} neurons in layers ${layers.join(', ')} for ${target}`);
  return { selection, languages: stats, scores };
}
