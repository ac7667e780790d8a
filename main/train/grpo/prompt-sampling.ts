// Which prompts a GRPO step samples, beyond the plain shuffled stream (the trainer's data cursor):
//
//   VarianceAwareSampler  Variance-Aware Sampling (MMR1). Each prompt gets a Variance Promotion Score,
//                         VPS = α·OVS + β·TDS, from its last visit: OVS = p(1 − p), the Bernoulli variance of
//                         its pass rate p (largest at p = ½, where a group's rewards differ most), and TDS, the
//                         diversity of its responses (1 − mean pairwise Jaccard similarity of their token
//                         bigrams, a cheap stand-in for MMR1's inverse self-BLEU). A share `ratio` of each
//                         batch is drawn with probability ∝ VPS, the rest from the ordinary stream. Unvisited
//                         prompts score the maximum (α·¼ + β), so every prompt is tried before it is ranked.
//   CurriculumBandit      Self-Evolving Curriculum (SEC). Prompt categories (a data column, or pass-rate
//                         buckets) are arms of a non-stationary bandit. Each slot of a batch picks an arm by
//                         Boltzmann sampling over the arms' values Q (temperature τ), then a prompt of that arm
//                         uniformly; after the step each sampled arm's reward is the mean absolute advantage of
//                         its responses (the learning gain proxy of the paper) and Q ← α·r + (1 − α)·Q (TD(0)).
//
// Both keep plain-JSON state (checkpointed with the data cursor) and draw from an Rng passed in, so a
// resumed run samples exactly as an uninterrupted one.
import type { Rng } from '../../engine/index.ts';

export interface VasOptions {
  /** Share of each batch drawn by VPS (λ); the rest comes from the ordinary shuffled stream. */
  ratio: number;
  /** α: weight of the outcome variance score. */
  outcomeWeight: number;
  /** β: weight of the trajectory diversity score. */
  diversityWeight: number;
}

export interface VasPromptState {
  /** Pass rate at the last visit. */
  passRate: number;
  /** Trajectory diversity at the last visit, in [0, 1]. */
  diversity: number;
}

/** Bernoulli variance p(1 − p) of a pass rate. */
export function outcomeVariance(passRate: number): number {
  return passRate * (1 - passRate);
}

function bigrams(tokens: readonly number[]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + 1 < tokens.length; i++) out.add(`${tokens[i]},${tokens[i + 1]}`);
  if (tokens.length === 1) out.add(String(tokens[0]));
  return out;
}

/**
 * 1 − mean pairwise Jaccard similarity of the responses' token-bigram sets: 0 when all responses are the
 * same, 1 when no two share a bigram. Fewer than two responses: 0.
 */
export function trajectoryDiversity(responses: readonly (readonly number[])[]): number {
  if (responses.length < 2) return 0;
  const sets = responses.map(bigrams);
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      const a = sets[i];
      const b = sets[j];
      let shared = 0;
      for (const x of a) if (b.has(x)) shared++;
      const union = a.size + b.size - shared;
      sum += union === 0 ? 1 : shared / union;
      pairs++;
    }
  }
  return 1 - sum / pairs;
}

/** Index drawn with probability ∝ weights (all ≥ 0, at least one > 0). */
export function drawWeighted(weights: readonly number[], rng: Rng): number {
  let total = 0;
  for (const w of weights) total += w;
  if (!(total > 0)) throw new Error('drawWeighted: no positive weight');
  let u = rng.uniform() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0 && weights[i] > 0) return i;
  }
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i; // rounding at the top end
  throw new Error('unreachable');
}

export class VarianceAwareSampler {
  private readonly visits: Map<string, VasPromptState>;

  constructor(
    private readonly options: VasOptions,
    state: Record<string, VasPromptState> = {},
  ) {
    if (!(options.ratio >= 0 && options.ratio <= 1)) throw new RangeError(`variance-aware sampling: ratio must be in [0, 1], got ${options.ratio}`);
    if (!(options.outcomeWeight >= 0 && options.diversityWeight >= 0) || options.outcomeWeight + options.diversityWeight === 0) {
      throw new RangeError('variance-aware sampling: outcomeWeight and diversityWeight must be ≥ 0 and not both 0');
    }
    this.visits = new Map(Object.entries(state).map(([k, v]) => [k, { ...v }]));
  }

  /** VPS of a prompt; unvisited prompts get the maximum, α/4 + β. */
  score(id: string): number {
    const v = this.visits.get(id);
    if (!v) return this.options.outcomeWeight / 4 + this.options.diversityWeight;
    return this.options.outcomeWeight * outcomeVariance(v.passRate) + this.options.diversityWeight * v.diversity;
  }

  /** Whether this slot of the batch is drawn by VPS (else: the ordinary stream). */
  drawsByScore(rng: Rng): boolean {
    return this.options.ratio > 0 && rng.uniform() < this.options.ratio;
  }

