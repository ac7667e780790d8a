// Accuracy (outcome) reward for math: 1 when the final answer matches the gold answer, else 0; null for
// samples without a gold answer.
import { verifyMath, type ChoiceOptions, type MathVerdict, type VerifyOptions } from './math/verify.ts';
import { DEFAULT_THINK_TAGS, splitThinking, type ThinkTags } from './think-split.ts';
import { checkAligned, completionText, type CompletionInput } from './types.ts';

export type AccuracyOptions = Omit<VerifyOptions, 'options'> & {
  tags?: ThinkTags;
  /**
   * Where the final answer is looked for. 'summary' (default): after a closed thinking block, only in the
   * summary, so an answer guessed mid-thinking does not count; a response without thinking is read whole; a
   * truncated response (thinking never closed) has no answer. 'all': the whole response.
   */
  answerFrom?: 'summary' | 'all';
};

/** The part of a response that should hold the final answer (null when it cannot have one). */
export function answerRegion(response: string, options: AccuracyOptions = {}): string | null {
  if (options.answerFrom === 'all') return response;
  const split = splitThinking(response, options.tags ?? DEFAULT_THINK_TAGS);
  if (split.status === 'no_thinking') return response;
  if (split.status === 'unclosed') return null;
  return split.summary;
}

/** Verdict for one response (full response, not just the answer). */
export function verifyResponse(response: string, gold: string, choices?: ChoiceOptions, options: AccuracyOptions = {}): MathVerdict {
  const region = answerRegion(response, options);
  if (region === null) {
    // The gold is still reported normalized, as in every other verdict.
    return { correct: false, extracted: null, pred: null, gold: verifyMath('', gold).gold, reason: 'unclosed_thinking' };
  }
  return verifyMath(region, gold, { ...options, options: choices });
}

export type AccuracyContext = AccuracyOptions & {
  gold: readonly (string | null | undefined)[];
  choices?: readonly (ChoiceOptions | undefined)[];
};

export function accuracyReward(completions: readonly CompletionInput[], ctx: AccuracyContext): (number | null)[] {
  checkAligned('gold', ctx.gold, completions.length);
  checkAligned('choices', ctx.choices, completions.length);
  return completions.map((c, i) => {
    const gold = ctx.gold[i];
    if (gold === null || gold === undefined || gold.trim() === '') return null;
    return verifyResponse(completionText(c), gold, ctx.choices?.[i], ctx).correct ? 1 : 0;
  });
}
