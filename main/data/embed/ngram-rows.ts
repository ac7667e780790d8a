// The n-gram hashing embedder's arithmetic (ngram-hash.ts explains the scheme), as one self-contained
// function so that worker threads can run its source (ngram-hash-parallel.ts).

/** What the embedding depends on (validated by the class; plain data so it can be posted to a worker). */
export type NgramHashConfig = { ngrams: readonly number[]; textDimension: number; numberDimension: number; numberShare: number };

/**
 * Embeds `texts` into `out` (row i at i × dimension). Self-contained on purpose (no imports, nothing from
 * module scope): ngram-hash-parallel.ts runs this function's source in worker threads.
 */
export function embedNgramRows(texts: readonly string[], out: Float32Array, config: NgramHashConfig): void {
  const { ngrams, textDimension, numberDimension, numberShare } = config;
  const dimension = textDimension + numberDimension;
  const NUMBER = /\d+(?:[.,]\d+)*/g;
  /** 32-bit finalizer (murmur3 fmix32): spreads a polynomial hash over all bits. */
  const mix = (h: number): number => {
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h;
  };
  const acc = new Float64Array(dimension);
  const accumulate = (text: string): void => {
    const mask = textDimension - 1;
    const len = text.length;
    for (const n of ngrams) {
      const seed = Math.imul(n, 0x9e3779b1);
      for (let start = 0; start + n <= len; start++) {
        let h = seed;
        for (let k = 0; k < n; k++) h = Math.imul(h ^ text.charCodeAt(start + k), 0x01000193);
        h = mix(h);
        acc[h & mask] += h < 0 ? -1 : 1;
      }
    }
    const numberMask = numberDimension - 1;
    let found = false;
    for (const match of text.matchAll(NUMBER)) {
      found = true;
      const value = match[0].replace(/,/g, '');
      let h = 0x811c9dc5;
      for (let k = 0; k < value.length; k++) h = Math.imul(h ^ value.charCodeAt(k), 0x01000193);
      h = mix(h);
      acc[textDimension + (h & numberMask)] += h < 0 ? -1 : 1;
    }
    if (!found) acc[textDimension] = 1;
  };
  /** Square-root damping, then each block scaled to its share of a unit norm. */
  const finish = (offset: number): void => {
    let textNorm = 0;
    for (let j = 0; j < textDimension; j++) {
      const v = acc[j];
      const damped = v < 0 ? -Math.sqrt(-v) : Math.sqrt(v);
      acc[j] = damped;
      textNorm += damped * damped;
    }
    let numberNorm = 0;
    for (let j = textDimension; j < dimension; j++) numberNorm += acc[j] * acc[j];
    if (textNorm === 0 && numberNorm === 0) return;
    // A block that is empty (no text n-grams) gives its share to the other so the vector stays unit length.
    let textWeight = textNorm > 0 ? Math.sqrt(1 - numberShare) : 0;
    let numberWeight = numberNorm > 0 ? Math.sqrt(numberShare) : 0;
    const total = Math.sqrt(textWeight * textWeight + numberWeight * numberWeight);
    textWeight /= total;
    numberWeight /= total;
    const ts = textNorm > 0 ? textWeight / Math.sqrt(textNorm) : 0;
    const ns = numberNorm > 0 ? numberWeight / Math.sqrt(numberNorm) : 0;
    for (let j = 0; j < textDimension; j++) out[offset + j] = acc[j] * ts;
    for (let j = textDimension; j < dimension; j++) out[offset + j] = acc[j] * ns;
  };
  for (let i = 0; i < texts.length; i++) {
    // The same normalization as normalizeForEmbedding (repeated here: this function must stand alone).
    const text = texts[i].normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
    if (text === '') continue; // a zero row: similar to nothing
    acc.fill(0);
    accumulate(text);
    finish(i * dimension);
  }
}
