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

const NUMBER = /\d+(?:[.,]\d+)*/g;

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** 32-bit finalizer (murmur3 fmix32): spreads a polynomial hash over all bits. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
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

  async embed(texts: readonly string[]): Promise<Float32Array> {
    return this.embedSync(texts);
  }

  /** The same as `embed`, synchronously (the work is pure CPU). */
  embedSync(texts: readonly string[]): Float32Array {
    const out = new Float32Array(texts.length * this.dimension);
    const acc = new Float64Array(this.dimension);
    for (let i = 0; i < texts.length; i++) {
      const text = normalizeForEmbedding(texts[i]);
      if (text === '') continue; // a zero row: similar to nothing
      acc.fill(0);
      this.accumulate(text, acc);
      this.finish(acc, out, i * this.dimension);
    }
    return out;
  }

  private accumulate(text: string, acc: Float64Array): void {
    const mask = this.textDimension - 1;
    const len = text.length;
    for (const n of this.ngrams) {
      const seed = Math.imul(n, 0x9e3779b1);
      for (let start = 0; start + n <= len; start++) {
        let h = seed;
        for (let k = 0; k < n; k++) h = Math.imul(h ^ text.charCodeAt(start + k), 0x01000193);
        h = mix(h);
        acc[h & mask] += h < 0 ? -1 : 1;
      }
    }
    const numberMask = this.numberDimension - 1;
    let found = false;
    for (const match of text.matchAll(NUMBER)) {
      found = true;
      const value = match[0].replace(/,/g, '');
      let h = 0x811c9dc5;
      for (let k = 0; k < value.length; k++) h = Math.imul(h ^ value.charCodeAt(k), 0x01000193);
      h = mix(h);
      acc[this.textDimension + (h & numberMask)] += h < 0 ? -1 : 1;
    }
    if (!found) acc[this.textDimension] = 1;
  }

  /** Square-root damping, then each block scaled to its share of a unit norm. */
  private finish(acc: Float64Array, out: Float32Array, offset: number): void {
    let textNorm = 0;
    for (let j = 0; j < this.textDimension; j++) {
      const v = acc[j];
      const damped = v < 0 ? -Math.sqrt(-v) : Math.sqrt(v);
      acc[j] = damped;
      textNorm += damped * damped;
    }
    let numberNorm = 0;
    for (let j = this.textDimension; j < this.dimension; j++) numberNorm += acc[j] * acc[j];
    if (textNorm === 0 && numberNorm === 0) return;
    // A block that is empty (no text n-grams) gives its share to the other so the vector stays unit length.
    let textWeight = textNorm > 0 ? Math.sqrt(1 - this.numberShare) : 0;
    let numberWeight = numberNorm > 0 ? Math.sqrt(this.numberShare) : 0;
    const total = Math.sqrt(textWeight * textWeight + numberWeight * numberWeight);
    textWeight /= total;
    numberWeight /= total;
    const ts = textNorm > 0 ? textWeight / Math.sqrt(textNorm) : 0;
    const ns = numberNorm > 0 ? numberWeight / Math.sqrt(numberNorm) : 0;
    for (let j = 0; j < this.textDimension; j++) out[offset + j] = acc[j] * ts;
    for (let j = this.textDimension; j < this.dimension; j++) out[offset + j] = acc[j] * ns;
  }
}
