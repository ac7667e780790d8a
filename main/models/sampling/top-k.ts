// Top-k: keep the k highest logits (ties at the boundary broken by lower token id), drop the rest.
import { requireNumber, sortedByLogit, type LogitsProcessor } from './processor.ts';

export class TopKFilter implements LogitsProcessor {
  readonly name = 'top-k';
  readonly k: number;
  constructor(k: number) {
    this.k = requireNumber('top-k', k, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
  }
  apply(_ids: readonly number[], logits: Float64Array): void {
    if (this.k >= logits.length) return;
    for (const i of sortedByLogit(logits).slice(this.k)) logits[i] = -Infinity;
  }
}
