// The built-in offline embedder: character n-gram feature hashing, no model, no download.
//
// Text is NFKC-normalized, lowercased and whitespace-collapsed, then every character n-gram (default 2-
// and 3-grams: Hangul syllables carry a lot per character, so short n-grams suit Korean) is hashed into
// one of `textDimension` buckets with a hashed sign (+1/-1). Signed hashing keeps the expected dot product
// of unrelated texts at zero instead of growing with shared common n-grams. Bucket counts are damped by a
// square root so that frequent n-grams ("the", "에서") do not dominate.
//
// Numbers get their own block of `numberDimension` buckets, weighted to `numberShare` of the squared norm:
// two problems from one template ("3x+5=20" vs "7x-2=12") share nearly all their text and differ only in
// their numbers, while a paraphrase keeps the numbers and changes the words. Texts without numbers put
// their whole number block on one fixed bucket, so two number-free texts compare on their words alone.
//
// cosine(a, b) = (1 - numberShare)·cos_text + numberShare·cos_numbers.
import type { Embedder } from './embedder.ts';
import { embedNgramParallel } from './ngram-hash-parallel.ts';
import { embedNgramRows, type NgramHashConfig } from './ngram-rows.ts';

/** Below this many texts, starting worker threads costs more than it saves. */
const PARALLEL_FROM = 8192;

export type NgramHashOptions = {
  /** Character n-gram lengths (default [2, 3]). */
  ngrams?: readonly number[];
  /** Buckets for text n-grams, a power of two (default 256). */
  textDimension?: number;
  /** Buckets for numbers, a power of two (default 64). */
  numberDimension?: number;
  /** Share of the squared norm given to numbers, in [0, 1) (default 0.5). */
  numberShare?: number;
};

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

export function normalizeForEmbedding(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

export class NgramHashEmbedder implements Embedder {
  readonly id: string;
  readonly dimension: number;
  private readonly ngrams: readonly number[];
  private readonly textDimension: number;
  private readonly numberDimension: number;
  private readonly numberShare: number;

  constructor(options: NgramHashOptions = {}) {
    this.ngrams = options.ngrams ?? [2, 3];
    this.textDimension = options.textDimension ?? 256;
    this.numberDimension = options.numberDimension ?? 64;
    this.numberShare = options.numberShare ?? 0.5;
    if (this.ngrams.length === 0 || this.ngrams.some((n) => !Number.isInteger(n) || n < 1 || n > 8)) {
      throw new Error(`ngrams must be integers in 1..8, got [${this.ngrams.join(', ')}]`);
    }
    if (!isPowerOfTwo(this.textDimension)) throw new Error(`textDimension must be a power of two, got ${this.textDimension}`);
    if (!isPowerOfTwo(this.numberDimension)) throw new Error(`numberDimension must be a power of two, got ${this.numberDimension}`);
    if (!(this.numberShare >= 0 && this.numberShare < 1)) throw new Error(`numberShare must be in [0, 1), got ${this.numberShare}`);
    this.dimension = this.textDimension + this.numberDimension;
    this.id = `ngram-hash:n=${this.ngrams.join('+')}:d=${this.textDimension}+${this.numberDimension}:w=${this.numberShare}`;
  }

  /** The settings the vectors depend on. */
  get config(): NgramHashConfig {
    return { ngrams: this.ngrams, textDimension: this.textDimension, numberDimension: this.numberDimension, numberShare: this.numberShare };
  }

  /** Large inputs are split over worker threads (one per core; the calling thread takes a share too). */
  async embed(texts: readonly string[]): Promise<Float32Array> {
    if (texts.length < PARALLEL_FROM) return this.embedSync(texts);
    return embedNgramParallel(texts, this.config);
  }

  /** The same as `embed`, synchronously on this thread (the work is pure CPU). */
  embedSync(texts: readonly string[]): Float32Array {
    const out = new Float32Array(texts.length * this.dimension);
    embedNgramRows(texts, out, this.config);
    return out;
  }
}
