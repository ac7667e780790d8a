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

/** Softmax probabilities (−Infinity logits get 0). Indexed loops: iterators over typed arrays are several times slower at 150k entries. */
export function softmax(logits: Float64Array): Float64Array {
  const n = logits.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i] > max) max = logits[i];
  const p = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += p[i] = Math.exp(logits[i] - max); // exp(−Infinity) = 0
  const inv = 1 / sum;
  for (let i = 0; i < n; i++) p[i] *= inv;
  return p;
}
