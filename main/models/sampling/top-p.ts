// Top-p (nucleus): keep the smallest set of most likely tokens whose probability mass reaches p
// (the most likely token is always kept), as transformers' TopPLogitsWarper.
// Only tokens with probability ≥ (1 − p)/V are sorted: the others hold at most 1 − p of the mass in
// total, so the ones above the threshold already reach p and the nucleus lies among them.
import { requireNumber, softmax, type LogitsProcessor } from './processor.ts';

export class TopPFilter implements LogitsProcessor {
  readonly name = 'top-p';
  readonly p: number;
  constructor(p: number) {
    this.p = requireNumber('top-p', p, (v) => v > 0 && v <= 1, 'in (0, 1]');
  }
  apply(_ids: readonly number[], logits: Float64Array): void {
    if (this.p === 1) return;
    const probs = softmax(logits);
    const threshold = (1 - this.p) / logits.length;
    const candidates: number[] = [];
    for (let i = 0; i < probs.length; i++) if (probs[i] >= threshold && probs[i] > 0) candidates.push(i);
    candidates.sort((a, b) => probs[b] - probs[a] || a - b);
    const keep = new Uint8Array(logits.length);
    let mass = 0;
    for (let n = 0; n < candidates.length && (n === 0 || mass < this.p); n++) {
      keep[candidates[n]] = 1;
      mass += probs[candidates[n]];
    }
    for (let i = 0; i < logits.length; i++) if (!keep[i]) logits[i] = -Infinity;
  }
}
