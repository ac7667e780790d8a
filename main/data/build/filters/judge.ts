// Judge filter: an LLM judge (main/llm JudgeClient: retries, Retry-After, key redaction) scores each
// response in [0, 1] against a rubric; responses below `minScore`, or with no readable score, are dropped.
import { JudgeClient, type JudgeClientOptions } from '../../../llm/judge-client.ts';
import type { BuildSample, FilterContext, FilterDecision, SampleFilter } from '../sample.ts';

export type JudgeFilterOptions = {
  name?: string;
  client: JudgeClientOptions;
  minScore: number;
  rubric?: 'ko' | 'en';
  /** Judge the answer only (default) or the whole response with its thinking. */
  field?: 'answer' | 'response';
};

export class JudgeFilter implements SampleFilter {
  readonly name: string;
  private readonly client: JudgeClient;
  constructor(private readonly options: JudgeFilterOptions) {
    this.name = options.name ?? 'judge';
    if (!(options.minScore >= 0 && options.minScore <= 1)) throw new Error(`judge filter: min_score must be in [0, 1], got ${options.minScore}`);
    this.client = new JudgeClient(options.client);
  }
  async decide(samples: readonly BuildSample[], ctx: FilterContext): Promise<FilterDecision[]> {
    let done = 0;
    return Promise.all(
      samples.map(async (sample): Promise<FilterDecision> => {
        const result = await this.client.score(
          { prompt: sample.prompt, response: this.options.field === 'response' ? sample.response : sample.answer, reference: sample.gold ?? undefined, rubric: this.options.rubric },
          ctx.signal,
        );
        if (++done % 100 === 0) ctx.log(`judge: ${done}/${samples.length} scored`);
        if (result.score === null) return { keep: false, reason: 'judge reply had no readable score' };
        return { keep: result.score >= this.options.minScore, score: result.score };
      }),
    );
  }
}