  /**
   * A prompt id drawn with probability ∝ VPS among `ids` not in `exclude`; null when every candidate
   * scores 0 (all solved or all failed with identical responses) or is excluded.
   */
  draw(ids: readonly string[], exclude: ReadonlySet<string>, rng: Rng): string | null {
    const weights = ids.map((id) => (exclude.has(id) ? 0 : this.score(id)));
    if (!weights.some((w) => w > 0)) return null;
    return ids[drawWeighted(weights, rng)];
  }

  observe(id: string, passRate: number, responses: readonly (readonly number[])[]): void {
    this.visits.set(id, { passRate, diversity: trajectoryDiversity(responses) });
  }

  state(): Record<string, VasPromptState> {
    return Object.fromEntries([...this.visits].map(([k, v]) => [k, { ...v }]));
  }
}

export interface CurriculumOptions {
  /** α: step size of the TD(0) update of an arm's value. */
  learningRate: number;
  /** τ: Boltzmann temperature over the arms' values (smaller: greedier). */
  temperature: number;
}

export interface CurriculumState {
  /** Q value per arm. */
  values: Record<string, number>;
  /** Times each arm was picked. */
  picks: Record<string, number>;
}

export class CurriculumBandit {
  private readonly values: Map<string, number>;
  private readonly picks: Map<string, number>;

  constructor(
    readonly arms: readonly string[],
    private readonly options: CurriculumOptions,
    state: CurriculumState = { values: {}, picks: {} },
  ) {
    if (arms.length === 0) throw new Error('curriculum: no categories');
    if (!(options.learningRate > 0 && options.learningRate <= 1)) throw new RangeError(`curriculum: learningRate must be in (0, 1], got ${options.learningRate}`);
    if (!(options.temperature > 0)) throw new RangeError(`curriculum: temperature must be > 0, got ${options.temperature}`);
    // Arms start at Q = 0, as in the paper: the softmax is uniform until rewards come in.
    this.values = new Map(arms.map((a) => [a, state.values[a] ?? 0]));
    this.picks = new Map(arms.map((a) => [a, state.picks[a] ?? 0]));
  }

  /** Boltzmann probabilities softmax(Q/τ) over the arms, in `arms` order. */
  probabilities(available: readonly string[] = this.arms): number[] {
    const q = available.map((a) => this.values.get(a)! / this.options.temperature);
    const max = Math.max(...q);
    const e = q.map((v) => Math.exp(v - max));
    const z = e.reduce((s, v) => s + v, 0);
    return e.map((v) => v / z);
  }

  /** Picks an arm among `available` (default: all) by Boltzmann sampling. */
  pick(rng: Rng, available: readonly string[] = this.arms): string {
    if (available.length === 0) throw new Error('curriculum: no category left to pick');
    const arm = available[drawWeighted(this.probabilities(available), rng)];
    this.picks.set(arm, (this.picks.get(arm) ?? 0) + 1);
    return arm;
  }

  /** TD(0): Q ← α·r + (1 − α)·Q for each arm that was sampled this step (others keep their value). */
  update(rewards: ReadonlyMap<string, number>): void {
    for (const [arm, r] of rewards) {
      if (!this.values.has(arm)) throw new Error(`curriculum: unknown category "${arm}"`);
      if (!Number.isFinite(r)) throw new Error(`curriculum: reward of "${arm}" is ${r}`);
      const a = this.options.learningRate;
      this.values.set(arm, a * r + (1 - a) * this.values.get(arm)!);
    }
  }

  value(arm: string): number {
    return this.values.get(arm) ?? NaN;
  }

  state(): CurriculumState {
    return { values: Object.fromEntries(this.values), picks: Object.fromEntries(this.picks) };
  }
}

/** Pass-rate bucket of a prompt for the curriculum's 'passRate' categories: 'unseen', or 'b0'…'b{n−1}'. */
export function passRateBucket(passRate: number | null, buckets: number): string {
  if (passRate === null) return 'unseen';
  return `b${Math.min(buckets - 1, Math.floor(passRate * buckets))}`;
}

/** Mean absolute advantage per category over the groups of one step (SEC's reward). */
export function categoryRewards(groups: readonly { category: string; advantages: ArrayLike<number> }[]): Map<string, number> {
  const sums = new Map<string, { sum: number; n: number }>();
  for (const g of groups) {
    const s = sums.get(g.category) ?? { sum: 0, n: 0 };
    for (let i = 0; i < g.advantages.length; i++) {
      s.sum += Math.abs(g.advantages[i]);
      s.n++;
    }
    sums.set(g.category, s);
  }
  return new Map([...sums].map(([k, { sum, n }]) => [k, n ? sum / n : 0]));
}
