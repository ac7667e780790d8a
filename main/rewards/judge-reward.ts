// Generative reward: an LLM judge scores each response (by default its summary) with a rubric.
import type { Judge } from './judge/types.ts';
import type { Rubric } from './judge/rubrics.ts';
import { mapLimited } from './reward-model-reward.ts';
import { DEFAULT_THINK_TAGS, splitThinking, type ThinkTags } from './think-split.ts';
import { checkAligned, completionText, type CompletionInput } from './types.ts';

export type JudgeContext = {
  prompts: readonly string[];
  judge: Judge;
  rubric?: 'ko' | 'en' | Rubric;
  references?: readonly (string | undefined)[];
  /** What the judge sees: the summary (default) or the full response. */
  on?: 'summary' | 'full';
  tags?: ThinkTags;
  /** Called for a sample whose judging failed (after retries); the sample's reward is null. */
  onError?: (index: number, error: Error) => void;
};

/** Scores in [0, 1]; null where the judge failed or its reply had no readable score. */
export async function judgeReward(completions: readonly CompletionInput[], ctx: JudgeContext): Promise<(number | null)[]> {
  checkAligned('prompts', ctx.prompts, completions.length);
  checkAligned('references', ctx.references, completions.length);
  // The client's own semaphore bounds concurrency; this only avoids creating every promise at once.
  return mapLimited(completions, 64, async (c, i) => {
    const text = completionText(c);
    const shown = ctx.on === 'full' ? text : splitThinking(text, ctx.tags ?? DEFAULT_THINK_TAGS).summary;
    if (!shown) return null;
    try {
      const r = await ctx.judge.score({ prompt: ctx.prompts[i], response: shown, reference: ctx.references?.[i], rubric: ctx.rubric });
      return r.score;
    } catch (err) {
      ctx.onError?.(i, err as Error);
      return null;
    }
  });
}
