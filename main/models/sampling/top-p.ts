// Top-p (nucleus): keep the smallest set of most likely tokens whose probability mass reaches p
// (the most likely token is always kept), as transformers' TopPLogitsWarper.
import { requireNumber, softmax, sortedByLogit, type LogitsProcessor } from './processor.ts';

export class TopPFilter implements LogitsProcessor {
  readonly name = 'top-p';
  readonly p: number;
  constructor(p: number) {
    this.p = requireNumber('top-p', p, (v) => v > 0 && v <= 1, 'in (0, 1]');
  }
  apply(_ids: readonly number[], logits: Float64Array): void {
    if (this.p === 1) return;
    const probs = softmax(logits);
    const order = sortedByLogit(logits);
    let mass = 0;
    let keep = 0;
    while (keep < order.length && mass < this.p) mass += probs[order[keep++]];
    for (const i of order.slice(Math.max(1, keep))) logits[i] = -Infinity;
  }
}
