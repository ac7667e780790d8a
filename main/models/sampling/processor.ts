// A logits processor: one generation knob, applied in place to one row's next-token logits.
// Filters set excluded tokens to −Infinity; warpers rescale. `ids` is the row's sequence so far
// (prompt + generated), for knobs that depend on history.
export interface LogitsProcessor {
  readonly name: string;
  apply(ids: readonly number[], logits: Float64Array): void;
}

export function requireNumber(knob: string, value: number, ok: (v: number) => boolean, expected: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || !ok(value)) throw new RangeError(`${knob} must be ${expected}, got ${value}`);
  return value;
}

/** Token indices sorted by descending logit. */
export function sortedByLogit(logits: Float64Array): number[] {
  return Array.from({ length: logits.length }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
}

/** Softmax probabilities (−Infinity logits get 0). */
export function softmax(logits: Float64Array): Float64Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const p = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += p[i] = logits[i] === -Infinity ? 0 : Math.exp(logits[i] - max);
  for (let i = 0; i < p.length; i++) p[i] /= sum;
  return p;
}
