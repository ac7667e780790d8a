// Top-k: keep the k highest logits (ties at the boundary broken by lower token id), drop the rest.
// The k-th largest value comes from a native numeric sort of a copy (no comparator-driven index sort:
// that costs ~20 ms per row at a 150k vocabulary).
import { requireNumber, type LogitsProcessor } from './processor.ts';

export class TopKFilter implements LogitsProcessor {
  readonly name = 'top-k';
  readonly k: number;
  constructor(k: number) {
    this.k = requireNumber('top-k', k, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
  }
  apply(_ids: readonly number[], logits: Float64Array): void {
    if (this.k >= logits.length) return;
    const kth = Float64Array.from(logits).sort()[logits.length - this.k];
    let aboveCount = 0;
    for (let i = 0; i < logits.length; i++) if (logits[i] > kth) aboveCount++;
    let tiesToKeep = this.k - aboveCount;
    for (let i = 0; i < logits.length; i++) {
      if (logits[i] > kth) continue;
      if (logits[i] === kth && tiesToKeep > 0) tiesToKeep--;
      else logits[i] = -Infinity;
    }
  }
}
