// What generation takes and returns, shared by both decode paths: the decode loop (decode-loop.ts, the
// default) and the per-token path (generate-per-token.ts, the reference and explicit fallback).
import type { ModelConfig } from './config.ts';
import { samplingProcessors, type SamplingOptions } from './sampling/sampler.ts';

export type FinishReason = 'stop_token' | 'stop_string' | 'length';

export interface StreamEvent {
  /** Index of the prompt, and of the sample among its `n`. */
  prompt: number;
  sample: number;
  token: number;
  /** Number of tokens generated so far for this sequence (1 for the first). */
  step: number;
}

export interface GenerateOptions {
  maxNewTokens: number;
  /** Omit (or temperature 0) for greedy decoding. */
  sampling?: SamplingOptions;
  /** Samples per prompt (default 1). */
  n?: number;
  /**
   * One sampling seed per generated sequence (prompt-major: prompt p's sample s is p·n + s), instead of
   * sampling.seed + index. Lets callers batch sequences whose draws must not depend on the batch they
   * land in (an evaluation that resumes, GRPO groups), each seeded from its own identity.
   */
  seeds?: readonly number[];
  /** Token ids that end a sequence (included in its tokens). Default: the config's eos ids. */
  stopTokenIds?: readonly number[];
  /** Strings that end a sequence; needs `decode`. The text is cut before the stop string. */
  stopStrings?: readonly string[];
  decode?: (ids: readonly number[]) => string;
  /** Default 'left'. */
  padding?: 'left' | 'right';
  /** Called for each generated token, in order of steps. */
  onToken?: (event: StreamEvent) => void;
  /** Keep each step's raw next-token logits (tests, log-probs). */
  returnLogits?: boolean;
}

export interface GeneratedSequence {
  prompt: number;
  sample: number;
  tokens: number[];
  finishReason: FinishReason;
  /** Decoded generated text (when `decode` was given), cut before a stop string. */
  text?: string;
  /** Raw logits for each generated token (returnLogits). */
  logits?: Float32Array[];
}

export function validateGenerateOptions(config: ModelConfig, prompts: readonly (readonly number[])[], options: GenerateOptions): void {
  if (!Array.isArray(prompts) || prompts.length === 0) throw new Error('generate: pass at least one prompt');
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new Error(`generate: prompt ${i} is empty`);
    for (const id of p) if (!Number.isInteger(id) || id < 0 || id >= config.vocabSize) throw new Error(`generate: prompt ${i} has token id ${id} outside the vocabulary (size ${config.vocabSize})`);
  });
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 1) throw new RangeError(`generate: maxNewTokens must be an integer ≥ 1, got ${options.maxNewTokens}`);
  if (options.n !== undefined && (!Number.isInteger(options.n) || options.n < 1)) throw new RangeError(`generate: n must be an integer ≥ 1, got ${options.n}`);
  if (options.stopStrings?.length && !options.decode) throw new Error('generate: stopStrings need a decode function (a tokenizer)');
  if (options.stopStrings?.some((s) => typeof s !== 'string' || s.length === 0)) throw new Error('generate: stop strings must be non-empty strings');
  if (options.seeds !== undefined) {
    const expected = prompts.length * (options.n ?? 1);
    if (options.seeds.length !== expected) throw new Error(`generate: seeds has ${options.seeds.length} values for ${expected} sequences (prompts × n)`);
    for (const seed of options.seeds) if (!Number.isSafeInteger(seed)) throw new RangeError(`generate: seeds must be integers, got ${seed}`);
  }
  if (options.padding !== undefined && options.padding !== 'left' && options.padding !== 'right') throw new Error(`generate: padding must be "left" or "right", got ${options.padding}`);
  if (options.sampling) {
    const { temperature } = options.sampling;
    if (temperature !== undefined && (typeof temperature !== 'number' || !(temperature >= 0))) throw new RangeError(`temperature must be ≥ 0, got ${temperature}`);
    samplingProcessors({ ...options.sampling, temperature: temperature || undefined }); // validates every knob
    if (options.sampling.seed !== undefined && !Number.isSafeInteger(options.sampling.seed)) throw new RangeError(`seed must be an integer, got ${options.sampling.seed}`);
  }
}

/** Index of the earliest stop string in `text`, or null. */
export function firstStop(text: string, stops: readonly string[]): number | null {
  let best: number | null = null;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (best === null || i < best)) best = i;
  }
  return best;
}
