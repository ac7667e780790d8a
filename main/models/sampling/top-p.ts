// Top-p (nucleus): keep the smallest set of most likely tokens whose probability mass reaches p
// (the most likely token is always kept), as transformers' TopPLogitsWarper.
// Only tokens with probability ≥ (1 − p)/V are candidates: the others hold at most 1 − p of the mass in
// total, so the ones above the threshold already reach p and the nucleus lies among them.
// A flat distribution (a fresh model, a hard prompt) leaves most of a 150k vocabulary as candidates, and
// sorting them costs ~0.1 s per token. So large candidate sets are narrowed first by bucketing their
// probabilities: buckets above the one where the mass crosses p are kept whole, and only that bucket is
// looked at again, until few enough tokens remain to sort (ties broken by lower token id).
import { requireNumber, softmax, type LogitsProcessor } from './processor.ts';

/** Candidate sets up to this size are sorted directly (and give bit-identical results to a full sort). */
const SORT_LIMIT = 2048;
const BUCKETS = 256;

export class TopPFilter implements LogitsProcessor {
  readonly name = 'top-p';
  readonly p: number;
  constructor(p: number) {
    this.p = requireNumber('top-p', p, (v) => v > 0 && v <= 1, 'in (0, 1]');
  }
  apply(_ids: readonly number[], logits: Float64Array): void {
    if (this.p === 1) return;
    const n = logits.length;
    const probs = softmax(logits);
    const threshold = (1 - this.p) / n;
    let candidates: Int32Array = new Int32Array(n);
    let count = 0;
    for (let i = 0; i < n; i++) if (probs[i] >= threshold && probs[i] > 0) candidates[count++] = i;
    candidates = candidates.subarray(0, count);

    const keep = new Uint8Array(n);
    let kept = 0;
    let mass = 0;
    while (candidates.length > SORT_LIMIT) {
      const narrowed = this.narrow(candidates, probs, mass, keep);
      if (narrowed === null) break; // all tied: the sort below orders them by id
      kept += narrowed.kept;
      mass += narrowed.mass;
      candidates = narrowed.rest;
    }
    const order = Array.from(candidates).sort((a, b) => probs[b]! - probs[a]! || a - b);
    for (const i of order) {
      if (kept > 0 && mass >= this.p) break;
      keep[i] = 1;
      kept++;
      mass += probs[i]!;
    }
    for (let i = 0; i < n; i++) if (!keep[i]) logits[i] = -Infinity;
  }

  /**
   * One bucketing pass: marks the candidates in buckets wholly inside the nucleus as kept and returns the
   * bucket where the mass (`above` so far) crosses p, or null when every candidate has the same probability.
   */
  private narrow(candidates: Int32Array, probs: Float64Array, above: number, keep: Uint8Array): { kept: number; mass: number; rest: Int32Array } | null {
    let lo = Infinity;
    let hi = -Infinity;
    for (const i of candidates) {
      const q = probs[i]!;
      if (q < lo) lo = q;
      if (q > hi) hi = q;
    }
    if (hi === lo) return null;
    const scale = BUCKETS / (hi - lo);
    const bucketOf = (q: number) => Math.min(BUCKETS - 1, Math.floor((q - lo) * scale));
    const bucketMass = new Float64Array(BUCKETS);
    const bucketCount = new Int32Array(BUCKETS);
    for (const i of candidates) {
      const b = bucketOf(probs[i]!);
      bucketMass[b] += probs[i]!;
      bucketCount[b]++;
    }
    let crossing = BUCKETS - 1;
    let mass = 0;
    for (; crossing >= 0; crossing--) {
      if (above + mass + bucketMass[crossing]! >= this.p) break;
      mass += bucketMass[crossing]!;
    }
    // Rounding can leave the candidates' total a hair under p: then the nucleus is all of them.
    if (crossing < 0) crossing = 0;
    const rest = new Int32Array(bucketCount[crossing]!);
    let r = 0;
    let kept = 0;
    mass = 0;
    for (const i of candidates) {
      const b = bucketOf(probs[i]!);
      if (b > crossing) {
        keep[i] = 1;
        kept++;
        mass += probs[i]!;
      } else if (b === crossing) rest[r++] = i;
    }
    return { kept, mass, rest };
  }
}
