// Format filter: one thinking block with something in it and a non-empty answer after it (and a final
// answer when asked), as the format reward checks.
import { checkFormat, type FormatConfig } from '../../../rewards/index.ts';
import type { BuildSample, FilterDecision, SampleFilter } from '../sample.ts';

export class FormatFilter implements SampleFilter {
  readonly name: string;
  constructor(private readonly options: FormatConfig & { name?: string } = {}) {
    this.name = options.name ?? 'format';
  }
  async decide(samples: readonly BuildSample[]): Promise<FilterDecision[]> {
    return samples.map((sample) => {
      const result = checkFormat(sample.response, this.options);
      return result.score === 1 ? { keep: true } : { keep: false, reason: result.reasons.join('; ') };
    });
  }
}
