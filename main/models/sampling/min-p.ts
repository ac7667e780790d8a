// Min-p: drop tokens whose probability is below min_p × the top token's probability.
import { requireNumber, softmax, type LogitsProcessor } from './processor.ts';

export class MinPFilter implements LogitsProcessor {
  readonly name = 'min-p';
  readonly minP: number;
  constructor(minP: number) {
    this.minP = requireNumber('min-p', minP, (v) => v >= 0 && v <= 1, 'in [0, 1]');
  }
  apply(_ids: readonly number[], logits: Float64Array): void {
    if (this.minP === 0) return;
    const probs = softmax(logits);
    let top = 0;
    for (let i = 0; i < probs.length; i++) if (probs[i] > top) top = probs[i];
    const threshold = this.minP * top;
    for (let i = 0; i < logits.length; i++) if (probs[i] < threshold) logits[i] = -Infinity;
  }
}
