// Outcome filter: keeps a response whose final answer verifies against the prompt's gold answer
// (main/rewards math verification: numbers, fractions, expressions, sets, choices).
import { verifyResponse } from '../../../rewards/index.ts';
import type { BuildSample, FilterDecision, SampleFilter } from '../sample.ts';

export type OutcomeFilterOptions = {
  name?: string;
  /** What to do with prompts that have no gold answer (default 'keep': conversation prompts pass). */
  missingGold?: 'keep' | 'drop';
};

export class OutcomeFilter implements SampleFilter {
  readonly name: string;
  constructor(private readonly options: OutcomeFilterOptions = {}) {
    this.name = options.name ?? 'outcome';
  }
  async decide(samples: readonly BuildSample[]): Promise<FilterDecision[]> {
    return samples.map((sample) => {
      if (sample.gold === null || sample.gold.trim() === '') {
        return { keep: (this.options.missingGold ?? 'keep') === 'keep', reason: 'no gold answer' };
      }
      const verdict = verifyResponse(sample.response, sample.gold);
      return { keep: verdict.correct, reason: verdict.reason, label: verdict.pred ?? undefined };
    });
  }
}
