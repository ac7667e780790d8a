// Length filter: bounds in characters on the response and (optionally) on its thinking. Responses the
// server cut at max_tokens (finish_reason "length") are dropped unless allowed: they end mid-thought.
import type { BuildSample, FilterDecision, SampleFilter } from '../sample.ts';

export type LengthFilterOptions = {
  name?: string;
  minChars?: number;
  maxChars?: number;
  minThinkingChars?: number;
  maxThinkingChars?: number;
  allowTruncated?: boolean;
};

export class LengthFilter implements SampleFilter {
  readonly name: string;
  constructor(private readonly options: LengthFilterOptions) {
    this.name = options.name ?? 'length';
    const { minChars = 0, maxChars = Infinity } = options;
    if (minChars > maxChars) throw new Error(`length filter: min_chars (${minChars}) is larger than max_chars (${maxChars})`);
  }
  async decide(samples: readonly BuildSample[]): Promise<FilterDecision[]> {
    const o = this.options;
    return samples.map((sample) => {
      const chars = [...sample.response].length;
      const thinking = [...sample.thinking].length;
      if (!o.allowTruncated && sample.finishReason === 'length') return { keep: false, reason: 'cut at max_tokens', score: chars };
      if (o.minChars !== undefined && chars < o.minChars) return { keep: false, reason: `${chars} chars < ${o.minChars}`, score: chars };
      if (o.maxChars !== undefined && chars > o.maxChars) return { keep: false, reason: `${chars} chars > ${o.maxChars}`, score: chars };
      if (o.minThinkingChars !== undefined && thinking < o.minThinkingChars) return { keep: false, reason: `thinking ${thinking} chars < ${o.minThinkingChars}`, score: chars };
      if (o.maxThinkingChars !== undefined && thinking > o.maxThinkingChars) return { keep: false, reason: `thinking ${thinking} chars > ${o.maxThinkingChars}`, score: chars };
      return { keep: true, score: chars };
    });
  }
}
