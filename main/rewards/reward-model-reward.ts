// Reward-model reward applied to the summary only (as in DeepSeek-R1 and the reference recipe): the
// thinking is never shown to the reward model. The scorer is passed in, so this module does not depend on
// the model code; the models stage provides one built on sequence classification.
import { DEFAULT_THINK_TAGS, splitThinking, type ThinkTags } from './think-split.ts';
import { checkAligned, completionText, type CompletionInput } from './types.ts';

/** Scores a (prompt, summary) pair with a reward model. Higher is better; the scale is the model's. */
export type SummaryScorer = (prompt: string, summary: string) => Promise<number>;

export type RewardModelContext = {
  prompts: readonly string[];
  scorer: SummaryScorer;
  tags?: ThinkTags;
  /** Score for a response with an empty summary (default null: not scored). */
  emptySummaryScore?: number | null;
  /** Calls in flight at once (default 8). */
  concurrency?: number;
};

/** Runs `fn` over `items` with at most `limit` promises pending, keeping the order of results. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!(limit >= 1)) throw new Error('concurrency must be at least 1');
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function rewardModelReward(completions: readonly CompletionInput[], ctx: RewardModelContext): Promise<(number | null)[]> {
  checkAligned('prompts', ctx.prompts, completions.length);
  const tags = ctx.tags ?? DEFAULT_THINK_TAGS;
  return mapLimited(completions, ctx.concurrency ?? 8, async (c, i) => {
    const split = splitThinking(completionText(c), tags);
    // A truncated response has no summary at all.
    const summary = split.status === 'unclosed' ? '' : split.summary;
    if (!summary) return ctx.emptySummaryScore ?? null;
    const score = await ctx.scorer(ctx.prompts[i], summary);
    if (!Number.isFinite(score)) throw new Error(`reward model returned a non-finite score (${score}) for sample ${i}`);
    return score;
  });
}
