// Difficulty from pass rate: a chosen model's k precomputed samples per prompt give its pass rate; prompts
// are 'easy' (pass rate >= easyAt), 'too_hard' (pass rate <= hardAt) or 'learnable' in between. Too-hard
// prompts hurt small students in distillation, and prompts whose rollouts all agree teach RL nothing, so
// the default keeps only 'learnable' and 'easy' ones.
import type { BuildSample, FilterDecision, SampleFilter } from '../sample.ts';

export type Difficulty = 'easy' | 'learnable' | 'too_hard';

export type PassRate = { correct: number; total: number };

export type DifficultyFilterOptions = {
  name?: string;
  /** Pass counts per prompt id, from the precomputed samples. */
  passRates: ReadonlyMap<string, PassRate>;
  /** Pass rate at or above which a prompt is easy (default 1: every sample right). */
  easyAt?: number;
  /** Pass rate at or below which a prompt is too hard (default 0: every sample wrong). */
  hardAt?: number;
  keep?: readonly Difficulty[];
  /** Prompts without precomputed samples (default 'keep'). */
  missing?: 'keep' | 'drop';
};

export function classifyDifficulty(rate: number, easyAt = 1, hardAt = 0): Difficulty {
  if (rate >= easyAt) return 'easy';
  if (rate <= hardAt) return 'too_hard';
  return 'learnable';
}

export class DifficultyFilter implements SampleFilter {
  readonly name: string;
  constructor(private readonly options: DifficultyFilterOptions) {
    this.name = options.name ?? 'difficulty';
    const { easyAt = 1, hardAt = 0 } = options;
    if (!(hardAt >= 0 && easyAt <= 1 && hardAt < easyAt)) throw new Error(`difficulty: need 0 <= hard_at < easy_at <= 1, got hard_at ${hardAt}, easy_at ${easyAt}`);
  }
  async decide(samples: readonly BuildSample[]): Promise<FilterDecision[]> {
    const keep = new Set(this.options.keep ?? ['easy', 'learnable']);
    return samples.map((sample) => {
      const pass = this.options.passRates.get(sample.promptId);
      if (!pass || pass.total === 0) return { keep: (this.options.missing ?? 'keep') === 'keep', reason: 'no precomputed samples for this prompt' };
      const rate = pass.correct / pass.total;
      const label = classifyDifficulty(rate, this.options.easyAt, this.options.hardAt);
      return { keep: keep.has(label), label, score: rate, reason: `pass rate ${pass.correct}/${pass.total}` };
    });
  }
}
