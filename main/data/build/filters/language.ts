// Language-consistency filter: the share of the thinking's prose (code, math, markdown stripped) in the
// target language must reach `minScore` (main/rewards language consistency).
import { languageConsistency } from '../../../rewards/index.ts';
import { fieldText, type BuildSample, type FilterDecision, type SampleField, type SampleFilter } from '../sample.ts';

export type LanguageFilterOptions = {
  name?: string;
  /** Language code ('ko', 'en', ...); default: detected from each prompt. */
  target?: string;
  minScore: number;
  /** Which text is scored (default 'thinking'; samples without thinking are scored on their answer). */
  field?: SampleField;
};

export class LanguageFilter implements SampleFilter {
  readonly name: string;
  constructor(private readonly options: LanguageFilterOptions) {
    this.name = options.name ?? 'language';
    if (!(options.minScore >= 0 && options.minScore <= 1)) throw new Error(`language filter: min_score must be in [0, 1], got ${options.minScore}`);
  }
  async decide(samples: readonly BuildSample[]): Promise<FilterDecision[]> {
    const field = this.options.field ?? 'thinking';
    return samples.map((sample) => {
      const text = field === 'thinking' && !sample.thinking ? sample.answer : fieldText(sample, field);
      const result = languageConsistency(text, { target: this.options.target, prompt: sample.prompt });
      const keep = result.score >= this.options.minScore;
      return { keep, score: result.score, label: result.detected ?? undefined, reason: keep ? undefined : `${result.target} share ${result.score.toFixed(2)} < ${this.options.minScore}` };
    });
  }
}
